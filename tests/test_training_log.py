"""The training log: sets saved as they end, resume after kill -9, migrations, a failing disk."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from conftest import ROOT, run_cli

from voice_coach.training.log import MIGRATIONS, SCHEMA_VERSION, TrainingLog, migrate

FAST = """\
name: Fast log check
exercises:
  - name: Squat
    sets: 2
    reps: 3
    tempo: [{name: down, seconds: 0.3}, {name: up, seconds: 0.2}]
    rest: {between_sets: 1, after_exercise: 1}
  - name: Split squat
    sets: 2
    reps: 2
    sides: each
    side_names: [right, left]
    tempo: [{name: down, seconds: 0.3}, {name: up, seconds: 0.2}]
    rest: {between_sets: 1, between_sides: 0}
"""
PLANNED = {(0, 1, ""), (0, 2, ""), (1, 1, "right"), (1, 1, "left"), (1, 2, "right"), (1, 2, "left")}


def start_run(script, db, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "voice_coach", "run", str(script), "--text", "--auto-start", "0", "--db", str(db),
         "--rate", "600", *extra],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )


def logged_parts(db):
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT position, set_number, side FROM sets").fetchall()


def test_kill_9_at_random_moments_then_resume_logs_every_set_exactly_once(tmp_path):
    script = tmp_path / "fast.yaml"
    script.write_text(FAST)
    db = tmp_path / "log.db"
    randomness = random.Random(20261124)
    kills = 0
    for attempt in range(40):
        process = start_run(script, db, *(["--resume"] if attempt else []))
        try:
            process.wait(timeout=randomness.uniform(1.0, 12.0))
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            kills += 1
            with sqlite3.connect(db) as connection:
                assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            continue
        assert process.returncode == 0, process.stderr.read()
        break
    else:
        pytest.fail("the workout never finished")
    assert kills >= 3
    parts = logged_parts(db)
    assert sorted(parts) == sorted(PLANNED)  # every planned set once, none twice
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sessions = connection.execute("SELECT ended_how FROM sessions").fetchall()
    assert sessions == [("complete",)]


def test_resume_continues_at_the_first_set_not_logged(tmp_path):
    script = tmp_path / "fast.yaml"
    script.write_text(FAST)
    db = tmp_path / "log.db"
    first = run_cli("run", str(script), "--simulate", "--auto-start", "0", "--db", str(db),
                    "--commands", "0:35 stop; 0:36 stop")
    assert first.returncode == 0
    with sqlite3.connect(db) as connection:  # make it look killed rather than stopped
        connection.execute("UPDATE sessions SET ended_at = NULL, ended_how = NULL")
    done = set(logged_parts(db))
    assert done and done < PLANNED
    second = run_cli("run", str(script), "--simulate", "--auto-start", "0", "--db", str(db), "--resume")
    starts = [line for line in second.stdout.splitlines() if "set_start" in line]
    remaining = PLANNED - done
    assert len(starts) == len(remaining)
    assert sorted(logged_parts(db)) == sorted(PLANNED)


def test_a_changed_script_starts_fresh(tmp_path):
    script = tmp_path / "fast.yaml"
    script.write_text(FAST)
    db = tmp_path / "log.db"
    run_cli("run", str(script), "--simulate", "--auto-start", "0", "--db", str(db),
            "--commands", "0:35 stop; 0:36 stop")
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE sessions SET ended_at = NULL, ended_how = NULL")
    script.write_text(FAST.replace("reps: 3", "reps: 4"))
    result = run_cli("run", str(script), "--simulate", "--auto-start", "0", "--db", str(db), "--resume")
    assert "changed" in result.stderr and "starting fresh" in result.stderr
    assert result.stdout.count("set_start") == 6


def test_an_older_schema_is_migrated_and_keeps_its_data(tmp_path):
    db = tmp_path / "old.db"
    connection = sqlite3.connect(db, isolation_level=None)
    migrate(connection, target=1)
    connection.execute("INSERT INTO sessions (script, workout, script_hash, started_at) "
                       "VALUES ('quick-try', 'Quick try', 'x', '2026-01-01T10:00:00+00:00')")
    connection.execute("INSERT INTO sets (session_id, position, exercise, set_number, side, reps_planned, "
                       "reps_done, ended_at, ended_by) VALUES (1, 0, 'Lunge', 1, '', 8, 8, "
                       "'2026-01-01T10:01:00+00:00', 'complete')")
    connection.close()
    log = TrainingLog(db)
    assert log.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS) > 1
    (logged,) = log.sets_of(1)
    assert (logged.exercise, logged.reps_done) == ("Lunge", 8)
    assert log.db.execute("SELECT tempo_factor FROM sets").fetchone()[0] == 1.0
    # A session from before progression still tells it where the person stands (its sets and reps).
    (past,) = log.past_sessions("Lunge")
    assert (past.sets, past.amount, past.reached, past.effort) == (1, 8, True, None)
    log.close()


def test_history_shows_sessions_sets_and_exports(tmp_path):
    db = tmp_path / "log.db"
    run_cli("run", "quick-try", "--simulate", "--auto-start", "--db", str(db))
    table = run_cli("history", "--db", str(db))
    assert "Quick try" in table.stdout and "complete" in table.stdout
    sets = run_cli("history", "--session", "1", "--db", str(db))
    assert "Alternating reverse lunge" in sets.stdout and "Split squat hold" in sets.stdout
    as_csv = run_cli("history", "quick-try", "--csv", "--db", str(db))
    assert as_csv.stdout.splitlines()[0] == "date,exercise,sets,reps,best set,target,effort"
    # An answer said after the lunges' last set, and what the session aimed at, per session.
    run_cli("run", "quick-try", "--simulate", "--auto-start", "--db", str(db), "--commands", "0:57 hard")
    rows = [json.loads(line) for line in run_cli("history", "quick-try", "--json", "--db", str(db)).stdout.splitlines()]
    lunges = [row for row in rows if row["exercise"] == "Alternating reverse lunge"]
    assert [row["effort"] for row in lunges] == ["-", "hard"]
    assert lunges[0]["target"] == "1 x 4"  # 4 a side, alternating
    per_set = run_cli("history", "--session", "2", "--json", "--db", str(db)).stdout.splitlines()
    assert json.loads(per_set[0])["effort"] == "hard"
    missing = run_cli("history", "--session", "99", "--db", str(db))
    assert missing.returncode == 2 and "no such session" in missing.stderr


def test_the_coach_says_what_was_done_last_time(tmp_path):
    db = tmp_path / "log.db"
    run_cli("run", "reverse-lunge-glutes", "--simulate", "--auto-start", "--db", str(db))
    again = run_cli("run", "reverse-lunge-glutes", "--simulate", "--auto-start", "--db", str(db))
    assert "Last time: 2 sets of 8." in again.stdout


def test_simulations_log_nothing_without_db(private_training_log):
    run_cli("run", "quick-try", "--simulate", "--auto-start")
    assert not private_training_log.exists()


@contextmanager
def tiny_disk(tmp_path, size="256k"):
    if os.geteuid() != 0:
        pytest.skip("mounting a small disk needs root (CI runs as root)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


TINY_TEXT = "name: Tiny\nexercises:\n  - {name: Squat, sets: 2, reps: 2, tempo: [{name: down, seconds: 0.2}], " \
            "rest: {between_sets: 1}}\n"


def fill(disk) -> None:
    filler = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(filler, b"\0" * 4096):
            pass
    except OSError:
        pass  # ENOSPC: full
    finally:
        os.close(filler)


def run_tiny_on_disk(tmp_path, before=None, during=None):
    """Run a tiny workout logging onto a small disk; `before(disk)` runs once the log exists,
    `during(disk)` once the first set is under way. Returns (stdout, the non-empty stderr lines)."""
    script = tmp_path / "tiny.yaml"
    script.write_text(TINY_TEXT)
    with tiny_disk(tmp_path) as disk:
        if before is not None:
            TrainingLog(disk / "log.db").close()
            before(disk)
        process = start_run(script, disk / "log.db")
        head = []
        if during is not None:
            for line in process.stdout:
                head.append(line)
                if "Go." in line:
                    during(disk)
                    break
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return "".join(head) + out, [line for line in err.splitlines() if line.strip()]


def test_a_disk_filling_up_mid_session_warns_once_and_the_session_goes_on(tmp_path):
    out, lines = run_tiny_on_disk(tmp_path, during=fill)
    assert len(lines) == 1 and "cannot write the training log" in lines[0] and "memory" in lines[0]
    assert "Workout complete: 2 sets, 4 reps" in out


def test_a_full_disk_at_the_start_gives_one_clear_line_and_the_session_runs(tmp_path):
    out, lines = run_tiny_on_disk(tmp_path, before=fill)
    assert len(lines) == 1 and "training log" in lines[0] and "memory" in lines[0]
    assert "Workout complete" in out


def test_a_read_only_log_gives_one_clear_line_and_the_session_runs(tmp_path):
    def read_only(disk):
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)

    out, lines = run_tiny_on_disk(tmp_path, before=read_only)
    assert len(lines) == 1 and "training log" in lines[0] and "memory" in lines[0]
    assert "Workout complete" in out


def test_time_between_sets_is_logged(tmp_path):
    db = tmp_path / "log.db"
    script = tmp_path / "tiny.yaml"
    script.write_text(TINY_TEXT)
    started = time.time()
    process = start_run(script, db)
    process.communicate(timeout=60)
    log = TrainingLog(db)
    rows = log.db.execute("SELECT started_at, ended_at, reps_done FROM sets ORDER BY id").fetchall()
    assert len(rows) == 2 and all(row[0] and row[1] and row[0] <= row[1] for row in rows)
    assert [row[2] for row in rows] == [2, 2]
    assert time.time() - started < 60
