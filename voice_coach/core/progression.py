"""Today's targets from the sessions before: the coach moves a person through each range.

Pure logic: the past sessions and today's date are given; nothing is read from a clock or a log.

The scripts give ranges (2-4 sets of 12-15 reps, 45-90 s rest), as trainers do. The default
rule ("double", double progression as trainers and apps like Liftosaur use it) turns a range into
a path of levels: start with the script's usual number of sets at the bottom of the rep range;
after a session where every set reached its reps and it was not "hard", one rep more per set, up
to the top of the range; at the top, one more set (up to the most) and the reps back at the
bottom. Missed reps or "hard" hold the level; two weeks or more away, one level back. Rest follows
effort within its range: the most after "hard", the least after "easy". Timed holds move the
same way, 5 s at a time. "reps" moves the reps only; "fixed" always takes the script's own
numbers (the coach before progression).

An exercise done with a weight (`load:` in the script) moves by reps and then by load, the
original double progression: the script's usual sets throughout, reps up through the range, and
at the top one load step more (2.5 kg or 5 lb unless the script says) with the reps from the
bottom again. The load is the one the person said last time; until one was said, the top holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from voice_coach.core.loads import next_load
from voice_coach.core.plan import ExercisePlan, Plan

Rule = Literal["double", "reps", "fixed"]
RULES: tuple[str, ...] = ("double", "reps", "fixed")
AWAY_DAYS = 14
"""This many days or more since the last session of an exercise: one level back."""
HOLD_STEP_SECONDS = 5
"""A timed hold moves this much per level."""


@dataclass(frozen=True)
class PastSession:
    """What one earlier session of an exercise aimed at and what came of it."""

    day: date
    sets: int
    """The sets it aimed at."""
    amount: int
    """Reps per set (or hold seconds) it aimed at."""
    reached: bool
    """Every one of those sets was done with all its reps (or its whole hold)."""
    effort: str | None = None
    """easy, good or hard, when the person said."""
    load_kg: float | None = None
    """The load of its last set with one (kilograms), for an exercise done with a weight."""


@dataclass(frozen=True)
class Target:
    """Today's numbers for an exercise, and why."""

    exercise: str
    sets: int
    reps: int | None
    hold_seconds: float | None
    rest_seconds: float
    rule: str
    change: str
    """first, more_reps, more_sets, top, missed, hard, away, same (fixed rule or no range)."""
    last: PastSession | None = None
    days_away: int | None = None
    load_kg: float | None = None
    """The load to use (kilograms), when the exercise has one and it is known."""
    load_step_kg: float = 0.0
    """How much more than the load before (more_load)."""

    @property
    def amount(self) -> float:
        return self.reps if self.reps is not None else self.hold_seconds or 0

    def reason(self) -> str:
        """Why these numbers, in a few words (for `voice-coach plan`)."""
        if self.last is None:
            return "first time: the bottom of the range" if self.rule != "fixed" else "the script's numbers"
        before = f"{self.last.sets} x {self.last.amount}"
        if self.last.load_kg is not None:
            before += f" at {self.last.load_kg:g} kg"
        before += f" on {self.last.day.isoformat()}"
        return {
            "more_load": f"one load step more, reps from the bottom again (after {before}, all reached)",
            "more_reps": f"one rep more than {before}, all reached",
            "more_sets": f"one set more, reps from the bottom again (after {before}, all reached)",
            "top": f"the top of the range, as {before}",
            "missed": f"as {before}: not every rep was reached",
            "hard": f"as {before}: it was hard",
            "away": f"one level back: {self.days_away} days since {before}",
            "same": f"the script's numbers ({self.rule})",
        }.get(self.change, before)


def levels(exercise: ExercisePlan, rule: str) -> list[tuple[int, int]]:
    """The path of (sets, reps or hold seconds) an exercise moves along, easiest first."""
    if exercise.reps is not None:
        low, high = exercise.reps_range or (exercise.reps, exercise.reps)
        amounts, default = list(range(low, high + 1)), exercise.reps
    else:
        low, high = exercise.hold_range or (exercise.hold_seconds, exercise.hold_seconds)
        amounts = list(range(int(low), int(high) + 1, HOLD_STEP_SECONDS)) or [int(low)]
        default = int(exercise.hold_seconds or low)
    if rule == "fixed":
        return [(exercise.sets, default)]
    if rule == "reps" or exercise.loaded:  # a weight moves by reps, then by load (target_for)
        return [(exercise.sets, amount) for amount in amounts]
    most_sets = max(exercise.sets, exercise.sets_range[1])
    return [(sets, amount) for sets in range(exercise.sets, most_sets + 1) for amount in amounts]


