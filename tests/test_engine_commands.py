"""What each command does, heard at a chosen moment of a workout on the fake clock."""

from __future__ import annotations

import pytest
from engine_helpers import bundled_plan, counts, first, inline_plan, make_engine, run, says, states

from voice_coach.core import phrases
from voice_coach.core.engine.commands import COMMANDS
from voice_coach.core.engine.machine import Mode

LUNGE = bundled_plan("reverse-lunge")
GLUTES = bundled_plan("reverse-lunge-glutes")
TWO_EXERCISES = inline_plan(
    "name: Two\nexercises:\n"
    "  - {name: Squat, sets: 2, reps: 5, tempo: [{name: down, seconds: 2}, {name: up, seconds: 1}],"
    " tips: [Chest up.]}\n"
    "  - {name: Plank, hold_seconds: 30}\n"
)


def test_every_command_a_language_can_name_has_a_handler_and_no_handler_is_unreachable():
    assert sorted(COMMANDS) == sorted(phrases.COMMANDS)


def engine_at(plan, t, auto_start=3.0):
    """An engine whose workout has run (by itself) until session time t."""
    engine, clock = make_engine(plan, auto_start)
    engine.start()
    while (due := engine.next_due()) is not None and due <= t:
        clock.set(due)
        engine.advance()
    clock.set(t)
    engine.advance()
    return engine, clock


def said(events):
    return [e.text for e in events if e.kind == "say"]


def during_first_set(plan, seconds=20.0):
    start = states(run(plan), "set_start")[0].t
    return start + seconds


def test_waiting_for_ready_holds_the_set_until_ready_is_said():
    engine, clock = engine_at(GLUTES, 60.0, auto_start=None)
    assert engine.mode is Mode.WAITING and engine.next_due() is None
    clock.set(200.0)
    events = engine.hear("let's go")
    assert events[0].data["command"] == "ready"
    assert states(events, "set_start") and "Go." in said(events)


def test_done_ends_the_set_early_and_logs_the_reps_done():
    engine, clock = engine_at(GLUTES, during_first_set(GLUTES))
    reps_before = engine.reps_done
    events = engine.hear("done")
    (end,) = states(events, "set_end")
    assert end.data["ended_by"] == "done" and end.data["reps_done"] == reps_before > 0
    assert "Switch sides: left leg." in said(events)


def test_next_in_a_rest_goes_straight_to_the_next_set():
    rest = first(run(LUNGE), "Rest 60 seconds.")
    engine, clock = engine_at(LUNGE, rest.t + 5)
    events = engine.hear("next")
    assert any(text.startswith("Set 2 of 3") for text in said(events))


def test_back_during_a_set_restarts_it_and_reps_are_not_counted_twice():
    t = during_first_set(GLUTES)
    events = run(GLUTES, f"{t} back")
    assert "Starting this set again." in said(events)
    ends = states(events, "set_end")
    assert [e.data["reps_done"] for e in ends] == [8, 8, 8, 8]
    assert states(events, "finished")[0].data["reps_done"] == 32


def test_back_in_a_rest_redoes_the_set_just_finished():
    rest = first(run(LUNGE), "Rest 60 seconds.")
    events = run(LUNGE, f"{rest.t + 5} back")
    assert "Back to the previous set." in said(events)
    announcements = [text for text in said(events) if text.startswith("Set ")]
    assert announcements[:4] == ["Set 1 of 3, right leg, 12 reps.", "Set 1 of 3, right leg, 12 reps.",
                                 "Set 2 of 3, right leg, 12 reps.", "Set 3 of 3, right leg, 12 reps."]
    assert states(events, "finished")[0].data["reps_done"] == 72


def test_back_before_the_first_set_says_there_is_none():
    engine, clock = engine_at(LUNGE, 2.0)
    assert "This is the first set." in said(engine.hear("back"))


def test_skip_moves_to_the_next_exercise_and_logs_what_was_done():
    events = run(TWO_EXERCISES, f"{during_first_set(TWO_EXERCISES, 8.0)} skip")
    assert "Skipping Squat." in said(events)
    assert "Exercise 2 of 2: Plank." in said(events)
    assert [e.data["ended_by"] for e in states(events, "set_end")] == ["skip", "complete"]


