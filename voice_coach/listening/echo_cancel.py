"""Removes the coach's own voice from what the microphone hears, so the person's words stand out.

The coach knows every sample it plays and when: the speaker hands over each block as it goes to
the device, on the session's timeline. What reaches the microphone is that signal, delayed by the
output and input buffers and coloured by the room. Three parts undo it:

- the delay, found by cross-correlating the microphone with the coach's signal (re-checked while
  the coach talks, since the two clocks may drift apart);
- the room, learned by an adaptive filter (a partitioned frequency-domain NLMS, as in Speex and
  WebRTC), which predicts the echo from the coach's signal and subtracts it;
- the person, who must not be learned as echo: two filters, one adapting all the time and one
  used, which takes the adapting one's weights only while those cancel better. When the person
  speaks over the coach the adapting filter gets worse, and the used one is left alone.

Pure numpy; time is an input (session seconds and microphone sample counts).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from voice_coach.audio.pcm import SPEECH_RATE
from voice_coach.listening import speex_echo

RATE = SPEECH_RATE
"""The microphone and the reference are at the recognizer's rate (hertz)."""
BLOCK = 320
"""Samples per filter step (20 ms, as the microphone delivers them: fewer, larger steps cost less)."""
PARTITIONS = 4
"""Filter length in blocks: 80 ms of the room's echo (direct sound and early reflections)."""
PRE_SAMPLES = 32
"""The filter starts 2 ms before the estimated delay, so a slightly early echo is still covered."""
STEP = 0.5
"""The adapting filter's step size (normalized; 1 is the fastest stable one)."""
SMOOTHING_BLOCKS = 4
"""Errors are compared over this many blocks (80 ms) before the used filter is replaced."""
DELAY_RANGE = (-0.2, 1.0)
"""Where the echo can be, relative to the coach's timeline and the microphone's time stamps
(seconds): time stamps are taken in an audio callback and include unknown buffering."""
DELAY_WINDOW_SECONDS = 1.0
"""Microphone audio compared with the coach's signal to find the delay."""
DELAY_EVERY_SECONDS = 0.5
"""How often the delay is looked for until found."""
DELAY_RECHECK_SECONDS = 2.0
"""How often it is checked again once found (clocks drift slowly; the search costs a little)."""
DELAY_MATCH = 0.4
"""Normalized correlation the best delay must reach to be believed (a person talking over the
coach, or silence, gives less)."""
ARRIVED_BLOCKS = 500
"""Speaker blocks (10 ms each) waiting for the listener at most."""
SINC_TAPS = 16
"""Source samples on each side of a resampled point."""
AUDIBLE_POWER = 1e-6
"""Mean reference power (full scale 1) below which there is nothing to correlate: -60 dB."""


class SpeakerSignal:
    """What the speaker played, block by block as it was handed to the device, read back at
    16 kHz on the session's timeline. Taking the device's own blocks (not the planned clips) keeps
    every stop, fade, volume change and overlap exactly as the room heard it."""

    def __init__(self, keep_seconds: float = 4.0) -> None:
        self._arrived: deque[tuple[float, int, np.ndarray, int]] = deque(maxlen=ARRIVED_BLOCKS)
        """Blocks from the audio thread, not yet filed (appending to a deque needs no lock);
        bounded, since with no listener reading nobody files them."""
        self._runs: list[_Run] = []
        self._keep = keep_seconds

    def played(self, origin: float, frame: int, block: np.ndarray, rate: int) -> None:
        """The device's stream, which began at session time `origin`, played `block` from `frame`.
        Called in the audio thread: it only queues."""
        self._arrived.append((origin, frame, block, rate))

    def samples(self, first: int, count: int) -> np.ndarray:
        """The speaker's signal for 16 kHz sample numbers first .. first + count - 1, where
        number n is session time n / RATE (silence where nothing was played)."""
        self._file_arrived()
        out = np.zeros(count, np.float64)
        for run in self._runs:
            run.add_to(out, first)
        return out

    def _file_arrived(self) -> None:
        while self._arrived:
            origin, frame, block, rate = self._arrived.popleft()
            run = self._runs[-1] if self._runs else None
            if run is None or not run.continues(origin, frame, rate):
                run = _Run(origin, frame, rate, self._keep)
                self._runs.append(run)
            run.append(block)
        if len(self._runs) > 1:  # a stream reopened: older runs fade from memory too
            latest = self._runs[-1].end_time
            self._runs = [r for r in self._runs if r.end_time > latest - self._keep]


