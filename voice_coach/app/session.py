"""Wires a real session together: plan, engine, clock, and the edges (screen, speaker, keyboard).

The CLI only parses arguments and calls in here; this is the one module that knows every part.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from voice_coach.app.clock import MonotonicClock
from voice_coach.app.config import Config
from voice_coach.app.live import ScreenOutput, Tee, run_live_session
from voice_coach.app.voice_out import Playbacks, VoiceOutput
from voice_coach.audio.ducking import DEFAULT_DUCK_DB, Ducker
from voice_coach.audio.speaker import AudioClock, AudioDeviceError, Speaker
from voice_coach.core.clock import FakeClock
from voice_coach.core.engine.machine import Engine, SetRecord, Settings
from voice_coach.core.events import Event
from voice_coach.core.phrases import Phrases, load_phrases
from voice_coach.core.plan import Plan
from voice_coach.core.progression import Target, announcement, apply_targets, target_for
from voice_coach.core.simulate import ScheduledCommand, simulate
from voice_coach.core.timeline import SpeechEstimator, Verbosity, words_per_minute_estimator
from voice_coach.listening.grammar import build_grammar, with_answers, with_loads
from voice_coach.listening.models import ModelMissing, find_model
from voice_coach.listening.recognizer import Recognizer, load_model
from voice_coach.listening.voice_in import EchoGuard, VoiceInput
from voice_coach.speech.tts import DEFAULT_RATE, Pyttsx3Renderer, Renderer, SpeechCache, SpeechError, default_cache_dir
from voice_coach.training.log import RESUME_WINDOW, LogError, SessionRecorder, TrainingLog, default_db_path
from voice_coach.workouts.library import ScriptRef

_LOGGER = logging.getLogger(__name__)
PRELOAD_BEFORE_START = 12
"""Phrases rendered before the first word (the opening); the rest render in the background."""

FIXED_PHRASES = ("paused", "resumed", "stop_confirm", "not_understood", "back_online", "louder", "quieter",
                 "restart_set", "previous_set", "not_paused", "already_going", "not_resting", "not_in_set",
                 "say_ready")


@dataclass(frozen=True)
class SessionOptions:
    language: str = "en"
    auto_start: float | None = None
    voice: str | None = None
    rate: int = DEFAULT_RATE
    output_device: str | None = None
    volume: float = 0.8
    db: Path | None = None
    """Training log; None means the default place (simulations log only when it is given)."""
    resume: bool = False
    """Continue the latest unfinished session of this script without asking."""
    listen: bool = True
    """Listen for spoken commands (voice sessions)."""
    model: str | None = None
    """Vosk model folder; found by language when None."""
    input_device: str | None = None
    verbosity: Verbosity = Verbosity.FULL
    """How much the coach says."""
    date: datetime | None = None
    """When a simulated session takes place (--date), for its log and its targets; None: now."""
    duck: float = DEFAULT_DUCK_DB
    """Other sounds on the sound server go this many dB down while the coach or the person
    speaks (0: never)."""
    units: str = "kg"
    """kg or lb: how loads are said and heard."""

    @classmethod
    def from_config(cls, config: Config) -> SessionOptions:
        """A session's options from the settings in force (the settings file under the flags);
        what only a command line says (--db, --resume, --no-listen) is laid over them after."""
        return cls(language=config.language, auto_start=config.auto_start, voice=config.voice, rate=config.rate,
                   output_device=config.output_device, volume=config.volume, model=config.model,
                   input_device=config.input_device, verbosity=Verbosity(config.verbosity),
                   duck=config.duck, units=config.units)

    def engine_settings(self, estimate_speech: SpeechEstimator | None = None) -> Settings:
        """What the engine is told: when sets start, the volume, how much to say, and how long
        each sentence takes (by default guessed from the speaking rate)."""
        return Settings(auto_start_seconds=self.auto_start, volume=self.volume, verbosity=self.verbosity,
                        units=self.units, estimate_speech=estimate_speech or words_per_minute_estimator(self.rate))


@dataclass
class Training:
    """What the training log brings to a session: where to write, what was done before."""

    recorder: SessionRecorder
    done: list[SetRecord]
    last_time: dict[str, tuple[int, int]]
    plan: Plan
    """The plan with today's targets from the log (core/progression.py)."""
    progress: dict[str, tuple[str, dict]] = field(default_factory=dict)
    """Per exercise, how today's target follows from last time (said at its first set)."""
    loads: dict[str, float] = field(default_factory=dict)
    """Per exercise done with a weight, the load to use (kilograms)."""

    def engine(self, phrases: Phrases, clock, settings: Settings) -> Engine:
        """The session's engine: today's plan, what an interrupted run already did, what was done before."""
        return Engine(self.plan, phrases, clock, settings, done=self.done, last_time=self.last_time,
                      progress=self.progress, loads=self.loads)


