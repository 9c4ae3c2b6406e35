"""Run a whole workout on a fake clock: the timeline as it would happen, in milliseconds."""

from __future__ import annotations

import re
from dataclasses import dataclass

from voice_coach.core.clock import FakeClock
from voice_coach.core.engine.machine import Engine
from voice_coach.core.errors import VoiceCoachError
from voice_coach.core.events import Event

SIMULATION_LIMIT_SECONDS = 24 * 3600.0
"""A simulated workout longer than a day is a bug, not a workout."""


class ScheduleError(VoiceCoachError):
    """A --commands schedule that cannot be read."""


@dataclass(frozen=True)
class ScheduledCommand:
    t: float
    """When the command is said (seconds from the start)."""
    text: str


_ENTRY = re.compile(r"^\s*(?:(\d+):)?(?:(\d+):)?(\d+(?:\.\d+)?)\s+(.+?)\s*$")


def parse_schedule(text: str) -> list[ScheduledCommand]:
    """`"0:45 pause; 1:10 resume; 2:00 next"` -> commands in time order ([h:]m:ss or seconds)."""
    commands = []
    for number, entry in enumerate(part for part in text.split(";") if part.strip()):
        match = _ENTRY.match(entry)
        if not match:
            raise ScheduleError(
                f"command {number + 1} ({entry.strip()!r}): write it as TIME COMMAND, e.g. '1:30 pause'"
            )
        first, second, seconds, words = match.groups()
        hours, minutes = (int(first), int(second)) if second is not None else (0, int(first or 0))
        commands.append(ScheduledCommand(hours * 3600 + minutes * 60 + float(seconds), words))
    return sorted(commands, key=lambda command: command.t)


@dataclass
class Simulation:
    events: list[Event]
    waiting_forever: bool
    """The workout stopped at a set waiting for 'ready' that no command gave."""


def simulate(engine: Engine, clock: FakeClock, commands: list[ScheduledCommand] = ()) -> Simulation:
    """Drive `engine` to its end, jumping the fake clock from one due moment to the next."""
    pending = list(commands)
    events = engine.start()
    while not engine.finished and clock.now() < SIMULATION_LIMIT_SECONDS:
        due = engine.next_due()
        if pending and (due is None or pending[0].t <= due):
            command = pending.pop(0)
            clock.set(max(clock.now(), command.t))
            events += engine.hear(command.text)
        elif due is not None:
            clock.set(max(clock.now(), due))
            events += engine.advance()
        else:
            return Simulation(events, waiting_forever=True)
    return Simulation(events, waiting_forever=False)
