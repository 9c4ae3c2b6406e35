"""The engine's state vocabulary: its modes, its settings, and the record of a finished set."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from voice_coach.core.timeline import SpeechEstimator, Verbosity, words_per_minute_estimator


class Mode(enum.Enum):
    RUNNING = "running"
    WAITING = "waiting"
    """Waiting for the person to say ready before a set."""
    PAUSED = "paused"
    FINISHED = "finished"


@dataclass(frozen=True)
class Settings:
    auto_start_seconds: float | None = None
    """Start each set by itself this long after its announcement (seconds); None waits for 'ready'."""
    volume: float = 0.8
    """Initial output volume (0 to 1)."""
    estimate_speech: SpeechEstimator = field(default_factory=words_per_minute_estimator)
    verbosity: Verbosity = Verbosity.FULL
    units: str = "kg"
    """kg or lb: how the coach says loads (they are logged in kilograms)."""


@dataclass(frozen=True)
class SetRecord:
    """One side of one set, as it ended."""

    exercise: int
    exercise_name: str
    set: int
    side: str | None
    reps_planned: int
    reps_done: int
    ended_by: str
    """complete, next, done, skip or stop."""