def test_repeat_says_the_last_instruction_again():
    engine, clock = engine_at(LUNGE, 12.0)
    last = engine.last_instruction
    assert last and said(engine.hear("say again")) == [last]


def test_status_tells_set_rep_and_side():
    engine, clock = engine_at(GLUTES, during_first_set(GLUTES))
    (answer,) = said(engine.hear("status"))
    assert answer == f"Set 1 of 2, rep {engine.reps_done + 1} of 8, right leg."


def test_tip_rotates_through_tips_and_mistakes():
    engine, clock = engine_at(GLUTES, during_first_set(GLUTES))
    heard = [said(engine.hear("tip"))[0] for _ in range(10)]
    assert len(set(heard)) == 10  # 4 tips + 6 mistakes, none twice in a row of ten
    assert sum(text.startswith("Avoid ") for text in heard) == 6


def test_faster_is_bounded_and_says_so():
    engine, clock = engine_at(LUNGE, during_first_set(LUNGE))
    answers = [said(engine.hear("faster"))[-1] for _ in range(6)]
    assert answers[0] == "Faster: 4.6 seconds a rep."
    assert answers[-1] == "That is the limit for this tempo."
    assert engine.tempo_factor == pytest.approx(0.5)


def test_louder_and_quieter_change_the_volume_within_bounds():
    engine, clock = engine_at(LUNGE, 5.0)
    events = engine.hear("louder")
    assert states(events, "volume")[0].data["volume"] == pytest.approx(0.9)
    for _ in range(12):
        engine.hear("quieter")
    assert engine.volume == pytest.approx(0.1)
    assert said(engine.hear("quieter")) == ["That is the limit."]


def test_help_lists_what_can_be_said_now():
    engine, clock = engine_at(LUNGE, 5.0)
    engine.hear("pause")
    (answer,) = said(engine.hear("help"))
    assert answer.startswith("You can say: resume, next")


def test_a_single_stop_asks_for_confirmation_and_a_stray_one_later_does_nothing():
    t = during_first_set(GLUTES)
    events = run(GLUTES, f"{t} stop; {t + 30} stop")
    assert said(events).count("Say stop again to end the workout.") == 2
    assert states(events, "finished")[0].data["ended_by"] == "complete"


def test_stop_twice_ends_the_workout_and_logs_the_set_in_progress():
    t = during_first_set(GLUTES)
    events = run(GLUTES, f"{t} stop; {t + 2} stop")
    (end,) = states(events, "set_end")
    assert end.data["ended_by"] == "stop"
    finished = states(events, "finished")[0]
    assert finished.data["ended_by"] == "stop" and finished.data["reps_done"] == end.data["reps_done"]
    assert said(events)[-1].startswith("Workout ended:")


def test_pointless_and_unknown_commands_get_a_brief_answer():
    engine, clock = engine_at(LUNGE, 5.0)
    assert said(engine.hear("resume")) == ["We are not paused."]
    assert said(engine.hear("more rest")) == ["There is no rest running."]
    assert said(engine.hear("done")) == ["There is no set running."]
    assert said(engine.hear("banana")) == ["Sorry, say help to hear what you can say."]


def test_pause_during_the_intro_resumes_with_the_interrupted_sentence():
    engine, clock = engine_at(LUNGE, 4.0)
    interrupted = [e for e in says(run(LUNGE)) if e.t <= 4.0][-1].text
    engine.hear("pause")
    clock.set(30.0)
    events = engine.hear("resume")
    clock.set(40.0)
    events += engine.advance()
    assert said(events)[:2] == ["Resuming.", interrupted]


def test_a_whole_workout_counts_every_planned_rep_once():
    events = run(LUNGE)
    assert len(counts(events)) == 3 * 2 * 12
    assert said(events)[-1] == "Workout complete: 3 sets, 72 reps, in 11 minutes. Well done."
