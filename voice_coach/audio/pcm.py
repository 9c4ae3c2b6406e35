"""PCM helpers every part that handles sound shares: the rate speech is heard at, one resampler,
one WAV reader and writer. Pure numpy and the standard library's `wave`."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

SPEECH_RATE = 16000
"""What listening works at (hertz): the recognizer, the voice detector and the echo canceller;
Vosk's small models are trained on 16 kHz audio."""


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Float mono samples at another rate, as float32 (linear interpolation: plenty for a voice,
    and cheap enough for the audio callback)."""
    data = samples.astype(np.float32, copy=False)
    if from_rate == to_rate or len(data) == 0:
        return data
    count = int(round(len(data) * to_rate / from_rate))
    positions = np.arange(count) * (from_rate / to_rate)
    return np.interp(positions, np.arange(len(data)), data).astype(np.float32)


def to_speech_pcm(samples: np.ndarray, rate: int) -> np.ndarray:
    """Float (-1..1) or int16 mono samples at any rate -> int16 at SPEECH_RATE, as Vosk takes them."""
    if samples.dtype == np.int16 and rate == SPEECH_RATE:
        return samples  # a microphone that records at the speech rate: nothing to do, 50 times a second
    data = samples.astype(np.float32) / 32768.0 if samples.dtype.kind == "i" else samples
    data = resample(data, rate, SPEECH_RATE)
    return (np.clip(data, -1.0, 1.0) * 32767).astype(np.int16)


def read_wav(path: Path, max_channels: int | None = None, max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV file as float32 mono samples (channels averaged) and its rate. Raises
    ValueError for another sample format or a file beyond the limits given, wave.Error or
    EOFError for a file that is not WAV."""
    with wave.open(str(path), "rb") as wav:
        rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
        if max_channels is not None and channels > max_channels:
            raise ValueError(f"{channels} channels (give a mono or stereo file)")
        if max_seconds is not None and wav.getnframes() > max_seconds * rate:
            raise ValueError(f"{wav.getnframes() / rate / 60:.0f} minutes long (at most {max_seconds / 60:.0f})")
        raw = wav.readframes(wav.getnframes())
    if width != 2:
        raise ValueError(f"expected 16-bit PCM WAV, got {8 * width}-bit")
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """Float mono samples (-1..1) as a 16-bit PCM WAV file."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
