"""The `voice-coach` command: parses arguments and hands over; the work happens elsewhere."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
import wave
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from voice_coach import __version__
from voice_coach.app import config, logs, service
from voice_coach.app.check import report, run_checks
from voice_coach.app.serve import serve
from voice_coach.app.session import (
    SessionOptions,
    run_text_session,
    run_voice_session,
    say_once,
    simulate_session,
    todays_targets,
)
from voice_coach.audio.devices import AudioDeviceError
from voice_coach.audio.ducking import DEFAULT_DUCK_DB
from voice_coach.audio.pcm import read_wav, to_speech_pcm
from voice_coach.core.describe import describe_plan, duration_text
from voice_coach.core.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, VoiceCoachError
from voice_coach.core.loads import from_kg
from voice_coach.core.phrases import DEFAULT_LANGUAGE, available_languages, load_phrases
from voice_coach.core.plan import Plan
from voice_coach.core.simulate import ScheduleError, parse_schedule
from voice_coach.core.timeline import Verbosity
from voice_coach.core.workout import Workout
from voice_coach.listening import models
from voice_coach.listening.grammar import build_grammar
from voice_coach.listening.models import find_model
from voice_coach.listening.recognizer import Recognizer, load_model
from voice_coach.listening.voice_in import replay
from voice_coach.speech.piper_voice import bundled_piper_model
from voice_coach.speech.tts import DEFAULT_RATE, SpeechError, list_pyttsx3_voices
from voice_coach.training import history
from voice_coach.training.log import TrainingLog, default_db_path
from voice_coach.workouts.library import ScriptRef, available_scripts, resolve_script, user_scripts_dir
from voice_coach.workouts.loading import ScriptError, load_plan, load_workout

_LOGGER = logging.getLogger(__name__)


class UsageProblem(VoiceCoachError):
    """Bad input from the person at the keyboard: printed as one line, exit code 2."""


def load_script(name_or_path: str, variation: str | None = None) -> tuple[ScriptRef, Plan]:
    ref = resolve_script(name_or_path)
    return ref, load_plan(ref.path, variation)


def cmd_list(args: argparse.Namespace) -> int:
    refs = available_scripts()
    rows, broken = [], []
    for ref in refs:
        try:
            plan = load_plan(ref.path)
        except ScriptError as err:
            broken.append(f"{ref.name}: cannot be loaded ({len(err.problems)} problems; "
                          f"run `voice-coach validate {ref.path}`)")
            continue
        rows.append((ref.name, str(len(plan.exercises)), duration_text(plan.estimated_seconds), ref.origin,
                     plan.name))
    header = ("NAME", "EXERCISES", "ABOUT", "FROM", "TITLE")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
    print(f"\nYour own scripts go in {user_scripts_dir()}")
    for line in broken:
        print(line, file=sys.stderr)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    plan = load_script(args.script, args.variation)[1]
    if args.json:
        print(json.dumps(plan.to_json(), indent=2, ensure_ascii=False))
    else:
        print(describe_plan(plan))
    return EXIT_OK


def _effective(args: argparse.Namespace) -> config.Effective:
    """The settings file under the flags typed on this command line (ConfigError when it is bad)."""
    given = {key: getattr(args, config.flag_dest(key), None) for key in config.KEYS}
    return config.effective(given)


def _settings(args: argparse.Namespace) -> config.Config:
    return _effective(args).config


def _workout_name(settings: config.Config) -> str:
    if settings.workout is None:
        raise UsageProblem("which workout? give its NAME (see `voice-coach list`), or set "
                           f"`workout = \"NAME\"` in {config.config_path()}")
    return settings.workout


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    ref, plan = load_script(_workout_name(settings), args.variation)
    phrases = load_phrases(settings.language)
    options = replace(SessionOptions.from_config(settings), db=args.db, resume=args.resume, listen=not args.no_listen,
                      date=args.date)
    if args.date is not None and not args.simulate:
        raise UsageProblem("--date goes with --simulate: a live session takes place now")
    if args.simulate:
        try:
            schedule = parse_schedule(args.commands or "")
        except ScheduleError as err:
            raise UsageProblem(f"--commands: {err}") from err
        if simulate_session(ref, plan, phrases, options, schedule, args.json):
            print("(the coach waits for 'ready' here: add --auto-start, or a ready in --commands)", file=sys.stderr)
        return EXIT_OK
    if args.commands:
        raise UsageProblem("--commands goes with --simulate; in a live session, say or type them")
    if args.text:
        return run_text_session(ref, plan, phrases, options)
    return run_voice_session(ref, plan, phrases, options)


def cmd_plan(args: argparse.Namespace) -> int:
    """Today's targets per exercise (or on --date), from the training log, and why."""
    plan = load_script(args.script, args.variation)[1]
    units = _settings(args).units
    db = args.db or default_db_path()
    moment = args.date or datetime.now(UTC)
    log = TrainingLog(db if db.exists() else ":memory:")  # looking must not create a log
    try:
        targets = list(todays_targets(log, plan, moment.astimezone().date(), units=units).values())
    finally:
        log.close()
    if args.json:
        for target in targets:
            print(json.dumps(_target_json(target, units), ensure_ascii=False))
        return EXIT_OK
    print(f"{plan.name}, {moment.astimezone().date().isoformat()}:")
    width = max(len(target.exercise) for target in targets)
    for target in targets:
        amount = f"{target.reps} reps" if target.reps is not None else f"{target.hold_seconds:g} s hold"
        load = f"  {history.load_text(target.load_kg, units)}" if target.load_kg is not None else ""
        print(f"  {target.exercise:<{width}}  {target.sets} x {amount:<10}{load}  rest {target.rest_seconds:g} s  "
              f"({target.rule}: {target.reason()})")
    return EXIT_OK


