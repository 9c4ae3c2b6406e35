"""`voice-coach check`: a self-test a person runs once, after plugging things in.

Each check answers PASS, WARN or FAIL in one line, and says what to do when it is not PASS. The
checks use the real devices, speech engine, model and database, as a session would.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voice_coach.app.session import SessionOptions, say_once
from voice_coach.audio.devices import AudioDeviceError, find_device
from voice_coach.audio.ducking import sound_server
from voice_coach.audio.pcm import to_speech_pcm
from voice_coach.core.phrases import load_phrases
from voice_coach.listening.grammar import build_grammar
from voice_coach.listening.models import ModelMissing, find_model
from voice_coach.listening.recognizer import CHUNK_SECONDS, SAMPLE_RATE, Recognizer, load_model
from voice_coach.speech.tts import SpeechError
from voice_coach.training.log import LogError, TrainingLog

RECORD_SECONDS = 3.0
"""How long the microphone is recorded while the test phrase plays (seconds)."""
QUIET_DBFS = -45.0
"""A peak below this (dB below full scale) is too quiet to be heard over a room's noise."""
CLIPPING_SHARE = 0.001
"""More than this share of samples at full scale means the input gain is set too high."""
REAL_TIME_WARN = 0.5
"""The recognizer should decode a second of audio in well under a second: above this, WARN."""


@dataclass(frozen=True)
class Result:
    status: str
    """PASS, WARN or FAIL."""
    what: str
    fix: str = ""

    def line(self) -> str:
        return f"{self.status:4}  {self.what}" + (f"  -> {self.fix}" if self.fix else "")


def run_checks(settings: SessionOptions, db: Path, phrase: str) -> Iterator[Result]:
    """Every check in order, with the settings a session would use; a later check uses what an
    earlier one found (the recording)."""
    yield from _devices(settings)
    recording: list[np.ndarray] = []
    yield _speak_and_record(settings, phrase, recording)
    yield _input_level(recording[0] if recording else None)
    yield _model(settings, recording[0] if recording else None)
    yield _database(db)
    yield _ducking(settings.duck)


def _devices(settings: SessionOptions) -> Iterator[Result]:
    try:
        import sounddevice as sd  # PortAudio may be missing: that is what is checked

    except OSError as err:
        yield Result("FAIL", f"audio: PortAudio is missing ({err})", "sudo apt install libportaudio2")
        return
    for kind, wanted, setting in (("output", settings.output_device, "output_device"),
                                  ("input", settings.input_device, "input_device")):
        try:
            device = find_device(wanted, kind)
            info = sd.query_devices(device, kind)
        except (AudioDeviceError, Exception) as err:  # PortAudioError, ValueError: no such device
            yield Result("FAIL", f"{kind} device: {err}",
                         f"plug it in, see `voice-coach devices`, and set `{setting}` in the settings file")
            continue
        yield Result("PASS", f"{kind} device: {info['name']} ({int(info['default_samplerate'])} Hz)")


def _speak_and_record(settings: SessionOptions, phrase: str, recording: list[np.ndarray]) -> Result:
    """Plays the test phrase while recording RECORD_SECONDS from the microphone."""

    recorded: dict[str, object] = {}
    thread = threading.Thread(target=_record, args=(settings.input_device, recorded), daemon=True)
    thread.start()
    try:
        seconds = say_once(phrase, settings)
    except (AudioDeviceError, SpeechError, OSError) as err:
        result = Result("FAIL", f"speaking: {err}", "install espeak-ng, and check the output device above")
    else:
        result = Result("PASS", f"speaking: played the test phrase ({seconds:.1f} s): did you hear it?")
    thread.join(RECORD_SECONDS + 5)
    if "samples" in recorded:
        recording.append(to_speech_pcm(recorded["samples"], recorded["rate"]))  # type: ignore[arg-type]
    elif "error" in recorded and result.status == "PASS":
        result = Result("FAIL", f"recording: {recorded['error']}", "check the input device above")
    return result


