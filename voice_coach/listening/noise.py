"""Steady noise taken out before listening: WebRTC's noise suppressor.

An exercise bike, a fan or a road is noise that changes slowly, and the speech model, trained on
speech far cleaner than a room with a bike in it, loses commands in it that it hears in the quiet:
the words come with less of the decoder's confidence. WebRTC's suppressor (through
webrtc-noise-gain, the packaging Home Assistant's voice satellites use: wheels for x86-64 and
aarch64) learns the noise's spectrum where no one speaks and turns each band down by as much as
it holds noise. On real speech (benchmarks/listen_real.py, two draws of rooms and noise) the
listener heard twice as many commands said beside the bike (65 of 240 against 32; plain Vosk
52), 227 of 800 in all against 195, with as many false commands in talk. Music changes too fast
to be learned: there it gained on one draw and lost on the other. In the quiet it is left out
(NOISY_FLOOR_DBFS).
"""

from __future__ import annotations

import logging
from collections import deque

import numpy as np

from voice_coach.listening.voice_activity import FLOOR_FRAMES  # the voice detector's own window for the floor

_LOGGER = logging.getLogger(__name__)

FRAME = 160
"""Samples the suppressor takes at a time (10 ms at 16 kHz)."""
NOISE_SUPPRESSION = 3
"""How hard the noise is turned down: webrtc-noise-gain's levels 1-4 are WebRTC's 6, 12, 18 and
21 dB; 0 leaves the audio as it is."""
NOISY_FLOOR_DBFS = -70.0
"""The background's level (the quietest 10 ms of the last FLOOR_FRAMES) from which the suppressed
audio is listened to; below it, the audio as it is. In the quiet there is nothing to take out,
and the suppressor still takes something: in the benchmark's commands said 0.3-0.7 s after a
sentence, in digital quiet, suppressing everywhere cost 12 of 60 (its noise estimate learns from
the voice). Not much higher: with a quiet room's hiss at -60 dBFS under the same commands and
sentences, the listener heard 59 with the suppressor and 30 without. A bike 20 dB under a real
voice leaves a background of -68 to -50 dBFS; the development set's commands in the quiet have
theirs under -71."""


class NoiseSuppressor:
    """Int16 mono audio at 16 kHz in, each block given back as long as it went in, so audio time
    stays a count of samples. Where the background is noisy, the audio with the noise turned down,
    about 16 ms later (the frame held back, and 6 ms of WebRTC's own); elsewhere the audio itself,
    untouched and undelayed (a switch skips or repeats those 16 ms, once in a while)."""

    def __init__(self, level: int = NOISE_SUPPRESSION):
        from webrtc_noise_gain import AudioProcessor

        self._processor = AudioProcessor(0, level)  # 0: no gain control (measured: it cost commands)
        self._pending = np.zeros(0, np.int16)
        """Samples short of a whole frame, kept for the next block."""
        self._out = np.zeros(FRAME, np.int16)
        """Suppressed samples not yet given back (one frame of silence to start: the delay)."""
        self._levels: deque[float] = deque(maxlen=FLOOR_FRAMES)
        """The latest frames' levels as they came in (RMS, full scale 1)."""
        self._noisy_floor = 10 ** (NOISY_FLOOR_DBFS / 20)
        self.suppressing = False
        """The latest block given back was the suppressed one (the background is noisy)."""

    def process(self, pcm: np.ndarray) -> np.ndarray:
        pcm = pcm.astype(np.int16, copy=False)
        data = np.concatenate([self._pending, pcm])
        whole = len(data) // FRAME * FRAME
        self._pending = data[whole:]
        # The suppressor hears every frame, so that its estimate of the noise is ready when the
        # background turns noisy; what it gives back is listened to only then.
        frames = data[:whole].reshape(-1, FRAME)
        self._levels.extend(np.sqrt(np.mean((frames.astype(np.float32) / 32768.0) ** 2, axis=1)).tolist())
        self._out = np.concatenate([self._out, *(np.frombuffer(self._processor.Process10ms(frame.tobytes()).audio,
                                                               np.int16) for frame in frames)])
        suppressed, self._out = self._out[:len(pcm)], self._out[len(pcm):]
        self.suppressing = bool(self._levels) and min(self._levels) >= self._noisy_floor
        return suppressed if self.suppressing else pcm


def noise_suppressor(level: int = NOISE_SUPPRESSION) -> NoiseSuppressor | None:
    """The suppressor at `level`, or None: at level 0, and where webrtc-noise-gain cannot load
    (no wheel for this machine: listening goes on, hearing less beside steady noise, said once)."""
    global _missing_said
    if level <= 0:
        return None
    try:
        return NoiseSuppressor(level)
    except (ImportError, OSError) as err:
        if not _missing_said:
            _LOGGER.warning("no noise suppressor (%s): commands said beside steady noise are heard less", err)
            _missing_said = True
        return None


_missing_said = False