def can_progress(exercise: ExercisePlan, rule: str) -> bool:
    return len(levels(exercise, rule)) > 1


def target_for(exercise: ExercisePlan, history: list[PastSession], today: date, units: str = "kg") -> Target:
    """Today's target for `exercise` after `history` (its earlier sessions, oldest first);
    `units`: the person's (kg or lb), in which a load step is taken."""
    rule = exercise.progression
    path = levels(exercise, rule)
    last = history[-1] if history else None
    load = next((past.load_kg for past in reversed(history) if past.load_kg is not None), None) \
        if exercise.loaded else None
    if last is None or rule == "fixed" or len(path) == 1:
        sets, amount = path[0]
        change = "first" if last is None else "same"
        return _target(exercise, sets, amount, rule, change, last, None, None, load)
    index = _position(path, (last.sets, last.amount))
    days = (today - last.day).days
    if days >= AWAY_DAYS:
        change, index = "away", max(0, index - 1)
    elif not last.reached:
        change = "missed"
    elif last.effort == "hard":
        change = "hard"
    elif index == len(path) - 1 and exercise.load_step and load is not None and rule == "double":
        change, index, heavier = "more_load", 0, next_load(load, units, exercise.load_step[units])
        sets, amount = path[index]
        target = _target(exercise, sets, amount, rule, change, last, last.effort, days, heavier)
        return replace(target, load_step_kg=heavier - load)
    elif index == len(path) - 1:
        change = "top"
    else:
        change = "more_sets" if path[index + 1][0] > path[index][0] else "more_reps"
        index += 1
    sets, amount = path[index]
    return _target(exercise, sets, amount, rule, change, last, None if change == "away" else last.effort, days, load)


def _position(path: list[tuple[int, int]], level: tuple[int, int]) -> int:
    """Where a past level sits on today's path (the script may have changed since: the nearest
    level not above it)."""
    if level in path:
        return path.index(level)
    below = [index for index, step in enumerate(path) if step <= level]
    return below[-1] if below else 0


def _target(exercise: ExercisePlan, sets: int, amount: int, rule: str, change: str,
            last: PastSession | None, effort: str | None, days: int | None, load: float | None) -> Target:
    low, high = exercise.rest_between_sets_range
    rest = high if effort == "hard" else low if effort == "easy" else exercise.rest_between_sets
    reps = amount if exercise.reps is not None else None
    hold = float(amount) if exercise.reps is None else None
    return Target(exercise.name, sets, reps, hold, float(rest), rule, change, last, days, load)


def apply_targets(plan: Plan, targets: dict[str, Target]) -> Plan:
    """The plan with each exercise's numbers replaced by its target (by exercise name)."""
    exercises = []
    for exercise in plan.exercises:
        target = targets.get(exercise.name)
        if target is not None:
            exercise = replace(exercise, sets=target.sets, reps=target.reps, hold_seconds=target.hold_seconds,
                               rest_between_sets=target.rest_seconds,
                               rest_after=exercise.rest_after if exercise.rest_after != exercise.rest_between_sets
                               else target.rest_seconds)
        exercises.append(exercise)
    return replace(plan, exercises=tuple(exercises))


def announcement(target: Target) -> tuple[str, dict] | None:
    """The phrase (key, values) the coach says at the exercise's first set, if anything changed
    or held for a reason; None the first time and for fixed numbers."""
    if target.change in ("first", "same"):
        return None
    values: dict = {"sets": target.sets, "amount": target.amount}
    if target.change == "away":
        values["days"] = target.days_away
    if target.change == "more_load":
        values["load"], values["step"] = target.load_kg, target.load_step_kg  # kg; said in the person's unit
    return f"progress_{target.change}", values
