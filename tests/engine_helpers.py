"""Build engines on a fake clock from bundled or inline scripts, and read their transcripts."""

from __future__ import annotations

from voice_coach.core.clock import FakeClock
from voice_coach.core.engine.machine import Engine, Settings
from voice_coach.core.events import Event
from voice_coach.core.phrases import load_phrases
from voice_coach.core.plan import Plan, compile_plan
from voice_coach.core.simulate import parse_schedule, simulate
from voice_coach.workouts.library import resolve_script
from voice_coach.workouts.loading import load_plan, parse_workout


def bundled_plan(name: str) -> Plan:
    return load_plan(resolve_script(name).path)


def inline_plan(text: str) -> Plan:
    return compile_plan(parse_workout(text, "inline.yaml"))


def make_engine(plan: Plan, auto_start: float | None = 3.0) -> tuple[Engine, FakeClock]:
    clock = FakeClock()
    return Engine(plan, load_phrases("en"), clock, Settings(auto_start_seconds=auto_start)), clock


def run(plan: Plan, commands: str = "", auto_start: float | None = 3.0) -> list[Event]:
    engine, clock = make_engine(plan, auto_start)
    return simulate(engine, clock, parse_schedule(commands)).events


def says(events: list[Event]) -> list[Event]:
    return [event for event in events if event.kind == "say"]


def counts(events: list[Event]) -> list[Event]:
    """The spoken rep counts, in order."""
    return [event for event in events if event.kind == "say" and "rep" in event.data]


def states(events: list[Event], name: str) -> list[Event]:
    return [event for event in events if event.kind == "state" and event.data.get("state") == name]


def first(events: list[Event], text: str, after: float = -1.0) -> Event:
    return next(e for e in events if e.kind == "say" and e.text and text in e.text and e.t > after)
