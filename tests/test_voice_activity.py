"""The voice-activity detector on signals made in code: where voice is, how long, how many syllables."""

from __future__ import annotations

import numpy as np
import pytest

from voice_coach.listening.voice_activity import SileroSpeech, VoiceActivity

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


def test_the_quiet_before_an_utterance_is_measured_and_the_coachs_voice_counts_as_quiet():
    """A piece of the person's own sentence comes after a breath, a command after real quiet
    (grammar.AFTER_TALK_SECONDS); the coach talking in between is not the person talking."""
    words = syllable_train(2, 0.001)[: int(1.0 * RATE)]  # 0.5 s of quiet, voice until 0.88 s, quiet
    detector = VoiceActivity(RATE)
    feed_in_blocks(detector, np.concatenate([words, np.zeros(int(0.5 * RATE), np.int16), words]))
    # 0.12 s at the end of the first piece, 0.5 s of zeros, 0.5 s at the start of the second
    assert detector.utterance().quiet_before == pytest.approx(1.12, abs=0.03)
    detector = VoiceActivity(RATE)
    feed_in_blocks(detector, words)
    feed_in_blocks(detector, syllable_train(2, 0.001)[: int(0.3 * RATE)])  # a breath: 0.42 s of quiet
    feed_in_blocks(detector, syllable_train(2, 0.001)[int(0.5 * RATE):])
    assert detector.utterance().quiet_before == pytest.approx(0.42, abs=0.03)
    detector = VoiceActivity(RATE)
    feed_in_blocks(detector, words)
    assert detector.utterance().quiet_before == float("inf")  # the first words: nothing to go on from
    detector = VoiceActivity(RATE)
    feed_in_blocks(detector, words)
    for start in range(0, len(words), 320):  # the coach talks, then the person after a breath
        detector.feed(words[start:start + 320], classify=False)
    feed_in_blocks(detector, syllable_train(2, 0.001)[int(0.3 * RATE):])
    # 0.12 s, the coach's second, 0.2 s: counted from the person's own voice, not the coach's
    assert detector.utterance().quiet_before == pytest.approx(1.32, abs=0.03)


# ----- the speech detector (real Silero VAD): loud is not speech -----

