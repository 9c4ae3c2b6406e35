"""From a phrase table to what the recognizer may hear, and from what it heard to one command.

Pure logic. The grammar holds every command phrase plus filler words: with fillers on offer, the
decoder explains ordinary talk with them instead of forcing it onto the nearest command (the
Korean model has no [unk] word to do that). A phrase counts only when it is the whole utterance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .phrases import Phrases, _normalize


@dataclass(frozen=True)
class Grammar:
    phrases: dict[str, str]
    """Normalized phrase -> command."""
    fillers: tuple[str, ...]

    @property
    def vosk_grammar(self) -> list[str]:
        """The list KaldiRecognizer takes: each phrase, each filler word on its own."""
        return sorted(set(self.phrases) | set(self.fillers))

    def command_for(self, text: str) -> str | None:
        """The command an utterance means, only if it is exactly one of the phrases."""
        return self.phrases.get(_normalize(text))

    def could_grow(self, text: str) -> bool:
        """Whether a longer phrase starts with this one ("next" -> "next one")."""
        wanted = _normalize(text) + " "
        return any(phrase.startswith(wanted) for phrase in self.phrases)


def build_grammar(phrases: Phrases) -> Grammar:
    table = {_normalize(phrase): command for command, words in phrases.commands.items() for phrase in words}
    fillers = tuple(word for word in phrases.fillers if _normalize(word) not in table)
    return Grammar(table, fillers)


@dataclass
class Decider:
    """Turns a stream of partial and final results into commands, each spoken command once.

    A partial result that is exactly a phrase, that no longer phrase could grow from, and that
    has stayed the same for `settle_seconds` of audio is acted on at once, without waiting for
    Vosk's endpoint (its trailing-silence rules are far slower). The final result of that same
    utterance is then ignored, so one "next" never becomes two.
    """

    grammar: Grammar
    settle_seconds: float = 0.12
    _partial: str = ""
    _partial_since: float = 0.0
    _acted: bool = False
    heard: list[str] = field(default_factory=list)

    def partial(self, text: str, t: float, silent_for: float | None = None) -> str | None:
        """A partial result at audio time t (seconds); returns a command to act on now, if any.
        `silent_for`: how long the audio has been quiet (seconds), when the caller can tell; the
        person must have stopped speaking that long, so a command word at the start of a longer
        sentence is not taken for the command."""
        text = _normalize(text)
        if text != self._partial:
            self._partial, self._partial_since = text, t
            return None
        if self._acted or not text:
            return None
        settled = t - self._partial_since >= self.settle_seconds
        quiet = silent_for is None or silent_for >= self.settle_seconds
        if settled and quiet and not self.grammar.could_grow(text):
            command = self.grammar.command_for(text)
            if command is not None:
                self._acted = True
                return command
        return None

    def final(self, text: str) -> str | None:
        """The utterance is over; returns its command unless a partial already acted on it."""
        acted, self._acted, self._partial = self._acted, False, ""
        if acted:
            return None
        return self.grammar.command_for(text)