class _Run:
    """Contiguous blocks of one output stream, converted to 16 kHz once, as they arrive.

    Band-limited interpolation (a windowed sinc, SINC_TAPS source samples on each side): linear
    interpolation would fold the voice's high frequencies down, and no filter could then match
    the sound server's own clean resampling."""

    PHASES = 256
    """Fractional positions are rounded to 1/PHASES of a source sample (a kernel table)."""

    def __init__(self, origin: float, frame: int, rate: int, keep_seconds: float) -> None:
        self.origin, self.rate, self.next_frame = origin, rate, frame
        # silence before the stream's first sample, so the first kernels have something to read
        self._source, self._source_first = np.zeros(SINC_TAPS, np.float32), frame - SINC_TAPS
        self.first = int(np.ceil((origin + frame / rate) * RATE))
        """16 kHz sample number of self._out[0]: number n is session time n / RATE."""
        self._keep = int(keep_seconds * RATE)
        self._out = np.zeros(2 * self._keep, np.float32)
        self._count = 0
        band = 0.95 * min(rate, RATE) / rate  # cut below both Nyquist frequencies: no aliasing
        self._offsets = np.arange(-SINC_TAPS + 1, SINC_TAPS + 1)
        distance = (np.arange(self.PHASES + 1) / self.PHASES)[:, None] - self._offsets[None, :]
        self._kernels = band * np.sinc(band * distance) * (0.5 + 0.5 * np.cos(np.pi * distance / SINC_TAPS))

    def continues(self, origin: float, frame: int, rate: int) -> bool:
        return (origin, rate) == (self.origin, self.rate) and frame == self.next_frame

    @property
    def end_time(self) -> float:
        return self.origin + self.next_frame / self.rate

    def append(self, block: np.ndarray) -> None:
        self._source = np.concatenate([self._source, block])
        self.next_frame += len(block)
        start = self.first + self._count
        # every 16 kHz sample whose kernel lies within the source so far
        last_time = self.origin + (self._source_first + len(self._source) - SINC_TAPS) / self.rate
        end = int(np.floor(last_time * RATE))
        if end > start:
            positions = ((np.arange(start, end) / RATE - self.origin) * self.rate) - self._source_first
            base = np.floor(positions).astype(np.int64)
            phase = np.round((positions - base) * self.PHASES).astype(np.int64)
            windows = self._source[base[:, None] + self._offsets[None, :]]
            self._store(np.sum(windows * self._kernels[phase], axis=1))
            # the source before the next kernel's first tap is no longer needed
            needed = int(np.floor((end / RATE - self.origin) * self.rate)) - self._source_first - SINC_TAPS
            if needed > 0:
                self._source, self._source_first = self._source[needed:], self._source_first + needed

    def _store(self, samples: np.ndarray) -> None:
        if self._count + len(samples) > len(self._out):  # full: keep the latest self._keep only
            drop = self._count - self._keep
            self._out[:self._keep] = self._out[drop:self._count]
            self.first, self._count = self.first + drop, self._keep
        self._out[self._count:self._count + len(samples)] = samples
        self._count += len(samples)

    def add_to(self, out: np.ndarray, first: int) -> None:
        lo, hi = max(first, self.first), min(first + len(out), self.first + self._count)
        if hi > lo:
            out[lo - first:hi - first] += self._out[lo - self.first:hi - self.first]


class EchoFilter:
    """A partitioned frequency-domain NLMS filter (overlap-save): the echo from the reference."""

    def __init__(self, partitions: int = PARTITIONS) -> None:
        self.weights = np.zeros((partitions, BLOCK + 1), np.complex128)
        self._spectra = np.zeros_like(self.weights)
        """Spectra of the latest reference blocks (2 blocks each), newest first."""
        self._last = np.zeros(BLOCK)
        self._power = np.full(BLOCK + 1, 1e-3)

    def add_reference(self, block: np.ndarray) -> None:
        self._spectra = np.roll(self._spectra, 1, axis=0)
        self._spectra[0] = np.fft.rfft(np.concatenate([self._last, block]))
        self._last = block
        self._power = 0.9 * self._power + 0.1 * np.abs(self._spectra[0]) ** 2

    def echo(self, weights: np.ndarray | None = None) -> np.ndarray:
        spectrum = np.sum(self._spectra * (self.weights if weights is None else weights), axis=0)
        return np.fft.irfft(spectrum)[BLOCK:]

    def adapt(self, error: np.ndarray) -> None:
        spectrum = np.fft.rfft(np.concatenate([np.zeros(BLOCK), error]))
        total = self._power * len(self.weights) + 1e-4
        gradient = np.conj(self._spectra) * spectrum / total * STEP
        # keep each partition a causal BLOCK-tap filter (without this the overlap-save wraps around)
        taps = np.fft.irfft(gradient, axis=1)
        taps[:, BLOCK:] = 0
        self.weights += np.fft.rfft(taps, axis=1)


