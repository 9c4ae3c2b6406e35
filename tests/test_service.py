"""The systemd user unit: valid, starting this installation's `serve`, and installed as said."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import run_cli


def test_the_unit_starts_this_installations_serve_and_restarts_on_failure(tmp_path):
    result = run_cli("install-service", "--print")
    assert result.returncode == 0, result.stderr
    unit = result.stdout
    assert f"ExecStart={sys.executable} -m voice_coach serve\n" in unit
    assert "Restart=on-failure" in unit and "WantedBy=default.target" in unit and "pactl info" in unit
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the unit's syntax is not checked here")
    path = tmp_path / "voice-coach.service"
    path.write_text(unit)
    verify = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert verify.returncode == 0 and "voice-coach.service" not in verify.stderr, verify.stderr


def test_install_service_writes_the_unit_and_names_any_step_left_to_do(tmp_path):
    result = run_cli("install-service", env={"XDG_CONFIG_HOME": str(tmp_path)})
    written = tmp_path / "systemd" / "user" / "voice-coach.service"
    assert written.is_file() and "-m voice_coach serve" in written.read_text()
    assert "Traceback" not in result.stderr
    if result.returncode == 0:  # a machine with a user session (a Pi)
        assert "starts at boot" in result.stdout
    else:  # here: no user manager to talk to; each step left is one line with the command
        lines = result.stderr.strip().splitlines()
        assert lines and all(line.startswith("voice-coach: `") and line.endswith("run it yourself") for line in lines)
