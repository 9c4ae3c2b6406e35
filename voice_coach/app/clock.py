"""The real clock a live session runs on: monotonic seconds since the session started."""

from __future__ import annotations

import time


class MonotonicClock:
    def __init__(self) -> None:
        self._start = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._start
