"""The `voice-coach` command: parses arguments and hands over; the work happens elsewhere."""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from typing import Callable, Sequence

from . import __version__
from .describe import describe_plan, duration_text
from .library import ScriptNotFound, available_scripts, resolve_script, user_scripts_dir
from .loading import ScriptError, load_workout
from .plan import Plan, PlanError, compile_plan
from .workout import Workout

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class UsageProblem(Exception):
    """Bad input from the person at the keyboard: printed as one line, exit code 2."""


def load_plan(name_or_path: str, variation: str | None = None) -> Plan:
    ref = resolve_script(name_or_path)
    try:
        return compile_plan(load_workout(ref.path), variation)
    except PlanError as err:
        raise UsageProblem(f"{ref.path}: {err}") from err


def cmd_list(args: argparse.Namespace) -> int:
    refs = available_scripts()
    rows, broken = [], []
    for ref in refs:
        try:
            plan = compile_plan(load_workout(ref.path))
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
    plan = load_plan(args.script, args.variation)
    if args.json:
        print(json.dumps(plan.to_json(), indent=2, ensure_ascii=False))
    else:
        print(describe_plan(plan))
    return EXIT_OK


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
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return handler(args)
    except ScriptError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ScriptNotFound, UsageProblem) as err:
        print(f"voice-coach: {err.args[0] if err.args else err}", file=sys.stderr)
        return EXIT_BAD_INPUT
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
