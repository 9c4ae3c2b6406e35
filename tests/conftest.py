"""Shared helpers: run the real command line, and locate the checkout's files."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Whatever `make setup` fetched into models/ (the English model, online), the tests see an empty
# models folder: set before the package is imported, and inherited by every command they run.
os.environ["VOICE_COACH_MODELS"] = tempfile.mkdtemp(prefix="voice-coach-test-models-")

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, **kwargs
) -> subprocess.CompletedProcess:
    """Run `python -m voice_coach ARGS` as a person would, with a timeout so a hang fails fast."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "voice_coach", *args],
        capture_output=True, text=True, timeout=timeout, env=full_env, **kwargs,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def no_user_scripts(tmp_path, monkeypatch):
    """Point the user's script folder at an empty temporary place."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "voice-coach" / "scripts"


@pytest.fixture(autouse=True)
def private_training_log(tmp_path, monkeypatch):
    """Every test writes its own training log, never the developer's."""
    path = tmp_path / "log" / "voice-coach.db"
    monkeypatch.setenv("VOICE_COACH_DB", str(path))
    return path


@pytest.fixture(autouse=True)
def private_state(tmp_path, monkeypatch):
    """Every test keeps its session state (the streams the ducker lowered) apart, never in the
    developer's ~/.local/state."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture(autouse=True)
def private_settings(tmp_path, monkeypatch):
    """Every test reads its own settings file (none until it writes one), never the developer's."""
    path = tmp_path / "settings" / "config.toml"
    monkeypatch.setenv("VOICE_COACH_CONFIG", str(path))
    return path
