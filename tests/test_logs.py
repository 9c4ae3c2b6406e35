"""Diagnostics: one line for a person at a terminal, a level the journal understands under systemd."""

from __future__ import annotations

import logging
import os

import pytest

from voice_coach.app import logs


@pytest.fixture(autouse=True)
def _restore_logging():
    """configure() changes the process's voice_coach logger: give the next test the default back."""
    root = logging.getLogger(logs.ROOT)
    handlers, level, propagate = list(root.handlers), root.level, root.propagate
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    root.propagate = propagate


def _logged(stream, *records: tuple[int, str]) -> str:
    logs.configure(debug=False, stream=stream)
    for level, message in records:
        logging.getLogger("voice_coach.app.serve").log(level, message)
    stream.flush()
    return open(stream.name, encoding="utf-8").read()


def test_at_a_terminal_problems_say_voice_coach_and_notices_read_as_they_are(tmp_path, monkeypatch):
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    with open(tmp_path / "stderr", "w", encoding="utf-8") as stream:
        text = _logged(stream, (logging.INFO, "(waiting: say or type a start phrase)"),
                       (logging.WARNING, "cannot listen (no microphone)"), (logging.DEBUG, "not shown"))
    assert text.splitlines() == ["(waiting: say or type a start phrase)", "voice-coach: cannot listen (no microphone)"]


def test_under_systemd_each_line_carries_its_syslog_priority_and_module(tmp_path, monkeypatch):
    with open(tmp_path / "journal", "w", encoding="utf-8") as stream:
        status = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{status.st_dev}:{status.st_ino}")
        text = _logged(stream, (logging.INFO, "(starting quick-try)"), (logging.ERROR, "two\nlines"))
    assert text.splitlines() == ["<6>voice_coach.app.serve: (starting quick-try)",
                                 "<3>voice_coach.app.serve: two", "<3>voice_coach.app.serve: lines"]


def test_another_streams_journal_variable_is_not_taken_for_ours(tmp_path, monkeypatch):
    monkeypatch.setenv("JOURNAL_STREAM", "1:2")
    with open(tmp_path / "stderr", "w", encoding="utf-8") as stream:
        assert not logs.under_journal(stream)
        assert _logged(stream, (logging.WARNING, "x")) == "voice-coach: x\n"
