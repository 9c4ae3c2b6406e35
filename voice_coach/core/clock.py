"""The engine's clock interface, and a fake clock that tests and simulations move by hand.

The real clock is an edge (voice_coach/app/clock.py): the core never reads the time itself."""

from __future__ import annotations

from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the session started."""


class FakeClock:
    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def set(self, t: float) -> None:
        if t < self.t:
            raise ValueError("a clock does not run backwards")
        self.t = t
