"""The settings file: what it sets, what the command line overrides, and bad files explained."""

from __future__ import annotations

import json

from conftest import run_cli


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_config_show_says_where_every_setting_came_from(private_settings):
    write(private_settings, 'language = "ko"\nverbosity = "brief"\nvolume = 0.6\n')
    result = run_cli("config", "show", "--volume", "0.9")
    assert result.returncode == 0, result.stderr
    lines = {line.split("=")[0].strip(): line for line in result.stdout.splitlines() if not line.startswith("# ")}
    assert lines["language"].startswith('language = "ko"') and lines["language"].endswith(str(private_settings))
    assert lines["verbosity"].startswith('verbosity = "brief"')
    assert lines["volume"].startswith("volume = 0.9") and lines["volume"].endswith("# --volume")
    assert lines["rate"].endswith("# default")
    assert "# workout = (not set)" in result.stdout


def test_without_a_settings_file_the_defaults_hold(private_settings):
    result = run_cli("config", "show")
    assert result.returncode == 0 and "no such file yet" in result.stdout
    assert 'language = "en"' in result.stdout


def test_every_problem_in_the_settings_file_is_one_line_with_its_place_and_fix(private_settings):
    write(private_settings, 'language = "xx"\nrate = 1000\nvolum = 0.5\nverbosity = "chatty"\n')
    result = run_cli("run", "reverse-lunge", "--simulate")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 4, lines
    assert lines[0].startswith(f"{private_settings}:1:1: language: no phrase table for 'xx'")
    assert lines[1].startswith(f"{private_settings}:2:1: rate:") and "400" in lines[1]
    assert lines[2] == f"{private_settings}:3:1: volum: unknown setting (did you mean `volume`?)"
    assert lines[3].startswith(f"{private_settings}:4:1: verbosity:") and "minimal" in lines[3]


def test_a_settings_file_that_is_not_toml_names_the_line(private_settings):
    write(private_settings, 'language = "ko"\nrate = \n')
    result = run_cli("config", "show")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{private_settings}:2:") and "not valid TOML" in result.stderr


def test_the_default_workout_and_language_come_from_the_settings_file(private_settings):
    write(private_settings, 'workout = "reverse-lunge"\nlanguage = "ko"\nauto_start = 2\n')
    result = run_cli("run", "--simulate", "--json")
    assert result.returncode == 0, result.stderr
    said = [json.loads(line).get("text") for line in result.stdout.splitlines()]
    assert any(text and "세트" in text for text in said)  # the Korean phrase table


def test_no_workout_anywhere_is_one_line_saying_how_to_choose(private_settings):
    result = run_cli("run", "--simulate")
    assert result.returncode == 2 and "which workout?" in result.stderr and str(private_settings) in result.stderr


def spoken(*flags: str) -> list[dict]:
    result = run_cli("run", "reverse-lunge-glutes", "--simulate", "--json", "--auto-start", "1", *flags)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    return [event for event in events if event.get("kind") == "say"]


def test_less_verbose_coaches_say_less_and_still_count_every_rep():
    full, brief, minimal = spoken(), spoken("--verbosity", "brief"), spoken("--verbosity", "minimal")
    words = [sum(len(event["text"].split()) for event in said) for said in (full, brief, minimal)]
    assert words[0] > words[1] > words[2], words
    counts = [[event["text"] for event in said if event.get("rep") and event["text"][0].isdigit()]
              for said in (full, brief, minimal)]
    assert counts[0] == counts[1] == counts[2] and len(counts[0]) > 20
