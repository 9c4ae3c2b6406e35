"""Compile a validated workout into a plan: every range resolved, blocks unrolled, rests settled.

The plan is what the engine walks and what `voice-coach show` prints; it keeps the script's ranges
beside the chosen values so a person can see what the script allows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from voice_coach.core.errors import VoiceCoachError
from voice_coach.core.workout import Block, Exercise, Load, SecondsRange, SideMode, Variation, Workout

SECONDS_PER_ANNOUNCEMENT = 4.0
"""Rough time the coach spends announcing a set or reading a set-up cue (seconds), for estimates."""


class PlanError(VoiceCoachError):
    """The plan cannot be made as asked (e.g. a variation the script does not have)."""


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float
    seconds_range: tuple[float, float]
    cue: str | None
    short_cue: str


@dataclass(frozen=True)
class VariationNote:
    """A variation the script offers, for people choosing one."""

    name: str
    description: str | None
    sets: str | None
    reps: str | None

    @property
    def summary(self) -> str:
        amounts = " of ".join(part for part in (
            f"{self.sets} sets" if self.sets else None, f"{self.reps} reps" if self.reps else None) if part)
        return ": ".join(part for part in (self.name, amounts) if part)


@dataclass(frozen=True)
class ExercisePlan:
    name: str
    muscles: tuple[str, ...]
    equipment: tuple[str, ...]
    setup: tuple[str, ...]
    sets: int
    sets_range: tuple[int, int]
    reps: int | None
    """Reps per set and per side (None for a timed hold)."""
    reps_range: tuple[int, int] | None
    hold_seconds: float | None
    sides: SideMode
    side_names: tuple[str, str]
    tempo: tuple[Phase, ...]
    rest_between_sets: float
    rest_between_sets_range: tuple[float, float]
    rest_between_sides: float
    rest_after: float
    """Rest once the exercise is over, before whatever comes next (0 after the last one)."""
    tips: tuple[str, ...]
    mistakes: tuple[tuple[str, str | None], ...]
    """(what to avoid, what to do instead) pairs."""
    variation: str | None = None
    variations: tuple[VariationNote, ...] = ()
    block: str | None = None
    round: int | None = None
    rounds: int | None = None
    hold_range: tuple[float, float] | None = None
    progression: str = "double"
    """How its numbers move from session to session (core/progression.py)."""
    load_step: dict[str, float] | None = None
    """For an exercise done with a weight: the step the progression adds per unit ({"kg": 2.5,
    "lb": 5}); None for body weight."""

    @property
    def loaded(self) -> bool:
        return self.load_step is not None

    @property
    def rep_seconds(self) -> float:
        return sum(phase.seconds for phase in self.tempo)

    @property
    def sides_per_set(self) -> tuple[str | None, ...]:
        """The side of each part of a set: one part, or one per side when sides are done in turn."""
        return self.side_names if self.sides == "each" else (None,)

    @property
    def reps_per_part(self) -> int:
        """Reps counted in one part of a set: alternating sides count each side's rep (8 a side
        is 16), sides done in turn count each side's part on its own; 0 for a hold."""
        return (self.reps or 0) * (2 if self.sides == "alternating" else 1)

    @property
    def work_seconds_per_set(self) -> float:
        parts = len(self.sides_per_set)
        if self.hold_seconds is not None:
            return self.hold_seconds * parts
        return self.reps_per_part * parts * max(self.rep_seconds, 2.0)  # untimed reps: about two seconds each


@dataclass(frozen=True)
class Plan:
    name: str
    description: str | None
    language: str
    sources: tuple[str, ...]
    equipment: tuple[str, ...]
    safety: tuple[str, ...]
    exercises: tuple[ExercisePlan, ...]
    variation: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def total_sets(self) -> int:
        return sum(exercise.sets for exercise in self.exercises)

    @property
    def estimated_seconds(self) -> float:
        """Work, rest and talk for the whole workout, as a person would experience it (seconds)."""
        talk = SECONDS_PER_ANNOUNCEMENT * (2 + len(self.safety))
        total = talk
        for exercise in self.exercises:
            total += SECONDS_PER_ANNOUNCEMENT * (1 + len(exercise.setup))
            parts = len(exercise.sides_per_set)
            total += exercise.sets * (exercise.work_seconds_per_set + SECONDS_PER_ANNOUNCEMENT * parts)
            total += (exercise.sets - 1) * exercise.rest_between_sets
            total += exercise.sets * (parts - 1) * exercise.rest_between_sides
            total += exercise.rest_after
        return total

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extras")
        data["total_sets"] = self.total_sets
        data["estimated_seconds"] = round(self.estimated_seconds)
        for exercise, shown in zip(self.exercises, data["exercises"]):
            shown["rep_seconds"] = exercise.rep_seconds if exercise.tempo else None
            shown["mistakes"] = [{"avoid": avoid, "instead": instead} for avoid, instead in exercise.mistakes]
        return data


