"""The virtual room: a PulseAudio null sink the coach plays into, and its monitor the tests record.

`make test` installs PulseAudio; these helpers start the server when none runs, so the audio tests
work the same on a developer's machine and on a fresh CI machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field

import numpy as np

SINK = "room"
RATE = 44100


def _pactl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10, check=check)


def ensure_room() -> None:
    """A running PulseAudio server whose default sink is the null sink `room`."""
    if shutil.which("pulseaudio") is None:
        raise RuntimeError("PulseAudio is not installed: run `make test`, which installs it")
    if _pactl("info", check=False).returncode != 0:
        subprocess.run(["pulseaudio", "--start", "--exit-idle-time=-1", "--daemonize=yes"],
                       capture_output=True, timeout=20, check=False)
        for _ in range(50):
            if _pactl("info", check=False).returncode == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("could not start PulseAudio")
    if SINK not in _pactl("list", "short", "sinks").stdout.split():
        _pactl("load-module", "module-null-sink", f"sink_name={SINK}")
    _pactl("set-default-sink", SINK)
    _pactl("set-default-source", f"{SINK}.monitor")


def sink_module_id() -> str | None:
    for line in _pactl("list", "short", "modules").stdout.splitlines():
        if "module-null-sink" in line and f"sink_name={SINK}" in line:
            return line.split()[0]
    return None


@dataclass
class Recording:
    """What the room's monitor heard, block by block, with PortAudio stream times."""

    blocks: list[np.ndarray] = field(default_factory=list)
    adc_times: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def samples(self) -> np.ndarray:
        with self.lock:
            return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)

    def time_of(self, index: int) -> float:
        """Stream time (seconds, PortAudio's clock) at which sample `index` was captured."""
        position = 0
        with self.lock:
            for block, adc in zip(self.blocks, self.adc_times):
                if position + len(block) > index:
                    return adc + (index - position) / RATE
                position += len(block)
        raise IndexError(index)


class Recorder:
    """Records the default source (the room's monitor) while the with-block runs."""

    def __init__(self) -> None:
        import sounddevice as sd

        self.recording = Recording()

        def callback(indata, frames, time_info, status):
            with self.recording.lock:
                self.recording.blocks.append(indata[:, 0].copy())
                self.recording.adc_times.append(time_info.inputBufferAdcTime)

        self.stream = sd.InputStream(samplerate=RATE, channels=1, dtype="float32", blocksize=441,
                                     latency="low", callback=callback)

    def __enter__(self) -> Recording:
        self.stream.start()
        # A null sink waking from idle holds a new stream back for a second or two: wait until the
        # recording keeps pace with the clock, then drop what came before.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            before, started = len(self.recording.samples), time.monotonic()
            time.sleep(0.1)
            if len(self.recording.samples) - before >= 0.8 * RATE * (time.monotonic() - started):
                break
        return self.recording

    def __exit__(self, *exc) -> None:
        time.sleep(0.3)
        self.stream.stop()
        self.stream.close()


def envelope(samples: np.ndarray, window: int = 220) -> np.ndarray:
    """RMS per window of `window` samples (5 ms at 44.1 kHz)."""
    usable = len(samples) // window * window
    return np.sqrt(np.mean(samples[:usable].reshape(-1, window) ** 2, axis=1))


def active_seconds(samples: np.ndarray, threshold: float = 0.01) -> tuple[float, float]:
    """(first, last) second at which the sound is above `threshold` RMS."""
    env = envelope(samples)
    loud = np.nonzero(env > threshold)[0]
    if len(loud) == 0:
        return (0.0, 0.0)
    return loud[0] * 220 / RATE, (loud[-1] + 1) * 220 / RATE


def environment() -> dict[str, str]:
    return dict(os.environ)
