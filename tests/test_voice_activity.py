"""The voice-activity detector on signals made in code: where voice is, how long, how many syllables."""

from __future__ import annotations

import numpy as np
import pytest

from voice_coach.listening.voice_activity import VoiceActivity

RATE = 16000


def syllable_train(count: int, noise_level: float, seed: int = 1) -> np.ndarray:
    """0.5 s of noise, `count` vowel-like bursts of 0.15 s with 0.08 s dips, then 1 s of noise."""
    rng = np.random.default_rng(seed)
    parts = [np.zeros(RATE // 2)]
    for _ in range(count):
        t = np.arange(int(0.15 * RATE)) / RATE
        parts.append(0.3 * np.sin(np.pi * t / 0.15) * np.sin(2 * np.pi * 220 * t))
        parts.append(np.zeros(int(0.08 * RATE)))
    parts.append(np.zeros(RATE))
    signal = np.concatenate(parts)
    signal += rng.normal(0, noise_level, len(signal))
    return (np.clip(signal, -1, 1) * 32767).astype(np.int16)


def feed_in_blocks(detector: VoiceActivity, samples: np.ndarray, block: int = 320) -> None:
    for start in range(0, len(samples), block):
        detector.feed(samples[start:start + block])


@pytest.mark.parametrize("noise", [0.0005, 0.01, 0.03])
@pytest.mark.parametrize("count", [1, 2, 4])
def test_counts_syllables_and_measures_the_utterance_in_quiet_and_in_noise(count, noise):
    detector = VoiceActivity(RATE)
    feed_in_blocks(detector, syllable_train(count, noise))
    heard = detector.utterance()
    assert heard.syllables == count
    expected = count * 0.15 + (count - 1) * 0.08
    assert heard.seconds == pytest.approx(expected, abs=0.08)
    assert detector.last_voice_at == pytest.approx(0.5 + expected, abs=0.05)
    assert detector.quiet_for() == pytest.approx(detector.now - detector.last_voice_at)


def test_steady_noise_alone_is_never_voice():
    detector = VoiceActivity(RATE)
    rng = np.random.default_rng(3)
    feed_in_blocks(detector, (rng.normal(0, 0.05, 5 * RATE) * 32767).astype(np.int16))
    # the first frames, before the floor is known, may count; after that, steady noise never does
    assert detector.last_voice_at is None or detector.last_voice_at < 0.1


def test_a_pause_of_a_third_of_a_second_starts_a_new_utterance():
    detector = VoiceActivity(RATE)
    first = syllable_train(3, 0.001)
    feed_in_blocks(detector, np.concatenate([first[: int(1.2 * RATE)], syllable_train(1, 0.001)]))
    assert detector.utterance().syllables == 1
