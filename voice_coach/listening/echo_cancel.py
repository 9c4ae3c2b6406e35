"""Removes the coach's own voice from what the microphone hears, so the person's words stand out.

The coach knows every sample it plays and when: the speaker hands over each block as it goes to
the device, on the session's timeline. What reaches the microphone is that signal, delayed by the
output and input buffers, coloured by the room, and (with a USB speaker and a USB microphone)
stretched by the two sound cards' clocks running at slightly different rates. Three parts undo it:

- the delay, found by cross-correlating the microphone with the coach's signal, re-checked while
  the coach talks;
- the drift, a line fitted to the delays found: the coach's signal is read between its samples
  where the line puts the echo, so the filter below sees one steady echo path and keeps what it
  learned (in the simulated room with 50 ppm of drift, a filter started over at every
  millisecond the echo moved removed 8-9 dB of it; following the line, 24.9-25.0 dB after 2 s
  of speech, as much as with no drift at all: 24.6-25.1);
- the room, learned by libspeexdsp's adaptive filter (speex_echo.py), which predicts the echo
  from the coach's signal and subtracts it. It replaced a hand-written 80 ms filter, which in
  the simulated living room removed less echo, let more of the coach's phrases through and
  heard fewer pauses said over the coach (README, Development). Speex's residual-echo
  suppressor after it, tried at two settings in the simulated room, removed 3-7 dB more echo but
  heard no more pauses said over the coach, so the session leaves it out.

The delay search and the drift line are pure numpy; time is an input (session seconds and
microphone sample counts).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Protocol

import numpy as np

from voice_coach.audio.pcm import SPEECH_RATE
from voice_coach.listening import speex_echo

_LOGGER = logging.getLogger(__name__)

RATE = SPEECH_RATE
"""The microphone and the reference are at the recognizer's rate (hertz)."""
BLOCK = 320
"""Samples per step (20 ms, as the microphone delivers them)."""
TAIL_SECONDS = 0.3
"""How much of the room's echo the filter covers after the delay: a living room rings for
0.3-0.6 s, but a longer Speex filter learns more slowly. In the simulated room (RT60 0.5 s,
seeds 11-15, 15 echo paths), echo removed after 2 s of speech: 0.25 s 24.4-25.3 dB (the
reverberation after 250 ms is 30 dB below the echo, and the filter stops short of it), 0.3 s
25.0-26.1, 0.35 s about as much, 0.4 s 0.5 dB less, 0.2 s 2 dB less."""
PRE_SAMPLES = 32
"""The filter starts 2 ms before the estimated delay, so a slightly early echo is still covered."""
DELAY_RANGE = (-0.2, 1.0)
"""Where the echo can be, relative to the coach's timeline and the microphone's time stamps
(seconds): time stamps are taken in an audio callback and include unknown buffering."""
DELAY_WINDOW_SECONDS = 1.0
"""Microphone audio compared with the coach's signal to find the delay."""
DELAY_EVERY_SECONDS = 0.5
"""How often the delay is looked for until found."""
DELAY_RECHECK_SECONDS = 2.0
"""How often it is checked again once the clocks' drift is measured (they drift slowly; the
search costs a little)."""
DELAY_SETTLING_SECONDS = 8.0
"""For this long after an echo path is found, its delay is checked every DELAY_EVERY_SECONDS:
the drift line is fitted from these delays, and until it is, a drifting echo slips away from
the filter (in the simulated room with 50 ppm of drift, checking every 2 s from the start, the
filter removed 9 dB of echo in seconds 4-10 of the coach's talk, every 0.5 s 15-21 dB; over the
two minutes after 2 s of speech, 19.3-19.5 dB against 24.1-24.3, and 24.6-25.1 with no drift;
measured while the simulation drifted the echo by linear interpolation, which cost another 0.8 dB)."""
DELAY_MATCH = 0.4
"""Normalized correlation the best delay must reach to be believed (a person talking over the
coach, or silence, gives less)."""
ARRIVED_BLOCKS = 500
"""Speaker blocks (10 ms each) waiting for the listener at most."""
SINC_TAPS = 16
"""Source samples on each side of a resampled point."""
DELAY_JUMP_SAMPLES = 16
"""A delay found this far (1 ms) from where the clocks' drift puts it is a new echo path (a
stream restarted, a device changed): the filters start over there."""
DRIFT_WINDOW_SECONDS = 60.0
"""The clocks' drift is fitted to the delays found over this long."""
DRIFT_MIN_SPAN_SECONDS = 2.0
"""... once they span this long (before, too little of it has built up to measure: 50 ppm moves
the echo by 1.6 samples in 2 s, the delays found scatter by about a tenth of one)."""
DRIFT_SHOWN_SAMPLES = 1.0
"""A drift is followed once it has moved the echo by this much over the delays fitted (they
scatter by about a tenth of a sample; a slope fitted to a few seconds of them, by a ppm or two)."""
LINE_MOVE_SAMPLES = 0.25
"""A new drift replaces the one in use where the two part by this much over DRIFT_WINDOW_SECONDS."""
DRIFT_LIMIT = 300e-6
"""No two sound cards differ by more (crystals are 20-100 ppm): a steeper fit is noise."""
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
        self._kernel: tuple[float, np.ndarray] = (-1.0, np.zeros(0))
        """(fraction, kernel) of the last samples_at."""

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

    def samples_at(self, position: float, count: int) -> np.ndarray:
        """Like `samples`, from a fractional sample number: the clocks of two sound cards drift
        apart, so the echo of microphone sample n is a speaker sample between two of its own."""
        base = int(np.floor(position))
        fraction = position - base
        if fraction < 1e-6:
            return self.samples(base, count)
        raw = self.samples(base - SINC_TAPS + 1, count + 2 * SINC_TAPS - 1)
        if self._kernel[0] != fraction:
            # 0.95: the band _Run kept when it resampled the speaker's signal to 16 kHz. Kept for
            # the next block: without drift the echo sits the same fraction off in every one.
            self._kernel = (fraction, _sinc_kernel(fraction - np.arange(-SINC_TAPS + 1, SINC_TAPS + 1), 0.95))
        return np.correlate(raw, self._kernel[1], "valid")

    def _file_arrived(self) -> None:
        while self._arrived:
            origin, frame, block, rate = self._arrived.popleft()
            # The device's blocks come two or more per microphone block: the ones that follow
            # each other are resampled in one go (each call costs more than its samples do).
            blocks, following = [block], frame + len(block)
            while self._arrived and self._arrived[0][:2] == (origin, following) and self._arrived[0][3] == rate:
                blocks.append(self._arrived.popleft()[2])
                following += len(blocks[-1])
            run = self._runs[-1] if self._runs else None
            if run is None or not run.continues(origin, frame, rate):
                run = _Run(origin, frame, rate, self._keep)
                self._runs.append(run)
            run.append(blocks[0] if len(blocks) == 1 else np.concatenate(blocks))
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
        self._kernels = _sinc_kernel(distance, band)

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


