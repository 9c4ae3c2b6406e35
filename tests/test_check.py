"""`voice-coach check` in the virtual room: real devices, real speech, the real model and log."""

from __future__ import annotations

import pytest
from conftest import run_cli
from room import ensure_room


@pytest.fixture(scope="module", autouse=True)
def room():
    ensure_room()


def checks(stdout: str) -> list[tuple[str, str]]:
    return [(line[:4], line[4:].strip()) for line in stdout.splitlines() if line[:4] in ("PASS", "WARN", "FAIL")]


def test_check_passes_in_the_room_and_measures_what_the_microphone_heard(tmp_path):
    result = run_cli("check", "--lang", "ko", "--db", str(tmp_path / "log.db"), timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = checks(result.stdout)
    assert [status for status, _ in lines] == ["PASS"] * 7, lines
    assert lines[6][1].startswith("music ducking: other sounds go 15 dB down") and "pulseaudio" in lines[6][1]
    level = next(what for _, what in lines if what.startswith("input level"))
    peak = float(level.split("peak ")[1].split(" dBFS")[0])
    assert -45 < peak < 0  # the monitor heard the test phrase, not silence and not clipping
    assert "faster than real time" in lines[4][1] and (tmp_path / "log.db").is_file()


def test_what_fails_says_so_with_the_fix_and_the_rest_still_runs(tmp_path):
    result = run_cli("check", "--lang", "ko", "--output-device", "no-such-speaker",
                     "--model", str(tmp_path / "nothing"), "--db", "/proc/no-such/log.db", timeout=180)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = dict(checks(result.stdout)[i] for i in (0,))  # the first line is the speaker
    assert "FAIL" in lines and "no-such-speaker" in lines["FAIL"] and "voice-coach devices" in lines["FAIL"]
    text = result.stdout
    assert "FAIL  speech model: --model" in text and "FAIL  training log:" in text
    assert "PASS  input device:" in text  # one missing part does not hide the others
    # nothing was played, so the microphone heard only the room's silence
    assert "WARN  input level:" in text and "too quiet" in text


def test_without_a_sound_server_check_warns_that_music_will_not_be_lowered(tmp_path):
    result = run_cli("check", "--lang", "ko", "--db", str(tmp_path / "log.db"), timeout=180,
                     env={"PULSE_SERVER": "unix:/nonexistent/pulse/native"})
    ducking = [what for status, what in checks(result.stdout) if what.startswith("music ducking")]
    assert [line.split(":")[0] for line in ducking] == ["music ducking"]
    assert "no PulseAudio or PipeWire sound server" in ducking[0] and "own volume under the coach" in ducking[0]
    assert "WARN  music ducking" in result.stdout
