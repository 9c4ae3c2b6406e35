"""Find workout scripts: the bundled ones and the user's own folder, by name or by path."""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from voice_coach import user_dirs
from voice_coach.core.errors import VoiceCoachError

SCRIPT_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class ScriptRef:
    name: str
    path: Path
    origin: str
    """'bundled', 'user' or 'path'."""


class ScriptNotFound(VoiceCoachError):
    """No bundled or own script by that name, and no such file."""


def user_scripts_dir() -> Path:
    """Where a person keeps their own scripts: $XDG_CONFIG_HOME/voice-coach/scripts."""
    return user_dirs.config_dir() / "scripts"


def bundled_scripts_dir() -> Path:
    return Path(str(resources.files("voice_coach.scripts")))


def available_scripts() -> list[ScriptRef]:
    """Every script by name; a user's script shadows a bundled one of the same name."""
    found: dict[str, ScriptRef] = {}
    for origin, folder in (("bundled", bundled_scripts_dir()), ("user", user_scripts_dir())):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in SCRIPT_SUFFIXES and path.is_file():
                found[path.stem] = ScriptRef(path.stem, path, origin)
    return sorted(found.values(), key=lambda ref: ref.name)


def resolve_script(name_or_path: str) -> ScriptRef:
    """A script given as a path (anything with a slash or a known suffix) or as a name."""
    looks_like_path = os.sep in name_or_path or "/" in name_or_path or name_or_path.endswith(SCRIPT_SUFFIXES)
    if looks_like_path or Path(name_or_path).exists():
        path = Path(name_or_path)
        return ScriptRef(path.stem, path, "path")
    for ref in available_scripts():
        if ref.name == name_or_path:
            return ref
    names = ", ".join(ref.name for ref in available_scripts()) or "none"
    raise ScriptNotFound(f"{name_or_path}: no script by that name (known: {names}; or give a path to a .yaml file)")