class AdaptiveFilter(Protocol):
    """Learns the echo path and takes the echo out (speex_echo.SpeexEcho). One whose output lags
    its input (a suppressor's frame) says by how many samples in a `latency` attribute."""

    def process(self, microphone: np.ndarray, speaker: np.ndarray) -> np.ndarray:
        """int16 microphone samples and the speaker's samples whose echo they may hold (the same
        count, whole frames) in; the microphone without the echo out."""

    def close(self) -> None: ...


def speex_filter(suppression: speex_echo.Suppression | None = None) -> AdaptiveFilter:
    """libspeexdsp's filter, TAIL_SECONDS long; the session's has no suppressor (see the module's
    docstring), a benchmark's may."""
    return speex_echo.SpeexEcho(RATE, BLOCK // 2, TAIL_SECONDS, suppression)


class EchoCanceller:
    """Microphone blocks in, the same blocks with the coach's echo taken out (`latency` samples
    late, always: also while nothing is taken out, so the audio never skips or repeats)."""

    def __init__(self, make_filter: Callable[[], AdaptiveFilter] | None = None,
                 reach_seconds: float = TAIL_SECONDS, follow_drift: bool = True) -> None:
        """The session uses the defaults: libspeexdsp's adaptive filter (speex_filter), after
        the delay this class finds, following the clocks' drift. A benchmark tries others in the
        filter's place (`make_filter`, which may lag, as a suppressor does; `reach_seconds`: how
        long it remembers the coach's signal) and the delay without the drift line
        (`follow_drift`)."""
        self.speaker = SpeakerSignal()
        self._make_filter = make_filter or speex_filter
        self._filter: AdaptiveFilter | None = None
        self._follow_drift = follow_drift
        self._missing_said = False
        # Made now, to know its latency before the first echo (a missing library is said now too).
        self._start_filter()
        self.latency: int = getattr(self._filter, "latency", 0)
        """Samples the output lags the microphone: the filter's own lag (a suppressor's frame)."""
        self._latest = np.zeros(self.latency, np.float32)
        """The microphone's last `latency` samples: the output's next ones."""
        self._filtering = False
        """The filter took the last block in (else it must first be given the samples it lags by)."""
        self._reach = int(np.ceil(reach_seconds * RATE / BLOCK))
        """Blocks of the coach's signal the filter remembers: after this many silent ones, it
        remembers only silence."""
        self.delay: float | None = None
        """Seconds from the coach's timeline to the microphone's time stamps, once found (the
        latest measurement)."""
        self.drift = 0.0
        """How fast that delay changes (seconds per second: the microphone's clock against the
        speaker's), fitted to the delays found; 0 until enough are."""
        self._delays: list[tuple[int, float]] = []
        """(microphone sample number, delay) of each delay found on the current echo path."""
        self._anchor: tuple[int, float] = (0, 0.0)
        """The delay model: at this microphone sample, this delay, changing by self.drift."""
        self._suspect: float | None = None
        """A delay found off the drift's line, waiting for the next one to confirm it."""
        self._new_path = True
        """The echo path changed (a delay that jumped, a new stream): the filter starts over."""
        self._stream: tuple[int, float] | None = None
        """(stream id, session time of the stream's sample 0) of the microphone stream."""
        self._history = np.zeros(0, np.float32)
        self._history_end = 0
        """Microphone sample number just after the last kept one."""
        self._checked_at = 0
        self._pending = np.zeros(0, np.float32)
        self._pending_first = 0
        self._ready = np.zeros(0, np.float32)
        self._silent_blocks = 0
        self.erle_db: float = 0.0
        """Echo removed recently (decibels of microphone power over output power), for reports."""
        self._power_in, self._power_out = 1e-12, 1e-12

    def _start_filter(self) -> None:
        """A fresh filter: it learns the echo path from nothing."""
        if self._filter is not None:
            self._filter.close()
            self._filter = None
        self._silent_blocks = 0
        try:
            self._filter = self._make_filter()
        except OSError as error:
            # Listening goes on without it: the echo guard still drops what the coach's voice
            # makes of commands; only a pause said over the coach is harder to hear.
            if not self._missing_said:
                self._missing_said = True
                _LOGGER.warning("no echo canceller (%s): the coach's voice stays in what the microphone hears",
                                error)

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
        self._latest, self._filtering = np.zeros(self.latency, np.float32), False
        if self.delay is not None:  # the drift fitted so far counted the old stream's samples
            self._delays, self._anchor, self.drift, self._suspect = [], (first_sample, self.delay), 0.0, None
        self._new_path = True

    def _delay_at(self, sample: int) -> float:
        first, delay = self._anchor
        return delay + self.drift * (sample - first) / RATE

    def _echo_position(self, sample: int) -> float:
        """Microphone sample `sample` of this stream hears the speaker's sample (this) as echo."""
        return sample + (self._stream[1] - self._delay_at(sample)) * RATE

    def _passed(self, mic: np.ndarray) -> np.ndarray:
        """The microphone as it is, as late as the filter's output would be."""
        self._filtering = False
        if not self.latency:
            return mic
        joined = np.concatenate([self._latest, mic])
        self._latest = joined[len(mic):]
        return joined[:len(mic)]

    def _cancel(self, mic: np.ndarray, first: int) -> np.ndarray:
        mic_power = float(np.dot(mic, mic)) / len(mic)
        self._power_in = 0.96 * self._power_in + 0.04 * mic_power
        if self.delay is None:
            self._power_out = self._power_in
            return self._passed(mic)
        if self._new_path:
            self._start_filter()
            self._new_path, self._filtering = False, False
        # the reference leads: its sample PRE later is heard now
        reference = self.speaker.samples_at(self._echo_position(first) + PRE_SAMPLES, BLOCK)
        self._silent_blocks = 0 if reference.any() else self._silent_blocks + 1
        if self._filter is None or self._silent_blocks > self._reach:
            # The speaker has been silent for longer than the filter reaches (its memory of the
            # coach's signal is all silence now): no echo to take out, and (in the rests between
            # sets) no need to spend anything on it.
            self._power_out = self._power_in
            return self._passed(mic)
        if self.latency and not self._filtering:
            # The filter's output lags by the samples it holds back: hand it the ones the output
            # is due next (passed over while it rested) so that its first output is those, not
            # what it held from before.
            before = self.speaker.samples_at(self._echo_position(first - self.latency) + PRE_SAMPLES, self.latency)
            self._filter.process(_to_int16(self._latest), _to_int16(before))
        self._filtering = True
        self._latest = mic[len(mic) - self.latency:]
        out = self._filter.process(_to_int16(mic), _to_int16(reference)).astype(np.float32) / 32768.0
        self._power_out = 0.96 * self._power_out + 0.04 * float(np.dot(out, out)) / len(out)
        self.erle_db = 10 * np.log10(self._power_in / max(self._power_out, 1e-12))
        return out

    def _remember(self, mic: np.ndarray, first: int) -> None:
        keep = int(RATE * (DELAY_WINDOW_SECONDS + 0.5))
        self._history = np.concatenate([self._history, mic])[-keep:]
        self._history_end = first + len(mic)
        settling = not self._delays or self._history_end - self._delays[0][0] < DELAY_SETTLING_SECONDS * RATE
        every = DELAY_EVERY_SECONDS if self.delay is None or settling else DELAY_RECHECK_SECONDS
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
        peak = float(best)
        if 0 < best < lags - 1:  # between samples: the parabola through the peak and its neighbours
            before, at, after = match[best - 1:best + 2]
            bend = before - 2 * at + after
            if bend < 0:
                peak += 0.5 * (before - after) / bend
        # reference index `peak` lines up with the window's start
        self._found_delay(mic_first, (latest - peak) / RATE)

    def _found_delay(self, sample: int, delay: float) -> None:
        """A delay measured at microphone sample `sample`: the same echo path drifted a little,
        or a new one."""
        off_line = bool(self._delays) and abs(delay - self._delay_at(sample)) * RATE > DELAY_JUMP_SAMPLES
        if off_line:
            # One measurement off the line can be a reflection outshining the direct sound for a
            # second; a second one where the first was is a moved echo path.
            confirmed = self._suspect is not None and abs(delay - self._suspect) * RATE <= DELAY_JUMP_SAMPLES
            self._suspect = None if confirmed else delay
            if not confirmed:
                return
        self.delay, self._suspect = delay, None
        if not self._delays or off_line:  # the first delay found, or a confirmed jump
            self._delays, self._anchor, self.drift = [(sample, delay)], (sample, delay), 0.0
            self._new_path = True
            return
        self._delays = [(s, d) for s, d in self._delays if s > sample - DRIFT_WINDOW_SECONDS * RATE]
        self._delays.append((sample, delay))
        times = np.array([s for s, _ in self._delays], np.float64) / RATE
        if not self._follow_drift or times[-1] - times[0] < DRIFT_MIN_SPAN_SECONDS or len(times) < 3:
            return
        times, delays = times - times[-1], np.array([d for _, d in self._delays])
        # Theil-Sen: the median of the slopes between every two delays. One delay a sample or two
        # off (found on a reflection) would tilt a least-squares line.
        first, second = np.triu_indices(len(times), 1)
        slope = float(np.clip(np.median((delays[second] - delays[first]) / (times[second] - times[first])),
                              -DRIFT_LIMIT, DRIFT_LIMIT))
        if abs(slope) * -times[0] * RATE < DRIFT_SHOWN_SAMPLES:
            slope = 0.0  # the delays have not moved more than they scatter: no drift to follow
        # Only the pace changes, never where the echo is now: a filter absorbs an echo a fraction
        # of a sample off, but each move of it costs the filter what it learned (in the simulated
        # room, re-centring the line on every fit removed 3 dB less echo with no drift at all).
        if abs(slope - self.drift) * DRIFT_WINDOW_SECONDS * RATE >= LINE_MOVE_SAMPLES:
            self._anchor, self.drift = (sample, self._delay_at(sample)), slope


def _sinc_kernel(distance: np.ndarray, band: float) -> np.ndarray:
    """Weights of source samples `distance` samples from a point, for band-limited interpolation
    (a sinc cut at `band` of the source's Nyquist frequency, in a Hann window SINC_TAPS wide)."""
    return band * np.sinc(band * distance) * (0.5 + 0.5 * np.cos(np.pi * distance / SINC_TAPS))


def _to_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32768), -32768, 32767).astype(np.int16)
