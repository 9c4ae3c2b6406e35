"""The Speex echo canceller (libspeexdsp, Xiph): its adaptive filter and residual-echo suppressor.

libspeexdsp is the library PulseAudio and PipeWire themselves link (Debian's libspeexdsp1), so
it is on every machine the coach runs on. The Python bindings on PyPI either leave out the
residual-echo suppressor (speexaec) or bind only the linear filter (speexdsp-aec), so this file
calls the library's stable C API (unchanged since 2008) through ctypes: the adaptive filter, and
the preprocessor linked to it, which suppresses the echo the filter leaves behind.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass

import numpy as np

SPEEX_ECHO_SET_SAMPLING_RATE = 24
SPEEX_PREPROCESS_SET_DENOISE = 0
SPEEX_PREPROCESS_SET_NOISE_SUPPRESS = 18
SPEEX_PREPROCESS_SET_ECHO_SUPPRESS = 20
SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE = 22
SPEEX_PREPROCESS_SET_ECHO_STATE = 24


@dataclass(frozen=True)
class Suppression:
    """How far the preprocessor may turn down, band by band, what the adaptive filter left of the
    echo (decibels, 0 or less)."""

    echo_db: int
    """Where only the coach's echo is heard."""
    echo_active_db: int
    """Where someone talks over it (the preprocessor's estimate of speech in the frame)."""
    noise_db: int = 0
    """The room's steady noise (0: left as it is; the recognizer hears the room as it is)."""


SPEEX_DEFAULTS = Suppression(echo_db=-40, echo_active_db=-15, noise_db=-15)
"""libspeexdsp's own settings, made for calls: the echo taken out as far as it goes, the noise too."""
GENTLE = Suppression(echo_db=-10, echo_active_db=-5, noise_db=0)
"""A gentle setting: 10 dB where the coach's echo is heard alone, 5 where someone talks over it,
the room's noise untouched. The simulated room compares it with the filter alone; the session
leaves the suppressor out (README, Development: more echo removed, no more pauses heard)."""


def available() -> bool:
    try:
        _library()
    except OSError:
        return False
    return True


def _library() -> ctypes.CDLL:
    for name in (ctypes.util.find_library("speexdsp"), "libspeexdsp.so.1"):
        if name:
            try:
                return ctypes.CDLL(name)
            except OSError:
                continue
    raise OSError("libspeexdsp is not installed (Debian: apt-get install libspeexdsp1)")


class SpeexEcho:
    """Microphone and speaker signal in, the microphone with the echo removed out (int16, 16 kHz).

    `tail_seconds`: how much of the echo the filter covers, bulk delay included (Speex has no
    delay search of its own). `suppression`: also run the preprocessor's residual-echo
    suppression, within these limits. The preprocessor works on overlapping frames, so its output
    comes one frame late (`latency`, in samples)."""

    def __init__(self, rate: int = 16000, frame: int = 160, tail_seconds: float = 0.3,
                 suppression: Suppression | None = None):
        self._echo = self._preprocess = None
        lib = self._lib = _library()
        lib.speex_echo_state_init.restype = ctypes.c_void_p
        lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] * 4  # addresses of int16 frames
        lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
        lib.speex_preprocess_state_init.restype = ctypes.c_void_p
        lib.speex_preprocess_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_preprocess_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_preprocess_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.speex_preprocess_state_destroy.argtypes = [ctypes.c_void_p]
        self.frame = frame
        self.latency = frame if suppression is not None else 0
        self._echo = lib.speex_echo_state_init(frame, int(tail_seconds * rate))
        if not self._echo:
            raise OSError("libspeexdsp could not make an echo canceller")
        value = ctypes.c_int(rate)
        lib.speex_echo_ctl(self._echo, SPEEX_ECHO_SET_SAMPLING_RATE, ctypes.byref(value))
        if suppression is not None:
            self._preprocess = lib.speex_preprocess_state_init(frame, rate)
            lib.speex_preprocess_ctl(self._preprocess, SPEEX_PREPROCESS_SET_ECHO_STATE, ctypes.c_void_p(self._echo))
            # The preprocessor applies its gains only with its noise suppression on: the residual
            # echo is suppressed as one more kind of noise (its own limit, noise_db, keeps the
            # room's noise as it is when 0).
            for setting, value in ((SPEEX_PREPROCESS_SET_DENOISE, 1),
                                   (SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, suppression.noise_db),
                                   (SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, suppression.echo_db),
                                   (SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, suppression.echo_active_db)):
                number = ctypes.c_int(value)
                lib.speex_preprocess_ctl(self._preprocess, setting, ctypes.byref(number))

    def process(self, microphone: np.ndarray, speaker: np.ndarray) -> np.ndarray:
        """Whole frames of int16 in, the same number out (`latency` samples late)."""
        near = np.ascontiguousarray(microphone, np.int16)
        far = np.ascontiguousarray(speaker, np.int16)
        out = np.empty(len(near), np.int16)
        # One call per frame straight on the arrays' memory (a copy per frame cost as much as the
        # filter itself).
        pointers = near.ctypes.data, far.ctypes.data, out.ctypes.data
        step = self.frame * near.itemsize
        for offset in range(0, (len(near) // self.frame) * step, step):
            result = pointers[2] + offset
            self._lib.speex_echo_cancellation(self._echo, pointers[0] + offset, pointers[1] + offset, result)
            if self._preprocess is not None:
                self._lib.speex_preprocess_run(self._preprocess, result)
        return out

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        if getattr(self, "_lib", None) is None:
            return
        if self._preprocess is not None:
            self._lib.speex_preprocess_state_destroy(self._preprocess)
            self._preprocess = None
        if self._echo is not None:
            self._lib.speex_echo_state_destroy(self._echo)
            self._echo = None
