"""The speaker as the session's output: events become sounds on their exact samples.

Also the screen keeps showing every line, so a person can read along. When the speaker fails
mid-session, `poll` reports it (the session pauses the engine), the device is retried every few
seconds (by name, since indices change on re-plug), and `poll` reports it back (the session
carries on). What is played is also told to a `Playback` listener (the session wires in the
listener's echo guard), so this module knows neither the engine nor the microphone.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

import numpy as np

from voice_coach.audio.pcm import resample
from voice_coach.audio.speaker import AudioClock, AudioDeviceError, Speaker, tone_samples
from voice_coach.core.events import DeviceChange, Event, StateChange, Tone
from voice_coach.speech.tts import SpeechCache, SpeechError

LOOKAHEAD_SECONDS = 0.15
"""Events are handed to the mixer this early (seconds), longer than a block plus thread wake-up."""
RETRY_SECONDS = 3.0
"""How often a lost speaker is tried again (seconds)."""
GAP_REPORT_SECONDS = 30.0
"""Underruns are reported at most this often (seconds): a busy machine can have many."""

_LOGGER = logging.getLogger(__name__)


class Screen(Protocol):
    """Where every event is also shown, and notices about the speaker are written."""

    def deliver(self, events: list[Event]) -> None: ...

    def note(self, line: str) -> None: ...


class Playback(Protocol):
    """Told what the coach plays, so the listener can tell the coach's voice from the person's."""

    def played(self, origin: float, frame: int, block: np.ndarray, rate: int) -> None:
        """A block went to the speaker (called in the audio thread)."""

    def speaking(self, text: str, start: float, seconds: float) -> None: ...

    def playing(self, start: float, samples: np.ndarray, sample_rate: int, volume: float) -> None: ...

    def silenced(self, at: float) -> None: ...


class _NobodyListens:
    def played(self, origin: float, frame: int, block: np.ndarray, rate: int) -> None:
        pass

    def speaking(self, text: str, start: float, seconds: float) -> None:
        pass

    def playing(self, start: float, samples: np.ndarray, sample_rate: int, volume: float) -> None:
        pass

    def silenced(self, at: float) -> None:
        pass


class Playbacks:
    """Several listeners told the same (the echo guard and the music ducker)."""

    def __init__(self, *listeners: Playback) -> None:
        self.listeners = listeners

    def played(self, origin: float, frame: int, block: np.ndarray, rate: int) -> None:
        for listener in self.listeners:
            listener.played(origin, frame, block, rate)

    def speaking(self, text: str, start: float, seconds: float) -> None:
        for listener in self.listeners:
            listener.speaking(text, start, seconds)

    def playing(self, start: float, samples: np.ndarray, sample_rate: int, volume: float) -> None:
        for listener in self.listeners:
            listener.playing(start, samples, sample_rate, volume)

    def silenced(self, at: float) -> None:
        for listener in self.listeners:
            listener.silenced(at)


class VoiceOutput:
    def __init__(self, speaker: Speaker, cache: SpeechCache, clock: AudioClock, screen: Screen,
                 playback: Playback | None = None):
        self.speaker, self.cache, self.clock, self.screen = speaker, cache, clock, screen
        self.playback = playback or _NobodyListens()
        self.lookahead = LOOKAHEAD_SECONDS
        self._retry_at: float | None = None
        self._samples: dict[tuple[str, int], np.ndarray] = {}
        """Clips and tones already at the device's rate: a count said 72 times is resampled once."""
        self._gaps_reported = 0
        self._gaps_reported_at = -GAP_REPORT_SECONDS

    def start(self) -> None:
        """Open the speaker; raises AudioDeviceError when there is none."""
        self._attach(self.speaker.open())

    def _attach(self, mixer) -> None:
        self.clock.attach(mixer)
        origin, rate, playback = self.clock.origin, mixer.sample_rate, self.playback
        mixer.tap = lambda frame, block: playback.played(origin, frame, block, rate)
        self._gaps_reported = 0  # a new stream, a new list of gaps

    def deliver(self, events: list[Event]) -> None:
        self.screen.deliver(events)
        mixer = self.speaker.mixer
        if mixer is None or self._retry_at is not None:
            return  # no speaker right now: the screen has it, and the session has paused the engine
        for event in events:
            if event.kind == "state":
                state = event.data.get("state")
                # On a pause the voice falls silent; on resuming, the pause's own announcement
                # (which can be long) must not go on under what the session says next.
                if state in (StateChange.PAUSED, StateChange.RESUMED):
                    mixer.stop()
                    self.playback.silenced(event.t)
                elif state == StateChange.REPLANNED:
                    mixer.cancel_after(self.clock.frame_of(event.t))
                elif state == StateChange.VOLUME:
                    mixer.volume = float(event.data["volume"])
                continue
            if event.kind == "say" and event.text:
                try:
                    samples = self._at_rate(f"say:{event.text}", mixer.sample_rate,
                                            lambda rate, text=event.text: _clip_at(self.cache.get(text), rate))
                except SpeechError as err:
                    self.screen.note(f"(could not speak this: {err})")
                    continue
                mixer.schedule(samples, self.clock.frame_of(event.t), event.text)
                self.playback.speaking(event.text, event.t, len(samples) / mixer.sample_rate)
                self.playback.playing(event.t, samples, mixer.sample_rate, mixer.volume)
            elif event.kind == "tone":
                tone = Tone(event.data["tone"], event.data["hz"], event.data["seconds"])
                samples = self._at_rate(f"tone:{tone}", mixer.sample_rate,
                                        lambda rate, tone=tone: tone_samples(tone, rate))
                mixer.schedule(samples, self.clock.frame_of(event.t), f"tone:{tone.name}")
                self.playback.playing(event.t, samples, mixer.sample_rate, mixer.volume)

    def _at_rate(self, key: str, rate: int, make) -> np.ndarray:
        samples = self._samples.get((key, rate))
        if samples is None:
            samples = self._samples[(key, rate)] = make(rate)
        return samples

    def poll(self) -> DeviceChange | None:
        """Look at the speaker: LOST when it has just gone away, BACK when a retry opened it again."""
        if self._retry_at is None:
            if not self.speaker.healthy():
                self._lose()
                return DeviceChange.LOST
            self._report_gaps()
            return None
        if time.monotonic() < self._retry_at:
            return None
        try:
            mixer = self.speaker.open()
        except AudioDeviceError:
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return None
        self._attach(mixer)
        self._retry_at = None
        self.screen.note("(the speaker is back)")
        return DeviceChange.BACK

    def _report_gaps(self) -> None:
        """Say in the log that the device ran dry (the mixer has already kept the plan): on a Pi
        it means something else is taking the CPU."""
        mixer = self.speaker.mixer
        if mixer is None or len(mixer.gaps) <= self._gaps_reported:
            return
        if time.monotonic() - self._gaps_reported_at < GAP_REPORT_SECONDS:
            return
        new = mixer.gaps[self._gaps_reported:]
        self._gaps_reported, self._gaps_reported_at = len(mixer.gaps), time.monotonic()
        lost_ms = 1000 * sum(frames for _, frames in new) / mixer.sample_rate
        _LOGGER.warning("the speaker ran dry %d time(s), %.0f ms in all (the machine was busy); "
                        "later sounds kept their plan", len(new), lost_ms)

    def _lose(self) -> None:
        self.speaker.close()
        self.clock.detach()
        self._retry_at = time.monotonic() + RETRY_SECONDS
        self.screen.note(f"(lost the speaker; trying again every {RETRY_SECONDS:g} s — "
                         "type commands meanwhile)")

    def wait_until_quiet(self, limit: float = 15.0) -> None:
        deadline = time.monotonic() + limit
        while self.speaker.mixer is not None and self.speaker.mixer.busy and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.speaker.close()


def _clip_at(clip, rate: int) -> np.ndarray:
    return resample(clip.samples, clip.sample_rate, rate)