def open_log(path: Path | None, clock: Callable[[], datetime] | None = None) -> TrainingLog:
    try:
        return TrainingLog(path or default_db_path(), clock)
    except LogError as err:
        _LOGGER.error("%s; this session is kept in memory only", err)
        return TrainingLog(":memory:", clock)


def todays_targets(log: TrainingLog, plan: Plan, today: date, before_session: int | None = None,
                   units: str = "kg") -> dict[str, Target]:
    """Each exercise's target for `today` from its earlier sessions in the log (a load step is
    taken in `units`, the person's)."""
    return {exercise.name: target_for(exercise, log.past_sessions(exercise.name, before_session,
                                                                  2 if exercise.sides == "alternating" else 1),
                                      today, units)
            for exercise in plan.exercises}


def start_training(ref: ScriptRef, plan: Plan, options: SessionOptions, mode: str,
                   ask: Callable[[str], bool] | None = None, clock: Callable[[], datetime] | None = None) -> Training:
    """Open the log, decide whether this run continues an interrupted one, set today's targets
    from the sessions before, and start recording. `clock`: the log's time (a dated simulation's)."""
    log = open_log(options.db, clock)
    script_hash = hashlib.sha256(ref.path.read_bytes()).hexdigest()
    unfinished = log.unfinished_session(ref.name, within=None if options.resume else RESUME_WINDOW)
    session_id, done = None, []
    if unfinished is not None:
        if options.resume:
            wanted = True
        elif ask is not None:
            wanted = ask(load_phrases(options.language).say("continue_question"))
        else:  # nobody to ask: leave it for a later --resume
            wanted = False
            _LOGGER.info("(an unfinished session of %s from %s exists: --resume continues it)",
                         ref.name, unfinished.started_at[:16])
        if wanted and unfinished.script_hash != script_hash:
            _LOGGER.info("The script has changed since that session; starting fresh.")
        elif wanted:
            session_id = unfinished.id
            log.reopen_session(session_id)
            done = [SetRecord(s.position, s.exercise, s.set_number, s.side, s.reps_planned, s.reps_done, s.ended_by)
                    for s in log.sets_of(session_id)]
        if session_id is None and (options.resume or ask is not None):
            log.end_session(unfinished.id, "abandoned")  # answered: don't ask about it again
    elif options.resume:
        _LOGGER.info("No unfinished session of %s to continue; starting fresh.", ref.name)
    if session_id is None:
        session_id = log.begin_session(ref.name, plan.name, script_hash, mode, plan.variation)
    last_time = {}
    for exercise in plan.exercises:
        previous = log.last_time(exercise.name, before_session=session_id)
        if previous:
            last_time[exercise.name] = previous
    targets = todays_targets(log, plan, log.clock().astimezone().date(), before_session=session_id,
                             units=options.units)
    log.record_targets(session_id, targets.values())
    progress = {name: said for name, target in targets.items() if (said := announcement(target))}
    loads = {name: target.load_kg for name, target in targets.items() if target.load_kg is not None}
    for logged in log.sets_of(session_id):  # a resumed session: the load said in it (the latest) holds
        if logged.load_kg is not None:
            loads[logged.exercise] = logged.load_kg
    return Training(SessionRecorder(log, session_id), done, last_time, apply_targets(plan, targets), progress,
                    loads)


