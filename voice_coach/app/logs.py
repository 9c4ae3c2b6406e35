"""Diagnostics through `logging`: one logger per module (`logging.getLogger(__name__)`), set up
once here for the whole process.

At a terminal the person reads the lines as before: a problem as `voice-coach: …`, a notice as
it is. Under systemd (`voice-coach serve` as a service), stderr is the journal: each line then
starts with its syslog priority (`<4>` for a warning …), which journald turns into the entry's
level, so `journalctl --user -u voice-coach -p warning` finds the problems, and names the module
that logged it.
"""

from __future__ import annotations

import logging
import os
import sys

ROOT = "voice_coach"
_SYSLOG_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class ForPeople(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        return f"voice-coach: {message}" if record.levelno >= logging.WARNING else message


class ForJournal(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = _SYSLOG_PRIORITY.get(record.levelno, 6)
        return "\n".join(f"<{priority}>{record.name}: {line}" for line in super().format(record).splitlines())


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (tests and terminals swap it)."""

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def under_journal(stream=None) -> bool:
    """Whether `stream` (stderr) is connected to systemd's journal: systemd says so in
    $JOURNAL_STREAM (device:inode of the journal's socket)."""
    stream = stream or sys.stderr
    expected = os.environ.get("JOURNAL_STREAM", "")
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{status.st_dev}:{status.st_ino}"


def configure(debug: bool | None = None, stream=None) -> logging.Handler:
    """Send voice-coach's log records to `stream` (by default stderr; INFO and up, DEBUG with
    $VOICE_COACH_DEBUG).
    Libraries' own loggers are left alone. Calling it again replaces the handler."""
    debug = bool(os.environ.get("VOICE_COACH_DEBUG")) if debug is None else debug
    handler = logging.StreamHandler(stream) if stream is not None else _CurrentStderr()
    handler.setFormatter(ForJournal() if under_journal(stream) else ForPeople())
    root = logging.getLogger(ROOT)
    for old in [h for h in root.handlers if getattr(h, "_voice_coach", False)]:
        root.removeHandler(old)
    handler._voice_coach = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    root.propagate = False
    return handler
