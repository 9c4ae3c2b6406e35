"""The echo canceller on real speech (espeak-ng) in a simulated room: an unknown delay, the
speaker's gain, reflections, and a person talking over the coach."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from voice_coach.listening.echo_cancel import RATE, EchoCanceller

COACH_RATE = 22050
"""espeak-ng's rate: the speaker plays at another rate than the microphone records."""


def speech(folder: Path, text: str, voice: str) -> tuple[np.ndarray, int]:
    path = folder / f"{abs(hash((text, voice)))}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, capture_output=True, timeout=30)
    with wave.open(str(path)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float64) / 32768
        return samples, wav.getframerate()


def to_rate(samples: np.ndarray, rate: int, to: int) -> np.ndarray:
    """Band-limited resampling, as a sound server does (by FFT here: another method than the
    canceller's own, so the test does not hand it a signal it made itself)."""
    count = int(round(len(samples) * to / rate))
    spectrum = np.fft.rfft(samples)[: count // 2 + 1]
    return np.fft.irfft(spectrum, count) * (count / len(samples))


@pytest.fixture(scope="module")
def voices(tmp_path_factory):
    folder = tmp_path_factory.mktemp("voices")
    coach, rate = speech(folder, "오른발을 뒤로 크게 내딛고 천천히 내려가세요. 무릎이 발끝을 넘지 않게 하세요. "
                                 "가슴을 펴고 앞발 뒤꿈치로 밀어 올라오세요. 다음 세트는 열 번입니다.", "ko")
    person, person_rate = speech(folder, "정지", "ko+m3")
    return coach, rate, to_rate(person, person_rate, RATE)


def room(coach: np.ndarray, rate: int, *, delay: float, gain: float, seconds: float, reflections: bool,
         coach_at: float = 0.5) -> np.ndarray:
    """What a microphone hears of the coach: delayed, quieter, with the room's reflections (as
    loud together as the direct sound, within 50 ms)."""
    echo = to_rate(coach, rate, RATE) * gain
    if reflections:
        rng = np.random.default_rng(7)
        response = np.zeros(int(0.05 * RATE))
        response[0] = 1.0
        response[20:] = rng.normal(0, 0.1, len(response) - 20) * np.exp(-np.arange(len(response) - 20) / 160)
        echo = np.convolve(echo, response)[: len(echo)]
    mic = np.zeros(int(seconds * RATE))
    start = int(round((coach_at + delay) * RATE))
    if start < 0:  # the microphone began listening in the middle of the coach's sentence
        echo, start = echo[-start:], 0
    echo = echo[: len(mic) - start]
    mic[start:start + len(echo)] = echo
    return mic + np.random.default_rng(1).normal(0, 1e-3, len(mic))  # the room's own hiss


def cancel(mic: np.ndarray, coach: np.ndarray, rate: int, coach_at: float = 0.5, stream_start: float = 0.0,
           canceller: EchoCanceller | None = None, stream: int = 1) -> tuple[EchoCanceller, np.ndarray]:
    """The speaker's blocks (10 ms, as a device takes them) and the microphone's (20 ms), from
    microphone stream `stream` begun at session time `stream_start`."""
    canceller = canceller or EchoCanceller()
    block = rate // 100
    played = np.concatenate([np.zeros(int(coach_at * rate)), coach, np.zeros(rate * 20)])
    out, speaker_frame = [], int(stream_start * rate) // block * block
    for first in range(0, len(mic) - 320 + 1, 320):
        # the speaker runs ahead of what the microphone has captured
        while speaker_frame / rate < first / RATE + stream_start + 0.2:
            canceller.speaker.played(0.0, speaker_frame, played[speaker_frame:speaker_frame + block], rate)
            speaker_frame += block
        pcm = (np.clip(mic[first:first + 320], -1, 1) * 32767).astype(np.int16)
        out.append(canceller.process(pcm, stream, first, stream_start))
    return canceller, np.concatenate(out).astype(np.float64) / 32768


def power_db(samples: np.ndarray) -> float:
    return 10 * np.log10(np.mean(samples ** 2) + 1e-15)


@pytest.mark.parametrize("reflections", [False, True], ids=["direct", "reflections"])
def test_the_coachs_voice_is_removed_from_the_microphone(voices, reflections):
    coach, rate, _ = voices
    mic = room(coach, rate, delay=0.137, gain=0.5, seconds=9.0, reflections=reflections)
    canceller, cleaned = cancel(mic, coach, rate)
    assert canceller.delay == pytest.approx(0.137, abs=0.002)
    later = slice(4 * RATE, 8 * RATE)  # after a few sentences to learn the room
    removed = power_db(mic[later]) - power_db(cleaned[later])
    assert removed > 20, f"only {removed:.1f} dB of the coach's echo removed"


@pytest.mark.parametrize("settings", [dict(speex_tail=0.25), dict(speex_tail=0.25, cascade=True)],
                         ids=["speex", "own-then-speex"])
def test_the_speex_candidates_remove_the_echo_too(voices, settings):
    """The candidates the simulated room compares (libspeexdsp's filter, alone or after the own
    one) really cancel: a dry room with reflections, after a few sentences to learn it."""
    coach, rate, _ = voices
    mic = room(coach, rate, delay=0.137, gain=0.5, seconds=9.0, reflections=True)
    canceller, cleaned = cancel(mic, coach, rate, canceller=EchoCanceller(**settings))
    later = slice(4 * RATE, 8 * RATE)
    assert power_db(mic[later]) - power_db(cleaned[later]) > 15


def test_the_person_talking_over_the_coach_is_kept(voices):
    coach, rate, person = voices
    mic = room(coach, rate, delay=0.06, gain=0.5, seconds=9.0, reflections=True)
    at = int(6.0 * RATE)
    mic[at:at + len(person)] += person
    _, cleaned = cancel(mic, coach, rate)
    spoken = slice(at, at + len(person))
    left = cleaned[spoken] - person  # what is not the person: the coach's residue
    assert power_db(person) - power_db(left) > 15, "the person's word is buried in the coach's echo"
    # and the person's word does not teach the canceller the wrong thing: after it, still clean
    after = slice(at + len(person) + RATE // 2, at + len(person) + 2 * RATE)
    assert power_db(mic[after]) - power_db(cleaned[after]) > 20


def test_without_the_coach_the_microphone_passes_unchanged(voices):
    _, _, person = voices
    mic = np.zeros(3 * RATE)
    mic[RATE:RATE + len(person)] = person
    canceller, cleaned = cancel(mic, np.zeros(10), COACH_RATE)
    assert canceller.delay is None
    assert np.max(np.abs(cleaned - mic)) < 2 / 32768  # only the int16 rounding


def test_a_late_microphone_stream_is_aligned_by_its_own_time_stamps(voices):
    """A microphone stream that began 2 s into the session, its callbacks 0.3 s behind."""
    coach, rate, _ = voices
    mic = room(coach, rate, delay=0.3, gain=0.3, seconds=7.0, reflections=False, coach_at=-1.5)
    canceller, cleaned = cancel(mic, coach, rate, coach_at=0.5, stream_start=2.0)
    assert canceller.delay == pytest.approx(0.3, abs=0.002)
    later = slice(3 * RATE, 6 * RATE)
    assert power_db(mic[later]) - power_db(cleaned[later]) > 20


def test_with_nobody_listening_the_speakers_blocks_do_not_pile_up():
    """Keyboard mode: the speaker hands over its blocks, and no listener ever reads them."""
    canceller = EchoCanceller()
    block = np.zeros(441, np.float32)
    for frame in range(0, 441 * 10_000, 441):  # 100 s of sound
        canceller.speaker.played(0.0, frame, block, 44100)
    assert len(canceller.speaker._arrived) <= 500


def test_a_reopened_microphone_stream_finds_its_own_delay(voices):
    """The microphone is reopened (a USB re-plug) and the new stream's buffering differs: its
    samples count from zero again, and the delay is looked for again from there."""
    coach, rate, _ = voices
    twice = np.concatenate([coach, np.zeros(rate), coach])
    first_stream = room(twice, rate, delay=0.1, gain=0.5, seconds=7.0, reflections=False)
    canceller, _ = cancel(first_stream, twice, rate)
    assert canceller.delay == pytest.approx(0.1, abs=0.002)
    reopened_at = 8.0
    second_stream = room(twice, rate, delay=0.25, gain=0.5, seconds=6.5, reflections=False,
                         coach_at=0.5 - reopened_at)
    canceller, cleaned = cancel(second_stream, twice, rate, stream_start=reopened_at, canceller=canceller, stream=2)
    assert canceller.delay == pytest.approx(0.25, abs=0.002)  # found within the new stream's first seconds
    later = slice(int(4.5 * RATE), int(6.5 * RATE))
    assert power_db(second_stream[later]) - power_db(cleaned[later]) > 20
