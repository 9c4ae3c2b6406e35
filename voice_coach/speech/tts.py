"""Text to speech: render sentences to PCM clips ahead of time, and keep them (memory and disk).

pyttsx3 (espeak-ng on Linux) renders into a WAV file that is read back; its own blocking
playback is never used, so the program owns playback and can cut a sentence off mid-word.
pyttsx3's run loop is known to hang or refuse a second run on some systems (pyttsx3 issues #126
and #262), so it runs in a worker process (tts_worker.py) killed and restarted when it does not
answer in time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from voice_coach import user_dirs
from voice_coach.audio import pcm
from voice_coach.core.errors import MachineError

DEFAULT_RATE = 175
"""Speaking rate (words per minute): espeak-ng's own default, clear enough for a room."""
RENDER_TIMEOUT_SECONDS = 15.0
"""How long one sentence may take to render before the worker is taken to have hung."""
RENDER_ATTEMPTS = 3
"""Workers tried for one sentence. espeak-ng through pyttsx3 now and then writes an empty file,
and has done so twice in a row on a busy machine (`voice-coach check` under `make test`, and
three benchmarks rendering at once); after that, espeak-ng's command line (_command_line)."""
RETRY_PAUSE_SECONDS = 0.5
"""Wait before the second try (twice that before the third)."""
COMMAND_LINE_TIMEOUT_SECONDS = 30.0
"""espeak-ng's own command line, the last resort (see Pyttsx3Renderer.render), gets this long."""


_LOGGER = logging.getLogger(__name__)


class SpeechError(MachineError):
    """Speech could not be rendered (no TTS engine, or it keeps failing)."""


@dataclass(frozen=True)
class Clip:
    samples: np.ndarray
    """Mono float32 PCM in -1..1."""
    sample_rate: int
    """Samples per second (hertz)."""

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


class Renderer(Protocol):
    name: str
    """Identifies backend, voice and rate, for cache keys."""

    def render(self, text: str) -> Clip: ...

    def close(self) -> None: ...


def read_clip(path: Path) -> Clip:
    try:
        return Clip(*pcm.read_wav(path))
    except ValueError as err:
        raise SpeechError(f"{path}: {err}") from err


def write_clip(path: Path, clip: Clip) -> None:
    pcm.write_wav(path, clip.samples, clip.sample_rate)


# ----- pyttsx3 in a worker process ------------------------------------------------------------