def _record(device: str | None, into: dict[str, object]) -> None:
    try:
        import sounddevice as sd  # PortAudio may be missing: that is what is checked


        index = find_device(device, "input")
        rate = int(sd.query_devices(index, "input")["default_samplerate"])
        samples = sd.rec(int(RECORD_SECONDS * rate), samplerate=rate, channels=1, dtype="int16", device=index)
        sd.wait()
        into["samples"], into["rate"] = samples[:, 0].copy(), rate
    except Exception as err:  # any failure is reported by the caller, in one line
        into["error"] = str(err) or type(err).__name__


def _input_level(samples: np.ndarray | None) -> Result:
    if samples is None or not len(samples):
        return Result("FAIL", "input level: nothing was recorded", "check the input device above")
    data = samples.astype(np.float32) / 32768.0
    peak = float(np.max(np.abs(data)))
    peak_db = 20 * np.log10(max(peak, 1e-6))
    clipped = float(np.mean(np.abs(data) >= 0.999))
    what = f"input level: peak {peak_db:.0f} dBFS over {RECORD_SECONDS:.0f} s"
    if clipped > CLIPPING_SHARE:
        return Result("WARN", f"{what}, {clipped:.1%} of it clipping",
                      "lower the microphone's gain (alsamixer, F4 for capture) or move it away from the speaker")
    if peak_db < QUIET_DBFS:
        return Result("WARN", f"{what}: too quiet, the microphone hardly heard the test phrase",
                      "raise the microphone's gain (alsamixer, F4 for capture), or check it is not muted")
    return Result("PASS", what)


def _model(settings: SessionOptions, samples: np.ndarray | None) -> Result:
    try:
        found = find_model(settings.language, settings.model)
    except ModelMissing as err:
        return Result("FAIL", f"speech model: {err}".split(";")[0], "run `voice-coach model download`; "
                      "until then sessions take commands from the keyboard")
    started = time.monotonic()
    try:
        recognizer = Recognizer(load_model(found.path), build_grammar(load_phrases(settings.language)))
    except Exception as err:  # vosk raises plain Exception for a broken model
        return Result("FAIL", f"speech model: {found.path} does not load ({err})",
                      "remove it and run `voice-coach model download`")
    loaded = time.monotonic() - started
    audio = samples if samples is not None and len(samples) else np.zeros(int(SAMPLE_RATE * RECORD_SECONDS), np.int16)
    # The session's own listener, every chunk decoded as while the coach talks: its worst case
    # (in a quiet room it rests).
    chunk = int(SAMPLE_RATE * CHUNK_SECONDS)
    started = time.process_time()
    for start in range(0, len(audio), chunk):
        recognizer.feed(audio[start:start + chunk], coach_talking=True)
    factor = (time.process_time() - started) / (len(audio) / SAMPLE_RATE)
    what = (f"speech model: {found.path.name} ({found.source}) loads in {loaded:.1f} s and decodes "
            f"{1 / max(factor, 1e-3):.0f}x faster than real time")
    if factor >= 1.0:
        return Result("FAIL", what.replace("faster", "SLOWER"), "use a small model; close other programs")
    if factor > REAL_TIME_WARN:
        return Result("WARN", what, "commands will be slow to act: use a small model")
    return Result("PASS", what)


def _database(path: Path) -> Result:
    try:
        log = TrainingLog(path)
        try:
            log.check_writable()
        finally:
            log.close()
    except (LogError, OSError) as err:
        return Result("FAIL", f"training log: {err}", f"make {path.parent} writable, or set VOICE_COACH_DB")
    return Result("PASS", f"training log: {path} is writable")


def _ducking(duck: float) -> Result:
    if duck == 0:
        return Result("PASS", "music ducking: off (duck = 0)")
    try:
        server = sound_server()
    except Exception as err:  # no libpulse, no server
        return Result("WARN", f"music ducking: no PulseAudio or PipeWire sound server ({err})",
                      "music will play on at its own volume under the coach; install pipewire-pulse or pulseaudio")
    return Result("PASS", f"music ducking: other sounds go {-duck:g} dB down while the coach speaks ({server})")


def report(results: Iterator[Result], write: Callable[[str], None]) -> bool:
    """Writes each line as soon as its check ends; True when nothing failed."""
    failed = False
    for result in results:
        write(result.line())
        failed |= result.status == "FAIL"
    return not failed
