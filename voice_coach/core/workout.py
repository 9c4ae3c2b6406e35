"""The workout script format: pydantic models for what a YAML workout script may say.

Strict on purpose: an unknown key is an error (a typo such as `repz:` must not be silently ignored),
and every number has bounds a real workout stays inside.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

Text = Annotated[str, Field(min_length=1, max_length=400)]
Name = Annotated[str, Field(min_length=1, max_length=80)]

_RANGE_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _range_from_text(value: Any) -> Any:
    """Accept `12`, `"12-15"` and `{min, max, default}` for any range field."""
    if isinstance(value, bool):  # YAML reads yes/no/on/off as booleans
        raise ValueError(f"expected a number or a range such as 12-15, got {str(value).lower()}")
    if isinstance(value, (int, float)):
        return {"min": value, "max": value}
    if isinstance(value, str):
        match = _RANGE_TEXT.match(value)
        if match:
            return {"min": match.group(1), "max": match.group(2)}
        try:
            number = float(value)
        except ValueError:
            raise ValueError(
                f"expected a number or a range such as 12-15, got {value!r}"
            ) from None
        return {"min": number, "max": number}
    return value


def _check_range(low: float, high: float, default: float | None) -> None:
    if low > high:
        raise ValueError(f"the range {low:g}-{high:g} runs backwards (write it low-high)")
    if default is not None and not low <= default <= high:
        raise ValueError(f"default {default:g} lies outside the range {low:g}-{high:g}")


class CountRange(_Strict):
    """A whole-number amount that may be a range: `3`, `"2-4"` or `{min: 2, max: 4, default: 3}`."""

    min: int = Field(ge=1, le=500, description="Lowest sensible amount (count)")
    max: int = Field(ge=1, le=500, description="Highest sensible amount (count)")
    default: int | None = Field(
        None, ge=1, le=500, description="What a session uses when nobody chooses (count); min if unset"
    )

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return _range_from_text(value)

    @model_validator(mode="after")
    def _ordered(self) -> CountRange:
        _check_range(self.min, self.max, self.default)
        return self

    @property
    def chosen(self) -> int:
        return self.min if self.default is None else self.default

    def __str__(self) -> str:
        return str(self.min) if self.min == self.max else f"{self.min}-{self.max}"


class SecondsRange(_Strict):
    """A duration that may be a range: `60`, `"45-90"` or `{min: 45, max: 90, default: 60}`."""

    min: float = Field(ge=0, le=3600, description="Shortest duration (seconds)")
    max: float = Field(ge=0, le=3600, description="Longest duration (seconds)")
    default: float | None = Field(
        None, ge=0, le=3600, description="Duration a session uses (seconds); the middle if unset"
    )

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return _range_from_text(value)

    @model_validator(mode="after")
    def _ordered(self) -> SecondsRange:
        _check_range(self.min, self.max, self.default)
        return self

    @property
    def chosen(self) -> float:
        return (self.min + self.max) / 2 if self.default is None else self.default

    def __str__(self) -> str:
        return f"{self.min:g}" if self.min == self.max else f"{self.min:g}-{self.max:g}"


class TempoPhase(_Strict):
    """One named part of a rep, e.g. `down` for 3 seconds with the cue "slow on the way down"."""

    name: Annotated[str, Field(min_length=1, max_length=30)] = Field(
        description="Short name of the phase: down, hold, up, squeeze …"
    )
    seconds: SecondsRange = Field(description="How long the phase lasts (seconds, or a range)")
    cue: Text | None = Field(None, description="Said on the first reps as this phase starts")
    short_cue: Annotated[str, Field(min_length=1, max_length=30)] | None = Field(
        None, description="Short word said on later reps instead of the cue; the phase name if unset"
    )

    @field_validator("seconds")
    @classmethod
    def _phase_length(cls, value: SecondsRange) -> SecondsRange:
        if value.max > 30:
            raise ValueError("a tempo phase lasts at most 30 seconds (use hold_seconds for long holds)")
        return value


class Mistake(_Strict):
    """A common error, spoken as a warning during sets."""

    avoid: Text = Field(description="What goes wrong, said as 'Avoid …'")
    instead: Text | None = Field(None, description="What to do instead")


class Rest(_Strict):
    between_sets: SecondsRange = Field(
        default_factory=lambda: SecondsRange(min=60, max=60),
        description="Rest after each set before the next one (seconds)",
    )
    between_sides: SecondsRange = Field(
        default_factory=lambda: SecondsRange(min=0, max=0),
        description="Pause when switching sides within a set (seconds)",
    )
    after_exercise: SecondsRange | None = Field(
        None, description="Rest before the next exercise (seconds); between_sets if unset"
    )


SideMode = Literal["none", "each", "alternating"]


class Load(_Strict):
    """The exercise is done with a weight the person says ("twenty kilos"): the coach logs it per
    set and, at the top of the rep range, proposes one step more."""

    step_kg: float = Field(2.5, gt=0, le=50, description="How much more when the progression adds "
                           "load, for people who count in kilograms")
    step_lb: float = Field(5, gt=0, le=100, description="The same step for people who count in pounds")


class _ExerciseFields(_Strict):
    """Fields an exercise has and a variation may override."""

    equipment: list[Name] = Field(default_factory=list, description="What is needed for it")
    setup: list[Text] = Field(default_factory=list, description="How to stand before the first rep")
    sets: CountRange = Field(
        default_factory=lambda: CountRange(min=1, max=1), description="Number of sets (or a range)"
    )
    reps: CountRange | None = Field(
        None, description="Reps per set, per side for unilateral work (count, or a range)"
    )
    hold_seconds: SecondsRange | None = Field(
        None, description="Work time per set for exercises without reps (seconds)"
    )
    tempo: list[TempoPhase] = Field(
        default_factory=list, max_length=8, description="The phases of one rep, in order"
    )
    rest: Rest = Field(default_factory=Rest, description="Rest periods (seconds)")
    tips: list[Text] = Field(default_factory=list, description="Form pointers, rotated during sets")
    mistakes: list[Mistake] = Field(
        default_factory=list, description="Mistakes to avoid, rotated with the tips"
    )
    load: Load | None = Field(
        None, description="Done with a weight said by voice: true, or {step_kg, step_lb} for the "
        "step the progression adds (2.5 kg, 5 lb)")

    @field_validator("load", mode="before")
    @classmethod
    def _load_shorthand(cls, value: Any) -> Any:
        """`load: true` is a weight with the usual steps."""
        if value is True:
            return {}
        if value is False:
            raise ValueError("write load: true, or load: {step_kg: 2.5, step_lb: 5}; leave it out for body weight")
        return value
    progression: Literal["double", "reps", "fixed"] | None = Field(
        None, description="How the numbers move from session to session: double (the default: a rep more "
        "each time all reps were reached, at the top of the rep range a set more), reps (reps only), "
        "fixed (always the usual numbers)")

    def _check_progression(self) -> None:
        """An explicit rule needs a range to move along (reps 12-15, sets 2-4, hold_seconds 20-40)."""
        if self.progression not in ("double", "reps"):
            return
        amount = self.reps if self.reps is not None else self.hold_seconds
        moves = amount is not None and amount.max > amount.min
        if self.progression == "double" and self.sets is not None:
            moves = moves or self.sets.max > self.sets.min
        if not moves:
            what = "reps or sets" if self.progression == "double" else "reps"
            raise ValueError(f"progression: {self.progression} needs a range of {what} to move along "
                             f"(e.g. reps: 12-15), or progression: fixed")


class Variation(_ExerciseFields):
    """Another way to do the exercise; any field given replaces the exercise's own."""

    name: Name = Field(description="Name of the variation, e.g. 'with dumbbells'")
    description: Text | None = Field(None, description="What changes")
    # Defaults are None here so that a variation changes only what it names.
    equipment: list[Name] | None = None  # type: ignore[assignment]
    setup: list[Text] | None = None  # type: ignore[assignment]
    sets: CountRange | None = None  # type: ignore[assignment]
    tempo: list[TempoPhase] | None = None  # type: ignore[assignment]
    rest: Rest | None = None  # type: ignore[assignment]
    tips: list[Text] | None = None  # type: ignore[assignment]
    mistakes: list[Mistake] | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _not_both(self) -> Variation:
        if self.reps is not None and self.hold_seconds is not None:
            raise ValueError("give reps or hold_seconds, not both (a set is counted or timed)")
        self._check_progression()
        return self


