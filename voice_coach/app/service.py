"""`voice-coach install-service`: the systemd user unit that makes a Raspberry Pi an appliance."""

from __future__ import annotations

import getpass
import shlex
import subprocess
from importlib import resources
from pathlib import Path

from voice_coach import user_dirs

UNIT_NAME = "voice-coach.service"


def unit_text(command: list[str]) -> str:
    """The repository's unit, starting `command` (this installation's voice-coach) with `serve`."""
    template = resources.files("voice_coach.app").joinpath(UNIT_NAME).read_text(encoding="utf-8")
    start = " ".join(shlex.quote(part) for part in [*command, "serve"])
    return template.replace("ExecStart=%h/.local/bin/voice-coach serve", f"ExecStart={start}")


def unit_path() -> Path:
    return user_dirs.config_home() / "systemd" / "user" / UNIT_NAME


def install(text: str) -> tuple[Path, list[str]]:
    """Writes the unit and enables it; returns its path and one line per step that failed,
    each with the command to run by hand."""
    path = unit_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    steps = [["systemctl", "--user", "daemon-reload"],
             ["systemctl", "--user", "enable", "--now", UNIT_NAME],
             # Without lingering, a user's services start only when they log in: never, on a Pi
             # with no screen and no keyboard.
             ["loginctl", "enable-linger", getpass.getuser()]]
    failed = []
    for step in steps:
        try:
            result = subprocess.run(step, capture_output=True, text=True, timeout=30)
            problem = (result.stderr.strip().splitlines() or [f"exit code {result.returncode}"])[-1] \
                if result.returncode else None
        except (OSError, subprocess.TimeoutExpired) as err:
            problem = str(err)
        if problem:
            failed.append(f"`{' '.join(step)}` failed ({problem}); run it yourself")
    return path, failed