class EchoCanceller:
    """Microphone blocks in, the same blocks with the coach's echo taken out."""

    def __init__(self, partitions: int = PARTITIONS, speex_tail: float | None = None,
                 speex_suppress: bool = False, cascade: bool = False) -> None:
        """The session uses the defaults: the own 80 ms filter. The other settings are the
        candidates benchmarks/listen_room.py --simulated measures beside it: `speex_tail`,
        seconds of echo for libspeexdsp's filter to cover after the delay this class finds,
        instead of the own filter (`speex_suppress`: with Speex's residual-echo suppressor), or
        after it with `cascade` (Speex takes what the own filter left)."""
        self.speaker = SpeakerSignal()
        self._cascade = cascade
        self._partitions = partitions
        self._speex_tail, self._speex_suppress = speex_tail, speex_suppress
        self._speex: speex_echo.SpeexEcho | None = None
        self._reach = partitions if speex_tail is None else int(np.ceil(speex_tail * RATE / BLOCK))
        """Blocks of the coach's signal the filter remembers: after this many silent ones, it
        remembers only silence."""
        self.delay: float | None = None
        """Seconds from the coach's timeline to the microphone's time stamps, once found."""
        self._stream: tuple[int, float] | None = None
        """(stream id, session time of the stream's sample 0) of the microphone stream."""
        self._history = np.zeros(0, np.float32)
        self._history_end = 0
        """Microphone sample number just after the last kept one."""
        self._checked_at = 0
        self._pending = np.zeros(0, np.float32)
        self._pending_first = 0
        self._ready = np.zeros(0, np.float32)
        self._reset_filters()
        self.erle_db: float = 0.0
        """Echo removed recently (decibels of microphone power over output power), for reports."""
        self._power_in, self._power_out = 1e-12, 1e-12

    def _reset_filters(self) -> None:
        if self._speex_tail is not None:
            if self._speex is not None:
                self._speex.close()
            self._speex = speex_echo.SpeexEcho(RATE, BLOCK // 2, self._speex_tail, self._speex_suppress)
        self._filter = EchoFilter(self._partitions)
        self._used = np.zeros_like(self._filter.weights)
        self._errors = np.zeros(3)  # smoothed power: adapting filter's error, used one's, microphone's
        self._silent_blocks = 0
        self._seated: int | None = None
        """Sample offset from the microphone's sample numbers to the coach's, the filter's start."""

    def process(self, block: np.ndarray, stream: int, first_sample: int, stream_start: float) -> np.ndarray:
        """`block`: int16 microphone samples whose first is number `first_sample` of input stream
        `stream`, which began at session time `stream_start`. Returns int16, as many samples."""
        if self._stream != (stream, stream_start) or first_sample != self._pending_first + len(self._pending):
            self._restart(stream, stream_start, first_sample)
        mic = block.astype(np.float32) / 32768.0
        self._remember(mic, first_sample)
        self._pending = np.concatenate([self._pending, mic])
        done = len(self._pending) // BLOCK * BLOCK
        cleaned = [self._cancel(self._pending[i:i + BLOCK], self._pending_first + i) for i in range(0, done, BLOCK)]
        self._pending, self._pending_first = self._pending[done:], self._pending_first + done
        # Blocks that are not whole filter steps leave a remainder for the next call: the output
        # then lags by less than one step, and each call still hands back as many samples as it got.
        self._ready = np.concatenate([self._ready, *cleaned])
        short = max(0, len(block) - len(self._ready))
        out = np.concatenate([np.zeros(short, np.float32), self._ready[:len(block) - short]])
        self._ready = self._ready[len(block) - short:]
        return _to_int16(out)

    def _restart(self, stream: int, stream_start: float, first_sample: int) -> None:
        """A new input stream (or a gap in one): forget its history, keep the delay if found."""
        self._stream = (stream, stream_start)
        self._history, self._history_end = np.zeros(0, np.float32), first_sample
        self._checked_at = first_sample
        self._pending, self._pending_first = np.zeros(0, np.float32), first_sample
        self._ready = np.zeros(0, np.float32)
        self._reset_filters()

    def _echo_offset(self) -> int:
        """Microphone sample n of this stream hears the speaker's sample n + this as echo."""
        return int(round((self._stream[1] - self.delay) * RATE))

    def _cancel(self, mic: np.ndarray, first: int) -> np.ndarray:
        mic_power = float(np.dot(mic, mic)) / len(mic)
        self._power_in = 0.96 * self._power_in + 0.04 * mic_power
        if self.delay is None:
            self._power_out = self._power_in
            return mic
        seat = self._echo_offset() + PRE_SAMPLES  # the reference leads: its sample PRE later is heard now
        if seat != self._seated:
            self._reset_filters()
            self._seated = seat
        reference = self.speaker.samples(first + seat, BLOCK)
        self._silent_blocks = 0 if reference.any() else self._silent_blocks + 1
        if self._silent_blocks > self._reach:
            # The speaker has been silent for longer than the filter reaches (its memory of the
            # coach's signal is all silence now): no echo to take out, and (in the rests between
            # sets) no need to spend anything on it.
            self._power_out = self._power_in
            return mic
        if self._speex is not None and not self._cascade:
            return self._report(self._speex_cancel(mic, reference))
        self._filter.add_reference(reference)
        adapting = mic - self._filter.echo()
        used = mic - self._filter.echo(self._used)
        self._filter.adapt(adapting)
        powers = np.array([np.dot(adapting, adapting), np.dot(used, used), mic_power * len(mic)]) / len(mic)
        self._errors = self._errors + (powers - self._errors) / SMOOTHING_BLOCKS
        adapting_error, used_error, heard = self._errors
        if adapting_error < 0.5 * used_error and adapting_error < heard:
            self._used = self._filter.weights.copy()  # the adapting filter cancels clearly better
            self._errors[1] = adapting_error
        elif adapting_error > 8 * used_error + 1e-9:
            self._filter.weights = self._used.copy()  # it learned the person's voice: start over
            self._errors[0] = used_error
        if used_error > 2 * heard + 1e-9:
            self._used[:] = 0  # it adds more than it removes (the room changed): pass the microphone
            self._errors[1] = heard
        if self._speex is not None:  # cascade: Speex takes what the short filter left
            used = self._speex_cancel(used, reference)
        return self._report(used.astype(np.float32))

    def _speex_cancel(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        return self._speex.process(_to_int16(mic), _to_int16(reference)).astype(np.float32) / 32768.0

    def _report(self, out: np.ndarray) -> np.ndarray:
        """Keep the figure of echo removed up to date with this block's output; returns it."""
        self._power_out = 0.96 * self._power_out + 0.04 * float(np.dot(out, out)) / len(out)
        self.erle_db = 10 * np.log10(self._power_in / max(self._power_out, 1e-12))
        return out

    def _remember(self, mic: np.ndarray, first: int) -> None:
        keep = int(RATE * (DELAY_WINDOW_SECONDS + 0.5))
        self._history = np.concatenate([self._history, mic])[-keep:]
        self._history_end = first + len(mic)
        every = DELAY_EVERY_SECONDS if self.delay is None else DELAY_RECHECK_SECONDS
        if self._history_end - self._checked_at >= every * RATE:
            self._checked_at = self._history_end
            self._find_delay()

    def _find_delay(self) -> None:
        """Cross-correlate the latest second of the microphone with the coach's signal."""
        count = int(DELAY_WINDOW_SECONDS * RATE)
        if len(self._history) < count:
            return
        mic = self._history[-count:].astype(np.float64)
        mic_first = self._history_end - count
        earliest, latest = (int(d * RATE) for d in DELAY_RANGE)
        stream_start = int(round(self._stream[1] * RATE))
        # coach samples that could be heard in this window: from (window - latest) to (window end - earliest)
        ref_first = mic_first + stream_start - latest
        reference = self.speaker.samples(ref_first, count + latest - earliest)
        if np.mean(reference ** 2) < AUDIBLE_POWER or np.mean(mic ** 2) < AUDIBLE_POWER:
            return
        size = 1 << int(np.ceil(np.log2(len(reference) + count)))
        correlation = np.fft.irfft(np.fft.rfft(reference, size) * np.conj(np.fft.rfft(mic, size)), size)
        lags = len(reference) - count + 1
        energy = np.cumsum(np.concatenate([[0.0], reference ** 2]))
        window_energy = energy[count:count + lags] - energy[:lags]
        match = correlation[:lags] / np.sqrt(window_energy * np.sum(mic ** 2) + 1e-12)
        best = int(np.argmax(match))
        if match[best] < DELAY_MATCH:
            return
        delay = (latest - best) / RATE  # reference index `best` lines up with the window's start
        if self.delay is None or abs(delay - self.delay) * RATE > PRE_SAMPLES // 2:
            self.delay = delay


def _to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32768), -32768, 32767).astype(np.int16)
