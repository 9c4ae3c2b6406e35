"""Text mode: the real clock, the coach's words printed, commands typed at the keyboard.

Works with no audio device at all. On a terminal single keys act at once (space pauses and
resumes, Enter says ready, ? asks for help); words are typed and sent with Enter.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from .clock import Clock
from .engine import Engine, Mode
from .events import Event

KEY_HELP = ("Type a command and press Enter (next, pause, resume, repeat, status, help, stop …). "
            "Keys: Enter = ready, space = pause/resume, ? = help.")

_EOF = object()


def format_event(event: Event) -> str | None:
    minutes, seconds = divmod(int(event.t), 60)
    stamp = f"[{minutes:2d}:{seconds:02d}]"
    if event.kind == "say":
        return f"{stamp} {event.text}"
    if event.kind == "tone":
        return f"{stamp}   ({event.data.get('tone')})"
    if event.kind == "state" and event.data.get("state") == "waiting":
        return f"{stamp}   … waiting for ready (Enter)"
    if event.kind == "state" and event.data.get("state") == "paused":
        return f"{stamp}   … paused (space or 'resume')"
    return None


@contextmanager
def _single_keys(stream: TextIO) -> Iterator[bool]:
    """Put a terminal into cbreak mode for the session; yields whether single keys are live."""
    try:
        import termios
        import tty

        fd = stream.fileno()
        if not os.isatty(fd):
            raise OSError
        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError):
        yield False
        return
    tty.setcbreak(fd)
    try:
        yield True
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _read_keys(stream: TextIO, commands: queue.Queue[object], toggle: Callable[[], str], echo: TextIO) -> None:
    buffer = ""
    fd = stream.fileno()
    while True:
        chunk = os.read(fd, 1)
        if not chunk:
            commands.put(_EOF)
            return
        key = chunk.decode(errors="ignore")
        if not buffer and key == " ":
            commands.put(toggle())
        elif not buffer and key == "?":
            commands.put("help")
        elif key in ("\n", "\r"):
            echo.write("\n")
            commands.put(buffer.strip() or "ready")
            buffer = ""
        elif key in ("\x7f", "\b"):
            buffer = buffer[:-1]
            echo.write("\b \b")
        elif key.isprintable():
            buffer += key
            echo.write(key)
        echo.flush()


def _read_lines(stream: TextIO, commands: queue.Queue[object]) -> None:
    for line in stream:
        commands.put(line.strip() or "ready")
    commands.put(_EOF)


def run_text_session(engine: Engine, clock: Clock, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
                     show: Callable[[Event], str | None] = format_event) -> int:
    """Run until the workout ends, the person stops it, or input ends while the coach waits."""
    commands: queue.Queue[object] = queue.Queue()
    input_done = False

    def emit(events: list[Event]) -> None:
        for event in events:
            line = show(event)
            if line:
                print(line, file=stdout, flush=True)

    def toggle() -> str:
        return "resume" if engine.mode is Mode.PAUSED else "pause"

    print(KEY_HELP, file=stdout, flush=True)
    with _single_keys(stdin) as keys:
        reader = threading.Thread(
            target=_read_keys if keys else _read_lines,
            args=(stdin, commands, toggle, stdout) if keys else (stdin, commands),
            daemon=True,
        )
        reader.start()
        try:
            emit(engine.start())
            while not engine.finished:
                due = engine.next_due()
                if due is None and input_done:
                    print("Input ended while the coach waits; stopping here.", file=stdout, flush=True)
                    return 0
                timeout = None if due is None else max(0.0, due - clock.now())
                try:
                    item = commands.get(timeout=timeout)
                except queue.Empty:
                    emit(engine.advance())
                    continue
                if item is _EOF:
                    input_done = True
                else:
                    emit(engine.hear(str(item)))
        except KeyboardInterrupt:
            emit(engine.hear("stop") + engine.hear("stop"))
    return 0