def _target_json(target, units: str) -> dict:
    last = target.last
    load = None if target.load_kg is None else from_kg(target.load_kg, units)
    return {"exercise": target.exercise, "sets": target.sets, "reps": target.reps,
            "hold_seconds": target.hold_seconds, "rest_seconds": target.rest_seconds,
            "load": load, "load_unit": units if load is not None else None, "rule": target.rule,
            "change": target.change, "why": target.reason(),
            "last": None if last is None else {"date": last.day.isoformat(), "sets": last.sets,
                                               "amount": last.amount, "reached": last.reached,
                                               "effort": last.effort, "load_kg": last.load_kg}}


def _moment(text: str) -> datetime:
    """An argparse type: an ISO date or date and time (local time unless it says otherwise)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-12-01 or 2026-12-01T18:00") from None
    return moment if moment.tzinfo else moment.astimezone()


def cmd_say(args: argparse.Namespace) -> int:
    say_once(" ".join(args.text), SessionOptions.from_config(_settings(args)))  # a device or speech failure: exit 1
    return EXIT_OK


def cmd_devices(args: argparse.Namespace) -> int:
    try:
        import sounddevice as sd  # PortAudio may be missing: one line, not a traceback at start-up

        devices = sd.query_devices()
        default_in, default_out = sd.default.device
    except (OSError, Exception) as err:  # PortAudio missing or failing: say so in one line
        print(f"voice-coach: cannot list audio devices ({err}); install libportaudio2", file=sys.stderr)
        return EXIT_FAILED
    print(f"{'#':>3}  {'IN':>3} {'OUT':>3}  {'RATE':>6}  NAME")
    for index, device in enumerate(devices):
        marks = ("<in " if index == default_in else "") + ("<out" if index == default_out else "")
        print(f"{index:>3}  {device['max_input_channels']:>3} {device['max_output_channels']:>3}  "
              f"{int(device['default_samplerate']):>6}  {device['name']} {marks}".rstrip())
    print("\nChoose one by a piece of its name: --output-device NAME (names survive re-plugging, numbers don't).")
    return EXIT_OK


def cmd_voices(args: argparse.Namespace) -> int:
    try:
        voices = list_pyttsx3_voices()
    except Exception as err:  # no espeak-ng, or pyttsx3 failing to start
        print(f"voice-coach: cannot list voices ({err}); install espeak-ng", file=sys.stderr)
        return EXIT_FAILED
    try:
        voices.insert(0, ("piper", f"Piper neural voice ({bundled_piper_model().stem})", ["en-us"]))
    except SpeechError:
        pass  # the optional Piper voice is not installed
    for voice_id, name, languages in voices:
        print(f"{voice_id:24} {name:40} {', '.join(languages)}")
    print("\nChoose one with --voice ID (also piper:PATH.onnx for another Piper voice).")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    units = _settings(args).units  # loads in the person's unit
    log = TrainingLog(args.db or default_db_path())  # a log it cannot open: LogError, one line, exit 2
    try:
        if args.session is not None:
            if log.session(args.session) is None:
                raise UsageProblem(f"--session {args.session}: no such session (see `voice-coach history`)")
            header, rows = history.session_view(log, args.session, units)
        elif args.name:
            header, rows = history.exercise_view(log, args.name, args.limit, units)
        else:
            header, rows = history.sessions_view(log, args.limit)
        history.write(header, rows, "csv" if args.csv else "json" if args.json else "table")
    finally:
        log.close()
    return EXIT_OK


REFERENCE_MAX_SECONDS = 3600.0
"""A --reference longer than this is not a session's recording (and would fill memory)."""


