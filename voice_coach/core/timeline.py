"""Turn a plan into a timeline: an ordered list of steps, and each step into timed beats.

A step is one stretch of the workout (an announcement, one side of a set, a rest). Its beats are
what to say or play and when, in seconds from the step's start. Beats are made when a step begins
(and again when it is resumed or the tempo changes), so they always reflect the current tempo.
Nothing here knows about clocks or devices: speech length comes from an estimator passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from voice_coach.core.events import BEEP, GO, TICK, Tone
from voice_coach.core.phrases import Phrases
from voice_coach.core.plan import ExercisePlan, Plan

StepKind = Literal["intro", "exercise", "announce", "work", "switch", "rest", "end"]
SpeechEstimator = Callable[[str], float]


class Verbosity(StrEnum):
    """How much the coach says."""

    FULL = "full"
    """Every phase cue in full when it fits, a guided first rep, unasked tips."""
    BRIEF = "brief"
    """Only the short phase cues, no unasked tips."""
    MINIMAL = "minimal"
    """Sets, counts and rests only: ticks mark the tempo."""


DEFAULT_REP_SECONDS = 3.0
"""Length of a rep when the script gives no tempo (seconds)."""
GAP = 0.3
"""Breath between two sentences the coach says in a row (seconds)."""
CUE_REPS = 2
"""Reps that get the phase cues in words; later reps get a count and ticks, so the coach won't nag."""
TIP_EVERY = 4
"""A form tip on every fourth rep."""


def words_per_minute_estimator(words_per_minute: float = 170.0) -> SpeechEstimator:
    """A speech-length guess for planning before any audio exists (espeak-ng talks at ~170 wpm)."""

    def estimate(text: str) -> float:
        return 0.25 + len(text.split()) * 60.0 / words_per_minute

    return estimate


@dataclass(frozen=True)
class Step:
    kind: StepKind
    exercise: int | None = None
    """Index into plan.exercises."""
    set: int | None = None
    side: str | None = None
    seconds: float = 0.0
    """Rest length for rest and switch steps (seconds)."""
    gate: bool = False
    """After this step, wait for the person to say ready (or the auto-start delay)."""
    next_label: str | None = None
    """What a rest leads to, said at its start."""


@dataclass(frozen=True)
class Beat:
    at: float
    """Seconds from the step's start."""
    kind: Literal["say", "tone"]
    text: str | None = None
    tone: Tone | None = None
    rep: int | None = None
    """The rep this beat belongs to (work steps)."""
    counts_rep: bool = False
    """This beat is the spoken count that completes `rep`."""
    instruction: bool = False
    """Worth repeating when the person says repeat."""


@dataclass
class StepBeats:
    beats: list[Beat]
    duration: float
    """When the step is over (seconds from its start)."""
    rep_starts: dict[int, float] = field(default_factory=dict)
    """Start of each rep (seconds from the step's start)."""


PartKey = tuple[int, int, "str | None"]
"""(exercise position, set number, side): one side of one set, as the log knows it."""


def part_sides(exercise: ExercisePlan) -> list[str | None]:
    """The side each part of a set is logged under (alternating sets are one part)."""
    if exercise.sides == "each":
        return list(exercise.side_names)
    return [exercise.side_names[0] if exercise.sides == "alternating" else None]


def build_steps(plan: Plan, phrases: Phrases, done: frozenset[PartKey] = frozenset()) -> list[Step]:
    """The whole workout as steps, in order, leaving out the set parts already `done`."""
    steps = [Step("intro")]
    pending_exercises = [index for index, exercise in enumerate(plan.exercises)
                         if any((index, n, side) not in done
                                for n in range(1, exercise.sets + 1) for side in part_sides(exercise))]
    for index in pending_exercises:
        exercise = plan.exercises[index]
        steps.append(Step("exercise", index))
        pending_sets = [n for n in range(1, exercise.sets + 1)
                        if any((index, n, side) not in done for side in part_sides(exercise))]
        for set_number in pending_sets:
            sides = [side for side in part_sides(exercise) if (index, set_number, side) not in done]
            steps.append(Step("announce", index, set_number, sides[0], gate=True))
            for part, side in enumerate(sides):
                if part > 0:
                    steps.append(Step("switch", index, set_number, side, seconds=exercise.rest_between_sides))
                steps.append(Step("work", index, set_number, side))
            if set_number != pending_sets[-1]:
                label = phrases.say("next_set", set=set_number + 1, sets=exercise.sets)
                steps.append(Step("rest", index, set_number, seconds=exercise.rest_between_sets, next_label=label))
        following = [i for i in pending_exercises if i > index]
        if exercise.rest_after > 0 and following:
            # The rest before the next exercise already belongs to it: skip there skips that one.
            upcoming = plan.exercises[following[0]]
            steps.append(Step("rest", following[0], seconds=exercise.rest_after, next_label=upcoming.name))
    steps.append(Step("end"))
    return steps


