"""What the engine tells the outside world: something to say, a tone to play, a change of state."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

EventKind = Literal["say", "tone", "command", "state"]


class StateChange(StrEnum):
    """What a "state" event announces (its `state` field): the one vocabulary the engine speaks and
    every edge (voice, screen, training log, tests) listens for. A StrEnum, so the event's JSON and
    the log keep the plain words."""

    STARTED = "started"
    SET_START = "set_start"
    SET_END = "set_end"
    WAITING = "waiting"
    """Before a set, until the person says ready (or the auto-start delay)."""
    PAUSED = "paused"
    RESUMED = "resumed"
    REPLANNED = "replanned"
    """Whatever was handed out for after this moment no longer holds: the voice drops it."""
    VOLUME = "volume"
    FINISHED = "finished"
    ASKING = "asking"
    """The coach waits for an answer until `until` (session seconds): how the exercise felt
    (`effort`: true, after its last set) or the reps of the set just done (listening takes the
    answers' grammar for that moment)."""
    EFFORT = "effort"
    """The person said how the exercise felt (`effort`: easy, good, hard), for its last set."""
    REPS_CORRECTED = "reps_corrected"
    """The person said how many reps the set just done really had (`reps_done`)."""
    LOAD = "load"
    """The person said the load (`load_kg`) of an exercise done with a weight: for its sets from
    now on, and for the set just done when it carries `set` (said while the coach listened after it)."""
    LISTENING = "listening"
    """What the coach listens for besides commands changed: `loads` (true during an exercise done
    with a weight: listening adds the spoken loads to its grammar then)."""


class DeviceChange(StrEnum):
    """What an output reports to the session when polled: its device went away or came back.
    The session, not the output, decides what the engine does about it."""

    LOST = "lost"
    BACK = "back"


@dataclass(frozen=True)
class Tone:
    name: str
    hz: float
    """Pitch (hertz)."""
    seconds: float
    """Length (seconds)."""


TICK = Tone("tick", 1320.0, 0.06)
"""Marks a tempo phase on later reps, where words would nag."""
BEEP = Tone("beep", 660.0, 0.15)
"""The 3, 2, 1 before a rest ends or a hold finishes."""
GO = Tone("go", 880.0, 0.4)
"""Work starts."""


@dataclass(frozen=True)
class Event:
    t: float
    """When it happens (seconds on the session clock)."""
    kind: EventKind
    text: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "kind": self.kind, "text": self.text, **self.data}

    def line(self) -> str:
        """One line for a person reading the timeline."""
        minutes, seconds = divmod(self.t, 60)
        stamp = f"{int(minutes):2d}:{seconds:06.3f}"
        if self.kind == "say":
            return f"{stamp}  say    {self.text}"
        if self.kind == "tone":
            return f"{stamp}  tone   {self.data.get('tone')}"
        if self.kind == "command":
            return f"{stamp}  heard  {self.text}"
        details = " ".join(f"{key}={value}" for key, value in self.data.items() if key != "state")
        return f"{stamp}  state  {self.data.get('state')} {details}".rstrip()
