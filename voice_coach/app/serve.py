"""`voice-coach serve`: the appliance's idle mode. It waits, listening for a few phrases only
("start workout", "start <name>", "list workouts"), runs the workout asked for, and waits again.

While it waits it speaks only between listening spells (nothing can barge in on "here are the
workouts"), so it never hears itself. In a quiet room the decoder rests, so waiting costs little.
"""

from __future__ import annotations

import logging
import queue
import select
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from voice_coach.core.phrases import Phrases, normalize
from voice_coach.listening.grammar import IDLE_FLOORS, Grammar
from voice_coach.listening.models import ModelMissing, find_model
from voice_coach.listening.recognizer import Recognizer, load_model
from voice_coach.listening.voice_in import EchoGuard, VoiceInput
from voice_coach.workouts.library import ScriptNotFound, ScriptRef, available_scripts, resolve_script
from voice_coach.workouts.loading import ScriptError, load_plan, load_workout

_LOGGER = logging.getLogger(__name__)

WAITING_BLOCK_SECONDS = 0.1
"""Microphone blocks while waiting for "start" (seconds): five times fewer callbacks than a
session's 20 ms, for at most 80 ms more latency where none matters."""
RETRY_SECONDS = 5.0
"""How long to wait before trying a microphone that would not open again (seconds)."""

START = "start"
LIST = "list"


@dataclass(frozen=True)
class Choice:
    action: str
    """START or LIST."""
    script: str | None = None
    """For START: the script's library name; None means the default workout."""


def spoken_names(catalog: list[tuple[ScriptRef, list[str]]]) -> list[str]:
    return [names[0] for _, names in catalog]


def catalog_for(language: str) -> list[tuple[ScriptRef, list[str]]]:
    """Every script that loads, with the names a person may call it by in `language`."""
    found = []
    for ref in available_scripts():
        try:
            workout = load_workout(ref.path)
        except ScriptError:
            continue  # `voice-coach list` names the broken ones
        found.append((ref, list(workout.spoken_names.get(language) or [workout.name])))
    return found


def idle_grammar(phrases: Phrases, catalog: list[tuple[ScriptRef, list[str]]]) -> Grammar:
    """Phrase -> "start", "list" or "start:<script name>", with the language's filler words so
    that talk in the room is not forced onto a phrase."""
    table: dict[str, str] = {}
    for phrase in phrases.idle["start_workout"]:
        table[normalize(phrase)] = START
    for phrase in phrases.idle["list_workouts"]:
        table[normalize(phrase)] = LIST
    for ref, names in catalog:
        for name in names:
            for template in phrases.idle["start_named"]:
                table.setdefault(normalize(template.format(name=name)), f"{START}:{ref.name}")
    left_out = {normalize(word) for word in phrases.idle.get("not_fillers", ())}
    fillers = tuple(word for word in phrases.fillers if normalize(word) not in set(table) | left_out)
    return Grammar(table, fillers)


def choice_for(grammar: Grammar, heard: str) -> Choice | None:
    """What a recognized (or typed) phrase asks for; typed "start NAME" may use the file name too."""
    command = grammar.command_for(heard)
    if command is None:
        return None
    action, _, script = command.partition(":")
    return Choice(action, script or None)


class Waiting:
    """Listens with the idle grammar (and reads typed lines) until a phrase asks for something."""

    def __init__(self, model, grammar: Grammar, input_device: str | None):
        self.model, self.grammar, self.input_device = model, grammar, input_device
        self._heard: queue.Queue[str] = queue.Queue()
        self._keyboard = sys.stdin if sys.stdin is not None and sys.stdin.isatty() else None

    def _typed(self, seconds: float) -> str | None:
        """A line typed within `seconds`. Read only while waiting (no thread): during a workout
        the session reads the keyboard itself."""
        if self._keyboard is None:
            time.sleep(seconds)
            return None
        ready, _, _ = select.select([self._keyboard], [], [], seconds)
        return self._keyboard.readline().strip() if ready else None

    def next_choice(self) -> Choice:
        listener = None
        tried_at = -RETRY_SECONDS
        said_deaf = False
        try:
            while True:
                if listener is None and self.model is not None and time.monotonic() - tried_at >= RETRY_SECONDS:
                    tried_at = time.monotonic()
                    try:
                        listener = self._listen()
                    except Exception as err:  # no microphone yet (unplugged, sound server starting)
                        if not said_deaf:
                            _LOGGER.warning("cannot listen (%s); trying again every %.0f s; type commands meanwhile",
                                            err, RETRY_SECONDS)
                            said_deaf = True
                try:
                    heard = self._heard.get_nowait()
                except queue.Empty:
                    heard = self._typed(0.2)
                if not heard:
                    continue
                choice = choice_for(self.grammar, heard)
                if choice is not None:
                    return choice
        finally:
            if listener is not None:
                listener.stop()

    def recognizer(self) -> Recognizer:
        """The waiting coach's recognizer: the idle grammar, at its own floors (IDLE_FLOORS)."""
        return Recognizer(self.model, self.grammar, floors=IDLE_FLOORS)

    def _listen(self):
        listener = VoiceInput(self.recognizer(), EchoGuard(), time.monotonic, self._heard.put, device=self.input_device,
                              block_seconds=WAITING_BLOCK_SECONDS)
        listener.start()
        return listener


def serve(phrases: Phrases, default_workout: str | None, input_device: str | None, model_path: str | None,
          say: Callable[[str], None], run: Callable[[ScriptRef, object], int], sessions: int | None = None) -> int:
    """Wait, run what is asked for, wait again; `sessions`: stop after that many (tests)."""

    catalog = catalog_for(phrases.language)
    grammar = idle_grammar(phrases, catalog)
    try:
        model = load_model(find_model(phrases.language, model_path).path)
    except ModelMissing as err:
        _LOGGER.warning("%s", err)
        model = None
    waiting = Waiting(model, grammar, input_device)
    done = 0
    say(phrases.say("idle_ready"))
    while sessions is None or done < sessions:
        _LOGGER.info("(waiting: say or type a start phrase)")
        choice = waiting.next_choice()
        if choice.action == LIST:
            say(phrases.say("idle_list", names=", ".join(spoken_names(catalog))))
            continue
        name = choice.script or default_workout or (catalog[0][0].name if catalog else None)
        try:
            ref = resolve_script(name) if name else None
        except ScriptNotFound as err:
            _LOGGER.warning("%s", err)
            ref = None
        if ref is None:
            say(phrases.say("idle_list", names=", ".join(spoken_names(catalog))))
            continue
        try:
            plan = load_plan(ref.path)
        except ScriptError as err:
            _LOGGER.error("%s cannot be loaded (%s)", ref.name, err.problems[0])
            continue
        _LOGGER.info("(starting %s)", ref.name)
        run(ref, plan)
        done += 1
        say(phrases.say("idle_again"))
    return 0
