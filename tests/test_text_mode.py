"""Text mode for real: a subprocess on the real clock, commands typed into its standard input."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT

TINY = """\
name: Tiny
safety: [Go easy.]
exercises:
  - name: Squat
    reps: 3
    tempo:
      - {name: down, seconds: 0.4, cue: Down.}
      - {name: up, seconds: 0.3, cue: Up.}
    rest: {after_exercise: 0}
  - name: Wall sit
    hold_seconds: 4
"""


class Session:
    """A `voice-coach run … --text` process whose output lines can be awaited with a timeout."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voice_coach", "run", *args, "--text"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not printed within {timeout} s; got {self.seen}")

    def type(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def finish(self, timeout: float = 10.0) -> int:
        self.process.stdin.close()
        code = self.process.wait(timeout=timeout)
        self.pump.join(timeout=timeout)
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait())
        return code


@pytest.fixture
def session(tmp_path):
    script = tmp_path / "tiny.yaml"
    script.write_text(TINY)
    running = Session(str(script))
    yield running
    running.process.kill()


def test_text_mode_runs_a_workout_from_typed_commands(session):
    session.wait_for("Type a command")
    session.wait_for("Go easy.")
    session.wait_for("waiting for ready")
    session.type("")  # Enter alone means ready
    session.wait_for("Go.")
    session.wait_for("1.")
    session.type("status")
    session.wait_for("Set 1 of 1, rep")
    session.wait_for("3. Set done.")
    session.wait_for("waiting for ready")
    session.type("pause")
    session.wait_for("Paused.")
    session.type("resume")
    session.wait_for("Resuming.")
    session.type("go")
    session.wait_for("Time.")
    session.wait_for("Workout complete: 2 sets, 3 reps")
    assert session.finish() == 0


def test_text_mode_stops_when_input_ends_while_waiting(session):
    session.wait_for("waiting for ready")
    assert session.finish() == 0
    assert any("Input ended" in line for line in session.seen)
