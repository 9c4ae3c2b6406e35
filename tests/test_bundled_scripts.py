"""The bundled scripts carry the guides' facts, and their plans say what the guides say."""

from __future__ import annotations

import json

import pytest
from conftest import SCRIPTS

from voice_coach.workouts.library import resolve_script
from voice_coach.workouts.loading import load_plan, load_workout


def plan_of(name: str, variation: str | None = None):
    return load_plan(resolve_script(name).path, variation)


@pytest.mark.parametrize("path", sorted(SCRIPTS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_bundled_script_is_valid_and_names_its_source(path):
    workout = load_workout(path)
    assert workout.sources, "a bundled script names the guide it comes from"
    assert any(".txt" in source for source in workout.sources)


def test_reverse_lunge_keeps_the_how_to_guides_numbers():
    plan = plan_of("reverse-lunge")
    (lunge,) = plan.exercises
    assert lunge.sets_range == (2, 4) and 2 <= lunge.sets <= 4
    assert lunge.reps_range == (12, 15) and 12 <= lunge.reps <= 15
    assert lunge.rest_between_sets_range == (45, 90)
    assert lunge.sides == "each" and lunge.side_names == ("right leg", "left leg")
    hold = next(phase for phase in lunge.tempo if phase.name == "hold")
    assert hold.seconds_range == (1, 2)
    assert any("knee" in warning.lower() and "doctor" in warning.lower() for warning in plan.safety)
    assert any("two to three inches" in tip for tip in lunge.tips)


def test_reverse_lunge_offers_the_weighted_variation():
    (lunge,) = plan_of("reverse-lunge", "with dumbbells").exercises
    assert lunge.variation == "with dumbbells"
    assert lunge.sets_range == (3, 4) and lunge.reps_range == (8, 10)
    assert lunge.equipment


def test_glute_variant_is_two_sets_of_eight_per_side_with_a_slow_descent():
    (lunge,) = plan_of("reverse-lunge-glutes").exercises
    assert (lunge.sets, lunge.reps, lunge.sides) == (2, 8, "each")
    phases = {phase.name: phase.seconds for phase in lunge.tempo}
    assert phases["down"] > phases["up"]
    assert len(lunge.mistakes) == 6
    assert any("seventy to seventy-five percent" in tip for tip in lunge.tips)
    assert any("four to five inches" in cue for cue in lunge.setup)


def test_quick_try_takes_under_three_minutes():
    assert plan_of("quick-try").estimated_seconds < 180


def test_show_json_gives_the_resolved_plan(cli):
    result = cli("show", "reverse-lunge-glutes", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    (lunge,) = plan["exercises"]
    assert (lunge["sets"], lunge["reps"], lunge["sides"]) == (2, 8, "each")
    seconds = {phase["name"]: phase["seconds"] for phase in lunge["tempo"]}
    assert seconds["down"] > seconds["up"]
    assert lunge["rest_between_sets"] == 60 and lunge["tips"] and len(lunge["mistakes"]) == 6


def test_show_in_plain_words_gives_ranges_and_warning(cli):
    result = cli("show", "reverse-lunge")
    assert result.returncode == 0, result.stderr
    assert "3 (2-4) sets of 12 (12-15) reps on each side" in result.stdout
    assert "60 (45-90) s between sets" in result.stdout
    assert "doctor" in result.stdout


def test_the_readme_example_is_a_valid_script(tmp_path):
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.yaml"
    path.write_text(example)
    plan = load_plan(path, "with dumbbells")
    assert [exercise.name for exercise in plan.exercises] == ["Reverse lunge"] + ["Plank"] * 3
    assert plan.exercises[0].reps_range == (8, 10)
