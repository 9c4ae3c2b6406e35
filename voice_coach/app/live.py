"""A live session: the real (or audio) clock, commands from the keyboard, events to an output.

The output is the screen (text mode, which needs no audio device at all) or the speaker with the
screen beside it. On a terminal single keys act at once (space pauses and resumes, Enter says
ready, ? asks for help); words are typed and sent with Enter.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol, TextIO

from voice_coach.core.clock import Clock
from voice_coach.core.engine.machine import Engine, Mode
from voice_coach.core.events import DeviceChange, Event, StateChange

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
    if event.kind == "command":
        return f"{stamp}   heard {event.text}"
    if event.kind == "state" and event.data.get("state") == StateChange.WAITING:
        return f"{stamp}   … waiting for ready (Enter)"
    if event.kind == "state" and event.data.get("state") == StateChange.PAUSED:
        return f"{stamp}   … paused (space or 'resume')"
    return None


@contextmanager
def _single_keys(stream: TextIO) -> Iterator[bool]:
    """Put a terminal into cbreak mode for the session; yields whether single keys are live."""
    try:
        import termios  # POSIX terminals only; elsewhere lines are read
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


class Output(Protocol):
    lookahead: float
    """How far ahead (seconds) the output wants events, to start each on its exact moment."""

    def deliver(self, events: list[Event]) -> None: ...

    def poll(self) -> DeviceChange | None:
        """Called often: the output's device went away (LOST) or came back (BACK), or None."""


class ScreenOutput:
    """The coach's words printed, one line each."""

    lookahead = 0.0

    def __init__(self, stdout: TextIO = sys.stdout, show: Callable[[Event], str | None] = format_event):
        self.stdout, self.show = stdout, show

    def deliver(self, events: list[Event]) -> None:
        for event in events:
            line = self.show(event)
            if line:
                print(line, file=self.stdout, flush=True)

    def note(self, line: str) -> None:
        print(line, file=self.stdout, flush=True)

    def poll(self) -> DeviceChange | None:
        return None


class Tee:
    """One output that also hands every event to listeners (the training log)."""

    def __init__(self, output: Output, *listeners):
        self.output, self.listeners = output, listeners
        self.lookahead = output.lookahead

    def deliver(self, events: list[Event]) -> None:
        for listener in self.listeners:
            listener.deliver(events)  # the log first: a set is saved before anything else happens
        self.output.deliver(events)

    def poll(self) -> DeviceChange | None:
        return self.output.poll()

    def wait_until_quiet(self) -> None:
        wait = getattr(self.output, "wait_until_quiet", None)
        if wait is not None:
            wait()


POLL_SECONDS = 0.05
"""Longest wait between two looks at the output's health (seconds)."""


def run_live_session(engine: Engine, clock: Clock, output: Output, stdin: TextIO = sys.stdin,
                     stdout: TextIO = sys.stdout, commands: queue.Queue[object] | None = None,
                     listening: bool = False) -> int:
    """Run until the workout ends, the person stops it, or input ends while the coach waits.
    `commands`: a queue other sources (the microphone) put heard phrases into, beside the keyboard;
    `listening`: such a source is running, so the end of keyboard input is not the end of commands."""
    commands = commands if commands is not None else queue.Queue()
    input_done = False
    device = _DeviceWatch(engine, output, clock)

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
            output.deliver(engine.start())
            while not engine.finished:
                device.check()
                now = clock.now()
                due = engine.next_due()
                if due is not None and due <= now + output.lookahead:
                    output.deliver(engine.advance(until=now + output.lookahead))
                    continue
                if due is None and input_done and not listening and not device.recovering:
                    print("Input ended while the coach waits; stopping here.", file=stdout, flush=True)
                    return 0
                timeout = POLL_SECONDS if due is None else min(POLL_SECONDS, due - output.lookahead - now)
                try:
                    item = commands.get(timeout=max(0.0, timeout))
                except queue.Empty:
                    continue
                if item is _EOF:
                    input_done = True
                else:
                    output.deliver(engine.hear(str(item)))
            _drain(output, clock)
        except KeyboardInterrupt:
            output.deliver(engine.hear("stop") + engine.hear("stop"))
            _drain(output, clock)
    return 0


class _DeviceWatch:
    """The session's answer to a lost speaker: the engine pauses (unless the person had paused
    already) and, once the speaker is back, the coach says so and carries on where it was."""

    def __init__(self, engine: Engine, output: Output, clock: Clock):
        self.engine, self.output, self.clock = engine, output, clock
        self.recovering = False
        """The engine is paused for the device and goes on by itself once it is back."""

    def check(self) -> None:
        change = self.output.poll()
        if change == DeviceChange.LOST:
            events = self.engine.interrupt()
            self.recovering = bool(events)
            self.output.deliver(events)  # the screen shows it (and the log records the pause)
        elif change == DeviceChange.BACK:
            back = self.engine.phrases.say("back_online")
            if self.recovering:
                self.recovering = False
                self.output.deliver(self.engine.carry_on(first_words=(back,)))
            else:  # the person had paused: they resume when they want to
                self.output.deliver([Event(self.clock.now(), "say", back)])


def _drain(output: Output, clock: Clock) -> None:
    """Let the last words finish playing before the program ends."""
    wait = getattr(output, "wait_until_quiet", None)
    if wait is not None:
        wait()
