"""The command line: listing, schema, names and paths, and the installed distribution."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

from conftest import ROOT, SCRIPTS, run_cli


def test_list_shows_bundled_and_user_scripts(no_user_scripts):
    no_user_scripts.mkdir(parents=True)
    (no_user_scripts / "my-legs.yaml").write_text(
        "name: My legs\nexercises:\n  - name: Squat\n    sets: 3\n    reps: 10\n"
    )
    (no_user_scripts / "broken.yaml").write_text("name: [\n")
    result = run_cli("list")
    assert result.returncode == 0
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    for name in ("reverse-lunge", "reverse-lunge-glutes", "quick-try", "my-legs"):
        assert name in rows
    assert "user" in rows["my-legs"] and "bundled" in rows["quick-try"]
    assert "min" in rows["reverse-lunge"]
    assert "broken" in result.stderr and "validate" in result.stderr


def test_scripts_are_found_by_name_and_by_path(no_user_scripts):
    by_name = run_cli("show", "quick-try", "--json")
    by_path = run_cli("show", str(SCRIPTS / "quick-try.yaml"), "--json")
    assert by_name.returncode == by_path.returncode == 0
    assert json.loads(by_name.stdout) == json.loads(by_path.stdout)


def test_unknown_name_lists_the_known_ones(no_user_scripts):
    result = run_cli("show", "reverse-lungs")
    assert result.returncode == 2
    assert "reverse-lunge" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_variation_names_the_choices():
    result = run_cli("show", "reverse-lunge", "--variation", "with kettlebells")
    assert result.returncode == 2
    assert "with dumbbells" in result.stderr


def test_schema_is_json_schema_with_units():
    result = run_cli("schema")
    schema = json.loads(result.stdout)
    assert schema["type"] == "object"
    assert {"name", "exercises", "safety", "sources"} <= set(schema["properties"])
    assert "seconds" in json.dumps(schema["$defs"]["Rest"])


def test_validate_accepts_the_bundled_scripts():
    result = run_cli("validate", *map(str, sorted(SCRIPTS.glob("*.yaml"))))
    assert result.returncode == 0, result.stderr


def test_the_wheel_ships_the_bundled_scripts(tmp_path):
    """After a plain `pip install .` (here: the wheel unpacked alone), list and show still work."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)],
        check=True, timeout=180,
    )
    (wheel,) = tmp_path.glob("voice_coach-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    assert "voice_coach/scripts/reverse-lunge.yaml" in names
    # Run from elsewhere with only the unpacked wheel (and the venv's dependencies) importable.
    result = subprocess.run(
        [sys.executable, "-c", "import voice_coach.cli, sys; sys.exit(voice_coach.cli.main(['list']))"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path, env={"PYTHONPATH": str(site), "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert "reverse-lunge-glutes" in result.stdout
    assert str(site) in run_path(site)


def run_path(site) -> str:
    return subprocess.run(
        [sys.executable, "-c", "import voice_coach; print(voice_coach.__file__)"],
        capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(site)}, cwd=site.parent,
    ).stdout