def ask_on_keyboard(question: str) -> bool:
    """A yes/no question at the terminal (only asked when there is one)."""
    print(f"{question} [y/n] ", end="", flush=True)
    answer = sys.stdin.readline().strip().casefold()
    return answer in ("y", "yes")


def make_renderer(voice: str | None, rate: int, language: str) -> Renderer:
    """The text-to-speech backend for a --voice value: `piper`, `piper:MODEL.onnx`, or a pyttsx3
    (espeak-ng) voice id; by default espeak-ng's voice for the language."""
    if voice is not None and (voice == "piper" or voice.startswith("piper:")):
        from voice_coach.speech.piper_voice import PiperRenderer  # optional: the [piper] extra

        model = voice.partition(":")[2] or None
        return PiperRenderer(Path(model) if model else None, rate)
    if voice is None and language != "en":
        voice = language  # espeak-ng voices are named by language code
    return Pyttsx3Renderer(voice, rate)


def workout_phrases(plan: Plan, phrases: Phrases, verbosity: Verbosity = Verbosity.FULL) -> list[str]:
    """Everything a workout will say, in the order it says it, then the usual answers to commands."""
    spoken = []
    for level in dict.fromkeys([verbosity, Verbosity.FULL]):  # "tip" can be asked for at any verbosity
        clock = FakeClock()
        result = simulate(Engine(plan, phrases, clock, Settings(auto_start_seconds=0.0, verbosity=level)), clock)
        spoken += [event.text for event in result.events if event.kind == "say" and event.text]
    fixed = [phrases.say(key) for key in FIXED_PHRASES]
    numbers = [phrases.number(n) for n in (1, 2, 3)]
    return list(dict.fromkeys(spoken + numbers + fixed))


def simulate_session(ref: ScriptRef, plan: Plan, phrases: Phrases, options: SessionOptions,
                     schedule: list[ScheduledCommand], as_json: bool, stdout: TextIO | None = None) -> bool:
    """Print the simulated timeline; returns whether it ended waiting for a 'ready' nobody said.
    A simulation is not training: it is logged only into a database named with --db."""
    clock = FakeClock()
    settings = options.engine_settings(words_per_minute_estimator())
    if options.db:
        # Dated (--date) or now: the log's times are the simulated session's, on the fake clock.
        start = options.date or datetime.now(UTC)
        training = start_training(ref, plan, options, "simulate",
                                  clock=lambda: start + timedelta(seconds=clock.now()))
        engine = training.engine(phrases, clock, settings)
    else:
        training, engine = None, Engine(plan, phrases, clock, settings)
    result = simulate(engine, clock, schedule)
    if training:
        training.recorder.deliver(result.events)
    for event in result.events:  # sys.stdout looked up now: a test may have replaced it
        print(json.dumps(event.to_json(), ensure_ascii=False) if as_json else event.line(), file=stdout or sys.stdout)
    return result.waiting_forever


def _keyboard_question() -> Callable[[str], bool] | None:
    return ask_on_keyboard if sys.stdin.isatty() else None


def run_text_session(ref: ScriptRef, plan: Plan, phrases: Phrases, options: SessionOptions,
                     training: Training | None = None) -> int:
    training = training or start_training(ref, plan, options, "text", _keyboard_question())
    clock = MonotonicClock()
    # The screen shows each sentence for as long as it would take to say at --rate.
    engine = training.engine(phrases, clock, options.engine_settings())
    return run_live_session(engine, clock, Tee(ScreenOutput(), training.recorder))


