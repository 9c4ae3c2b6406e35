"""Hands-free for real, in the virtual room: a Korean voice session speaks into the PulseAudio
null sink while the person's voice (espeak-ng) is played into it too; the session's listener
records the sink's monitor with the real Vosk model, and the session obeys the person, never
the coach's own voice.

espeak-ng's Korean is rough and most of it is misheard, so the person says what is heard
whatever the context: "정지" and "계속" in the voice and at the speeds below were recognized in
every one of 24 placements after a coach's sentence (benchmarks/listen_room.py measures the rest).
"""

from __future__ import annotations

import time

import pytest
from engine_helpers import inline_plan
from room import ensure_room
from room_listening import ListeningSession, is_state, person_clip, play_person, wait_until

# Two short sets with a rest between them: the coach talks a lot (announcements, cues, counts,
# rest pointers) before and between the moments the person speaks.
PLAN = inline_plan("""
name: Lunges
exercises:
  - name: Reverse lunge
    sets: 2
    reps: 2
    tempo:
      - {name: down, seconds: 2, cue: Slow on the way down.}
      - {name: up, seconds: 1, cue: Fast on the way up.}
    rest: {between_sets: 30}
""")


@pytest.fixture(scope="module", autouse=True)
def room():
    ensure_room()


def speak_when_the_coach_is_quiet(session: ListeningSession, clip) -> int:
    """Wait for a gap in the coach's talk, then say the clip; returns the event index before it."""
    assert wait_until(lambda: not session.coach_talking, 20), "the coach never stopped talking"
    time.sleep(0.3)
    before = len(session.events)
    play_person(clip)
    return before


def test_spoken_pause_and_resume_drive_the_session_and_the_coach_never_obeys_itself(tmp_path):
    pause, resume = person_clip(tmp_path, "정지", speed=175), person_clip(tmp_path, "계속", speed=200)
    with ListeningSession(PLAN) as session:
        assert session.wait_for(is_state("set_end"), 60), "the first set did not end"
        before = speak_when_the_coach_is_quiet(session, pause)
        paused = session.wait_for(is_state("paused"), 5, after=before)
        assert paused is not None, f"not paused; heard {session.listener.heard}"
        before = speak_when_the_coach_is_quiet(session, resume)
        resumed = session.wait_for(is_state("resumed"), 5, after=before)
        assert resumed is not None, f"not resumed; heard {session.listener.heard}"
        commands = [e.text for e in session.events if e.kind == "command"]
        passed = session.passed()
    # Only the person's two commands reached the session: whatever the decoder made of the
    # coach's own voice (it often hears "멈춰" or "그만" in it) was held back by the echo guard.
    assert passed == ["pause", "resume"]
    assert commands[:2] == ["정지", "계속"]


def test_a_microphone_that_goes_silent_is_reopened_and_listening_goes_on(tmp_path):
    """PortAudio has no hotplug and a dead input can deliver nothing without an error: a
    suspended PulseAudio sink does exactly that to its monitor."""
    from room import _pactl

    from voice_coach.grammar import build_grammar
    from voice_coach.listener import Recognizer, load_model
    from voice_coach.models import find_model
    from voice_coach.phrases import load_phrases
    from voice_coach.voice_in import EchoGuard, VoiceInput

    commands, notes = [], []
    recognizer = Recognizer(load_model(find_model("ko").path), build_grammar(load_phrases("ko")))
    listener = VoiceInput(recognizer, EchoGuard(), time.monotonic, commands.append, notes.append)
    listener.start()
    try:
        assert wait_until(lambda: recognizer.t > 0.5, 10), "no audio from the room's monitor"
        _pactl("suspend-sink", "room", "1")  # its monitor, our microphone, goes with it
        try:
            assert wait_until(lambda: any("went quiet" in note for note in notes), 10), notes
            time.sleep(3)  # still away: tried again, but said only once
            assert sum("went quiet" in note for note in notes) == 1
        finally:
            _pactl("suspend-sink", "room", "0")
        assert wait_until(lambda: any("is back" in note for note in notes), 15), notes
        play_person(person_clip(tmp_path, "정지"))
        assert wait_until(lambda: commands == ["정지"], 10), (commands, listener.heard)
    finally:
        listener.stop()