class Exercise(_ExerciseFields):
    """One movement, done for a number of sets of reps (or timed holds)."""

    name: Name = Field(description="What the coach calls the exercise")
    muscles: list[Name] = Field(default_factory=list, description="Muscles it works")
    sides: SideMode = Field(
        "none",
        description="none: both sides at once; each: all reps on one side, then the other, every set; "
        "alternating: switch sides rep by rep",
    )
    side_names: tuple[Name, Name] = Field(
        ("right side", "left side"), description="How the two sides are called, first side first"
    )
    variations: list[Variation] = Field(default_factory=list, description="Other ways to do it")

    @model_validator(mode="after")
    def _reps_or_hold(self) -> Exercise:
        if self.reps is None and self.hold_seconds is None:
            raise ValueError("give either reps (e.g. reps: 12-15) or hold_seconds (e.g. hold_seconds: 30)")
        if self.reps is not None and self.hold_seconds is not None:
            raise ValueError("give reps or hold_seconds, not both (a set is counted or timed)")
        if self.hold_seconds is not None and self.sides == "alternating":
            raise ValueError("a timed hold cannot alternate sides rep by rep; use sides: each")
        self._check_progression()
        names = [variation.name.casefold() for variation in self.variations]
        if len(set(names)) != len(names):
            raise ValueError("two variations share a name; give each its own")
        return self


