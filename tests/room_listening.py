"""A voice session that listens, in the virtual room: the coach speaks into the null sink, the
person's voice (espeak-ng) is played into the same sink, and the session's listener records the
sink's monitor, as a microphone in a living room hears both.
"""

from __future__ import annotations

import io
import queue
import subprocess
import threading
import time
from pathlib import Path

from room import SINK

from voice_coach.app.live import ScreenOutput, Tee, run_live_session
from voice_coach.app.session import workout_phrases
from voice_coach.app.voice_out import VoiceOutput
from voice_coach.audio.speaker import AudioClock, Speaker
from voice_coach.core.engine.machine import Engine, Settings
from voice_coach.core.events import Event
from voice_coach.core.phrases import load_phrases
from voice_coach.core.plan import Plan
from voice_coach.core.timeline import words_per_minute_estimator
from voice_coach.listening.grammar import build_grammar
from voice_coach.listening.models import find_model
from voice_coach.listening.recognizer import Recognizer, load_model
from voice_coach.listening.voice_in import EchoGuard, VoiceInput
from voice_coach.speech.tts import Pyttsx3Renderer, SpeechCache

PERSON_VOICE = "ko+m3"
"""The person speaks with another espeak-ng voice than the coach's (ko)."""
COACH_VOLUME = 0.5
"""The speaker is across the room; the person is nearer the microphone (about 6 dB)."""


def person_clip(folder: Path, text: str, voice: str = PERSON_VOICE, speed: int = 175) -> Path:
    path = folder / f"person-{abs(hash((text, voice, speed)))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text],
                   check=True, capture_output=True, timeout=30)
    return path


def play_person(path: Path) -> None:
    """The person speaks: the clip goes into the room's sink beside the coach's voice."""
    subprocess.run(["paplay", f"--device={SINK}", str(path)], check=True, capture_output=True, timeout=30)


class ListeningRoom:
    """The coach's voice (into the room's sink) and its listener (on the sink's monitor), with
    every phrase in `texts` rendered beforehand."""

    def __init__(self, texts: list[str], language: str = "ko"):
        self.phrases = load_phrases(language)
        self.renderer = Pyttsx3Renderer(language)
        self.cache = SpeechCache(self.renderer)
        self.cache.prepare(texts)
        self.clock = AudioClock()
        self.guard = EchoGuard()
        self.output = VoiceOutput(Speaker(volume=COACH_VOLUME), self.cache, self.clock,
                                  ScreenOutput(stdout=io.StringIO()), playback=self.guard)
        self.commands: queue.Queue[object] = queue.Queue()
        self.notes: list[str] = []
        recognizer = Recognizer(load_model(find_model(language).path), build_grammar(self.phrases))
        self.listener = VoiceInput(recognizer, self.guard, self.clock.now, self.commands.put,
                                   self.notes.append)

    def open(self) -> None:
        self.output.start()
        self.listener.start()

    def close(self) -> None:
        self.listener.stop()
        self.output.close()
        self.renderer.close()

    @property
    def coach_talking(self) -> bool:
        return self.guard.talking(self.clock.now())

    def passed(self) -> list[str]:
        """The commands the listener passed on to the session, in order."""
        return [heard.command for heard, passed in self.listener.heard if passed]


class ListeningSession(ListeningRoom):
    """A real-time voice session of `plan` in `language`, listening with the real model; runs in
    a thread while the with-block speaks to it. Ends by two keyboard stops."""

    def __init__(self, plan: Plan, language: str = "ko", auto_start: float = 0.5):
        super().__init__(workout_phrases(plan, load_phrases(language)), language)
        fallback = words_per_minute_estimator()
        settings = Settings(auto_start_seconds=auto_start,
                            estimate_speech=lambda text: self.cache.duration(text) or fallback(text))
        self.engine = Engine(plan, self.phrases, self.clock, settings)
        self.events: list[Event] = []
        self._lock = threading.Lock()
        self.listener.workout = True  # as a session's: it follows the workout's state from its events

    def deliver(self, events: list[Event]) -> None:
        """Tee listener: keeps every event the session delivers, and hands them to the listener
        as the session does (what it listens for follows the workout: answers, a pause)."""
        self.listener.deliver(events)
        with self._lock:
            self.events.extend(events)

    def __enter__(self) -> ListeningSession:
        self.open()
        self._thread = threading.Thread(
            target=run_live_session, daemon=True,
            args=(self.engine, self.clock, Tee(self.output, self)),
            kwargs={"stdin": io.StringIO(""), "stdout": io.StringIO(), "commands": self.commands, "listening": True})
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._thread.is_alive():
            self.commands.put("stop")
            self.commands.put("stop")
            self._thread.join(timeout=15)
        self.close()

    def wait_for(self, wanted, timeout: float, after: int = 0) -> Event | None:
        """The first event from index `after` on that `wanted(event)` accepts, waiting up to `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = next((e for e in self.events[after:] if wanted(e)), None)
            if found is not None:
                return found
            time.sleep(0.02)
        return None

def wait_until(condition, timeout: float) -> bool:
    """Whether `condition()` came true within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def is_state(name: str):
    return lambda event: event.kind == "state" and event.data.get("state") == name
