"""WebRTC's echo canceller (AEC3, the one in Chrome and PipeWire), through LiveKit's binding: a
candidate the simulated room measures beside the session's (libspeexdsp's filter).

AEC3 is more than an adaptive filter: it estimates the echo's delay itself (and follows it when
the speaker's and the microphone's clocks drift apart), models the room's long reverberant tail,
and suppresses what its linear filter leaves behind, band by band. `livekit` (PyPI, maintained
by LiveKit, wheels for x86-64 and aarch64) is the binding kept up to date with WebRTC; its
AudioProcessingModule takes 10 ms frames of int16. It exposes neither AEC3's settings nor its
linear filter's output: only the output after the suppressor, which (measured) also takes out a
person's word said over the coach.
"""

from __future__ import annotations

import numpy as np

FRAME_SECONDS = 0.01
"""AEC3 works on 10 ms frames, no other size."""


def available() -> bool:
    try:
        import livekit.rtc  # noqa: F401
    except ImportError:
        return False
    return True


class WebRtcEcho:
    """Microphone and speaker signal in, the microphone with the echo removed out (int16).

    The speaker signal given with each frame is the one whose echo may be heard in it: this class
    hands it to AEC3 first (the "reverse stream"), then the microphone frame."""

    def __init__(self, rate: int = 16000) -> None:
        from livekit import rtc

        self._rtc = rtc
        self.rate = rate
        self.frame = int(rate * FRAME_SECONDS)
        self._apm = rtc.AudioProcessingModule(echo_cancellation=True)
        # The caller (echo_cancel.EchoCanceller) lines the speaker's signal up with the
        # microphone, so the delay AEC3 is told is none; it still finds what is left of it.
        self._apm.set_stream_delay_ms(0)

    def process(self, microphone: np.ndarray, speaker: np.ndarray) -> np.ndarray:
        """Whole frames of int16 in, the same number out."""
        out = np.empty(len(microphone), np.int16)
        frame = self.frame
        for first in range(0, len(microphone) - frame + 1, frame):
            far = self._rtc.AudioFrame(np.ascontiguousarray(speaker[first:first + frame], np.int16).tobytes(),
                                       self.rate, 1, frame)
            self._apm.process_reverse_stream(far)
            near = self._rtc.AudioFrame(bytearray(np.ascontiguousarray(microphone[first:first + frame],
                                                                       np.int16).tobytes()), self.rate, 1, frame)
            self._apm.process_stream(near)
            out[first:first + frame] = np.frombuffer(near.data, np.int16)
        return out

    def close(self) -> None:
        self._apm = None
