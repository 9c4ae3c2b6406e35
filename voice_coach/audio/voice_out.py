"""The speaker as the session's output: events become sounds on their exact samples.

Also the screen keeps showing every line, so a person can read along. When the speaker fails
mid-session the engine is paused, the device is retried every few seconds (by name, since
indices change on re-plug), and once it is back the coach says so and carries on.
"""

from __future__ import annotations

import time

import numpy as np

from voice_coach.app.live import ScreenOutput
from voice_coach.audio.speaker import AudioClock, AudioDeviceError, Speaker, resample, tone_samples
from voice_coach.core.engine.machine import Engine
from voice_coach.core.events import Event, StateChange, Tone
from voice_coach.core.phrases import Phrases
from voice_coach.listening.voice_in import EchoGuard
from voice_coach.speech.tts import SpeechCache, SpeechError

LOOKAHEAD_SECONDS = 0.15
"""Events are handed to the mixer this early (seconds), longer than a block plus thread wake-up."""
RETRY_SECONDS = 3.0
"""How often a lost speaker is tried again (seconds)."""


class VoiceOutput:
    def __init__(self, speaker: Speaker, cache: SpeechCache, clock: AudioClock, phrases: Phrases,
                 screen: ScreenOutput, guard: EchoGuard | None = None):
        self.speaker, self.cache, self.clock, self.phrases, self.screen = speaker, cache, clock, phrases, screen
        self.guard = guard or EchoGuard()
        """Told what is said and when, so the listener can tell the coach's voice from the person's."""
        self.lookahead = LOOKAHEAD_SECONDS
        self._retry_at: float | None = None
        self._paused_by_us = False
        self._samples: dict[tuple[str, int], np.ndarray] = {}
        """Clips and tones already at the device's rate: a count said 72 times is resampled once."""

    @property
    def recovering(self) -> bool:
        """Waiting for a lost speaker that the session will carry on with once it is back."""
        return self._retry_at is not None and self._paused_by_us

    def start(self) -> None:
        """Open the speaker; raises AudioDeviceError when there is none."""
        self._attach(self.speaker.open())

    def _attach(self, mixer) -> None:
        self.clock.attach(mixer)
        origin, rate, guard = self.clock.origin, mixer.sample_rate, self.guard
        mixer.tap = lambda frame, block: guard.played(origin, frame, block, rate)

    def deliver(self, events: list[Event]) -> None:
        self.screen.deliver(events)
        mixer = self.speaker.mixer
        if mixer is None or self._retry_at is not None:
            return  # no speaker right now: the screen has it, and the engine is paused
        for event in events:
            if event.kind == "state":
                state = event.data.get("state")
                # On a pause the voice falls silent; on resuming, the pause's own announcement
                # (which can be long) must not go on under what the session says next.
                if state in (StateChange.PAUSED, StateChange.RESUMED):
                    mixer.stop()
                    self.guard.silenced(event.t)
                elif state == StateChange.REPLANNED:
                    mixer.cancel_after(self.clock.frame_of(event.t))
                elif state == StateChange.VOLUME:
                    mixer.volume = float(event.data["volume"])
                continue
            if event.kind == "say" and event.text:
                try:
                    samples = self._at_rate(f"say:{event.text}", mixer.sample_rate,
                                            lambda rate, text=event.text: resample(self.cache.get(text), rate))
                except SpeechError as err:
                    self.screen.note(f"(could not speak this: {err})")
                    continue
                mixer.schedule(samples, self.clock.frame_of(event.t), event.text)
                self.guard.speaking(event.text, event.t, len(samples) / mixer.sample_rate)
                self.guard.playing(event.t, samples, mixer.sample_rate, mixer.volume)
            elif event.kind == "tone":
                tone = Tone(event.data["tone"], event.data["hz"], event.data["seconds"])
                samples = self._at_rate(f"tone:{tone}", mixer.sample_rate,
                                        lambda rate, tone=tone: tone_samples(tone, rate))
                mixer.schedule(samples, self.clock.frame_of(event.t), f"tone:{tone.name}")
                self.guard.playing(event.t, samples, mixer.sample_rate, mixer.volume)

    def _at_rate(self, key: str, rate: int, make) -> np.ndarray:
        samples = self._samples.get((key, rate))
        if samples is None:
            samples = self._samples[(key, rate)] = make(rate)
        return samples

    def poll(self, engine: Engine) -> None:
        if self._retry_at is None:
            if not self.speaker.healthy():
                self._lose(engine)
            return
        if time.monotonic() < self._retry_at:
            return
        try:
            mixer = self.speaker.open()
        except AudioDeviceError:
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return
        self._attach(mixer)
        self._retry_at = None
        self.screen.note("(the speaker is back)")
        back = self.phrases.say("back_online")
        if self._paused_by_us:
            self._paused_by_us = False
            self.deliver(engine.carry_on(first_words=(back,)))
        else:  # the person had paused: they resume when they want to
            self.deliver([Event(self.clock.now(), "say", back)])

    def _lose(self, engine: Engine) -> None:
        self.speaker.close()
        self.clock.detach()
        self._retry_at = time.monotonic() + RETRY_SECONDS
        self.screen.note(f"(lost the speaker; trying again every {RETRY_SECONDS:g} s — "
                         "type commands meanwhile)")
        events = engine.interrupt()
        self._paused_by_us = bool(events)
        self.screen.deliver(events)

    def wait_until_quiet(self, limit: float = 15.0) -> None:
        deadline = time.monotonic() + limit
        while self.speaker.mixer is not None and self.speaker.mixer.busy and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.speaker.close()
