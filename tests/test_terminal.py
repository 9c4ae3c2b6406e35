"""Text mode on a real terminal (a pseudo-terminal): single keys act at once, and an interrupted
session is offered to be continued with a y/n question."""

from __future__ import annotations

import os
import pty
import select
import sqlite3
import subprocess
import sys
import time

from conftest import ROOT

TINY = """\
name: Keys
exercises:
  - name: Squat
    sets: 2
    reps: 3
    tempo: [{name: down, seconds: 0.4}, {name: up, seconds: 0.3}]
    rest: {between_sets: 20}
"""


class Terminal:
    """`voice-coach run … --text` on a pseudo-terminal; keys typed one by one."""

    def __init__(self, *args: str):
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([sys.executable, "-m", "voice_coach", "run", *args, "--text"],
                                        stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, close_fds=True)
        os.close(slave)
        self.screen = ""

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} not shown; screen:\n{self.screen}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.screen += os.read(self.master, 4096).decode(errors="replace")
                except OSError:
                    break
        assert text in self.screen, self.screen

    def press(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        os.close(self.master)


def test_single_keys_pause_resume_ask_for_help_and_start_a_set(tmp_path):
    script = tmp_path / "keys.yaml"
    script.write_text(TINY)
    terminal = Terminal(str(script), "--db", str(tmp_path / "log.db"), "--rate", "400")
    try:
        terminal.wait_for("waiting for ready")
        terminal.press("?")
        terminal.wait_for("You can say: ready")
        terminal.press("\r")  # Enter alone: ready
        terminal.wait_for("Go.")
        terminal.press(" ")  # space: pause
        terminal.wait_for("Paused.")
        terminal.press(" ")  # space again: resume
        terminal.wait_for("Resuming.")
        terminal.press("status\r")  # a word and Enter
        terminal.wait_for("Set 1 of 2, rep")
    finally:
        terminal.close()


def test_an_interrupted_session_is_offered_and_continued_with_y(tmp_path):
    script = tmp_path / "keys.yaml"
    script.write_text(TINY)
    db = tmp_path / "log.db"
    first = subprocess.run(
        [sys.executable, "-m", "voice_coach", "run", str(script), "--simulate", "--auto-start", "0", "--db", str(db),
         "--commands", "0:25 stop; 0:26 stop"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(db) as connection:  # as if the first run had been killed
        connection.execute("UPDATE sessions SET ended_at = NULL, ended_how = NULL")
        assert connection.execute("SELECT COUNT(*) FROM sets").fetchone()[0] == 1
    terminal = Terminal(str(script), "--db", str(db), "--rate", "400", "--auto-start", "0")
    try:
        terminal.wait_for("Continue where you stopped? Say yes or no. [y/n]")
        terminal.press("y\r")
        terminal.wait_for("Welcome back to Keys.")
        terminal.wait_for("Set 2 of 2, 3 reps.")
        terminal.wait_for("Workout complete: 2 sets, 6 reps")
    finally:
        terminal.close()
