"""Listening during a session: the echo guard that tells the coach's voice from the person's, and
the echo model under it that tells when someone talks over the coach."""

from __future__ import annotations

import numpy as np
import pytest

from voice_coach.listening.echo import EchoModel
from voice_coach.listening.voice_in import EchoGuard

RATE = 16000


def voice_like(seconds: float, level: float, seed: int = 0) -> np.ndarray:
    """Noise shaped like speech: its loudness rises and falls four times a second."""
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
    return level * envelope * np.random.default_rng(seed).normal(0, 1, len(t))


def window_energy(samples: np.ndarray, end: float, seconds: float = 0.3) -> float:
    part = samples[max(0, int((end - seconds) * RATE)): int(end * RATE)]
    return float(np.mean(part ** 2))


def test_the_echo_model_learns_the_room_and_hears_someone_talk_over_the_coach():
    model = EchoModel()
    coach = voice_like(6.0, 0.2)
    model.playing(10.0, coach, RATE, volume=0.5)
    room_gain = 0.3  # the microphone gets 30 % of the coach's amplitude
    heard = coach * 0.5 * room_gain
    person = np.zeros_like(heard)
    person[int(4.0 * RATE):int(4.6 * RATE)] = voice_like(0.6, 0.08, seed=1)  # about 2x the echo
    for step in np.arange(0.3, 6.0, 0.02):
        double = model.double_talk(window_energy(heard + person, step), 10.0 + step)
        if step < 3.9:
            assert not double, step  # the coach alone, at whatever loudness the room gives it
        if 4.3 <= step <= 4.6:
            assert double, step
    assert model.gain is not None and 0.5 * room_gain ** 2 < model.gain < 2 * room_gain ** 2


def test_once_silenced_the_coach_explains_nothing():
    model = EchoModel()
    model.playing(0.0, voice_like(3.0, 0.2), RATE)
    assert model.coach_energy(1.0, 1.3) > 0.001
    model.silenced(1.0)
    assert model.coach_energy(1.1, 1.4) == 0.0 and not model.double_talk(0.01, 1.4)


def test_the_coachs_energy_counts_the_part_of_each_sound_inside_the_window():
    """A window holds the end of one sound or the start of another; sounds wholly outside it
    (passed over at once, as most of the last 30 s are) add nothing."""
    model = EchoModel()
    for start, seconds, level in ((0.0, 1.0, 0.1), (2.0, 0.5, 0.2), (10.0, 1.0, 0.5)):
        model.playing(start, np.full(int(seconds * RATE), level), RATE)
    assert model.coach_energy(0.8, 1.1) == pytest.approx(0.1 ** 2 * 20 / 30)  # the first's last 0.2 s
    assert model.coach_energy(1.9, 2.2) == pytest.approx(0.2 ** 2 * 20 / 30)  # the second's first 0.2 s
    assert model.coach_energy(0.9, 2.1) == pytest.approx((0.1 ** 2 * 10 + 0.2 ** 2 * 10) / 120)
    assert model.coach_energy(1.2, 1.8) == 0.0 and model.coach_energy(3.0, 9.9) == 0.0


def test_words_heard_while_the_coach_talks_are_the_coachs_unless_someone_barges_in():
    guard = EchoGuard()
    guard.speaking("Set 2 of 3, 12 reps. Say ready when you are.", start=10.0, seconds=3.0)
    coach = voice_like(3.0, 0.2)
    guard.playing(10.0, coach, RATE, volume=1.0)
    for step in np.arange(0.3, 2.0, 0.02):  # the coach alone: the guard learns its echo
        guard.heard(window_energy(coach, step), 10.0 + step)
    assert not guard.accept("ready", "ready", at=12.0)  # the coach said it
    assert not guard.accept("pause", "pause", at=12.0)  # nobody else spoke: the decoder misheard the coach
    for step in np.arange(2.0, 2.5, 0.02):  # now someone talks over it, louder than the echo
        guard.heard(window_energy(coach, step) * 5, 10.0 + step)
    assert not guard.accept("next", "next", at=12.5)  # not a barge-in: dropped while the coach talks
    assert guard.accept("pause", "pause", at=12.5)  # a barge-in the coach did not say
    assert guard.accept("ready", "ready", at=16.0)  # the coach has been quiet for a while
    guard.speaking("일시 정지. 계속하려면 계속이라고 말하세요.", start=20.0, seconds=3.0)
    guard.playing(20.0, coach, RATE, volume=1.0)
    guard.heard(window_energy(coach, 1.0) * 5, 21.0)  # someone spoke, but...
    assert not guard.accept("pause", "정지", at=21.0)  # ... "정지" is in the coach's own sentence
    assert not guard.accept("pause", "일시정지", at=21.0)  # spaced or not, it is the coach's 일시 정지
    assert guard.accept("stop", "그만", at=21.0)  # "그만" is not
    guard.speaking("운동을 끝내려면 그만이라고 한 번 더 말하세요.", start=30.0, seconds=3.0)
    guard.playing(30.0, coach, RATE, volume=1.0)
    guard.heard(window_energy(coach, 1.0) * 5, 31.0)
    assert not guard.accept("stop", "그만", at=31.0)  # inside "그만이라고": the coach's own
    guard.silenced(20.5)  # a pause cut the sentence short
    assert guard.accept("resume", "계속", at=23.0)
    # A script's English in a Korean session: the Korean decoder hears its "pause" as 일시 정지.
    guard.speaking("Skip this if your knees are injured. Say pause at any time.", start=40.0, seconds=3.5)
    guard.playing(40.0, coach, RATE, volume=1.0)
    guard.heard(window_energy(coach, 1.0) * 5, 42.0)
    assert not guard.accept("pause", "일시 정지", at=42.0)  # the coach said "pause"
    assert guard.accept("stop", "그만", at=42.0)  # but not "stop" in any language
    guard.speaking("Start the stopwatch.", start=50.0, seconds=2.0)
    guard.playing(50.0, coach, RATE, volume=1.0)
    guard.heard(window_energy(coach, 1.0) * 5, 51.0)
    assert guard.accept("stop", "stop", at=51.0)  # English is matched by whole words


