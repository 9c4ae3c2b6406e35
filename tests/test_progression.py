"""A coach that progresses you: today's targets from the sessions before (pure), the script's
`progression` key, and weeks of simulated training in milliseconds through the command line."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import date, timedelta
from pathlib import Path

from conftest import run_cli
from engine_helpers import inline_plan, run

from voice_coach import cli
from voice_coach.core.progression import AWAY_DAYS, PastSession, levels, target_for

GOLDEN = Path(__file__).parent / "golden"
LUNGE = """
name: Lunges
exercises:
  - name: Reverse lunge
    sets: {min: 2, max: 4, default: 3}
    reps: 12-15
    rest: {between_sets: {min: 45, max: 90, default: 60}}
"""


def exercise(script: str = LUNGE):
    return inline_plan(script).exercises[0]


def after(levels_done: list[tuple[int, int]], start: date = date(2026, 12, 1), every: int = 2,
          reached: bool = True, effort: str | None = None) -> list[PastSession]:
    return [PastSession(start + timedelta(days=every * i), sets, amount, reached, effort)
            for i, (sets, amount) in enumerate(levels_done)]


def test_the_path_adds_a_rep_each_time_then_a_set_with_the_reps_back_at_the_bottom():
    lunge = exercise()
    history: list[PastSession] = []
    seen = []
    day = date(2026, 12, 1)
    for _ in range(10):
        target = target_for(lunge, history, day)
        seen.append((target.sets, target.reps, target.change))
        history.append(PastSession(day, target.sets, target.reps, True))
        day += timedelta(days=2)
    assert seen == [(3, 12, "first"), (3, 13, "more_reps"), (3, 14, "more_reps"), (3, 15, "more_reps"),
                    (4, 12, "more_sets"), (4, 13, "more_reps"), (4, 14, "more_reps"), (4, 15, "more_reps"),
                    (4, 15, "top"), (4, 15, "top")]


def test_missed_reps_or_hard_hold_the_level_and_hard_rests_longest_easy_shortest():
    lunge = exercise()
    today = date(2026, 12, 9)
    missed = target_for(lunge, after([(3, 13)], reached=False), today)
    assert (missed.sets, missed.reps, missed.change, missed.rest_seconds) == (3, 13, "missed", 60)
    hard = target_for(lunge, after([(3, 13)], effort="hard"), today)
    assert (hard.sets, hard.reps, hard.change, hard.rest_seconds) == (3, 13, "hard", 90)
    easy = target_for(lunge, after([(3, 13)], effort="easy"), today)
    assert (easy.sets, easy.reps, easy.change, easy.rest_seconds) == (3, 14, "more_reps", 45)


def test_two_weeks_away_is_one_level_back_even_across_a_set():
    lunge = exercise()
    last = after([(4, 12)], start=date(2026, 12, 1))
    back = target_for(lunge, last, date(2026, 12, 1) + timedelta(days=AWAY_DAYS))
    assert (back.sets, back.reps, back.change, back.days_away) == (3, 15, "away", AWAY_DAYS)
    assert target_for(lunge, last, date(2026, 12, 1) + timedelta(days=AWAY_DAYS - 1)).change == "more_reps"
    assert "14 days since 4 x 12 on 2026-12-01" in back.reason()


def test_other_rules_reps_only_and_fixed_and_a_timed_hold_moves_5_s_at_a_time():
    reps_only = exercise(LUNGE.replace("    rest:", "    progression: reps\n    rest:"))
    assert levels(reps_only, "reps") == [(3, 12), (3, 13), (3, 14), (3, 15)]
    assert target_for(reps_only, after([(3, 15)]), date(2026, 12, 9)).change == "top"
    fixed = exercise(LUNGE.replace("name: Lunges", "name: Lunges\nprogression: fixed"))
    target = target_for(fixed, after([(3, 12), (3, 12)]), date(2026, 12, 9))
    assert (target.sets, target.reps, target.change) == (3, 12, "same")
    plank = exercise("""
