"""Where speech is in the microphone signal, and how many syllables it held.

Pure logic on 16 kHz samples; time is counted in samples fed, never read from a clock. A fixed
level cannot work in a living room: a fan or a road raises the floor, a quiet microphone lowers
the voice. So a 10 ms frame counts as voice when it stands well above the quietest recent level.
Syllables are counted as loudness peaks with a dip of a few decibels between them (each syllable
has one vowel, and vowels are the loud part of speech).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from voice_coach.audio.pcm import SPEECH_RATE
from voice_coach.listening.grammar import Utterance

FRAME = 160
"""Samples per analysis frame (10 ms at 16 kHz)."""
FLOOR_FRAMES = 150
"""The noise floor is the quietest smoothed level of the last 1.5 s of frames."""
ABOVE_FLOOR = 3.0
"""Voice is this many times the floor's level (about 10 dB)."""
MIN_LEVEL = 0.005
"""Below this RMS (full scale 1) nothing counts as voice, however quiet the room."""
GAP_FRAMES = 30
"""Quiet this long (0.3 s) ends an utterance: the next voice starts a new one."""
SYLLABLE_DIP_DB = 3.0
"""How far the level must fall after a peak, and rise after a valley, to separate two syllables."""


class VoiceActivity:
    def __init__(self, sample_rate: int = SPEECH_RATE):
        self.sample_rate = sample_rate
        self.frames = 0
        self._pending = np.zeros(0, np.float32)
        self._recent = deque(maxlen=FLOOR_FRAMES)
        self._smooth = deque(maxlen=5)
        self.last_voice_frame: int | None = None
        self.utterance_start_frame: int | None = None
        self._syllables = 0
        self._rising = True
        self._extreme_db = -100.0
        """The highest level since the last valley (rising), or the lowest since the last peak."""

    def feed(self, pcm: np.ndarray) -> None:
        """Int16 mono samples, in order."""
        data = np.concatenate([self._pending, pcm.astype(np.float32) / 32768.0])
        usable = len(data) // FRAME * FRAME
        self._pending = data[usable:]
        if not usable:
            return
        for level in np.sqrt(np.mean(data[:usable].reshape(-1, FRAME) ** 2, axis=1)):
            self._frame(float(level))

    def _frame(self, level: float) -> None:
        self._smooth.append(level)
        smoothed = sum(self._smooth) / len(self._smooth)
        self._recent.append(smoothed)
        threshold = max(MIN_LEVEL, min(self._recent) * ABOVE_FLOOR)
        if level > threshold:
            if self.last_voice_frame is None or self.frames - self.last_voice_frame >= GAP_FRAMES:
                self.utterance_start_frame = self.frames
                self._syllables, self._rising, self._extreme_db = 0, True, -100.0
            self.last_voice_frame = self.frames + 1
        self._count_syllables(smoothed, threshold)
        self.frames += 1

    def _count_syllables(self, smoothed: float, threshold: float) -> None:
        level_db = 20 * np.log10(smoothed + 1e-5)
        if self._rising:
            if level_db > self._extreme_db:
                self._extreme_db = level_db
            elif self._extreme_db - level_db >= SYLLABLE_DIP_DB:
                # a peak has passed; it was a syllable if it was voice, not a bump in the noise
                if self._extreme_db > 20 * np.log10(threshold):
                    self._syllables += 1
                self._rising, self._extreme_db = False, level_db
        elif level_db < self._extreme_db:
            self._extreme_db = level_db
        elif level_db - self._extreme_db >= SYLLABLE_DIP_DB:
            self._rising, self._extreme_db = True, level_db

    def seconds(self, frames: int) -> float:
        return frames * FRAME / self.sample_rate

    @property
    def now(self) -> float:
        return self.seconds(self.frames)

    @property
    def last_voice_at(self) -> float | None:
        """Audio time at which the latest voice ended (seconds), if any was heard."""
        return None if self.last_voice_frame is None else self.seconds(self.last_voice_frame)

    @property
    def utterance_started_at(self) -> float | None:
        """Audio time at which the latest utterance's voice began (seconds), if any."""
        return None if self.utterance_start_frame is None else self.seconds(self.utterance_start_frame)

    def quiet_for(self) -> float | None:
        """How long it has been quiet since the latest voice (seconds); None before any voice."""
        return None if self.last_voice_frame is None else self.seconds(self.frames - self.last_voice_frame)

    def utterance(self) -> Utterance:
        """The latest utterance so far; a syllable still at its peak counts too."""
        if self.last_voice_frame is None or self.utterance_start_frame is None:
            return Utterance(0.0, 0)
        return Utterance(self.seconds(self.last_voice_frame - self.utterance_start_frame),
                         self._syllables + (1 if self._rising else 0))
