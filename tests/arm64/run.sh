#!/bin/sh
# Proof on arm64 (the Raspberry Pi's architecture): build a Debian bookworm arm64 root with
# debootstrap, run it under qemu-user-static, install voice-coach and its dependencies there from
# the package registries (vosk has aarch64 wheels), and run the test suite without the tests that
# need a sound server, plus a simulated workout. Prints how long each stage took.
#   make arm64-test     (root; about 20 minutes on two cores, 14 when the root is kept from a run before)
# Exit 0: passed; 77: this machine cannot emulate arm64 (skipped, with the reason); else: failed.
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
ROOT=${ARM64_ROOT:-/var/tmp/voice-coach-arm64}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# What a Pi needs besides Python; libatomic1: vosk's aarch64 library links to it (Raspberry Pi OS
# has it, a minimal Debian does not).
PACKAGES="python3 python3-venv python3-pip espeak-ng libportaudio2 libatomic1 sox ca-certificates"
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
started=$(date +%s)
stage() { echo "== $1 ($(($(date +%s) - started)) s so far)"; }
# A machine that cannot emulate arm64 (no binfmt_misc, no Debian mirror) is not a failure of
# voice-coach: say so and exit 77 (skipped). Everything after the root is built is a real failure.
cannot() { echo "== arm64 skipped: $1 (this machine cannot build an emulated arm64 root)"; exit 77; }

stage "host tools: debootstrap, qemu-user-static"
missing=""
for p in debootstrap qemu-user-static binfmt-support; do
    dpkg-query -W -f='${Status}\n' $p 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        $SUDO apt-get install -y -qq --no-install-recommends $missing; } || cannot "installing$missing failed"
fi
# Containers often start without binfmt_misc: without it the kernel cannot hand arm64 programs to qemu.
[ -e /proc/sys/fs/binfmt_misc/register ] || $SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc \
    || cannot "binfmt_misc cannot be mounted"
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || $SUDO update-binfmts --enable qemu-aarch64 \
    || cannot "qemu-aarch64 cannot be registered with binfmt_misc"

if [ ! -e "$ROOT/.voice-coach-root" ]; then
    stage "debootstrap bookworm arm64 into $ROOT"
    $SUDO rm -rf "$ROOT"
    $SUDO debootstrap --arch=arm64 --variant=minbase \
        --include=$(echo $PACKAGES | tr ' ' ',') \
        bookworm "$ROOT" "$MIRROR" >/dev/null || cannot "debootstrap from $MIRROR failed"
    $SUDO touch "$ROOT/.voice-coach-root"
fi

stage "copy the checkout in"
$SUDO rm -rf "$ROOT/voice-coach"
$SUDO mkdir -p "$ROOT/voice-coach"
(cd "$REPO" && git ls-files -z | xargs -0 tar -cf - ) | $SUDO tar -xf - -C "$ROOT/voice-coach"
$SUDO cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The host's certificate authorities, so a site proxy with its own CA works inside as well.
$SUDO cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/host-ca.crt"
mountpoint -q "$ROOT/proc" || $SUDO mount -t proc proc "$ROOT/proc"
# Terminal tests open pseudo-terminals.
mountpoint -q "$ROOT/dev/pts" || $SUDO mount -t devpts -o newinstance,ptmxmode=0666 devpts "$ROOT/dev/pts"
[ -e "$ROOT/dev/ptmx" ] || $SUDO ln -s pts/ptmx "$ROOT/dev/ptmx"
trap '$SUDO umount "$ROOT/proc" "$ROOT/dev/pts" 2>/dev/null || true' EXIT

in_root() {
    $SUDO chroot "$ROOT" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin LANG=C.UTF-8 \
        PIP_CERT=/etc/ssl/host-ca.crt SSL_CERT_FILE=/etc/ssl/host-ca.crt PIP_DEFAULT_TIMEOUT=180 \
        ${http_proxy:+http_proxy=$http_proxy} ${https_proxy:+https_proxy=$https_proxy} \
        /bin/sh -c "$1"
}

stage "Debian packages (a root kept from an earlier run may lack newer ones)"
in_root "missing=\$(for p in $PACKAGES; do dpkg-query -W -f='\${Status}\n' \$p 2>/dev/null | \
         grep -q 'install ok installed' || echo \$p; done); [ -z \"\$missing\" ] || \
         { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \$missing; }"

stage "install voice-coach and its test dependencies (pip, aarch64 wheels)"
in_root "uname -m && cd /voice-coach && [ -x /venv/bin/python ] || python3 -m venv /venv; \
         /venv/bin/pip install --quiet --upgrade pip && /venv/bin/pip install --quiet -e '.[test]'"

stage "the test suite without a sound server"
in_root "cd /voice-coach && /venv/bin/python -m pytest -q -p no:cacheprovider \
         --ignore=tests/test_voice_out.py --ignore=tests/test_voice_room.py --ignore=tests/test_check.py \
         -k 'not in_the_room and not kill_9'"
# (kill_9 kills the workout at random moments within 1-12 s until one run finishes: under
# emulation Python alone takes seconds to start, so no run ever finishes; it runs natively in CI.)

stage "a simulated workout"
in_root "cd /voice-coach && /venv/bin/voice-coach run reverse-lunge --simulate --auto-start | tail -3 && \
         /venv/bin/voice-coach run reverse-lunge --simulate --auto-start --lang ko | tail -1"

stage "done: arm64 passed in $(($(date +%s) - started)) s"