def compile_plan(workout: Workout, variation: str | None = None) -> Plan:
    """Resolve a workout into a plan; `variation` (by name) applies to every exercise that has it."""
    items: list[tuple[Exercise, str | None, int | None, int | None, float | None]] = []
    for item in workout.exercises:
        if isinstance(item, Block):
            for round_number in range(1, item.rounds + 1):
                for position, exercise in enumerate(item.exercises):
                    last_of_round = position == len(item.exercises) - 1
                    rest = item.rest_between_rounds.chosen if last_of_round else None
                    items.append((exercise, item.block, round_number, item.rounds, rest))
        else:
            items.append((item, None, None, None, None))

    wanted = variation.casefold() if variation else None
    if wanted and not any(_variation(exercise, wanted) for exercise, *_ in items):
        known = sorted({v.name for exercise, *_ in items for v in exercise.variations})
        choices = ", ".join(known) if known else "this script has none"
        raise PlanError(f"no variation named {variation!r} (choices: {choices})")

    exercises = []
    for index, (exercise, block, round_number, rounds, rest_after) in enumerate(items):
        is_last = index == len(items) - 1
        exercises.append(
            _exercise_plan(exercise, _variation(exercise, wanted), block, round_number, rounds, rest_after, is_last,
                           workout.progression)
        )
    return Plan(
        name=workout.name,
        description=workout.description,
        language=workout.language,
        sources=tuple(workout.sources),
        equipment=tuple(workout.equipment),
        safety=tuple(workout.safety),
        exercises=tuple(exercises),
        variation=variation,
    )


def _variation(exercise: Exercise, wanted: str | None) -> Variation | None:
    if wanted is None:
        return None
    return next((v for v in exercise.variations if v.name.casefold() == wanted), None)


def _pick(variation: Variation | None, exercise: Exercise, name: str) -> Any:
    value = getattr(variation, name) if variation is not None else None
    return getattr(exercise, name) if value is None else value


def _exercise_plan(
    exercise: Exercise,
    variation: Variation | None,
    block: str | None,
    round_number: int | None,
    rounds: int | None,
    block_rest: float | None,
    is_last: bool,
    progression: str = "double",
) -> ExercisePlan:
    sets = _pick(variation, exercise, "sets")
    reps = _pick(variation, exercise, "reps")
    hold = _pick(variation, exercise, "hold_seconds")
    if variation is not None and variation.reps is not None:
        hold = None  # a variation that counts reps replaces a timed hold, and vice versa
    if variation is not None and variation.hold_seconds is not None:
        reps = None
    rest = _pick(variation, exercise, "rest")
    between_sets: SecondsRange = rest.between_sets
    if is_last:
        rest_after = 0.0
    elif block_rest is not None:
        rest_after = block_rest
    elif rest.after_exercise is not None:
        rest_after = rest.after_exercise.chosen
    elif block is not None:
        rest_after = 0.0  # inside a circuit, the next exercise follows straight on
    else:
        rest_after = between_sets.chosen
    tempo = tuple(
        Phase(
            name=phase.name,
            seconds=phase.seconds.chosen,
            seconds_range=(phase.seconds.min, phase.seconds.max),
            cue=phase.cue,
            short_cue=phase.short_cue or phase.name,
        )
        for phase in _pick(variation, exercise, "tempo")
    )
    return ExercisePlan(
        name=exercise.name,
        muscles=tuple(exercise.muscles),
        equipment=tuple(_pick(variation, exercise, "equipment")),
        setup=tuple(_pick(variation, exercise, "setup")),
        sets=sets.chosen,
        sets_range=(sets.min, sets.max),
        reps=reps.chosen if reps is not None else None,
        reps_range=(reps.min, reps.max) if reps is not None else None,
        hold_seconds=hold.chosen if hold is not None else None,
        sides=exercise.sides,
        side_names=tuple(exercise.side_names),
        tempo=tempo,
        rest_between_sets=between_sets.chosen,
        rest_between_sets_range=(between_sets.min, between_sets.max),
        rest_between_sides=rest.between_sides.chosen,
        rest_after=rest_after,
        tips=tuple(_pick(variation, exercise, "tips")),
        mistakes=tuple((m.avoid, m.instead) for m in _pick(variation, exercise, "mistakes")),
        variation=variation.name if variation is not None else None,
        variations=tuple(
            VariationNote(v.name, v.description, str(v.sets) if v.sets else None, str(v.reps) if v.reps else None)
            for v in exercise.variations
        ),
        block=block,
        round=round_number,
        rounds=rounds,
        hold_range=(hold.min, hold.max) if hold is not None else None,
        progression=_pick(variation, exercise, "progression") or progression,
        load_step=_load_step(_pick(variation, exercise, "load")),
    )


def _load_step(load: Load | None) -> dict[str, float] | None:
    return None if load is None else {"kg": load.step_kg, "lb": load.step_lb}