def one_sentence_guard(louder_from: float) -> EchoGuard:
    """The coach says one sentence from session time 10.0; the microphone hears its echo 13 dB
    louder from 10.0 + `louder_from` on (the echo path changed, or the person talks over it)."""
    guard = EchoGuard()
    guard.speaking("Reverse lunge for glutes. Ready when you are.", start=10.0, seconds=5.0)
    coach = voice_like(5.0, 0.2)
    guard.playing(10.0, coach, RATE, volume=1.0)
    for step in np.arange(0.3, 4.0, 0.02):
        louder = 20 if step >= louder_from else 1
        guard.heard(window_energy(coach, step) * louder, 10.0 + step)
    return guard


def test_a_pause_over_the_coach_right_after_its_echo_grew_louder_is_the_coachs_own():
    """The echo path changed (the speaker moved): for seconds the canceller lets through far more
    of the coach than the echo model learned, and every window looks like someone talking over
    it. Words that began inside such a stretch are not the person's; the same words after the
    coach's echo alone are."""
    # the echo 13 dB louder from 12.0; words heard from 13.0 to 14.0
    assert not one_sentence_guard(louder_from=2.0).accept("pause", "pause", at=14.0, heard_seconds=1.0)
    # the same energies, louder only from where the words begin: a person talking over the coach
    assert one_sentence_guard(louder_from=3.0).accept("pause", "pause", at=14.0, heard_seconds=1.0)


def test_a_louder_echo_is_remembered_across_the_pause_between_two_of_the_coachs_sentences():
    """The echo grew louder in one sentence; the next begins after a 0.8 s pause and is heard as
    "pause" from 0.3 s into it, before any of its windows can be judged. The last second that
    could be judged (the end of the first sentence) decides, not the pause just before the words."""
    def guard_with(louder_from: float) -> EchoGuard:
        guard = EchoGuard()
        first, second = voice_like(4.0, 0.2, seed=1), voice_like(3.0, 0.2, seed=2)
        guard.speaking("Ready when you are.", start=10.0, seconds=4.0)
        guard.speaking("Reverse lunge for glutes.", start=14.8, seconds=3.0)
        guard.playing(10.0, first, RATE, volume=1.0)
        guard.playing(14.8, second, RATE, volume=1.0)
        for at in np.arange(10.3, 16.2, 0.02):
            if at < 14.0:
                energy = window_energy(first, at - 10.0)
            elif at >= 14.8:
                energy = window_energy(second, at - 14.8)
            else:
                energy = 1e-9  # the room between the sentences
            guard.heard(energy * (20 if at >= louder_from else 1), at)
        return guard

    # the echo 13 dB louder from 12.0 (the first sentence); words heard from 15.1 to 16.1
    assert not guard_with(louder_from=12.0).accept("pause", "pause", at=16.1, heard_seconds=1.0)
    # louder only from where the words begin: a person talking over the second sentence
    assert guard_with(louder_from=15.1).accept("pause", "pause", at=16.1, heard_seconds=1.0)
    # louder only in the first sentence's last 0.5 s (its last judged second half louder): the echo
    # was still louder when the second began
    assert not guard_with(louder_from=13.5).accept("pause", "pause", at=16.1, heard_seconds=1.0)


def test_a_person_whose_first_syllable_comes_before_the_words_heard_is_still_taken():
    """Over a sentence, the windows right before the words may already hold the person's voice
    (the recognizer places a word's start late): louder there only, the words are the person's."""
    # the person from 12.6; words heard from 13.0 to 14.0
    assert one_sentence_guard(louder_from=2.6).accept("pause", "pause", at=14.0, heard_seconds=1.0)


def test_the_echo_is_learned_once_it_has_arrived_not_from_a_sentences_first_windows():
    """As the coach starts to talk, its sound is counted before its echo has reached the
    microphone (0.1 s of output and input latency here). A gain learned from those first windows
    is far too low, and the coach's own echo would then look like someone talking over it."""
    model = EchoModel()
    coach = voice_like(3.0, 0.2)
    coach[:int(0.3 * RATE)] *= 0.05  # a soft first syllable
    model.playing(10.0, coach, RATE)
    latency = int(0.1 * RATE)
    heard = np.concatenate([np.zeros(latency), coach[:-latency]]) * 0.3
    heard += np.random.default_rng(2).normal(0, 1e-4, len(heard))  # the room's own hiss
    talk = [step for step in np.arange(0.02, 3.0, 0.02) if model.double_talk(window_energy(heard, step), 10.0 + step)]
    assert not talk, f"the coach's own echo taken for double talk at {[round(t, 2) for t in talk[:3]]} s"
