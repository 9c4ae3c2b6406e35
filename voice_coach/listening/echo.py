"""How much of what the microphone hears is the coach's own sound, to tell a person talking over it.

The speaker says what it plays and when (session seconds); from that the coach's sound energy
at any moment is known. The share of it that reaches the microphone (the echo path's gain: the
speaker's loudness, the distance, the room) is learned while only the coach sounds. When the
microphone holds clearly more energy than the coach's echo explains, someone else is speaking:
double talk, the classic test of echo cancellers. Pure logic; time is an input.
"""

from __future__ import annotations

from collections import deque

import numpy as np

FRAME_SECONDS = 0.01
"""The coach's sound is kept as its energy per 10 ms."""
WINDOW_SECONDS = 0.3
"""Energies are compared over this long: about a syllable or two (seconds)."""
DELAY_SLACK_SECONDS = 0.15
"""The coach's sound reaches the microphone up to this late (output and input latency)."""
DOUBLE_TALK_RATIO = 3.0
"""Someone else speaks when the microphone holds this many times (about 5 dB) the energy the
coach's echo explains."""
LEARNED_WINDOWS = 200
"""The echo path's gain is a low quantile of the last this many coach-only windows."""
AUDIBLE_ENERGY = 1e-6
"""Mean energy (full scale 1) below which a window is silence: about -60 dB."""
LEARNING_ENERGY = 1e-4
"""Only windows where the coach plays at least this (about -40 dB) throughout teach the echo's
gain (see EchoModel.echo_known)."""


class EchoModel:
    def __init__(self) -> None:
        self._sounds: list[tuple[float, np.ndarray]] = []
        """(start in session seconds, energy per frame) of each sound the coach plays."""
        self._ratios: deque[float] = deque(maxlen=LEARNED_WINDOWS)
        self.gain: float | None = None
        """Microphone energy per unit of the coach's energy, once learned."""
        self._known: tuple[float, bool] | None = None
        """The latest echo_known answer (session time, answer): the guard asks it again for the
        window double_talk has just judged, 50 times a second."""

    def playing(self, start: float, samples: np.ndarray, sample_rate: int, volume: float = 1.0) -> None:
        """The coach plays `samples` (float, full scale 1) from session time `start`."""
        frame = max(1, int(sample_rate * FRAME_SECONDS))
        usable = len(samples) // frame * frame
        if not usable:
            return
        energy = np.mean((samples[:usable].reshape(-1, frame) * volume) ** 2, axis=1)
        self._sounds.append((start, energy))
        self._known = None
        self._sounds = [(s, e) for s, e in self._sounds if s + len(e) * FRAME_SECONDS > start - 30]

    def silenced(self, at: float) -> None:
        """Everything stopped at `at`: what was planned after it is not heard."""
        kept = []
        for start, energy in self._sounds:
            if start <= at:
                kept.append((start, energy[: max(0, int((at - start) / FRAME_SECONDS))]))
        self._sounds, self._known = kept, None

    def coach_energy(self, start: float, end: float) -> float:
        """Mean energy the coach played between two session times."""
        total, frames = 0.0, max(1, int(round((end - start) / FRAME_SECONDS)))
        for sound_start, energy in self._sounds:
            # Most sounds of the last 30 s lie wholly before the window (or after it): passed
            # over at once, as this runs a few times per microphone block (a frame of margin
            # keeps a sound ending within a rounding of the window's start counted as before).
            if sound_start >= end or sound_start + len(energy) * FRAME_SECONDS < start - FRAME_SECONDS:
                continue
            first = max(0, int((start - sound_start) / FRAME_SECONDS))
            last = min(len(energy), int((end - sound_start) / FRAME_SECONDS))
            if last > first:
                total += float(np.sum(energy[first:last]))
        return total / frames

    def echo_known(self, at: float) -> bool:
        """Whether the coach played steadily through the window ending at `at` (and the
        DELAY_SLACK_SECONDS before it), so that its echo fills the microphone's window and the two
        energies' ratio is the room's. At the edges of its sentences the ratio says more about
        timing: as a sentence begins, the coach's energy is counted before its echo has arrived
        (a gain learned there was 30 times too low, and the whole first sentence of a session
        then looked like someone talking over it); as it ends, the room rings on."""
        if self._known is None or self._known[0] != at:
            start = at - WINDOW_SECONDS - DELAY_SLACK_SECONDS
            step = (WINDOW_SECONDS + DELAY_SLACK_SECONDS) / 3
            self._known = (at, all(self.coach_energy(start + i * step, start + (i + 1) * step) >= LEARNING_ENERGY
                                   for i in range(3)))
        return self._known[1]

    def double_talk(self, microphone_energy: float, at: float) -> bool:
        """Whether the microphone's mean energy over the window ending at `at` holds more than the
        coach's echo. Windows where it does not teach the echo path's gain."""
        coach = self.coach_energy(at - WINDOW_SECONDS - DELAY_SLACK_SECONDS, at)
        if coach < AUDIBLE_ENERGY:
            return False  # the coach is silent: nothing to tell apart
        ratio = microphone_energy / coach
        if self.gain is not None and ratio > DOUBLE_TALK_RATIO * self.gain:
            return True
        if microphone_energy < AUDIBLE_ENERGY or not self.echo_known(at):
            return False  # a microphone that hears nothing yet (a stream starting) teaches nothing
        self._ratios.append(ratio)
        # a low quantile: the person's voice only ever adds energy, a late echo only removes some
        self.gain = float(np.quantile(self._ratios, 0.3))
        return False
