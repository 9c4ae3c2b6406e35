"""Per-language phrase tables: the words that mean each command and the coach's own sentences.

Pure data from voice_coach/languages/<code>.yaml; no audio or recognition here. English is the
reference: every other language file must have the same commands and phrase keys.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from voice_coach.core.errors import VoiceCoachError

DEFAULT_LANGUAGE = "en"

COMMANDS = (
    "next", "back", "pause", "resume", "repeat", "skip", "done", "ready", "slower", "faster",
    "more_rest", "status", "tip", "help", "louder", "quieter", "stop",
)
"""Every command the engine understands, in the order help lists them."""
IDLE_COMMANDS = ("start_workout", "list_workouts", "start_named")
"""What a waiting coach (`serve`) understands; start_named phrases hold {name}."""


EFFORTS = ("easy", "good", "hard")
"""How an exercise felt, as the coach asks after its last set."""

class LanguageError(VoiceCoachError):
    """No phrase table for that language."""


def normalize(text: str) -> str:
    """Lower case, no punctuation, single spaces: how typed or recognized words are compared."""
    text = text.casefold().replace("’", "'")
    text = "".join(" " if ch in string.punctuation and ch != "'" else ch for ch in text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True, eq=False)  # one table per language, compared (and cached by) identity
class Phrases:
    language: str
    commands: dict[str, tuple[str, ...]]
    templates: dict[str, str]
    numbers: tuple[str, ...] = ()
    """Number words for counting (index 0 is one); digits are spoken when absent."""
    fillers: tuple[str, ...] = ()
    """Ordinary words offered to the recognizer so that talk is not forced onto a command."""
    idle: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """What starts a workout from idle (`serve`): start_workout, list_workouts, start_named ({name});
    not_fillers: filler words the idle grammar leaves out (they sound like its phrases)."""
    answers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Answers to the coach's questions: easy, good, hard (how the exercise felt) and did ("i did
    {count}": the reps of the set just done)."""
    counts: tuple[str, ...] = ()
    """Number words for `did` answers (index 0 is one)."""
    weights: dict = field(default_factory=dict)
    """How loads are said (see core/loads): numbers (small, tens, hundreds, joiners), the kg and
    lb phrases ("{number} kilos"), half ("{number} and a half") and half_after ("{weight} 반")."""

    def say(self, key: str, **fields: object) -> str:
        return self.templates[key].format(**fields)

    def number(self, value: int) -> str:
        return self.numbers[value - 1] if 0 < value <= len(self.numbers) else str(value)

    def command_for(self, heard: str) -> str | None:
        """The command a phrase means, or None. Command names themselves work too (`more_rest`)."""
        wanted = normalize(heard)
        for command, phrases in self.commands.items():
            if wanted == command.replace("_", " ") or wanted in (normalize(p) for p in phrases):
                return command
        return None

    def answer_phrases(self) -> dict[str, str]:
        """Every answer phrase the recognizer may hear while the coach waits for one -> its answer
        ("hard", or "did 10")."""
        phrases = {normalize(p): effort for effort in EFFORTS for p in self.answers.get(effort, ())}
        for pattern in self.answers.get("did", ()):
            for number, count in enumerate(self.counts, start=1):
                phrases[normalize(pattern.format(count=count))] = f"did {number}"
        return phrases

    def answer_for(self, heard: str) -> tuple[str, str | int] | None:
        """("effort", "easy"|"good"|"hard") or ("did", reps) for an answer, else None. Spaces do
        not count (Korean is spaced freely: 열 개 했어, 열개 했어), and digits do as number words."""
        wanted = normalize(heard).replace(" ", "")
        if wanted in EFFORTS:
            return "effort", wanted
        for phrase, answer in self.answer_phrases().items():
            if wanted == phrase.replace(" ", ""):
                kind, _, value = answer.partition(" ")
                return ("did", int(value)) if kind == "did" else ("effort", kind)
        for pattern in self.answers.get("did", ()):
            before, _, after = (normalize(part).replace(" ", "") for part in pattern.partition("{count}"))
            digits = wanted.removeprefix(before).removesuffix(after)
            if wanted.startswith(before) and wanted.endswith(after) and digits.isdigit():
                return "did", int(digits)
        return None

    def spoken_name(self, command: str) -> str:
        return self.commands[command][0]


def available_languages() -> list[str]:
    folder = resources.files("voice_coach.languages")
    return sorted(entry.name[:-5] for entry in folder.iterdir() if entry.name.endswith(".yaml"))


@cache
def load_phrases(language: str = DEFAULT_LANGUAGE) -> Phrases:
    if language not in available_languages():
        raise LanguageError(f"no phrase table for language {language!r} (have: {', '.join(available_languages())})")
    text = resources.files("voice_coach.languages").joinpath(f"{language}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    commands = {name: tuple(str(p) for p in data["commands"][name]) for name in COMMANDS}
    return Phrases(
        language=language,
        commands=commands,
        templates={key: str(value) for key, value in data["phrases"].items()},
        numbers=tuple(str(n) for n in data.get("numbers", ())),
        fillers=tuple(str(word) for word in data.get("fillers", ())),
        idle={key: tuple(str(p) for p in data["idle"].get(key, ())) for key in (*IDLE_COMMANDS, "not_fillers")},
        answers={key: tuple(str(p) for p in phrases) for key, phrases in (data.get("answers") or {}).items()},
        counts=tuple(str(n) for n in data.get("counts", ())),
        weights=dict(data.get("weights") or {}),
    )
