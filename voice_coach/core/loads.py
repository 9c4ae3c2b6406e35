"""Weights by voice: how a load is said and heard in each language, and how it is shown.

Pure logic on the phrase table's `weights:` section. A load is kept in kilograms (the log and the
progression); the person's unit (kg or lb, from the settings) is what the coach says and what the
recognizer listens for. Numbers are built from the table's parts (`small`, `tens`, `hundreds`) so
that a language needs no code of its own: "twelve and a half pounds", "이십 킬로", typed "20 kg".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from voice_coach.core.phrases import Phrases, normalize

UNITS = ("kg", "lb")
KG_PER_LB = 0.45359237
MAX_KG = 500.0
"""Heavier than any load a person lifts at home: a number above it was misheard."""
SPOKEN_MOST = {"kg": 300, "lb": 600}
"""The largest whole load the recognizer listens for, per unit (halves up to HALVES_BELOW)."""
HALVES_BELOW = 100
"""Loads with a half (12.5 kg) are listened for below this many units: plates and dumbbells."""
TYPED_UNITS = {"kg": ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"),
               "lb": ("lb", "lbs", "pound", "pounds")}
"""What a typed load may end with in any language (--commands, the keyboard)."""


@dataclass(frozen=True)
class Heard:
    """A load as said: its value in the unit said, and that unit."""

    value: float
    unit: str

    @property
    def kg(self) -> float:
        return to_kg(self.value, self.unit)


def to_kg(value: float, unit: str) -> float:
    return value if unit == "kg" else value * KG_PER_LB


def from_kg(kg: float, unit: str) -> float:
    """`kg` in `unit`, to the nearest half (what plates and dumbbells come in)."""
    value = kg if unit == "kg" else kg / KG_PER_LB
    return round(value * 2) / 2


def amount_text(value: float) -> str:
    """20 or 12.5: no ".0" on a whole load."""
    return f"{value:g}" if value != int(value) else str(int(value))


def say_load(phrases: Phrases, kg: float, unit: str) -> str:
    """How the coach says a load in the person's unit: "20 kilos", "12.5 pounds", "20킬로"."""
    return phrases.say(f"load_{unit}", amount=amount_text(from_kg(kg, unit)))


def spell(phrases: Phrases, number: int) -> list[str]:
    """Every way the table says a whole number (1-999): "one hundred and five", "백 오"."""
    parts = phrases.weights.get("numbers") or {}
    small, tens, hundreds = (list(parts.get(key) or ()) for key in ("small", "tens", "hundreds"))
    joiners = list(parts.get("joiners") or [""])
    if not small or not 0 < number < 1000:
        return []

    def under_hundred(n: int) -> str:
        if n <= len(small):
            return small[n - 1]
        ten, one = divmod(n, 10)
        return " ".join(word for word in (tens[ten - 1], small[one - 1] if one else "") if word)

    head, rest = divmod(number, 100)
    if not head:
        return [under_hundred(rest)]
    if head > len(hundreds):
        return []
    ways = hundreds[head - 1] if isinstance(hundreds[head - 1], list) else [hundreds[head - 1]]
    if not rest:
        return [str(way) for way in ways]
    return [" ".join(word for word in (str(way), joiner, under_hundred(rest)) if word)
            for way in ways for joiner in joiners]


def spoken_loads(phrases: Phrases, unit: str, most: int | None = None) -> dict[str, Heard]:
    """Every phrase the recognizer may hear for a load in `unit` (normalized) -> the load."""
    return dict(_spoken_loads(phrases, unit, SPOKEN_MOST[unit] if most is None else most))


@cache
def _spoken_loads(phrases: Phrases, unit: str, most: int) -> tuple[tuple[str, Heard], ...]:
    patterns = list(phrases.weights.get(unit) or ())
    halves = list(phrases.weights.get("half") or ())
    after = list(phrases.weights.get("half_after") or ())
    found: dict[str, Heard] = {}
    for whole in range(1, most + 1):
        for number in spell(phrases, whole):
            for pattern in patterns:
                weight = pattern.format(number=number)
                found.setdefault(normalize(weight), Heard(float(whole), unit))
                if whole < HALVES_BELOW:
                    for half_after in after:
                        found.setdefault(normalize(half_after.format(weight=weight)), Heard(whole + 0.5, unit))
                    for half in halves:
                        said = pattern.format(number=half.format(number=number))
                        found.setdefault(normalize(said), Heard(whole + 0.5, unit))
    return tuple(found.items())


def load_for(phrases: Phrases, heard: str, units: tuple[str, ...] = UNITS) -> Heard | None:
    """The load a phrase says ("twenty kilos", "12.5 kg", "이십 킬로 반"), or None. Spaces do not
    count (Korean is spaced freely); digits work in every language, with the table's unit words or
    the usual abbreviations. Numbers past what is listened for are read too, so that a misheard or
    mistyped "2000 kilos" can be refused by name rather than not understood."""
    wanted = normalize(heard).replace(" ", "")
    if not wanted:
        return None
    for unit in units:
        load = _compact(phrases, unit).get(wanted)
        if load is not None:
            return load
    typed = re.fullmatch(r"(\d+(?:\.\d+)?)(\D*)", heard.casefold().replace(",", ".").replace(" ", ""))
    if typed is None:
        return None
    rest = normalize(typed.group(2)).replace(" ", "")
    for unit in units:
        if rest in TYPED_UNITS[unit] or rest in _unit_words(phrases, unit):
            return Heard(float(typed.group(1)), unit)
    return None


@cache
def _compact(phrases: Phrases, unit: str) -> dict[str, Heard]:
    """Spoken loads without spaces, up to the thousands a misheard load might reach."""
    return {phrase.replace(" ", ""): load for phrase, load in _spoken_loads(phrases, unit, 999)}


@cache
def _unit_words(phrases: Phrases, unit: str) -> tuple[str, ...]:
    """The table's own words for a unit ("kilos", "킬로"), as they follow a typed number."""
    return tuple(normalize(pattern.replace("{number}", "")).replace(" ", "")
                 for pattern in phrases.weights.get(unit) or ())


def in_range(kg: float) -> bool:
    return 0 < kg <= MAX_KG


def next_load(kg: float, unit: str, step: float) -> float:
    """One step more (in the person's unit), back in kilograms."""
    return to_kg(from_kg(kg, unit) + step, unit)


def example(phrases: Phrases, unit: str) -> str | None:
    """A load as the person would say it, for the coach's hint ("twenty kilos", "이십 킬로")."""
    patterns, numbers = phrases.weights.get(unit) or (), spell(phrases, 20)
    return patterns[0].format(number=numbers[0]) if patterns and numbers else None
