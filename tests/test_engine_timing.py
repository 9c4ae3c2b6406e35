"""Timing on a fake clock: reps follow the tempo, rests last what the script says, pause freezes."""

from __future__ import annotations

import ast
import json

import pytest
from conftest import ROOT, run_cli
from engine_helpers import bundled_plan, counts, first, inline_plan, run, says, states

LUNGE = bundled_plan("reverse-lunge")
GLUTES = bundled_plan("reverse-lunge-glutes")


def test_counts_after_the_cue_reps_keep_the_script_tempo():
    events = run(LUNGE)
    rep_seconds = LUNGE.exercises[0].rep_seconds  # 3 + 1.5 + 1 = 5.5 s
    first_side = [e for e in counts(events)][:12]
    gaps = [later.t - earlier.t for earlier, later in zip(first_side[2:], first_side[3:])]
    assert gaps == pytest.approx([rep_seconds] * len(gaps), abs=1e-6)


def test_phase_ticks_fall_on_the_tempo_boundaries():
    events = run(GLUTES)
    count_3 = counts(events)[2]
    ticks = [e.t - count_3.t for e in events if e.kind == "tone" and e.data["tone"] == "tick"
             and count_3.t < e.t < count_3.t + 5]
    # glutes: down 3 s, up 1 s, squeeze 1 s -> ticks 3 s and 4 s into the rep, count at 5 s
    assert ticks == pytest.approx([3.0, 4.0])
    assert counts(events)[3].t - count_3.t == pytest.approx(5.0)


def test_the_first_rep_is_guided_with_every_full_cue():
    events = run(LUNGE)
    go = first(events, "Go.")
    first_count = counts(events)[0]
    cues = [e.text for e in says(events) if go.t < e.t < first_count.t]
    assert cues == [phase.cue for phase in LUNGE.exercises[0].tempo]


def test_rest_between_sets_lasts_what_the_script_says():
    events = run(LUNGE)
    rest_start = first(events, "Rest 60 seconds.")
    next_announcement = first(events, "Set 2 of 3", after=rest_start.t)
    assert next_announcement.t - rest_start.t == pytest.approx(LUNGE.exercises[0].rest_between_sets)
    beeps = [e.t - rest_start.t for e in events if e.kind == "tone" and e.data["tone"] == "beep"
             and rest_start.t < e.t < next_announcement.t]
    assert beeps == pytest.approx([57.0, 58.0, 59.0])
    assert first(events, "10 seconds.", after=rest_start.t).t - rest_start.t == pytest.approx(50.0)


def test_pause_stops_every_event_until_resume_and_restarts_the_rep():
    plain = run(GLUTES)
    fourth = counts(plain)[3].t
    pause_at, resume_at = fourth + 2.0, fourth + 120.0
    events = run(GLUTES, f"{pause_at} pause; {resume_at} resume")
    during = [e for e in events if pause_at < e.t < resume_at]
    assert during == []
    at_pause = [e for e in events if e.t == pause_at]
    assert [e.kind for e in at_pause] == ["command", "state", "say"]
    after = [e for e in counts(events) if e.t > resume_at]
    assert after[0].text.startswith("5.")  # rep 5 was interrupted, so it starts again
    assert len(counts(events)) == len(counts(plain)) == 32


def test_slower_stretches_later_reps_by_a_fifth():
    plain = run(LUNGE)
    at = counts(plain)[4].t + 0.5
    events = run(LUNGE, f"{at} slower")
    later = [e.t for e in counts(events) if e.t > at][:4]
    gaps = [b - a for a, b in zip(later, later[1:])]
    assert gaps == pytest.approx([5.5 * 1.2] * 3)
    assert first(events, "Slower: 6.6 seconds a rep.").t == at


def test_more_rest_adds_thirty_seconds():
    plain = run(LUNGE)
    rest = first(plain, "Rest 60 seconds.")
    events = run(LUNGE, f"{rest.t + 20} more rest")
    announcement = first(events, "Set 2 of 3", after=rest.t)
    assert announcement.t - rest.t == pytest.approx(90.0)