class Pyttsx3Renderer:
    """espeak-ng through pyttsx3, in a worker process restarted whenever it hangs or dies."""

    def __init__(self, voice: str | None = None, rate: int = DEFAULT_RATE, timeout: float = RENDER_TIMEOUT_SECONDS):
        self.voice, self.rate, self.timeout = voice, rate, timeout
        self.name = f"pyttsx3:{voice or 'default'}:{rate}"
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._folder = Path(tempfile.mkdtemp(prefix="voice-coach-tts-"))
        self.restarts = 0

    def _start(self) -> subprocess.Popen:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "voice_coach.speech.tts_worker", self.voice or "-", str(self.rate)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
        )
        return self._process

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait(timeout=5)

    def _ask(self, process: subprocess.Popen, text: str, path: Path) -> str | None:
        """None when the phrase was rendered, else what went wrong."""
        try:
            process.stdin.write(json.dumps({"text": text, "path": str(path)}) + "\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError):
            return "the speech worker died"
        ready, _, _ = select.select([process.stdout], [], [], self.timeout)
        if not ready:
            return f"no answer within {self.timeout:g} s"
        line = process.stdout.readline()
        if not line:
            return "the speech worker died"
        answer = json.loads(line)
        if not answer.get("ok"):
            return answer.get("error", "unknown error")
        if not path.exists() or path.stat().st_size <= 44:
            return "an empty recording"
        return None

    def render(self, text: str) -> Clip:
        with self._lock:
            problem = "no answer"
            for attempt in range(RENDER_ATTEMPTS):
                if attempt:  # a moment before a fresh worker: an empty file came twice in a row under load
                    time.sleep(RETRY_PAUSE_SECONDS * attempt)
                process = self._process if self._process and self._process.poll() is None else self._start()
                path = self._path_for(text)
                try:
                    problem = self._ask(process, text, path)
                except (OSError, ValueError) as err:
                    problem = str(err)
                if problem is None:
                    clip = read_clip(path)
                    path.unlink(missing_ok=True)
                    return clip
                _LOGGER.warning("text to speech failed for %r (%s): a fresh worker tries again", text[:40], problem)
                self._kill()  # hung or broken: a fresh worker for the next try
                self.restarts += 1
            clip = self._command_line(text) if problem == "an empty recording" else None
            if clip is not None:
                return clip
            raise SpeechError(f"text to speech failed for {text[:40]!r}: {problem}")

    def _command_line(self, text: str) -> Clip | None:
        """The same voice through espeak-ng's own command line, when pyttsx3 kept writing empty
        files: three fresh workers in a row did so for `voice-coach check`'s phrase under `make
        test` (pyttsx3 2.99's espeak driver collects the audio in a callback; the cause was not
        found). None when that fails too."""
        program = shutil.which("espeak-ng")
        if program is None:
            return None
        path = self._path_for(text).with_suffix(".espeak.wav")
        voice = ["-v", self.voice] if self.voice else []
        try:
            subprocess.run([program, *voice, "-s", str(self.rate), "-w", str(path), text], check=True,
                           capture_output=True, timeout=COMMAND_LINE_TIMEOUT_SECONDS)
            clip = read_clip(path)
        except (OSError, subprocess.SubprocessError, SpeechError) as err:
            _LOGGER.warning("espeak-ng's command line failed for %r too: %s", text[:40], err)
            return None
        finally:
            path.unlink(missing_ok=True)
        if not len(clip.samples):
            return None
        _LOGGER.warning("pyttsx3 wrote only empty recordings for %r: espeak-ng's command line spoke it", text[:40])
        return clip

    def _path_for(self, text: str) -> Path:
        """Where a sentence is rendered to (one file at a time, removed once read)."""
        return self._folder / f"{hashlib.sha1(text.encode()).hexdigest()}.wav"

    def close(self) -> None:
        with self._lock:
            process, self._process = self._process, None
            if process is not None:
                try:
                    process.stdin.close()
                    process.wait(timeout=2)
                except (OSError, subprocess.TimeoutExpired):
                    process.kill()

    def __del__(self) -> None:
        try:
            self._kill()
        except Exception:
            pass


def list_pyttsx3_voices() -> list[tuple[str, str, list[str]]]:
    """(id, name, languages) of every voice pyttsx3 offers, asked in a short-lived process."""
    program = (
        "import json, pyttsx3\n"
        "voices = pyttsx3.init().getProperty('voices')\n"
        "print(json.dumps([[str(v.id), str(v.name), [l.decode() if isinstance(l, bytes) else str(l)"
        " for l in (v.languages or [])]] for v in voices]))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=RENDER_TIMEOUT_SECONDS)
    if result.returncode != 0:
        raise SpeechError(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "pyttsx3 failed")
    return [tuple(voice) for voice in json.loads(result.stdout)]


# ----- the cache -----------------------------------------------------------------------------


def default_cache_dir() -> Path:
    return user_dirs.cache_dir() / "speech"


class SpeechCache:
    """Clips by text, rendered once: kept in memory, and on disk across runs (keyed by voice and rate)."""

    def __init__(self, renderer: Renderer, folder: Path | None = None):
        self.renderer = renderer
        self.folder = folder
        self._clips: dict[str, Clip] = {}
        self._lock = threading.Lock()
        self.rendered = self.loaded = 0

    def _path(self, text: str) -> Path | None:
        if self.folder is None:
            return None
        key = hashlib.sha256(f"{self.renderer.name}\n{text}".encode()).hexdigest()
        return self.folder / f"{key}.wav"

    def get(self, text: str) -> Clip:
        clip = self._clips.get(text)
        if clip is not None:
            return clip
        path = self._path(text)
        if path is not None and path.exists():
            try:
                clip = read_clip(path)
                self.loaded += 1
            except (OSError, EOFError, wave.Error, SpeechError):
                clip = None  # a damaged cache file is rendered again
        if clip is None:
            clip = self.renderer.render(text)
            self.rendered += 1
            if path is not None:
                self._store(path, clip)
        with self._lock:
            self._clips[text] = clip
        return clip

    def _store(self, path: Path, clip: Clip) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            write_clip(partial, clip)
            partial.replace(path)  # never a half-written file under the real name
        except OSError:
            pass  # a read-only or full disk only costs rendering again next time

    def prepare(self, texts: Iterable[str]) -> None:
        for text in dict.fromkeys(texts):
            self.get(text)

    def prepare_in_background(self, texts: Iterable[str]) -> threading.Thread:
        thread = threading.Thread(target=self._prepare_quietly, args=(list(texts),), daemon=True)
        thread.start()
        return thread

    def _prepare_quietly(self, texts: list[str]) -> None:
        try:
            self.prepare(texts)
        except SpeechError:
            pass  # the same phrase is tried again when it is needed, and reported then

    def duration(self, text: str) -> float | None:
        clip = self._clips.get(text)
        return clip.seconds if clip is not None else None