def run_voice_session(ref: ScriptRef, plan: Plan, phrases: Phrases, options: SessionOptions) -> int:
    """Speak the workout; without a speaker or speech engine, say why in one line and use the screen."""
    training = start_training(ref, plan, options, "voice", _keyboard_question())
    screen = ScreenOutput()
    try:
        renderer = make_renderer(options.voice, options.rate, phrases.language)
        cache = SpeechCache(renderer, default_cache_dir())
        texts = workout_phrases(training.plan, phrases, options.verbosity)
        screen.note(f"Preparing the coach's voice ({len(texts)} phrases) …")
        cache.prepare(texts[:PRELOAD_BEFORE_START])
    except (SpeechError, OSError) as err:
        _LOGGER.warning("no speech (%s); running in text mode", err)
        return run_text_session(ref, plan, phrases, options, training)
    clock = AudioClock()
    guard = EchoGuard()  # what the speaker plays, for the listener to tell the coach from the person
    speaker = Speaker(options.output_device, options.volume)
    # The music goes down while the coach speaks, in time with what is heard: the clock counts
    # frames rendered, which sound the stream's latency later.
    ducker = Ducker(lambda: clock.now() - speaker.latency, options.duck)
    output = VoiceOutput(speaker, cache, clock, screen, playback=Playbacks(guard, ducker))
    try:
        output.start()
    except AudioDeviceError as err:
        _LOGGER.warning("no sound output (%s); running in text mode", err)
        renderer.close()
        return run_text_session(ref, plan, phrases, options, training)
    ducker.start()
    cache.prepare_in_background(texts[PRELOAD_BEFORE_START:])
    fallback = words_per_minute_estimator(options.rate)
    settings = options.engine_settings(lambda text: cache.duration(text) or fallback(text))
    engine = training.engine(phrases, clock, settings)
    commands: queue.Queue[object] = queue.Queue()
    loaded = any(exercise.loaded for exercise in training.plan.exercises)
    listener = (start_listening(options, phrases, clock, guard, commands.put, on_voice=ducker.voice,
                                loaded=loaded) if options.listen else None)
    try:
        listeners = (training.recorder,) if listener is None else (training.recorder, listener)
        return run_live_session(engine, clock, Tee(output, *listeners), commands=commands,
                                listening=listener is not None)
    finally:
        if listener is not None:
            listener.stop()
        ducker.close()
        output.close()
        renderer.close()


def start_listening(options: SessionOptions, phrases: Phrases, clock, guard: EchoGuard,
                    on_command: Callable[[str], None],
                    on_voice: Callable[[float], None] | None = None, loaded: bool = False) -> VoiceInput | None:
    """Microphone and recognizer for spoken commands; None (and one line why) when they can't be
    had. `on_voice`: told when the person is heard speaking (the music is lowered then).
    `loaded`: the workout has an exercise done with a weight (listen for loads during it)."""
    try:
        model = find_model(phrases.language, options.model)
    except ModelMissing as err:
        _LOGGER.warning("%s", err)
        return None
    try:
        commands = build_grammar(phrases)
        # The loads' grammar only for a workout with an exercise done with a weight.
        loads = with_loads(commands, phrases, options.units) if loaded else None
        recognizer = Recognizer(load_model(model.path), commands, with_answers(commands, phrases), loads)
        listener = VoiceInput(recognizer, guard, clock.now, on_command, device=options.input_device,
                              on_voice=on_voice, workout=True)
        listener.start()
    except Exception as err:  # no microphone, PortAudio failing, a model that won't load
        _LOGGER.warning("not listening (%s); type commands instead", err)
        return None
    return listener


def say_once(text: str, options: SessionOptions) -> float:
    """Speak one sentence through the output device and wait for it to end; returns its length."""
    renderer = make_renderer(options.voice, options.rate, options.language)
    try:
        clip = renderer.render(text)
    finally:
        renderer.close()
    clock = AudioClock()
    output = VoiceOutput(Speaker(options.output_device, options.volume), SpeechCache(_Fixed(clip)), clock,
                         ScreenOutput())
    output.start()
    try:
        output.deliver([Event(clock.now() + 0.05, "say", text)])
        output.wait_until_quiet(limit=clip.seconds + 5)
    finally:
        output.close()
    return clip.seconds


class _Fixed:
    """A renderer that already has its one clip (say_once renders before opening the device)."""

    name = "fixed"

    def __init__(self, clip):
        self.clip = clip

    def render(self, text: str):
        return self.clip