name: Core
exercises:
  - name: Plank
    sets: 3
    hold_seconds: 20-40
""")
    assert [amount for _, amount in levels(plank, "double")] == [20, 25, 30, 35, 40]
    target = target_for(plank, after([(3, 25)]), date(2026, 12, 9))
    assert (target.hold_seconds, target.reps, target.change) == (30.0, None, "more_reps")


def test_an_unknown_rule_or_a_range_that_cannot_progress_is_a_located_script_error(tmp_path):
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(LUNGE.replace("    rest:", "    progression: waves\n    rest:"))
    result = run_cli("show", str(unknown))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{unknown}:" in result.stderr and "progression" in result.stderr and "'double'" in result.stderr
    stuck = tmp_path / "stuck.yaml"
    stuck.write_text("name: Fixed\nexercises:\n  - name: Squat\n    sets: 3\n    reps: 10\n    progression: reps\n")
    result = run_cli("show", str(stuck))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{stuck}:3:") and "needs a range of reps" in lines[0]


def _cli(capsys, *args: str) -> str:
    assert cli.main(list(args)) == 0
    return capsys.readouterr().out


def test_six_weeks_of_training_on_a_fake_clock_follow_the_path(tmp_path, capsys):
    """Three sessions a week for seven weeks, one of them stopped early (reps missed: the level
    holds) and two weeks away in the middle (one level back); `plan --json` before each and
    what the coach says at the first set are kept as a golden transcript."""
    db, lines = tmp_path / "log.db", []
    day = date(2026, 11, 2)
    # Monday, Wednesday, Friday; in week 4 Monday only, then away for two weeks; then back.
    sessions = [day + timedelta(days=7 * week + offset) for week in range(7) for offset in (0, 2, 4)
                if week not in (3, 4, 5) or (week, offset) == (3, 0)]
    for number, when in enumerate(sessions):
        moment = f"{when.isoformat()}T18:00"
        planned = json.loads(_cli(capsys, "plan", "reverse-lunge", "--db", str(db), "--date", moment, "--json"))
        commands = "0:55 done; 1:00 stop; 1:02 stop" if number == 4 else ""
        timeline = _cli(capsys, "run", "reverse-lunge", "--simulate", "--auto-start", "0", "--db", str(db),
                        "--date", moment, "--commands", commands)
        said = [line.split("say    ", 1)[1] for line in timeline.splitlines() if "say    Today" in line]
        lines.append(f"{moment}  plan {planned['sets']} x {planned['reps']} rest {planned['rest_seconds']:g} "
                     f"({planned['change']})  said: {said[0] if said else '-'}")
    actual = "\n".join(lines) + "\n"
    path = GOLDEN / "progression-six-weeks.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual)
    assert actual == path.read_text()
    assert "(more_sets)" in actual and "(missed)" in actual and "(away)" in actual


def test_plan_without_a_log_is_the_first_session_and_dates_must_be_dates(tmp_path):
    result = run_cli("plan", "reverse-lunge", "--db", str(tmp_path / "none.db"))
    assert result.returncode == 0 and "3 x 12 reps" in result.stdout and "first time" in result.stdout
    assert not (tmp_path / "none.db").exists()  # looking does not create a log
    result = run_cli("plan", "reverse-lunge", "--date", "next tuesday")
    assert result.returncode == 2 and "is not a date such as 2026-12-01" in result.stderr
    result = run_cli("run", "reverse-lunge", "--text", "--date", "2026-12-01")
    assert result.returncode == 2 and "--date goes with --simulate" in result.stderr


# ----- effort and reps by voice: the engine on a fake clock -----------------------------------

TWO_SETS = """
name: Lunges
exercises:
  - name: Reverse lunge
    sets: 2
    reps: 3
    tempo:
      - {name: down, seconds: 1}
      - {name: up, seconds: 1}
    rest: {between_sets: 20}
