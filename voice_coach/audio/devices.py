"""Finding and closing sound devices (sounddevice/PortAudio): shared by the speaker and the
microphone, so that both name devices the same way and survive a device that vanished."""

from __future__ import annotations

from voice_coach.core.errors import MachineError


class AudioDeviceError(MachineError):
    """A sound device cannot be found or opened, or went away."""


def find_device(wanted: str | int | None, kind: str = "output"):
    """A device by index or by a piece of its name (names survive USB re-plugging; indices don't)."""
    import sounddevice as sd  # PortAudio loads here, only where a device is needed

    if wanted is None:
        return None
    if isinstance(wanted, int) or str(wanted).isdigit():
        return int(wanted)
    for index, device in enumerate(sd.query_devices()):
        if device[f"max_{kind}_channels"] > 0 and str(wanted).lower() in device["name"].lower():
            return index
    raise AudioDeviceError(f"no {kind} device matching {wanted!r} (see `voice-coach devices`)")


def close_quietly(stream) -> None:
    """Stop and close a sounddevice stream; a device that vanished may fail to close, and is gone
    either way."""
    if stream is None:
        return
    try:
        stream.abort()
        stream.close()
    except Exception:
        pass
