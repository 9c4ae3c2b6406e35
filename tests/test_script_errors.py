"""Bad scripts give one located line per problem and exit code 2, never a traceback."""

from __future__ import annotations

import re
import string

import pytest
import yaml
from conftest import SCRIPTS, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice_coach.workouts.loading import ScriptError, load_workout, parse_workout

LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): .+$")

VALID = (SCRIPTS / "reverse-lunge-glutes.yaml").read_text()


def problems_of(text: str) -> list[str]:
    with pytest.raises(ScriptError) as caught:
        parse_workout(text, "w.yaml")
    return [str(problem) for problem in caught.value.problems]


BAD_FILES = {
    "empty": b"",
    "only a comment": b"# nothing yet\n",
    "yaml syntax": b"name: x\nexercises:\n  - name: a\n    reps: [\n",
    "tab indentation": b"name: x\nexercises:\n\t- name: a\n",
    "wrong types": b"name: [1, 2]\nexercises: 5\n",
    "unknown key": b"name: x\nexercises:\n  - name: a\n    repz: 12\n",
    "binary junk": bytes(range(256)) * 20,
    "nul bytes": b"name: x\x00\x00\n",
    "a list, not a mapping": b"- name: x\n",
    "duplicate key": b"name: x\nname: y\nexercises: []\n",
    "deep nesting": b"[" * 5000 + b"]" * 5000,
    "alias bomb": b"a: &a [x, x, x, x, x, x, x, x, x]\n"
    + b"".join(b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n" % ((c, c) + (c - 1,) * 9)
               for c in range(98, 108)),
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_gives_located_lines_and_exit_2(tmp_path, content):
    path = tmp_path / "workout.yaml"
    path.write_bytes(content)
    result = run_cli("validate", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and all(LINE.match(line) and line.startswith(str(path)) for line in lines), lines


def test_missing_file_directory_and_huge_file(tmp_path):
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    for target, words in ((tmp_path / "absent.yaml", "no such file"), (tmp_path, "folder"), (huge, "MB")):
        result = run_cli("validate", str(target))
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert words in result.stderr and LINE.match(result.stderr.strip())


def test_each_problem_points_at_its_line_and_column():
    text = (
        "name: Legs\n"                    # 1
        "exercises:\n"                    # 2
        "  - name: Lunge\n"               # 3
        "    repz: 12\n"                  # 4
        "    sets: many\n"                # 5
        "    tempo:\n"                    # 6
        "      - name: down\n"            # 7
        "        seconds: -1\n"           # 8
        "  - block: circuit\n"            # 9
        "    rounds: 0\n"                 # 10
        "    exercises:\n"                # 11
        "      - name: Squat\n"           # 12
        "        reps: 15-12\n"           # 13
    )
    assert problems_of(text) == [
        "w.yaml:4:5: exercises[0].repz: unknown key (did you mean `reps`?)",
        "w.yaml:5:11: exercises[0].sets: expected a number or a range such as 12-15, got 'many'",
        "w.yaml:8:18: exercises[0].tempo[0].seconds: must be at least 0, got -1",
        "w.yaml:10:13: exercises[1].rounds: must be at least 1, got 0",
        "w.yaml:13:15: exercises[1].exercises[0].reps: the range 15-12 runs backwards (write it low-high)",
    ]


def test_missing_required_key_points_at_its_parent():
    assert problems_of("name: Legs\nexercises:\n  - sets: 3\n    reps: 10\n") == [
        "w.yaml:3:5: exercises[0].name: is required but missing (add it)"
    ]


def test_exercise_needs_reps_or_a_hold():
    (line,) = problems_of("name: Legs\nexercises:\n  - name: Plank\n")
    assert line.startswith("w.yaml:3:5: exercises[0]: give either reps") and "hold_seconds" in line


def test_json_scripts_are_accepted(tmp_path):
    path = tmp_path / "w.json"
    path.write_text('{"name": "Legs", "exercises": [{"name": "Squat", "reps": "8-10", "sets": 2}]}')
    workout = load_workout(path)
    assert workout.exercises[0].reps.min == 8


# --- Any document at all: a workout or located problems, nothing else. ---

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(string.printable, max_size=12), st.sampled_from(["12-15", "3", "-1", "1-2", "yes", ""]),
)
keys = st.sampled_from(
    ["name", "exercises", "reps", "sets", "tempo", "seconds", "rest", "between_sets", "sides", "block",
     "rounds", "hold_seconds", "tips", "mistakes", "avoid", "variations", "min", "max", "default", "cue", "x"]
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)),
    max_leaves=30,
)


def assert_workout_or_located(text: str) -> None:
    # YAML breaks lines where an editor does: at a lone carriage return too (an old Mac file), and
    # at Unicode's line separators; a problem may be placed just past the last line.
    line_count = len(re.split("\r\n|[\r\n\x85\u2028\u2029]", text)) + 1
    try:
        parse_workout(text, "w.yaml")
    except ScriptError as err:
        assert err.problems
        for problem in err.problems:
            assert LINE.match(str(problem)), str(problem)
            assert 1 <= problem.line <= line_count and problem.column >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_generated_document_is_a_workout_or_located_problems(document):
    assert_workout_or_located(yaml.safe_dump({"name": "W", "exercises": [document]}))
    assert_workout_or_located(yaml.safe_dump(document))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_edit_of_a_valid_script_is_a_workout_or_located_problems(data):
    """Replace one value anywhere in a real script by something arbitrary."""
    tree = yaml.safe_load(VALID)
    slots = []

    def walk(node):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            slots.append((node, key))
            walk(value)

    walk(tree)
    node, key = data.draw(st.sampled_from(slots))
    node[key] = data.draw(documents)
    assert_workout_or_located(yaml.safe_dump(tree, sort_keys=False))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_workout_or_located_problems(text):
    assert_workout_or_located(text)
