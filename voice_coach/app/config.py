"""The person's settings file (~/.config/voice-coach/config.toml) and the effective settings.

Each setting comes from the command line, else the settings file, else its default; `Effective`
remembers which, so `voice-coach config show` can say where every value came from. Problems are
reported like a script's: `FILE:LINE: key: what (fix)`, one line each.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from voice_coach import user_dirs
from voice_coach.audio.ducking import DEFAULT_DUCK_DB
from voice_coach.core.phrases import DEFAULT_LANGUAGE, available_languages
from voice_coach.core.timeline import Verbosity
from voice_coach.speech.tts import DEFAULT_RATE
from voice_coach.workouts.loading import Problem, ScriptError


class ConfigError(ScriptError):
    """The settings file cannot be used; `problems` lists every reason, one line each."""


class Config(BaseModel):
    """What a person may set once instead of on every command line."""

    model_config = ConfigDict(extra="forbid")

    language: str = Field(DEFAULT_LANGUAGE, description="language of the coach and of the spoken commands")
    voice: str | None = Field(None, description="speech voice (see `voice-coach voices`)")
    rate: int = Field(DEFAULT_RATE, ge=80, le=400, description="speaking rate (words per minute)")
    volume: float = Field(0.8, ge=0.1, le=1.0, description="output volume (0.1 to 1)")
    input_device: str | None = Field(None, description="microphone, by a piece of its name")
    output_device: str | None = Field(None, description="speaker, by a piece of its name")
    model: str | None = Field(None, description="Vosk model folder for spoken commands")
    auto_start: float | None = Field(None, ge=0, le=600, description="start each set by itself after this "
                                     "many seconds (none: wait for 'ready')")
    verbosity: Verbosity = Field(Verbosity.FULL, description="how much the coach says")
    duck: float = Field(DEFAULT_DUCK_DB, ge=-60, le=0, description="lower other sounds (music) by this many dB "
                        "while the coach or you speak (0: never)")
    units: Literal["kg", "lb"] = Field("kg", description="how loads are said and heard: kg (kilos) or lb (pounds)")
    workout: str | None = Field(None, description="the workout `serve` starts on 'start workout' (a name or path)")

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in available_languages():
            raise ValueError(f"no phrase table for {value!r} (choose one of: {', '.join(available_languages())})")
        return value


KEYS = tuple(Config.model_fields)


def config_path() -> Path:
    """$VOICE_COACH_CONFIG, else $XDG_CONFIG_HOME/voice-coach/config.toml (~/.config by default)."""
    if os.environ.get("VOICE_COACH_CONFIG"):
        return Path(os.environ["VOICE_COACH_CONFIG"])
    return user_dirs.config_dir() / "config.toml"


def read_config(path: Path) -> dict[str, Any]:
    """The settings the file gives (only those); {} when there is no file. Raises ConfigError."""
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as err:
        problem = Problem(shown, 1, 1, "", f"cannot be read ({err}); fix its permissions or remove it")
        raise ConfigError([problem]) from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        line, column = _position(str(err))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
        raise ConfigError([Problem(shown, line, column, "", f"not valid TOML: {message} "
                                   "(write `key = value`; text in quotes)")]) from err
    try:
        Config.model_validate(data)
    except ValidationError as err:
        problems = sorted((_explain(shown, text, error) for error in err.errors()), key=lambda p: p.line)
        raise ConfigError(problems) from err
    return data


def _position(message: str) -> tuple[int, int]:
    found = re.search(r"at line (\d+), column (\d+)", message)
    return (int(found.group(1)), int(found.group(2))) if found else (1, 1)


def _explain(shown: str, text: str, error: dict) -> Problem:
    key = str(error["loc"][0]) if error["loc"] else ""
    line = _line_of(text, key)
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(key, KEYS, n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(KEYS)}"
        return Problem(shown, line, 1, key, f"unknown setting ({hint})")
    message = error["msg"].removeprefix("Value error, ")
    description = Config.model_fields[key].description if key in Config.model_fields else None
    fix = f" ({key}: {description})" if description and "(" not in message else ""
    return Problem(shown, line, 1, key, f"{message}{fix}")


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return 1


@dataclass(frozen=True)
class Effective:
    """The settings in force (a validated Config) and where each came from ("default", the
    file, or "--flag")."""

    config: Config
    sources: dict[str, str] = field(default_factory=dict)


FLAGS = {"language": "--lang", "voice": "--voice", "rate": "--rate", "volume": "--volume",
         "input_device": "--input-device", "output_device": "--output-device", "model": "--model",
         "auto_start": "--auto-start", "verbosity": "--verbosity", "duck": "--duck", "units": "--units",
         "workout": "NAME"}
"""The command-line flag that overrides each setting: the one table of them (cli's argument
names follow from it, see `flag_dest`)."""


def flag_dest(key: str) -> str:
    """Where argparse keeps the flag that overrides setting `key` (--input-device: input_device;
    the positional NAME: script)."""
    flag = FLAGS[key]
    return "script" if flag == "NAME" else flag.removeprefix("--").replace("-", "_")


def effective(given: dict[str, Any], path: Path | None = None) -> Effective:
    """Defaults, overlaid with the settings file, overlaid with `given` (the flags a person typed,
    by setting; None means not typed)."""
    path = path or config_path()
    from_file = read_config(path)
    values, sources = {}, {}
    for key in KEYS:
        if given.get(key) is not None:
            values[key], sources[key] = given[key], FLAGS[key]
        elif key in from_file:
            values[key], sources[key] = from_file[key], str(path)
        else:
            values[key], sources[key] = Config.model_fields[key].default, "default"
    # The file was validated on reading, and each flag by its own argument type (a flag may go
    # beyond the file's range on purpose: --rate 600 runs a text session fast).
    return Effective(Config.model_construct(**values), sources)


def show(settings: Effective) -> list[str]:
    """`key = value   # from where`, in TOML, so the output can be pasted into the file."""
    lines = []
    for key in KEYS:
        value = getattr(settings.config, key)
        text = f"# {key} = (not set)" if value is None else f"{key} = {_toml(value)}"
        lines.append(f"{text:<40}  # {settings.sources[key]}")
    return lines


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
