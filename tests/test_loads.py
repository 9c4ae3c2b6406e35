"""Weights by voice: loads said in English and Korean (pure), the engine taking them on a fake
clock, the progression adding a load step, the log and the command line carrying them, and the
loads' grammar heard by real Vosk (the Korean model) only during an exercise done with a weight."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

import pytest
from conftest import run_cli
from engine_helpers import inline_plan, states

from voice_coach import cli
from voice_coach.core import loads
from voice_coach.core.clock import FakeClock
from voice_coach.core.engine.machine import Engine, Settings
from voice_coach.core.phrases import load_phrases
from voice_coach.core.progression import PastSession, target_for
from voice_coach.core.simulate import parse_schedule, simulate
from voice_coach.training.log import SCHEMA_VERSION, TrainingLog, migrate

ENGLISH, KOREAN = load_phrases("en"), load_phrases("ko")

DUMBBELLS = """
name: Lunges
exercises:
  - name: Goblet squat
    sets: 2
    reps: 8-10
    load: {step_kg: 2, step_lb: 5}
    tempo:
      - {name: down, seconds: 1}
      - {name: up, seconds: 1}
    rest: {between_sets: 20}
  - name: Plank
    hold_seconds: 10
"""


@pytest.mark.parametrize(("said", "value", "unit"), [
    ("twenty kilos", 20, "kg"),
    ("twelve and a half pounds", 12.5, "lb"),
    ("twelve point five kilos", 12.5, "kg"),
    ("one hundred and five pounds", 105, "lb"),
    ("a hundred kilos", 100, "kg"),
    ("twenty two kilograms", 22, "kg"),
    ("20 kg", 20, "kg"),
    ("12.5 lbs", 12.5, "lb"),
    ("22,5 kilos", 22.5, "kg"),
])
def test_english_loads_in_words_and_digits(said, value, unit):
    assert loads.load_for(ENGLISH, said) == loads.Heard(value, unit)


@pytest.mark.parametrize(("said", "value"), [
    ("20 킬로", 20), ("이십 킬로", 20), ("이십킬로", 20), ("십이 킬로 반", 12.5), ("십이 점 오 킬로", 12.5),
    ("백 이십 킬로그램", 120), ("이 백 킬로", 200), ("이십오 킬로", 25),
])
def test_korean_loads_in_sino_korean_numbers_spaced_freely(said, value):
    assert loads.load_for(KOREAN, said) == loads.Heard(value, "kg")


def test_what_is_not_a_load_and_how_loads_are_said_back():
    for heard in ("twenty", "kilos", "next", "i did ten", "20", "twenty apples", ""):
        assert loads.load_for(ENGLISH, heard) is None, heard
    assert loads.load_for(ENGLISH, "2000 kilos") == loads.Heard(2000, "kg")  # read, so that it can be refused
    assert not loads.in_range(loads.Heard(2000, "kg").kg) and loads.in_range(loads.Heard(1100, "lb").kg)
    assert loads.say_load(ENGLISH, loads.Heard(25, "lb").kg, "lb") == "25 pounds"  # exact both ways
    assert loads.say_load(ENGLISH, 12.5, "kg") == "12.5 kilos"
    assert loads.say_load(KOREAN, 20, "kg") == "20킬로"
    assert loads.spell(ENGLISH, 105) == ["one hundred five", "one hundred and five", "a hundred five",
                                          "a hundred and five"]
    assert loads.spell(KOREAN, 215) == ["이 백 십 오"]
    assert loads.next_load(20, "kg", 2) == 22 and loads.from_kg(loads.next_load(loads.to_kg(25, "lb"), "lb", 5),
                                                                "lb") == 30


def test_every_spoken_load_means_one_load_and_the_grammar_reaches_the_heaviest():
    for phrases in (ENGLISH, KOREAN):
        for unit in loads.UNITS:
            spoken = loads.spoken_loads(phrases, unit)
            assert len(spoken) > 300
            for phrase, load in list(spoken.items())[::37]:
                assert loads.load_for(phrases, phrase, (unit,)) == load, phrase
            assert max(load.value for load in spoken.values()) == loads.SPOKEN_MOST[unit]


# ----- the engine on a fake clock ------------------------------------------------------------

def _run(commands: str = "", units: str = "kg", known: dict | None = None):
    clock = FakeClock()
    engine = Engine(inline_plan(DUMBBELLS), ENGLISH, clock, Settings(auto_start_seconds=0.0, units=units),
                    loads=known)
    return simulate(engine, clock, parse_schedule(commands)).events


def _said(events) -> list[str]:
    return [event.text for event in events if event.kind == "say"]


def test_a_load_said_during_the_exercise_is_said_back_and_logged_with_every_set_after():
    quiet = _run()
    assert "Say the weight when you have it, like twenty kilos." in _said(quiet)
    listening = states(quiet, "listening")
    assert [event.data["loads"] for event in listening] == [True, False]  # on for the squat, off for the plank
    first_set = states(quiet, "set_start")[0]
    events = _run(f"{first_set.t - 1:.1f} twenty two kilos")
    (load,) = states(events, "load")
    assert load.data["load_kg"] == 22 and "set" not in load.data
    assert "22 kilos: noted." in _said(events)
    squat_sets = [event for event in states(events, "set_end") if event.data["exercise"] == "Goblet squat"]
    assert [event.data.get("load_kg") for event in squat_sets] == [22, 22]
    assert all("load_kg" not in event.data for event in states(events, "set_end")[2:])  # the plank has none


def test_a_load_after_a_set_corrects_that_set_an_absurd_one_is_refused_and_the_plank_takes_none():
    quiet = _run()
    first_end = states(quiet, "set_end")[0]
    events = _run(f"{first_end.t + 2:.1f} twenty pounds", units="lb")
    (load,) = states(events, "load")
    assert load.data["set"] == 1 and load.data["load_kg"] == pytest.approx(9.072, abs=0.001)
    assert "20 pounds: noted." in _said(events)
    refused = _run(f"{first_end.t + 2:.1f} 2000 kilos")
    assert states(refused, "load") == [] and "I heard 2000 kilos; say it again." in _said(refused)
    plank = next(event for event in states(quiet, "set_start") if event.data["exercise"] == "Plank")
    during_plank = _run(f"{plank.t + 2:.1f} twenty kilos")
    assert states(during_plank, "load") == []
    assert "Sorry, say help to hear what you can say." in _said(during_plank)


def test_a_known_load_is_proposed_at_the_first_set_in_the_persons_unit():
    events = _run(known={"Goblet squat": 20.0}, units="lb")
    assert "With 44 pounds." in _said(events)
    assert not any("Say the weight" in text for text in _said(events))
    assert [event.data.get("load_kg") for event in states(events, "set_end")[:2]] == [20.0, 20.0]


# ----- the progression: reps up the range, then one load step ------------------------------------

def test_at_the_top_of_the_reps_a_loaded_exercise_takes_one_load_step_and_the_reps_from_the_bottom():
    squat = inline_plan(DUMBBELLS).exercises[0]
    day = date(2026, 12, 1)
    history = [PastSession(day, 2, 10, True, None, 20.0)]
    kilos = target_for(squat, history, day + timedelta(days=2), "kg")
    assert (kilos.change, kilos.sets, kilos.reps, kilos.load_kg, kilos.load_step_kg) == ("more_load", 2, 8, 22, 2)
    pounds = target_for(squat, history, day + timedelta(days=2), "lb")
    assert loads.from_kg(pounds.load_kg, "lb") == 49  # 44 lb (20 kg to the half pound) and 5 more
    middle = target_for(squat, [PastSession(day, 2, 9, True, None, 20.0)], day + timedelta(days=2))
    assert (middle.change, middle.reps, middle.load_kg) == ("more_reps", 10, 20.0)
    unknown = target_for(squat, [PastSession(day, 2, 10, True)], day + timedelta(days=2))
    assert (unknown.change, unknown.load_kg) == ("top", None)  # no load said yet: nothing to add to
    hard = target_for(squat, [PastSession(day, 2, 10, True, "hard", 20.0)], day + timedelta(days=2))
    assert (hard.change, hard.load_kg) == ("hard", 20.0)


def _cli(capsys, *args: str) -> str:
    assert cli.main(list(args)) == 0
    return capsys.readouterr().out


def test_weeks_with_dumbbells_by_voice_through_the_command_line(tmp_path, capsys):
    db = str(tmp_path / "log.db")
    variation = ["--variation", "with dumbbells"]
    timeline = [json.loads(line) for line in _cli(capsys, "run", "reverse-lunge", *variation, "--simulate",
                                                    "--auto-start", "0", "--json").splitlines()]
    first_set = next(event for event in timeline if event.get("state") == "set_start")
    for day in (1, 3, 5):
        out = _cli(capsys, "run", "reverse-lunge", *variation, "--simulate", "--auto-start", "0", "--db", db,
                   "--date", f"2026-12-0{day}T18:00",
                   "--commands", f"{first_set['t'] - 1:.0f} twenty kilos" if day == 1 else "")
    assert "With 20 kilos." in out  # proposed from the log, not said again
    today = json.loads(_cli(capsys, "plan", "reverse-lunge", *variation, "--db", db, "--date", "2026-12-07",
                            "--json"))
    assert (today["reps"], today["load"], today["load_unit"], today["change"]) == (8, 22, "kg", "more_load")
    out = _cli(capsys, "run", "reverse-lunge", *variation, "--simulate", "--auto-start", "0", "--db", db,
               "--date", "2026-12-07T18:00")
    assert "Today: 3 sets of 8 with 22 kilos: 2 kilos more, and the reps from the bottom again." in out
    table = run_cli("history", "reverse-lunge", "--db", db).stdout
    assert "load" in table.splitlines()[0] and "20 kg" in table and "22 kg" in table
    rows = [json.loads(line) for line in run_cli("history", "reverse-lunge", "--db", db, "--json",
                                                 "--units", "lb").stdout.splitlines()]
    assert [row["load"] for row in rows] == ["44 lb", "44 lb", "44 lb", "48.5 lb"]
    csv_head = run_cli("history", "--session", "1", "--db", db, "--csv").stdout.splitlines()[:2]
    assert csv_head[0].split(",")[6] == "load" and csv_head[1].split(",")[6] == "20 kg"


def test_a_load_said_just_after_a_set_is_written_to_that_set_in_the_log(tmp_path, capsys):
    db = str(tmp_path / "log.db")
    variation = ["--variation", "with dumbbells"]
    timeline = [json.loads(line) for line in _cli(capsys, "run", "reverse-lunge", *variation, "--simulate",
                                                    "--auto-start", "0", "--json").splitlines()]
    left_side_done = [event for event in timeline if event.get("state") == "set_end"][1]  # set 1, its second side
    _cli(capsys, "run", "reverse-lunge", *variation, "--simulate", "--auto-start", "0", "--db", db,
         "--commands", f"{left_side_done['t'] + 2:.0f} twenty kilos")
    rows = [json.loads(line) for line in run_cli("history", "--session", "1", "--db", db, "--json").stdout.splitlines()]
    assert [row["load"] for row in rows[:3]] == ["-", "20 kg", "20 kg"]  # said after it: that side's, and on


def test_a_log_of_schema_3_gains_loads_and_keeps_its_sets(tmp_path):
    db = tmp_path / "old.db"
    connection = sqlite3.connect(db, isolation_level=None)
    migrate(connection, target=3)
    connection.execute("INSERT INTO sessions (script, workout, script_hash, started_at) "
                       "VALUES ('reverse-lunge', 'Reverse lunge', 'x', '2026-11-01T10:00:00+00:00')")
    connection.execute("INSERT INTO sets (session_id, position, exercise, set_number, side, reps_planned, "
                       "reps_done, ended_at, ended_by, effort) VALUES (1, 0, 'Lunge', 1, '', 8, 8, "
                       "'2026-11-01T10:01:00+00:00', 'complete', 'good')")
    connection.close()
    log = TrainingLog(db)
    assert log.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    (logged,) = log.sets_of(1)
    assert (logged.reps_done, logged.effort, logged.load_kg) == (8, "good", None)
    log.close()


def test_a_load_key_that_cannot_be_is_a_located_script_error(tmp_path):
    script = tmp_path / "bad.yaml"
    script.write_text(DUMBBELLS.replace("{step_kg: 2, step_lb: 5}", "{step_kg: 0}"))
    result = run_cli("show", str(script))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(lines) == 1 and lines[0].startswith(f"{script}:") and "step_kg" in lines[0]
    schema = json.loads(run_cli("schema").stdout)
    assert "Load" in schema["$defs"] and "step_lb" in schema["$defs"]["Load"]["properties"]


# ----- real Vosk: the loads' grammar only while an exercise with a weight is under way -------------

def _heard_load(tmp_path, text: str, loaded: bool) -> list[str]:
    from moment_listening import heard_in_moment

    return heard_in_moment(tmp_path / "load.wav", text, {"state": "listening", "loads": loaded}, speed=165)


def test_a_spoken_korean_load_is_heard_during_a_loaded_exercise_and_not_otherwise(tmp_path):
    # Written as one word, espeak-ng says 킬로 recognizably (spaced, its 킬로 comes out as 이거).
    heard = _heard_load(tmp_path, "이십킬로", loaded=True)
    assert len(heard) == 1 and loads.load_for(KOREAN, heard[0]) == loads.Heard(20, "kg")
    assert _heard_load(tmp_path, "이십킬로", loaded=False) == []
