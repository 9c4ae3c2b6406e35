"""The echo canceller on real speech (espeak-ng) in a simulated room: an unknown delay, the
speaker's gain, reflections, and a person talking over the coach."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from voice_coach.listening import speex_echo
from voice_coach.listening.echo_cancel import BLOCK, RATE, EchoCanceller, speex_filter

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


def with_suppressor(suppression: speex_echo.Suppression) -> EchoCanceller:
    return EchoCanceller(lambda: speex_filter(suppression))


@pytest.mark.parametrize("suppression", [speex_echo.GENTLE, speex_echo.SPEEX_DEFAULTS],
                         ids=["gentle", "speex defaults"])
def test_the_suppressor_the_simulated_room_compares_takes_out_more_of_the_echo(voices, suppression):
    """The candidates the simulated room compares (Speex's suppressor after its filter) really
    cancel, and more than the filter alone: a dry room with reflections, after a few sentences
    to learn it."""
    coach, rate, _ = voices
    mic = room(coach, rate, delay=0.137, gain=0.5, seconds=9.0, reflections=True)
    later = slice(4 * RATE, 8 * RATE)
    _, alone = cancel(mic, coach, rate)
    canceller, cleaned = cancel(mic, coach, rate, canceller=with_suppressor(suppression))
    assert canceller.latency == BLOCK // 2  # its frame
    removed = power_db(mic[later]) - power_db(cleaned[later])
    assert removed > power_db(mic[later]) - power_db(alone[later]) + 1.5


@pytest.mark.parametrize("suppression", [None, speex_echo.GENTLE, speex_echo.SPEEX_DEFAULTS],
                         ids=["the session's", "gentle suppressor", "speex defaults"])
def test_the_person_talking_over_the_coach_is_kept(voices, suppression):
    """Also through a suppressor, once its frame of delay is allowed for: taken as a difference
    from the word, that delay alone looks like a word changed as much as its own level."""
    coach, rate, person = voices
    mic = room(coach, rate, delay=0.06, gain=0.5, seconds=9.0, reflections=True)
    at = int(6.0 * RATE)
    mic[at:at + len(person)] += person
    canceller, cleaned = cancel(mic, coach, rate, canceller=suppression and with_suppressor(suppression))
    spoken = slice(at + canceller.latency, at + canceller.latency + len(person))
    # the word comes through at its own level (a suppressor that takes it out with the echo fails)
    assert abs(power_db(cleaned[spoken]) - power_db(person)) < 1.5
    left = cleaned[spoken] - person  # what is not the person: the coach's residue
    assert power_db(person) - power_db(left) > 10, "the person's word is buried in the coach's echo"
    # and the person's word does not teach the canceller the wrong thing: after it, still clean
    after = slice(at + len(person) + RATE // 2, at + len(person) + 2 * RATE)
    assert power_db(mic[after]) - power_db(cleaned[after]) > 20


def test_without_the_coach_the_microphone_passes_unchanged(voices):
    _, _, person = voices
    mic = np.zeros(3 * RATE)
    mic[RATE:RATE + len(person)] = person
    canceller, cleaned = cancel(mic, np.zeros(10), COACH_RATE)
    assert canceller.delay is None
    late = canceller.latency  # as late as the filter's output would be
    assert not cleaned[:late].any()
    assert np.max(np.abs(cleaned[late:] - mic[:len(cleaned) - late])) < 2 / 32768  # only the int16 rounding


class DelayLine:
    """An adaptive filter that takes nothing out and lags as a suppressor does: what the
    canceller does around its filter, seen exactly."""

    latency = BLOCK // 2

    def __init__(self) -> None:
        self.held = np.zeros(self.latency, np.int16)

    def process(self, microphone: np.ndarray, speaker: np.ndarray) -> np.ndarray:
        joined = np.concatenate([self.held, microphone])
        self.held = joined[len(microphone):]
        return joined[:len(microphone)]

    def close(self) -> None:
        pass


def test_the_output_lags_evenly_while_the_filter_starts_rests_and_resumes(voices):
    """The coach talks, falls silent for longer than the filter reaches (it rests, and the
    microphone passes), and talks again: the output is the microphone one frame late throughout,
    never a sample skipped or repeated where the filter starts and stops."""
    coach, rate, _ = voices
    twice = np.concatenate([coach, np.zeros(rate), coach])
    mic = room(twice, rate, delay=0.1, gain=0.5, seconds=16.0, reflections=False)
    canceller, cleaned = cancel(mic, twice, rate, canceller=EchoCanceller(DelayLine))
    assert canceller.delay == pytest.approx(0.1, abs=0.002) and canceller.latency == BLOCK // 2
    expected = np.round(np.clip(mic, -1, 1) * 32767) / 32768
    late = canceller.latency
    assert np.max(np.abs(cleaned[late:] - expected[:len(cleaned) - late])) < 2 / 32768


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


def test_the_echo_stays_removed_while_the_two_sound_cards_clocks_drift_apart(voices):
    """A USB speaker and a USB microphone: the microphone's clock runs 80 ppm slow against the
    speaker's, so the echo comes 0.08 ms later every second (3 ms over these 40 s, 50 samples).
    The canceller fits the drift from the delays it finds and reads the coach's signal between
    samples to follow it; its filter keeps what it learned instead of starting over."""
    coach, rate, _ = voices
    drift = 80e-6
    talk = np.concatenate([np.concatenate([coach, np.zeros(rate // 2)]) for _ in range(4)])
    # microphone sample n hears the speaker's time n * (1 + drift) / RATE
    echo = to_rate(talk, rate, RATE / (1 + drift)) * 0.5
    delay = 0.05
    mic = np.zeros(len(echo) + int((0.5 + delay) * RATE))
    mic[int((0.5 + delay) * RATE):] = echo
    mic += np.random.default_rng(1).normal(0, 1e-3, len(mic))
    canceller, cleaned = cancel(mic, talk, rate)
    assert canceller.drift == pytest.approx(-drift, abs=5e-6)  # the delay shrinks as the speaker runs ahead
    talking = np.abs(mic[:len(cleaned)]) > 0.01
    late = np.zeros(len(cleaned), bool)
    late[-12 * RATE:] = True
    removed = power_db(mic[:len(cleaned)][late & talking]) - power_db(cleaned[late & talking])
    assert removed > 20, f"only {removed:.1f} dB of the coach's echo removed once the clocks drifted"


def test_the_drift_is_followed_within_seconds_of_the_coachs_first_words(voices):
    """The same two clocks, 50 ppm apart: the echo slips a sample every 1.25 s, too fast for the
    filter to follow by itself. The canceller measures the drift within its first seconds of
    hearing the coach, so the echo stays removed from then on, not only once half a minute of
    drift has built up."""
    coach, rate, _ = voices
    drift = 50e-6
    talk = np.concatenate([np.concatenate([coach, np.zeros(rate // 2)]) for _ in range(2)])
    echo = to_rate(talk, rate, RATE / (1 + drift)) * 0.5
    start = int(0.55 * RATE)
    mic = np.zeros(len(echo) + start)
    mic[start:] = echo
    mic += np.random.default_rng(1).normal(0, 1e-3, len(mic))
    canceller, cleaned = cancel(mic, talk, rate)
    early = np.zeros(len(cleaned), bool)
    early[int(4 * RATE):int(12 * RATE)] = True
    early &= np.abs(mic[:len(cleaned)]) > 0.01
    removed = power_db(mic[:len(cleaned)][early]) - power_db(cleaned[early])
    assert removed > 22, f"only {removed:.1f} dB of the coach's echo removed in seconds 4-12"


def test_a_single_odd_delay_does_not_move_the_echo_path_and_two_do():
    """Delays found every 2 s on a drifting line; one reflection louder than the direct sound
    for a moment gives one off the line (ignored), a moved device gives two in a row."""
    canceller = EchoCanceller()
    canceller._restart(1, 0.0, 0)
    for second in range(0, 20, 2):
        canceller._found_delay(second * RATE, 0.1 + 50e-6 * second)
    assert canceller.drift == pytest.approx(50e-6, rel=0.01)
    canceller._found_delay(20 * RATE, 0.13)  # off the line once
    assert canceller.delay == pytest.approx(0.1 + 50e-6 * 18)
    assert canceller.drift == pytest.approx(50e-6, rel=0.01)
    canceller._found_delay(22 * RATE, 0.1 + 50e-6 * 22)  # back on it
    canceller._found_delay(24 * RATE, 0.13)
    canceller._found_delay(26 * RATE, 0.13)  # twice: the path moved
    assert canceller.delay == 0.13 and canceller.drift == 0.0


def test_the_speakers_signal_is_read_between_its_samples():
    """What a microphone whose clock drifts hears: the speaker's signal half a sample on."""
    signal = EchoCanceller().speaker
    tone = np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE).astype(np.float32)
    signal.played(0.0, 0, tone, RATE)
    between = signal.samples_at(1000.5, 200)
    expected = np.sin(2 * np.pi * 440 * (1000.5 + np.arange(200)) / RATE)
    assert np.max(np.abs(between - expected)) < 0.01
    assert np.array_equal(signal.samples_at(1000.0, 200), signal.samples(1000, 200))
    later = signal.samples_at(1000.25, 200)  # another fraction: not the half sample's kernel
    assert np.max(np.abs(later - np.sin(2 * np.pi * 440 * (1000.25 + np.arange(200)) / RATE))) < 0.01