def test_glute_workout_counts_32_reps_with_the_down_cue_in_each_early_down_phase():
    result = run_cli("run", "reverse-lunge-glutes", "--simulate", "--auto-start", "--json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    rep_counts = [e for e in events if e["kind"] == "say" and "rep" in e]
    assert len(rep_counts) == 32
    down = GLUTES.exercises[0].tempo[0]
    starts = [e for e in events if e["kind"] == "state" and e["state"] == "set_start"]
    assert len(starts) == 4
    for start in starts:  # every side of every set: reps 1 and 2 hear the down cue in their down phase
        part = [e for e in rep_counts if e["t"] > start["t"]][:2]
        rep_start = start["t"]
        for count in part:
            cue = next(e for e in events if e["kind"] == "say" and e["t"] >= rep_start
                       and e["text"] in (down.cue, down.short_cue))
            assert rep_start <= cue["t"] < count["t"]
            rep_start = count["t"]
    assert events[-1]["state"] == "finished" and events[-1]["reps_done"] == 32
    assert "Workout complete" in [e for e in events if e["kind"] == "say"][-1]["text"]


def test_set_states_carry_exercise_set_and_side():
    events = run(GLUTES)
    ends = states(events, "set_end")
    assert [(e.data["set"], e.data["side"], e.data["reps_done"]) for e in ends] == [
        (1, "right leg", 8), (1, "left leg", 8), (2, "right leg", 8), (2, "left leg", 8)]


def test_a_block_repeats_its_rounds_and_says_the_setup_once():
    plan = inline_plan(
        "name: Circuit\nexercises:\n  - block: circuit\n    rounds: 3\n    rest_between_rounds: 30\n"
        "    exercises:\n      - {name: Plank, hold_seconds: 20, setup: [Elbows under shoulders.]}\n"
        "      - {name: Squat, reps: 5}\n"
    )
    events = run(plan)
    assert len([e for e in says(events) if e.text == "Elbows under shoulders."]) == 1
    assert [e.text for e in says(events) if e.text.startswith("circuit, round")] == [
        "circuit, round 1 of 3.", "circuit, round 2 of 3.", "circuit, round 3 of 3."]
    assert len(counts(events)) == 15
    assert states(events, "finished")[0].data["reps_done"] == 15


def test_the_pure_core_imports_only_the_core_and_no_devices_or_clocks():
    """A package rule: everything under voice_coach/core imports only the core (and the standard
    library's pure parts, pydantic, YAML); the grammar, pure logic in the listening layer, too."""
    forbidden = {"sounddevice", "pyttsx3", "vosk", "numpy", "sqlite3", "time", "threading"}
    package = ROOT / "voice_coach"
    modules = sorted((package / "core").rglob("*.py")) + [package / "listening" / "grammar.py"]
    assert len(modules) > 10
    for path in modules:
        tree = ast.parse(path.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module or "" for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.level == 0}
        assert not {name.split(".")[0] for name in imported} & forbidden, (path.name, imported)
        outside = {name for name in imported
                   if name.startswith("voice_coach") and not name.startswith("voice_coach.core")}
        assert not outside, (path.name, outside)


def test_the_edges_depend_on_the_core_and_not_on_each_other():
    """A package rule: each edge (scripts, speech, audio, listening, training) imports the core,
    itself, and the small helpers every edge shares (PCM, finding sound devices, the user's
    folders); only app/ and cli.py wire edges together."""
    package = ROOT / "voice_coach"
    shared = ("voice_coach.core", "voice_coach.audio.pcm", "voice_coach.audio.devices", "voice_coach.user_dirs")
    for edge in ("workouts", "speech", "audio", "listening", "training"):
        for path in sorted((package / edge).rglob("*.py")):
            tree = ast.parse(path.read_text())
            imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
            imported |= {f"{node.module}.{alias.name}" for node in ast.walk(tree)
                         if isinstance(node, ast.ImportFrom) and node.level == 0 for alias in node.names}
            outside = {name for name in imported if name.startswith("voice_coach")
                       and not name.startswith((f"voice_coach.{edge}", *shared))}
            assert not outside, (f"{edge}/{path.name}", outside)