def music(seconds: float, seed: int = 1) -> np.ndarray:
    """Plucked chords of a few harmonics on a quarter-second beat, a noise drum every other beat:
    loud all the time, with a level that rises and falls like speech's (float, full scale 1)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    out = np.zeros_like(t)
    for beat in range(int(seconds * 4)):
        start = beat * RATE // 4
        note = t[start:start + RATE // 2] - t[start]
        pitch = rng.choice([220.0, 277.2, 329.6, 392.0, 440.0])
        out[start:start + len(note)] += sum(0.2 / h * np.sin(2 * np.pi * pitch * h * note) for h in range(1, 6)) \
            * np.exp(-4 * note)
        if beat % 2 == 0:
            hit = min(len(t) - start, RATE // 10)
            out[start:start + hit] += rng.normal(0, 0.3, hit) * np.exp(-40 * np.arange(hit) / RATE)
    return out


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> np.ndarray:
    """espeak-ng saying a Korean command, at 16 kHz (float, full scale 1)."""
    import subprocess

    from voice_coach.audio.pcm import read_wav, to_speech_pcm

    wav = tmp_path_factory.mktemp("voice") / "command.wav"
    subprocess.run(["espeak-ng", "-v", "ko+f3", "-w", str(wav), "일시 정지"], check=True, timeout=30)
    samples, rate = read_wav(wav)
    return to_speech_pcm(samples, rate).astype(np.float64) / 32768


def as_pcm(signal: np.ndarray) -> np.ndarray:
    return (np.clip(signal, -1, 1) * 32767).astype(np.int16)


def silero() -> VoiceActivity:
    return VoiceActivity(RATE, SileroSpeech())


def test_music_is_loud_but_not_voice_to_the_speech_detector():
    by_level, by_speech = VoiceActivity(RATE), silero()
    for detector in (by_level, by_speech):
        feed_in_blocks(detector, as_pcm(music(4.0)))
    assert by_level.last_voice_at is not None and by_level.last_voice_at > 3.5  # the level alone is fooled
    assert by_speech.last_voice_at is None


def test_a_command_said_over_music_is_measured_at_its_own_length(spoken):
    in_quiet = VoiceActivity(RATE)
    feed_in_blocks(in_quiet, as_pcm(np.concatenate([np.zeros(RATE), spoken, np.zeros(RATE)])))
    own_length = in_quiet.utterance().seconds
    voice = np.concatenate([np.zeros(2 * RATE), spoken, np.zeros(int(1.5 * RATE))])
    background = music(len(voice) / RATE) * 0.15  # about 15 dB below the voice
    by_level, by_speech = VoiceActivity(RATE), silero()
    for detector in (by_level, by_speech):
        feed_in_blocks(detector, as_pcm(voice + background))
    assert by_speech.utterance().seconds == pytest.approx(own_length, abs=0.25)
    assert by_speech.utterance_started_at == pytest.approx(2.0, abs=0.25)
    # by level, the music after the command is voice too: what made real commands in music too long
    assert by_level.last_voice_at > 2.0 + len(spoken) / RATE + 0.5


def test_the_speech_detector_sleeps_in_a_quiet_room_and_wakes_for_voice(spoken):
    detector = silero()
    rng = np.random.default_rng(5)
    feed_in_blocks(detector, as_pcm(rng.normal(0, 0.001, 3 * RATE)))
    assert detector.speech_runs == 0
    feed_in_blocks(detector, as_pcm(np.concatenate([spoken, np.zeros(RATE)])))
    assert detector.speech_runs > 0
    assert detector.utterance().seconds > 0.5


def test_the_speech_detector_sleeps_beside_a_steady_fan():
    detector = silero()
    rng = np.random.default_rng(6)
    fan = as_pcm(rng.normal(0, 0.03, 5 * RATE))  # well above MIN_LEVEL, never above its own floor
    feed_in_blocks(detector, fan[:2 * RATE])
    woken = detector.speech_runs  # the first frames, before the floor is known, may wake it
    feed_in_blocks(detector, fan[2 * RATE:])
    assert detector.speech_runs == woken
    assert detector.last_voice_at is None


def test_while_the_coach_talks_loud_is_voice_again():
    """classify=False (the coach's echo is speech too): the level decides, and nothing is run."""
    detector = silero()
    for start in range(0, 2 * RATE, 320):
        detector.feed(as_pcm(music(2.0))[start:start + 320], classify=False)
    assert detector.last_voice_at is not None and detector.speech_runs == 0


class ScriptedSpeech:
    """A speech detector that answers from a list: the hysteresis, without a model."""

    def __init__(self, answers, chunk: int = 480):
        self.answers, self.resets, self.chunk, self.sizes = list(answers), 0, chunk, []

    def probability(self, samples):
        self.sizes.append(len(samples))
        return self.answers.pop(0) if self.answers else 0.0

    def reset(self):
        self.resets += 1


def test_speech_starts_at_one_half_and_holds_through_a_doubtful_chunk():
    # chunks of three frames; a quiet room (the detector sleeps), then a tone, loud throughout:
    # the detector's answers for the tone's chunks are 0.2, 0.6, a doubtful 0.4, 0.7, then 0.3
    speech = ScriptedSpeech([0.2, 0.6, 0.4, 0.7, 0.3, 0.3])
    detector = VoiceActivity(RATE, speech)
    tone = 0.3 * np.sin(2 * np.pi * 200 * np.arange(int(0.18 * RATE)) / RATE)
    feed_in_blocks(detector, as_pcm(np.concatenate([np.zeros(int(0.48 * RATE)), tone])), block=160)
    assert speech.resets == 1  # woken by the tone, with a fresh state
    # a chunk's verdict holds from its last frame: voice from frame 53 (0.6) to frame 62 (0.3)
    assert detector.utterance_started_at == pytest.approx(0.53, abs=0.001)
    assert detector.last_voice_at == pytest.approx(0.62, abs=0.001)


def test_the_speech_detector_gets_whole_chunks_of_any_size():
    speech = ScriptedSpeech([0.9] * 100, chunk=600)  # not a whole number of frames
    detector = VoiceActivity(RATE, speech)
    tone = 0.3 * np.sin(2 * np.pi * 200 * np.arange(RATE) / RATE)
    feed_in_blocks(detector, as_pcm(np.concatenate([np.zeros(RATE // 2), tone])), block=320)
    assert len(speech.sizes) >= 25 and set(speech.sizes) == {600}
    assert detector.utterance().seconds > 0.9
