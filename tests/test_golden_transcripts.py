"""Golden transcripts: everything each bundled workout says and plays, on the fake clock.

A change in what the coach says shows up here as a readable diff. After an intended change,
regenerate with `UPDATE_GOLDEN=1 make test` and read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import SCRIPTS
from engine_helpers import bundled_plan, run

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    # name: (script, commands)
    "quick-try": ("quick-try", ""),
    "reverse-lunge": ("reverse-lunge", ""),
    "reverse-lunge-glutes": ("reverse-lunge-glutes", ""),
    "reverse-lunge-glutes-commands": (
        "reverse-lunge-glutes", "1:00 pause; 1:20 resume; 1:40 slower; 2:30 status; 3:00 next; 3:20 tip; 3:40 back"),
}


def transcript(script: str, commands: str) -> str:
    return "\n".join(event.line() for event in run(bundled_plan(script), commands)) + "\n"


def test_every_bundled_script_has_a_golden_transcript():
    assert {path.stem for path in SCRIPTS.glob("*.yaml")} <= set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_transcript_matches_golden(case):
    script, commands = CASES[case]
    actual = transcript(script, commands)
    path = GOLDEN / f"{case}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual)
    assert path.exists(), f"no golden transcript yet: run UPDATE_GOLDEN=1 make test and review {path}"
    assert actual == path.read_text()
