"""What a voice session costs, for sizing a Raspberry Pi: start-up time to the first spoken word,
memory (peak RSS) and CPU of a whole voice session, and CPU of `serve` waiting in a quiet room.

Runs `voice-coach` as a person would, in the PulseAudio room (tests/room.py), with the Korean
model (the same size class as the small English one: 82 MB against 40 MB on disk, a comparable
graph). The listener's CPU per audio second while the coach talks is `listen_room.py`'s figure.

    .venv/bin/python benchmarks/pi_budget.py        (about 3 minutes)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from room import RATE, Recorder, ensure_room  # noqa: E402

SESSION_SECONDS = 40.0
"""How long each measured session runs before it is stopped (seconds)."""
IDLE_SECONDS = 30.0
"""How long `serve` is watched while it waits (seconds)."""
SOUND = 0.01
"""The first recorded sample above this (full scale 1) is the coach's first word."""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def voice_coach(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "voice_coach", *args], env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def session(cache: Path, work: Path) -> tuple[float, float, float]:
    """(seconds from launch to the first word, peak RSS in MB, CPU share of one core)."""
    env = {"XDG_CACHE_HOME": str(cache), "VOICE_COACH_DB": str(work / "log.db")}
    with Recorder() as heard:
        before = len(heard.samples)
        launched = time.monotonic()
        process = voice_coach("run", "reverse-lunge", "--lang", "ko", "--auto-start", "0", env=env)
        first = None
        while time.monotonic() - launched < SESSION_SECONDS:
            time.sleep(0.05)
            if first is None:
                loud = np.nonzero(np.abs(heard.samples[before:]) > SOUND)[0]
                if len(loud):
                    first = loud[0] / RATE
        cpu, rss = cpu_seconds(process.pid), peak_rss_mb(process.pid)
        wall = time.monotonic() - launched
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    return (first if first is not None else float("nan")), rss, cpu / wall


def idle(work: Path) -> tuple[float, float]:
    """(CPU share of one core while `serve` waits in a quiet room, peak RSS in MB)."""
    env = {"VOICE_COACH_DB": str(work / "log.db")}
    process = voice_coach("serve", "--lang", "ko", env=env)
    time.sleep(15)  # loading, and the ready sentence
    start_cpu, started = cpu_seconds(process.pid), time.monotonic()
    time.sleep(IDLE_SECONDS)
    share = (cpu_seconds(process.pid) - start_cpu) / (time.monotonic() - started)
    rss = peak_rss_mb(process.pid)
    process.terminate()
    process.wait(timeout=30)
    return share, rss


def main() -> None:
    ensure_room()
    with tempfile.TemporaryDirectory() as folder:
        work, cache = Path(folder), Path(folder) / "cache"
        cold = session(cache, work)  # the coach's phrases rendered for the first time
        warm = session(cache, work)  # every phrase already in the speech cache
        waiting = idle(work)
    print(f"voice session (reverse-lunge, Korean model, listening), first {SESSION_SECONDS:.0f} s:")
    print(f"  launch -> first spoken word: {cold[0]:.1f} s with an empty speech cache, "
          f"{warm[0]:.1f} s with a warm one")
    print(f"  peak RSS {warm[1]:.0f} MB; CPU {warm[2]:.0%} of one core over the run (start-up included)")
    print(f"serve, waiting in a quiet room: CPU {waiting[0]:.1%} of one core, peak RSS {waiting[1]:.0f} MB")


if __name__ == "__main__":
    main()