class Block(_Strict):
    """A group of exercises repeated for a number of rounds, like a circuit."""

    block: Name = Field(description="Name of the block, e.g. 'circuit'")
    rounds: int = Field(1, ge=1, le=50, description="How many times the block is done (count)")
    rest_between_rounds: SecondsRange = Field(
        default_factory=lambda: SecondsRange(min=60, max=60),
        description="Rest after each round but the last (seconds)",
    )
    exercises: list[Exercise] = Field(min_length=1, max_length=50)


def _item_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "block" if "block" in value else "exercise"
    return "block" if isinstance(value, Block) else "exercise"


Item = Annotated[
    Annotated[Exercise, Tag("exercise")] | Annotated[Block, Tag("block")],
    Discriminator(_item_kind),
]


class Workout(_Strict):
    """A whole workout script."""

    name: Name = Field(description="Name of the workout, said at the start")
    description: Text | None = Field(None, description="What the workout is for")
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] = Field(
        "en", description="Language the script's cues are written in (ISO 639 code)"
    )
    sources: list[Text] = Field(default_factory=list, description="Where the guidance comes from")
    equipment: list[Name] = Field(default_factory=list, description="What to have ready")
    safety: list[Text] = Field(default_factory=list, description="Warnings spoken at the start")
    spoken_names: dict[Annotated[str, Field(pattern=r"^[a-z]{2,3}$")], list[Name]] = Field(
        default_factory=dict, description="Per language (ISO 639 code), the names a person may say to "
        "start this workout from `voice-coach serve` (\"start NAME\"); the title is used when absent")
    progression: Literal["double", "reps", "fixed"] = Field(
        "double", description="The progression rule of every exercise that names none (see an exercise's)")
    exercises: list[Item] = Field(min_length=1, max_length=100, description="Exercises or blocks")