class _Lane:
    """One voice: places sentences so they never overlap, and says when one will not fit."""

    def __init__(self, estimate: SpeechEstimator, start: float = 0.0):
        self.estimate = estimate
        self.free_at = start
        self.beats: list[Beat] = []

    def say(self, text: str, at: float, deadline: float | None = None, **marks: Any) -> bool:
        start = max(at, self.free_at)
        end = start + self.estimate(text)
        if deadline is not None and end > deadline:
            return False
        self.beats.append(Beat(start, "say", text, **marks))
        self.free_at = end + GAP
        return True

    def tone(self, tone: Tone, at: float, **marks: Any) -> None:
        self.beats.append(Beat(at, "tone", tone=tone, **marks))

    def sorted_beats(self) -> list[Beat]:
        return sorted(self.beats, key=lambda beat: beat.at)


def talk_beats(sentences: list[str], estimate: SpeechEstimator, lead: float = 0.0) -> StepBeats:
    """Sentences one after another (intro, exercise set-up, announcements)."""
    lane = _Lane(estimate, lead)
    for sentence in sentences:
        lane.say(sentence, lane.free_at, instruction=True)
    return StepBeats(lane.sorted_beats(), lane.free_at)


def countdown_beats(
    seconds: float,
    opening: list[str],
    phrases: Phrases,
    estimate: SpeechEstimator,
    reminder: bool = True,
    next_tip: Callable[[float], str | None] | None = None,
) -> StepBeats:
    """A rest: what it is, a form tip if there is time, a reminder 10 s before its end, 3, 2, 1."""
    lane = _Lane(estimate)
    for sentence in opening:
        lane.say(sentence, lane.free_at, instruction=True)
    end = max(seconds, lane.free_at)
    if next_tip is not None and seconds >= 20:
        # Rest is when longer pointers (the mistakes to avoid) have room to be heard.
        room = end - 10 - 1.0 - lane.free_at
        tip = next_tip(room) if room > 1 else None
        if tip:
            lane.say(tip, lane.free_at + 1.0, deadline=end - 10 - GAP, instruction=True)
    if reminder and seconds >= 20:
        lane.say(phrases.say("seconds_left", seconds=10), end - 10, deadline=end - 3)
    for left in (3, 2, 1):
        if end - left >= max(0.0, lane.free_at - GAP):
            lane.tone(BEEP, end - left)
            lane.say(phrases.number(left), end - left, deadline=end - left + 1)
    return StepBeats(lane.sorted_beats(), end)


@dataclass
class RepContext:
    """What the rep builder needs from the engine for one work step."""

    exercise: ExercisePlan
    phrases: Phrases
    estimate: SpeechEstimator
    tempo_factor: float
    guided_first_rep: bool
    next_tip: Callable[[float], str | None]
    """The next form tip in rotation that can be said within the given seconds, if any."""
    verbosity: Verbosity = Verbosity.FULL
    """Which phase cues may be said: full, the full one when it fits; brief, only the short one;
    minimal, none (ticks)."""


