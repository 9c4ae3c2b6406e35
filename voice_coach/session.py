"""Wires a real session together: plan, engine, clock, and the edges (screen, speaker, keyboard).

The CLI only parses arguments and calls in here; this is the one module that knows every part.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from .audio import AudioClock, AudioDeviceError, Speaker
from .clock import FakeClock, MonotonicClock
from .engine import Engine, Settings
from .live import ScreenOutput, run_live_session
from .phrases import Phrases, load_phrases
from .plan import Plan
from .simulate import ScheduledCommand, simulate
from .speech import DEFAULT_RATE, Pyttsx3Renderer, SpeechCache, SpeechError, default_cache_dir
from .timeline import words_per_minute_estimator
from .voice_out import VoiceOutput

PRELOAD_BEFORE_START = 12
"""Phrases rendered before the first word (the opening); the rest render in the background."""

FIXED_PHRASES = ("paused", "resumed", "stop_confirm", "not_understood", "back_online", "louder", "quieter",
                 "restart_set", "previous_set", "not_paused", "already_going", "not_resting", "not_in_set",
                 "say_ready")


@dataclass(frozen=True)
class SessionOptions:
    language: str = "en"
    auto_start: float | None = None
    voice: str | None = None
    rate: int = DEFAULT_RATE
    output_device: str | None = None
    volume: float = 0.8


def make_renderer(voice: str | None, rate: int, language: str) -> Pyttsx3Renderer:
    """The text-to-speech backend for a --voice value (pyttsx3 voices by id; default per language)."""
    if voice is None and language != "en":
        voice = language  # espeak-ng voices are named by language code
    return Pyttsx3Renderer(voice, rate)


def workout_phrases(plan: Plan, phrases: Phrases) -> list[str]:
    """Everything a workout will say, in the order it says it, then the usual answers to commands."""
    clock = FakeClock()
    result = simulate(Engine(plan, phrases, clock, Settings(auto_start_seconds=0.0)), clock)
    spoken = [event.text for event in result.events if event.kind == "say" and event.text]
    fixed = [phrases.say(key) for key in FIXED_PHRASES]
    numbers = [phrases.number(n) for n in (1, 2, 3)]
    return list(dict.fromkeys(spoken + numbers + fixed))


def simulate_session(plan: Plan, phrases: Phrases, options: SessionOptions, schedule: list[ScheduledCommand],
                     as_json: bool, stdout: TextIO = sys.stdout) -> bool:
    """Print the simulated timeline; returns whether it ended waiting for a 'ready' nobody said."""
    clock = FakeClock()
    result = simulate(Engine(plan, phrases, clock, Settings(auto_start_seconds=options.auto_start)), clock, schedule)
    for event in result.events:
        print(json.dumps(event.to_json(), ensure_ascii=False) if as_json else event.line(), file=stdout)
    return result.waiting_forever


def run_text_session(plan: Plan, phrases: Phrases, options: SessionOptions) -> int:
    clock = MonotonicClock()
    engine = Engine(plan, phrases, clock, Settings(auto_start_seconds=options.auto_start, volume=options.volume))
    return run_live_session(engine, clock, ScreenOutput())


def run_voice_session(plan: Plan, phrases: Phrases, options: SessionOptions,
                      note: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> int:
    """Speak the workout; without a speaker or speech engine, say why in one line and use the screen."""
    screen = ScreenOutput()
    try:
        renderer = make_renderer(options.voice, options.rate, phrases.language)
        cache = SpeechCache(renderer, default_cache_dir())
        texts = workout_phrases(plan, phrases)
        screen.note(f"Preparing the coach's voice ({len(texts)} phrases) …")
        cache.prepare(texts[:PRELOAD_BEFORE_START])
    except (SpeechError, OSError) as err:
        note(f"voice-coach: no speech ({err}); running in text mode")
        return run_text_session(plan, phrases, options)
    clock = AudioClock()
    output = VoiceOutput(Speaker(options.output_device, options.volume), cache, clock, phrases, screen)
    try:
        output.start()
    except AudioDeviceError as err:
        note(f"voice-coach: no sound output ({err}); running in text mode")
        renderer.close()
        return run_text_session(plan, phrases, options)
    cache.prepare_in_background(texts[PRELOAD_BEFORE_START:])
    fallback = words_per_minute_estimator(options.rate)
    settings = Settings(auto_start_seconds=options.auto_start, volume=options.volume,
                        estimate_speech=lambda text: cache.duration(text) or fallback(text))
    engine = Engine(plan, phrases, clock, settings)
    try:
        return run_live_session(engine, clock, output)
    finally:
        output.close()
        renderer.close()


def say_once(text: str, options: SessionOptions) -> float:
    """Speak one sentence through the output device and wait for it to end; returns its length."""
    renderer = make_renderer(options.voice, options.rate, options.language)
    try:
        clip = renderer.render(text)
    finally:
        renderer.close()
    clock = AudioClock()
    phrases = load_phrases(options.language)
    output = VoiceOutput(Speaker(options.output_device, options.volume), SpeechCache(_Fixed(clip)), clock, phrases,
                         ScreenOutput())
    output.start()
    try:
        from .events import Event

        output.deliver([Event(clock.now() + 0.05, "say", text)])
        output.wait_until_quiet(limit=clip.seconds + 5)
    finally:
        output.close()
    return clip.seconds


class _Fixed:
    """A renderer that already has its one clip (say_once renders before opening the device)."""

    name = "fixed"

    def __init__(self, clip):
        self.clip = clip

    def render(self, text: str):
        return self.clip
