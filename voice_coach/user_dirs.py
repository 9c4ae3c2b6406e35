"""Where voice-coach keeps a person's things, after the XDG base directory rules that desktop
Linux and Raspberry Pi OS follow: settings and own scripts in ~/.config, the training log in
~/.local/share, rendered speech and tuned models in ~/.cache (each moved by its $XDG_… variable)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "voice-coach"


def _base(variable: str, default: Path) -> Path:
    # The specification: a variable that is unset or empty means the default.
    return Path(os.environ.get(variable) or default)


def config_home() -> Path:
    """$XDG_CONFIG_HOME (~/.config): the settings file and own scripts go under APP, the
    systemd user unit under systemd/user."""
    return _base("XDG_CONFIG_HOME", Path.home() / ".config")


def config_dir() -> Path:
    return config_home() / APP


def data_dir() -> Path:
    """$XDG_DATA_HOME/voice-coach (~/.local/share/voice-coach): the training log."""
    return _base("XDG_DATA_HOME", Path.home() / ".local" / "share") / APP


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/voice-coach (~/.cache/voice-coach): what can be made again."""
    return _base("XDG_CACHE_HOME", Path.home() / ".cache") / APP


def state_dir() -> Path:
    """$XDG_STATE_HOME/voice-coach (~/.local/state/voice-coach): what a running session must
    leave behind for the next one if it is killed (the streams it had lowered)."""
    return _base("XDG_STATE_HOME", Path.home() / ".local" / "state") / APP
