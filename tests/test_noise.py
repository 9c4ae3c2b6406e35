"""The noise suppressor in front of the recognizer: WebRTC's, really run, on audio made in code."""

import logging
import sys

import numpy as np

from voice_coach.listening import noise
from voice_coach.listening.noise import FRAME, NoiseSuppressor, noise_suppressor

RATE = 16000


def steady_noise(seconds: float, level: float = 1500.0, seed: int = 3) -> np.ndarray:
    """An exercise bike's kind of noise: broadband, the same all the time."""
    return np.random.default_rng(seed).normal(0, level, int(RATE * seconds))


def voice_like(seconds: float, level: float = 6000.0) -> np.ndarray:
    """Harmonics of a 150 Hz voice, four syllables a second: what the suppressor must leave."""
    t = np.arange(int(RATE * seconds)) / RATE
    harmonics = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 12))
    return level * harmonics / np.max(np.abs(harmonics)) * (0.55 - 0.45 * np.cos(2 * np.pi * 4 * t))


def db(samples: np.ndarray) -> float:
    return 10 * np.log10(np.mean(samples.astype(np.float64) ** 2) + 1e-9)


def suppressed(audio: np.ndarray, sizes=(320,)) -> tuple[np.ndarray, list[tuple[int, int]]]:
    suppressor, out, lengths, start, i = NoiseSuppressor(), [], [], 0, 0
    while start < len(audio):
        block = audio[start:start + sizes[i % len(sizes)]]
        result = suppressor.process(block)
        out.append(result)
        lengths.append((len(block), len(result)))
        start, i = start + len(block), i + 1
    return np.concatenate(out), lengths


def test_each_block_comes_back_as_long_as_it_went_in_the_suppressed_a_little_later():
    """Audio time stays the recognizer's count of samples: a block of any size gives back as many;
    the suppressed audio a fixed 10-20 ms later (the frame held back, and WebRTC's own look)."""
    audio = steady_noise(3.0, 300.0)  # about -40 dBFS: a noisy background
    audio[RATE:RATE + RATE // 5] += steady_noise(0.2, 8000.0, seed=4)  # a burst: it lines up at one lag only
    audio = audio.astype(np.int16)
    out, lengths = suppressed(audio, sizes=(1, 159, 160, 161, 320, 1600, 7, 999))
    assert all(given == back for given, back in lengths)
    assert len(out) == len(audio)
    match = [np.dot(audio[:len(audio) - lag].astype(np.float64), out[lag:].astype(np.float64))
             for lag in range(0, 4 * FRAME)]
    assert FRAME <= int(np.argmax(match)) <= 2 * FRAME


def test_in_the_quiet_the_audio_is_given_back_untouched():
    """Under NOISY_FLOOR_DBFS there is no noise to take out: the recognizer hears the audio itself,
    to the sample (a quiet hiss, then a voice and a pause in it)."""
    audio = steady_noise(3.0, 5.0) + np.concatenate([np.zeros(RATE), voice_like(0.6), np.zeros(int(1.4 * RATE))])
    audio = audio.astype(np.int16)
    out, _ = suppressed(audio, sizes=(320, 1600, 7))
    assert np.array_equal(out, audio)


def test_steady_noise_is_turned_down_and_a_voice_over_it_is_kept():
    background = steady_noise(5.0)
    voice = np.concatenate([np.zeros(4 * RATE), voice_like(1.0)])
    out, _ = suppressed(np.clip(background + voice, -32768, 32767).astype(np.int16))
    before_voice = slice(3 * RATE, 4 * RATE)  # after 3 s the suppressor has learned the noise
    during_voice = slice(4 * RATE + FRAME, 5 * RATE)
    assert db(background[before_voice]) - db(out[before_voice]) >= 10  # level 3: WebRTC's 18 dB
    assert db(voice[4 * RATE:5 * RATE]) - db(out[during_voice]) <= 3


def test_level_zero_is_no_suppressor_and_the_recognizer_hears_the_audio_as_it_is():
    assert noise_suppressor(0) is None
    assert isinstance(noise_suppressor(), NoiseSuppressor)


def test_without_the_library_listening_goes_on_and_says_so_once(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "webrtc_noise_gain", None)  # as on a machine with no wheel
    monkeypatch.setattr(noise, "_missing_said", False)
    with caplog.at_level(logging.WARNING, logger=noise.__name__):
        assert noise_suppressor() is None
        assert noise_suppressor() is None
    assert len(caplog.records) == 1 and "no noise suppressor" in caplog.records[0].getMessage()


def test_the_recognizer_listens_through_the_suppressor_beside_steady_noise():
    """What the decoder and the voice detector are given (the recognizer's recent audio) is the
    suppressed audio; at level 0 the audio as it came."""
    from test_listener import KOREAN, korean_model

    from voice_coach.listening.recognizer import Recognizer, load_model

    audio = steady_noise(2.0).astype(np.int16)
    heard = {}
    for level in (0, 3):
        recognizer = Recognizer(load_model(korean_model()), KOREAN, suppression=level)
        for start in range(0, len(audio), 320):
            recognizer.feed(audio[start:start + 320])
        heard[level] = recognizer._recent
    assert np.array_equal(heard[0], audio[-len(heard[0]):])
    assert db(audio[-len(heard[3]):]) - db(heard[3]) >= 10