def test_the_speakers_blocks_read_the_same_however_many_arrive_at_once():
    """Blocks that wait for the listener are resampled together where they follow each other in
    one stream; a stream that restarts (another origin, a skipped frame, another rate) is still
    a run of its own."""
    rng = np.random.default_rng(3)
    # each run's first frame follows the one before's last, but for a skipped stretch (the
    # second), another origin (the third) or another rate (the fourth)
    streams = [(0.0, 0, 48000), (0.0, 38400, 48000), (-0.2, 57600, 48000), (-0.2, 76800, 22050)]
    blocks = []
    for origin, frame, rate in streams:
        size = rate // 100
        for index in range(40):
            blocks.append((origin, frame + index * size, rng.normal(0, 0.1, size).astype(np.float32), rate))
    blocks.insert(30, blocks.pop(35))  # out of order within a stream: a run of its own too
    one_by_one, all_at_once = EchoCanceller().speaker, EchoCanceller().speaker
    for block in blocks:
        one_by_one.played(*block)
        one_by_one.samples(0, 1)
        all_at_once.played(*block)
    assert np.array_equal(one_by_one.samples(0, 4 * RATE), all_at_once.samples(0, 4 * RATE))
    assert len(all_at_once._runs) == len(one_by_one._runs) > len(streams)


def test_without_libspeexdsp_the_microphone_passes_and_it_is_said_once(voices, caplog):
    """A machine without the library (it comes with the sound server, but a minimal install may
    lack it): listening goes on, uncancelled, with one line in the log."""
    coach, rate, _ = voices
    mic = room(coach, rate, delay=0.1, gain=0.5, seconds=6.0, reflections=False)

    def missing() -> speex_echo.SpeexEcho:
        raise OSError("libspeexdsp is not installed (Debian: apt-get install libspeexdsp1)")

    with caplog.at_level("WARNING"):
        canceller, cleaned = cancel(mic, coach, rate, canceller=EchoCanceller(missing))
    assert canceller.delay == pytest.approx(0.1, abs=0.002)
    assert np.max(np.abs(cleaned - mic[:len(cleaned)])) < 2 / 32768
    assert [r.getMessage() for r in caplog.records if "no echo canceller" in r.getMessage()] == [
        "no echo canceller (libspeexdsp is not installed (Debian: apt-get install libspeexdsp1)): "
        "the coach's voice stays in what the microphone hears"]
