"""A plan in plain words, for `voice-coach show` and `voice-coach list`."""

from __future__ import annotations

from voice_coach.core.plan import ExercisePlan, Phase, Plan


def duration_text(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{round(seconds)} s" if seconds < 90 else f"{minutes} min"


def _range(chosen: float, bounds: tuple[float, float] | None) -> str:
    if bounds is None or bounds[0] == bounds[1]:
        return f"{chosen:g}"
    return f"{chosen:g} ({bounds[0]:g}-{bounds[1]:g})"


def _phase(phase: Phase) -> str:
    low, high = phase.seconds_range
    text = f"{phase.name} {phase.seconds:g} s" + (f" ({low:g}-{high:g} s)" if low != high else "")
    return f'{text} "{phase.cue}"' if phase.cue else text


def _amount(exercise: ExercisePlan) -> str:
    sets = f"{_range(exercise.sets, exercise.sets_range)} sets"
    if exercise.hold_seconds is not None:
        work = f"{exercise.hold_seconds:g} s hold"
    else:
        work = f"{_range(exercise.reps or 0, exercise.reps_range)} reps"
    if exercise.sides == "each":
        first, second = exercise.side_names
        return f"{sets} of {work} on each side ({first}, then {second})"
    if exercise.sides == "alternating":
        return f"{sets} of {work} per side, alternating {exercise.side_names[0]} and {exercise.side_names[1]}"
    return f"{sets} of {work}"


def describe_exercise(number: int, exercise: ExercisePlan) -> list[str]:
    title = f"{number}. {exercise.name}"
    if exercise.variation:
        title += f", {exercise.variation}"
    if exercise.block:
        title += f" [{exercise.block}, round {exercise.round} of {exercise.rounds}]"
    if exercise.muscles:
        title += f" ({', '.join(exercise.muscles)})"
    lines = [title, f"   {_amount(exercise)}"]
    if exercise.tempo:
        phases = " · ".join(_phase(phase) for phase in exercise.tempo)
        lines.append(f"   Tempo: {phases} = {exercise.rep_seconds:g} s a rep")
    rest = f"   Rest: {_range(exercise.rest_between_sets, exercise.rest_between_sets_range)} s between sets"
    if exercise.sides == "each" and exercise.rest_between_sides:
        rest += f", {exercise.rest_between_sides:g} s between sides"
    if exercise.rest_after:
        rest += f", {exercise.rest_after:g} s after the exercise"
    lines.append(rest)
    if exercise.equipment:
        lines.append(f"   Equipment: {', '.join(exercise.equipment)}")
    lines += [f"   Set-up: {cue}" for cue in exercise.setup]
    lines += [f"   Tip: {tip}" for tip in exercise.tips]
    for avoid, instead in exercise.mistakes:
        lines.append(f"   Avoid {avoid}" + (f": {instead}" if instead else ""))
    for variation in exercise.variations:
        lines.append(f"   Variation ({variation.summary}); choose it with --variation '{variation.name}'")
    return lines


def describe_plan(plan: Plan) -> str:
    count = len(plan.exercises)
    lines = [
        f"{plan.name}: about {duration_text(plan.estimated_seconds)}, "
        f"{count} exercise{'s' if count != 1 else ''}, {plan.total_sets} sets"
    ]
    if plan.description:
        lines.append(plan.description)
    lines.append(f"Equipment: {', '.join(plan.equipment) if plan.equipment else 'none'}")
    lines += [f"Safety: {warning}" for warning in plan.safety]
    for number, exercise in enumerate(plan.exercises, start=1):
        lines.append("")
        lines += describe_exercise(number, exercise)
    if plan.sources:
        lines.append("")
        lines += [f"Source: {source}" for source in plan.sources]
    return "\n".join(lines)