"""


def _states(events, state: str):
    return [event for event in events if event.kind == "state" and event.data.get("state") == state]


def test_after_the_last_set_the_coach_asks_how_it_was_and_takes_the_answer_for_a_moment():
    events = run(inline_plan(TWO_SETS), auto_start=0.0)
    (asked,) = [e for e in events if e.kind == "say" and e.text == "Was that easy, good or hard?"]
    (last_set,) = [e for e in _states(events, "set_end") if e.data["set"] == 2]
    assert asked.t == last_set.t  # after the last set only, at once
    window = next(e for e in _states(events, "asking") if e.data["effort"])
    answered = run(inline_plan(TWO_SETS), f"{asked.t + 4:.1f} hard", auto_start=0.0)
    (effort,) = _states(answered, "effort")
    assert (effort.data["effort"], effort.data["set"]) == ("hard", 2)
    assert any(e.text == "Hard: noted." for e in answered if e.kind == "say")
    late = run(inline_plan(TWO_SETS), f"{window.data['until'] + 0.5:.1f} hard", auto_start=0.0)
    not_understood = "Sorry, say help to hear what you can say."
    assert _states(late, "effort") == [] and any(e.text == not_understood for e in late if e.kind == "say")
    quiet = run(inline_plan(TWO_SETS), auto_start=0.0)
    assert _states(quiet, "effort") == []  # silence skips it; the workout ends as before


def test_i_did_ten_after_a_set_corrects_its_reps_and_is_not_taken_during_one():
    events = run(inline_plan(TWO_SETS), auto_start=0.0)
    first_end = _states(events, "set_end")[0]
    second_start = _states(events, "set_start")[1]
    corrected = run(inline_plan(TWO_SETS), f"{first_end.t + 2:.1f} i did two", auto_start=0.0)
    (correction,) = _states(corrected, "reps_corrected")
    assert (correction.data["set"], correction.data["reps_done"], correction.data["reps_planned"]) == (1, 2, 3)
    assert any(e.text == "2 reps: noted." for e in corrected if e.kind == "say")
    during = run(inline_plan(TWO_SETS), f"{second_start.t + 1:.1f} i did two", auto_start=0.0)
    assert _states(during, "reps_corrected") == []
    absurd = run(inline_plan(TWO_SETS), f"{first_end.t + 2:.1f} i did 30", auto_start=0.0)
    assert _states(absurd, "reps_corrected") == []  # not a count this set can have had


def test_answers_in_korean_and_typed_forms():
    from voice_coach.core.phrases import load_phrases

    korean, english = load_phrases("ko"), load_phrases("en")
    assert korean.answer_for("힘들었어") == ("effort", "hard")  # typed as one word, heard as 힘들었 어
    assert korean.answer_for("열 개 했어") == ("did", 10) == korean.answer_for("열개 했어")
    assert korean.answer_for("12개 했어") == ("did", 12)
    assert english.answer_for("I did ten") == ("did", 10) == english.answer_for("i did 10")
    assert english.answer_for("it was easy") == ("effort", "easy")
    assert english.answer_for("next") is None and english.command_for("next") == "next"


def test_a_hard_session_holds_the_level_with_the_longest_rest_and_a_corrected_set_counts_as_missed(tmp_path, capsys):
    db = str(tmp_path / "log.db")
    # The first session's timeline (3 x 12, as every first session), to know when to answer.
    timeline = [json.loads(line) for line in _cli(capsys, "run", "reverse-lunge", "--simulate", "--auto-start", "0",
                                                    "--json").splitlines()]
    question = next(e for e in timeline if e.get("text") == "Was that easy, good or hard?")
    _cli(capsys, "run", "reverse-lunge", "--simulate", "--auto-start", "0", "--db", db,
         "--date", "2026-12-01T18:00", "--commands", f"{question['t'] + 2:.0f} hard")
    hard = json.loads(_cli(capsys, "plan", "reverse-lunge", "--db", db, "--date", "2026-12-03", "--json"))
    assert (hard["sets"], hard["reps"], hard["rest_seconds"], hard["change"]) == (3, 12, 90, "hard")
    assert hard["last"]["effort"] == "hard"
    # The next session (its timeline from a copy of the log: its first set says why it holds),
    # with ten of the first set's twelve on its second side.
    with sqlite3.connect(db) as source, sqlite3.connect(tmp_path / "copy.db") as copy:
        source.backup(copy)  # the log is in WAL mode: a file copy could miss what is in its journal
    timeline = [json.loads(line) for line in _cli(capsys, "run", "reverse-lunge", "--simulate", "--auto-start", "0",
                                                    "--json", "--db", str(tmp_path / "copy.db"),
                                                    "--date", "2026-12-03T18:00").splitlines()]
    set_end = [e for e in timeline if e.get("state") == "set_end"][1]
    _cli(capsys, "run", "reverse-lunge", "--simulate", "--auto-start", "0", "--db", db,
         "--date", "2026-12-03T18:00", "--commands", f"{set_end['t'] + 2:.0f} i did ten")
    missed = json.loads(_cli(capsys, "plan", "reverse-lunge", "--db", db, "--date", "2026-12-05", "--json"))
    assert (missed["sets"], missed["reps"], missed["change"]) == (3, 12, "missed")


# ----- the answers' own grammar, only while the coach waits (real Vosk: the Korean model) --------

def _heard_answers(tmp_path, text: str, asking: bool, speed: int = 175) -> list[str]:
    from moment_listening import heard_in_moment

    moment = {"state": "asking", "until": 8.0, "effort": True} if asking else {"state": "resumed"}
    return heard_in_moment(tmp_path / "answer.wav", text, moment, speed)


def test_answers_are_heard_while_the_coach_waits_for_one_and_not_otherwise(tmp_path):
    # Each form is one espeak-ng says clearly enough that no dither draw decides it (see
    # repeatable_dither): its 다섯 개 at 160 wpm comes at 0.78, over the answers' floor (0.6 for
    # three syllables, ANSWER_FLOORS) and under the commands' (0.97). Its 어려워 is heard at one
    # speed in three; its 어려웠어 at every speed, at 1.0 in 12 draws of 12 (the model writes it
    # 어려웠 어).
    assert _heard_answers(tmp_path, "다섯 개", asking=True, speed=160) == ["다섯 개"]
    assert _heard_answers(tmp_path, "어려웠어", asking=True) == ["어려웠 어"]
    assert _heard_answers(tmp_path, "다섯 개", asking=False, speed=160) == []
    assert _heard_answers(tmp_path, "어려웠어", asking=False) == []


def test_a_session_from_before_progression_of_an_alternating_exercise_counts_one_side(tmp_path):
    from voice_coach.training.log import TrainingLog, migrate

    script = tmp_path / "alternating.yaml"
    script.write_text("name: Alternating\nexercises:\n  - name: Alternating lunge\n    sides: alternating\n"
                      "    sets: 2\n    reps: 8-10\n")
    db = tmp_path / "old.db"
    connection = sqlite3.connect(db, isolation_level=None)
    migrate(connection, target=2)  # no targets yet: the sets log 8 a side as 16
    connection.execute("INSERT INTO sessions (script, workout, script_hash, started_at) "
                       "VALUES ('alternating', 'Alternating', 'x', '2026-12-01T10:00:00+00:00')")
    for number in (1, 2):
        connection.execute("INSERT INTO sets (session_id, position, exercise, set_number, side, reps_planned, "
                           "reps_done, ended_at, ended_by) VALUES (1, 0, 'Alternating lunge', ?, '', 16, 16, "
                           "'2026-12-01T10:01:00+00:00', 'complete')", (number,))
    connection.close()
    TrainingLog(db).close()  # migrated forward
    result = run_cli("plan", str(script), "--db", str(db), "--date", "2026-12-03", "--json")
    target = json.loads(result.stdout)
    assert (target["sets"], target["reps"], target["change"]) == (2, 9, "more_reps")  # not 16 a side, the top
