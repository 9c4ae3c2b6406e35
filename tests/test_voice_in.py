"""Listening during a session: the echo guard that tells the coach's voice from the person's."""

from __future__ import annotations

from voice_coach.voice_in import EchoGuard


def test_words_heard_while_the_coach_talks_are_the_coachs_unless_they_barge_in():
    guard = EchoGuard()
    guard.speaking("Set 2 of 3, 12 reps. Say ready when you are.", start=10.0, seconds=3.0)
    assert not guard.accept("ready", "ready", at=12.5)  # the coach said it
    assert not guard.accept("next", "next", at=12.5)  # not a barge-in: dropped while the coach talks
    assert guard.accept("pause", "pause", at=12.5)  # a barge-in the coach did not say
    assert guard.accept("ready", "ready", at=16.0)  # the coach has been quiet for a while
    guard.speaking("일시 정지. 계속하려면 계속이라고 말하세요.", start=20.0, seconds=3.0)
    assert not guard.accept("pause", "정지", at=21.0)  # the coach's own "정지"
    guard.silenced(20.5)  # a pause cut the sentence short
    assert guard.accept("resume", "계속", at=23.0)