def _read_recording(path: Path, flag: str, max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    try:
        return read_wav(path, max_channels=2, max_seconds=max_seconds)
    except (OSError, EOFError, ValueError, wave.Error) as err:
        raise UsageProblem(f"{flag} {path}: cannot use this WAV file ({err})") from err


def cmd_listen(args: argparse.Namespace) -> int:
    if args.file is None:
        raise UsageProblem("listening to the microphone comes with the voice session; give --file WAV")
    settings = _settings(args)
    model = find_model(settings.language, settings.model)  # none: ModelMissing, one line, exit 2
    microphone, rate = _read_recording(args.file, "--file")
    reference = _read_recording(args.reference, "--reference", REFERENCE_MAX_SECONDS) if args.reference else None
    recognizer = Recognizer(load_model(model.path), build_grammar(load_phrases(settings.language)))
    decisions = replay(recognizer, to_speech_pcm(microphone, rate), *(reference or (None,)))
    for heard, taken in decisions:
        if args.json:
            print(json.dumps({**heard.to_json(), "taken": taken}, ensure_ascii=False), flush=True)
        else:
            latency = "" if heard.latency is None else f"  ({heard.latency * 1000:.0f} ms after the words)"
            dropped = "" if taken else "  (dropped: the coach's own voice)"
            print(f"{heard.t:8.3f}  {heard.command:10} {heard.phrase}{latency}{dropped}", flush=True)
    return EXIT_OK


def cmd_model(args: argparse.Namespace) -> int:
    if args.action == "status":
        for language in available_languages():
            try:
                found = models.find_model(language, args.model)
                print(f"{language}: {found.path} (from {found.source})")
            except models.ModelMissing as err:
                print(f"{language}: none: {err}")
        return EXIT_OK
    if args.if_missing:
        try:
            found = models.find_model(args.lang, args.model)
            print(f"{args.lang}: speech model in {found.path}")
            return EXIT_OK
        except models.ModelMissing:
            pass
    # after a progress bar, a message starts on a line of its own
    end_bar = "\n" if sys.stderr.isatty() else ""
    official = models.official_model(args.lang, args.size)  # none of that size: one line, exit 2
    if args.size == "large":
        print(f"{official.name}: {official.size / 1e6:.0f} MB to fetch; loaded it takes about 250 MB more "
              f"memory than the small model (a Pi 4 or 5 with 2 GB or more)", file=sys.stderr)
    try:
        path = models.download(args.lang, progress=models.progress_bar, size=args.size)
    except models.DownloadFailed as err:
        print(f"{end_bar}voice-coach: {err}", file=sys.stderr)
        return EXIT_FAILED
    except models.DownloadMismatch:
        sys.stderr.write(end_bar)
        raise
    print(f"{end_bar}{args.lang}: model ready in {path}")
    return EXIT_OK


def cmd_config(args: argparse.Namespace) -> int:
    settings = _effective(args)
    path = config.config_path()
    where = "" if path.is_file() else " (no such file yet: these are the defaults)"
    print(f"# settings file: {path}{where}")
    print("# each line: the setting in force, then where it came from; a flag on the command line wins")
    for line in config.show(settings):
        print(line)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    phrases = load_phrases(settings.language)
    options = replace(SessionOptions.from_config(settings), db=args.db)

    def say(text: str) -> None:
        print(text, flush=True)
        try:
            say_once(text, options)
        except (AudioDeviceError, SpeechError) as err:
            _LOGGER.warning("%s", err)

    def run(ref: ScriptRef, plan: Plan) -> int:
        # Where the last session stopped is where the next one goes on (no one is at a keyboard to ask).
        return run_voice_session(ref, plan, phrases, replace(options, resume=True))

    if settings.workout is not None:
        resolve_script(settings.workout)  # a wrong default is said now, not when someone asks for it
    return serve(phrases, settings.workout, settings.input_device, settings.model, say, run,
                 sessions=1 if args.once else None)


def cmd_install_service(args: argparse.Namespace) -> int:
    text = service.unit_text([sys.executable, "-m", "voice_coach"])
    if args.print:
        print(text, end="")
        return EXIT_OK
    path, failed = service.install(text)
    print(f"wrote {path}")
    for line in failed:
        print(f"voice-coach: {line}", file=sys.stderr)
    if failed:
        return EXIT_FAILED
    print("voice-coach now waits for \"start workout\", and starts at boot; "
          "its lines: journalctl --user -u voice-coach -f")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    path = config.config_path()
    print(f"settings file: {path} " + ("(valid)" if path.is_file() else "(none yet: the defaults hold)"))
    phrase = load_phrases(settings.language).say("check_phrase")
    checks = run_checks(SessionOptions.from_config(settings), args.db or default_db_path(), phrase)
    passed = report(checks, lambda line: print(line, flush=True))
    print("all good: `voice-coach run` is ready" if passed else "fix the FAIL lines above, then run the check again")
    return EXIT_OK if passed else EXIT_FAILED


def cmd_schema(args: argparse.Namespace) -> int:
    schema = Workout.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "voice-coach workout script"
    print(json.dumps(schema, indent=2))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    failed = False
    for given in args.files:
        try:
            load_workout(given)
        except ScriptError as err:
            failed = True
            for problem in err.problems:
                print(problem, file=sys.stderr)
        else:
            if not args.quiet:
                print(f"{given}: ok")
    return EXIT_BAD_INPUT if failed else EXIT_OK


def _number_between(low: float, high: float, what: str):
    """An argparse type: a number from `low` to `high`, with one clear line otherwise."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"give {what} from {low:g} to {high:g}")
        return value

    return parse


_seconds = _number_between(0, 600, "seconds")
_volume = _number_between(0.1, 1.0, "a volume")
_duck = _number_between(-60, 0, "a level in dB")


def _voice_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--voice", metavar="ID", help="speech voice (see `voice-coach voices`)")
    parser.add_argument("--rate", type=int, metavar="WPM",
                        help=f"speaking rate in words per minute (default {DEFAULT_RATE})")
    parser.add_argument("--output-device", metavar="NAME", help="output device by a piece of its name, or number")
    parser.add_argument("--volume", type=_volume, metavar="0-1",
                        help="output volume from 0.1 to 1 (default 0.8; louder/quieter change it by 0.1)")
    parser.add_argument("--duck", type=_duck, metavar="DB",
                        help=f"lower other sounds (music) by DB while the coach or you speak "
                             f"(default {DEFAULT_DUCK_DB:g}; 0: never)")


def _setting_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that override the settings file (see config.py), the same on every command."""
    parser.add_argument("--lang", choices=available_languages(),
                        help=f"language of the coach and of the commands (default {DEFAULT_LANGUAGE})")
    parser.add_argument("--verbosity", choices=[level.value for level in Verbosity],
                        help="how much the coach says: full (default), brief (short cues, no tips), "
                             "minimal (counts, sets and rests)")
    parser.add_argument("--auto-start", nargs="?", type=_seconds, const=3.0, default=None, metavar="SECONDS",
                        help="start each set by itself SECONDS after its announcement (default 3)")
    parser.add_argument("--model", metavar="PATH", help="Vosk model folder for spoken commands (see `model status`)")
    parser.add_argument("--input-device", metavar="NAME", help="microphone by a piece of its name, or number")
    _units_argument(parser)
    _voice_arguments(parser)


def _units_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--units", choices=("kg", "lb"), help="how loads are said, heard and shown: kg (default) or lb")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voice-coach",
        description="Offline, hands-free workout coach: speaks every cue and listens for spoken commands.",
    )
    parser.add_argument("--version", action="version", version=f"voice-coach {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    listing = commands.add_parser("list", help="bundled scripts and your own, with their length")
    listing.set_defaults(handler=cmd_list)

    show = commands.add_parser("show", help="a workout plan in plain words (or --json)")
    show.add_argument("script", metavar="NAME|PATH")
    show.add_argument("--json", action="store_true", help="the resolved plan as JSON")
    show.add_argument("--variation", metavar="NAME", help="use the script's variation of that name")
    show.set_defaults(handler=cmd_show)

    targets = commands.add_parser("plan", help="today's targets per exercise from the training log, and why")
    targets.add_argument("script", metavar="NAME|PATH")
    targets.add_argument("--variation", metavar="NAME", help="use the script's variation of that name")
    targets.add_argument("--json", action="store_true", help="one JSON object per exercise")
    targets.add_argument("--db", type=Path, metavar="PATH", help="training log database (default: the usual one)")
    targets.add_argument("--date", type=_moment, metavar="ISO", help="the targets for that day (default: today)")
    _units_argument(targets)
    targets.set_defaults(handler=cmd_plan)

    run = commands.add_parser("run", help="run a workout (--text: keyboard and screen; --simulate: instantly)")
    run.add_argument("script", metavar="NAME|PATH", nargs="?",
                     help="the workout (default: `workout` in the settings file)")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--text", action="store_true", help="print what is said; type commands (no audio needed)")
    # Without --text or --simulate the coach speaks (and falls back to text when it cannot).
    mode.add_argument("--simulate", action="store_true", help="fake clock, no audio: print the timeline at once")
    run.add_argument("--json", action="store_true", help="with --simulate: one JSON object per event")
    run.add_argument("--commands", metavar="SCHEDULE",
                     help="with --simulate: commands at times, e.g. '0:45 pause; 1:10 resume; 2:00 next'")
    run.add_argument("--variation", metavar="NAME", help="use the script's variation of that name")
    run.add_argument("--resume", action="store_true", help="continue the last unfinished session of this script")
    run.add_argument("--no-listen", action="store_true", help="speak, but take commands from the keyboard only")
    run.add_argument("--date", type=_moment, metavar="ISO",
                     help="with --simulate and --db: when the simulated session takes place (e.g. 2026-12-01T18:00)")
    run.add_argument("--db", type=Path, metavar="PATH", help="training log database (default: $VOICE_COACH_DB or "
                     "~/.local/share/voice-coach/voice-coach.db; simulations log only when given)")
    _setting_arguments(run)
    run.set_defaults(handler=cmd_run)

    say = commands.add_parser("say", help="speak a sentence through the output device")
    say.add_argument("text", nargs="+")
    say.add_argument("--lang", choices=available_languages())
    _voice_arguments(say)
    say.set_defaults(handler=cmd_say)

    devices = commands.add_parser("devices", help="audio input and output devices")
    devices.set_defaults(handler=cmd_devices)

    voices = commands.add_parser("voices", help="voices the speech engine offers")
    voices.set_defaults(handler=cmd_voices)

    past = commands.add_parser("history", help="sessions from the training log (NAME: per exercise over time)")
    past.add_argument("name", nargs="?", metavar="NAME", help="a script or exercise name")
    past.add_argument("--session", type=int, metavar="ID", help="one session, set by set")
    past.add_argument("--limit", type=int, default=20, help="how many sessions (default 20)")
    form = past.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help="CSV instead of a table")
    form.add_argument("--json", action="store_true", help="one JSON object per row")
    past.add_argument("--db", type=Path, metavar="PATH", help="training log database")
    _units_argument(past)
    past.set_defaults(handler=cmd_history)

    listen = commands.add_parser("listen", help="print the commands recognized in a WAV file (--file), "
                                 "decided as in a live session")
    listen.add_argument("--file", type=Path, metavar="WAV", help="what the microphone heard (any sample rate)")
    listen.add_argument("--reference", type=Path, metavar="WAV",
                        help="what the speaker played meanwhile, from the microphone recording's start: the "
                             "coach's voice is cancelled and never obeyed, as live")
    listen.add_argument("--lang", choices=available_languages())
    listen.add_argument("--model", metavar="PATH", help="a Vosk model folder")
    listen.add_argument("--json", action="store_true", help="one JSON object per command")
    listen.set_defaults(handler=cmd_listen)

    model = commands.add_parser("model", help="speech models: status, or download an official one")
    model.add_argument("action", choices=["status", "download"])
    model.add_argument("--lang", default=DEFAULT_LANGUAGE, choices=available_languages())
    model.add_argument("--model", metavar="PATH", help="check this model folder first")
    model.add_argument("--size", choices=models.SIZES, default="small",
                       help="download: small (default; 40-90 MB) or large (English: 131 MB, better in noise, "
                            "about 250 MB more memory; it takes the small one's place)")
    model.add_argument("--if-missing", action="store_true",
                       help="download only when no model for the language is found (make setup uses it)")
    model.set_defaults(handler=cmd_model)

    settings = commands.add_parser("config", help="the settings in force and where each came from")
    settings.add_argument("action", choices=["show"])
    _setting_arguments(settings)
    settings.set_defaults(handler=cmd_config)

    serving = commands.add_parser("serve", help="wait, listening for \"start workout\", run it, and wait again")
    _setting_arguments(serving)
    serving.add_argument("--workout", dest="script", metavar="NAME", help="what \"start workout\" starts")
    serving.add_argument("--db", type=Path, metavar="PATH", help="training log database")
    serving.add_argument("--once", action="store_true", help="return after one workout")
    serving.set_defaults(handler=cmd_serve)

    install = commands.add_parser("install-service", help="start `serve` at boot (a systemd user service)")
    install.add_argument("--print", action="store_true", help="print the unit instead of installing it")
    install.set_defaults(handler=cmd_install_service)

    check = commands.add_parser("check", help="self-test: devices, speech, microphone level, model, log")
    _setting_arguments(check)
    check.add_argument("--db", type=Path, metavar="PATH", help="training log database")
    check.set_defaults(handler=cmd_check)

    schema = commands.add_parser("schema", help="JSON Schema of the workout script format")
    schema.set_defaults(handler=cmd_schema)

    validate = commands.add_parser("validate", help="check scripts; exit 2 with one line per problem")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    validate.set_defaults(handler=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure()
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return handler(args)
    except VoiceCoachError as err:
        for line in err.lines():
            print(line, file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("\nvoice-coach: stopped", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `voice-coach show … | head` closes the pipe early; that is not an error worth a trace.
        sys.stderr.close()
        return EXIT_OK
    except Exception as err:  # a bug: one line for the person, the trace only on request
        if os.environ.get("VOICE_COACH_DEBUG"):
            traceback.print_exc()
        print(f"voice-coach: internal error: {type(err).__name__}: {err} "
              "(set VOICE_COACH_DEBUG=1 for details, and please report it)", file=sys.stderr)
        return EXIT_FAILED
