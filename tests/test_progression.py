"""A coach that progresses you: today's targets from the sessions before (pure), the script's
`progression` key, and weeks of simulated training in milliseconds through the command line."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

from conftest import run_cli
from engine_helpers import inline_plan

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