def rep_beats(
    context: RepContext, first_rep: int, lead_in: list[str], busy_until: float = 0.0, restarted: bool = True
) -> StepBeats:
    """Reps from `first_rep` to the end of the set, after the lead-in sentences ("Go.").

    `busy_until`: the voice is still saying something until then (seconds from the step's start).
    `restarted`: the set (re)starts at `first_rep`, so that rep gets its cues in words again.
    """
    exercise, phrases = context.exercise, context.phrases
    total = exercise.reps_per_part
    lane = _Lane(context.estimate, busy_until)
    for sentence in lead_in:
        lane.say(sentence, lane.free_at)
    if first_rep == 1:
        lane.tone(GO, 0.0)
    phases = exercise.tempo or ()
    time = lane.free_at if lead_in else 0.0  # reps start after the lead-in, not after other speech
    rep_starts: dict[int, float] = {}
    last_tip_rep = 0
    for rep in range(first_rep, total + 1):
        rep_starts[rep] = time
        if exercise.sides == "alternating" and rep == first_rep and restarted:
            side = exercise.side_names[(rep - 1) % 2]
            lane.say(phrases.say("side", side=side), time, rep=rep)
            time = max(time, lane.free_at - GAP)
        guided = context.guided_first_rep and rep == 1
        if not phases:
            time += DEFAULT_REP_SECONDS * context.tempo_factor
        for index, phase in enumerate(phases):
            seconds = phase.seconds * context.tempo_factor
            if guided and phase.cue:
                # A guided first rep: each phase lasts as long as its full cue, so every cue is heard.
                lane.say(phase.cue, time, rep=rep, instruction=True)
                time = max(time + seconds, lane.free_at - GAP)
                continue
            end = time + seconds
            if context.verbosity != Verbosity.MINIMAL and (rep <= CUE_REPS or (rep == first_rep and restarted)):
                options = [phase.cue, phase.short_cue] if context.verbosity == Verbosity.FULL else [phase.short_cue]
                if not any(lane.say(text, time, deadline=end, rep=rep, instruction=text == phase.cue)
                           for text in options if text):
                    lane.tone(TICK, time, rep=rep)
            elif index > 0:
                lane.tone(TICK, time, rep=rep)
            time = end
        count = phrases.say("count", number=phrases.number(rep))
        left = total - rep
        if left == 2:
            count += " " + phrases.say("two_more")
        elif left == 1:
            count += " " + phrases.say("last_one")
        elif left == 0:
            count += " " + phrases.say("set_done")
        if exercise.sides == "alternating" and rep < CUE_REPS and left > 0:
            count += " " + phrases.say("side", side=exercise.side_names[rep % 2])  # which leg is next
        lane.say(count, time, rep=rep, counts_rep=True)
        if rep - last_tip_rep >= TIP_EVERY and left > 2:
            # A tip goes between two counts; only one short enough to end before the next count.
            next_count = time + max(exercise.rep_seconds, DEFAULT_REP_SECONDS) * context.tempo_factor
            tip = context.next_tip(next_count - GAP - lane.free_at)
            if tip and lane.say(tip, lane.free_at, deadline=next_count - GAP, rep=rep + 1, instruction=True):
                last_tip_rep = rep
    return StepBeats(lane.sorted_beats(), max(time, lane.free_at), rep_starts)


def hold_beats(context: RepContext, seconds: float, lead_in: list[str], fresh: bool) -> StepBeats:
    """A timed hold of `seconds` after the lead-in: halfway, ten seconds left, 3, 2, 1, time."""
    phrases = context.phrases
    lane = _Lane(context.estimate)
    for sentence in lead_in:
        lane.say(sentence, lane.free_at)
    if fresh:
        lane.tone(GO, 0.0)
    start = lane.free_at
    end = start + seconds
    if seconds >= 20:
        tip = context.next_tip(seconds / 2 - 3.5)
        if tip:
            lane.say(tip, start + 3, deadline=start + seconds / 2 - 0.5, instruction=True)
        lane.say(phrases.say("halfway"), start + seconds / 2, deadline=end - 3)
    if seconds >= 25:
        lane.say(phrases.say("seconds_left", seconds=10), end - 10, deadline=end - 3)
    for left in (3, 2, 1):
        if seconds > left:
            lane.tone(BEEP, end - left)
            lane.say(phrases.number(left), end - left, deadline=end - left + 1)
    lane.say(phrases.say("time"), end)
    return StepBeats(lane.sorted_beats(), lane.free_at)
