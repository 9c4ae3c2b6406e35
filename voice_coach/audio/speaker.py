"""Sound out: one output stream for the session, a mixer that places clips on exact samples.

The session clock in voice mode is the audio clock itself (samples played / sample rate), so a
rep count due at t starts on sample t x rate: no drift between what the engine planned and what
the speaker plays. Clips are handed over a little ahead of time and the audio callback starts
them on their sample; stop() empties the mixer, so output falls silent at the next block.

When the machine is too busy to feed the device in time (an underrun), the device plays silence
that the mixer never rendered. The clock then counts those frames too (Mixer.skip), so the
session stays on the device's real timeline: later sounds keep their plan, and the microphone's
timeline, which the echo canceller lines the speaker's signal up with, still agrees with it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voice_coach.audio.devices import AudioDeviceError, close_quietly, find_device
from voice_coach.core.events import Tone

BLOCK_SECONDS = 0.01
"""Audio block length (seconds): stop() and volume changes act within one block."""
FADE_SECONDS = 0.005
"""Tones fade in and out this long (seconds), so they never click."""
STOP_FADE_SECONDS = 0.004
"""A stopped clip fades out this fast instead of cutting (seconds), again to avoid a click."""


def tone_samples(tone: Tone, sample_rate: int) -> np.ndarray:
    """A sine of the tone's pitch and length with raised-cosine fades."""
    count = int(round(tone.seconds * sample_rate))
    t = np.arange(count) / sample_rate
    wave = 0.5 * np.sin(2 * np.pi * tone.hz * t)
    fade = min(int(FADE_SECONDS * sample_rate), count // 2)
    if fade:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
        wave[:fade] *= ramp
        wave[-fade:] *= ramp[::-1]
    return wave.astype(np.float32)


@dataclass(eq=False)  # compared by identity: the samples are arrays
class _Scheduled:
    samples: np.ndarray
    start: int
    """First sample's frame number on the stream."""
    label: str
    fading_from: int | None = None
    """Frame where a stop began fading this clip out."""


class Mixer:
    """Clips placed on frame numbers, mixed block by block in the audio callback."""

    def __init__(self, sample_rate: int, volume: float = 0.8):
        self.sample_rate = sample_rate
        self.volume = volume
        self.frames = 0
        """Frames handed to the device so far (the audio clock)."""
        self.last_block_at = 0.0
        """time.monotonic() of the latest callback: lets readers interpolate between blocks."""
        self._items: list[_Scheduled] = []
        self._lock = threading.Lock()
        self.tap: Callable[[int, np.ndarray], None] | None = None
        """Told every block as it goes to the device (first frame, samples), in the audio thread:
        the echo canceller needs exactly what the room hears."""
        self.gaps: list[tuple[int, int]] = []
        """Underruns: (first frame, frames) the device played as silence the mixer never rendered."""

    def schedule(self, samples: np.ndarray, start_frame: int, label: str = "") -> None:
        with self._lock:
            self._items.append(_Scheduled(samples, max(start_frame, 0), label))

    def stop(self) -> None:
        """Silence everything now: sounding clips fade out within a few ms, scheduled ones are dropped."""
        with self._lock:
            fade_start = self.frames
            self._items = [item for item in self._items if item.start < fade_start]
            for item in self._items:
                item.fading_from = fade_start

    def cancel_after(self, frame: int) -> None:
        """Drop clips that would start after `frame` (the engine re-planned what comes next)."""
        with self._lock:
            self._items = [item for item in self._items if item.start <= frame]

    def skip(self, frames: int) -> None:
        """The device played `frames` of silence the mixer never rendered (an underrun): the clock
        moves on by them. A clip that was sounding resumes where it stopped (cutting a word is
        worse than saying it a little late); one due in the gap starts at once; later ones keep
        their frames, so the session is back on plan from the next block."""
        if frames <= 0:
            return
        gap_start, gap_end = self.frames, self.frames + frames
        with self._lock:
            for item in self._items:
                if item.start < gap_start:
                    item.start += frames
                    if item.fading_from is not None:
                        item.fading_from += frames
                elif item.start < gap_end:
                    item.start = gap_end
            self.frames = gap_end
        self.gaps.append((gap_start, frames))

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._items)

    def render(self, frames: int) -> np.ndarray:
        """The next `frames` samples (called from the audio callback)."""
        out = np.zeros(frames, dtype=np.float32)
        block_start, block_end = self.frames, self.frames + frames
        fade_length = max(1, int(STOP_FADE_SECONDS * self.sample_rate))
        with self._lock:
            items, volume = list(self._items), self.volume
        finished = []
        for item in items:
            if item.start >= block_end:
                continue
            offset = max(0, item.start - block_start)
            first = block_start + offset - item.start  # index into the clip
            length = min(frames - offset, len(item.samples) - first)
            if length > 0:
                chunk = item.samples[first:first + length]
                if item.fading_from is not None:
                    position = np.arange(block_start + offset, block_start + offset + length) - item.fading_from
                    chunk = chunk * np.clip(1.0 - position / fade_length, 0.0, 1.0)
                out[offset:offset + length] += chunk
            ends = item.start + len(item.samples)
            faded = item.fading_from is not None and block_end >= item.fading_from + fade_length
            if ends <= block_end or faded:
                finished.append(item)
        if finished:
            with self._lock:
                self._items = [item for item in self._items if item not in finished]
        self.frames = block_end
        self.last_block_at = time.monotonic()
        out *= volume
        np.clip(out, -1.0, 1.0, out=out)
        if self.tap is not None:
            self.tap(block_start, out)
        return out


class AudioClock:
    """Session time from the audio stream while one runs, from the system clock while none does.

    Switching between the two never jumps backwards, so an outage of the speaker (a pause with
    keyboard commands meanwhile) and the return of a new stream make one continuous timeline.
    """

    def __init__(self) -> None:
        self._mixer: Mixer | None = None
        self._origin = 0.0
        """Session time at frame 0 of the current stream."""
        self._detached_value = 0.0
        self._detached_since = time.monotonic()

    def attach(self, mixer: Mixer) -> None:
        self._origin = self.now()
        self._mixer = mixer

    def detach(self) -> None:
        self._detached_value = self.now()
        self._detached_since = time.monotonic()
        self._mixer = None

    def now(self) -> float:
        mixer = self._mixer
        if mixer is None:
            return self._detached_value + time.monotonic() - self._detached_since
        block = BLOCK_SECONDS * 2
        since = min(max(0.0, time.monotonic() - mixer.last_block_at), block) if mixer.frames else 0.0
        return self._origin + mixer.frames / mixer.sample_rate + since

    @property
    def origin(self) -> float:
        """Session time of frame 0 of the current stream."""
        return self._origin

    def frame_of(self, t: float) -> int:
        """The frame of the current stream that session time t falls on."""
        mixer = self._mixer
        if mixer is None:
            raise AudioDeviceError("no audio stream")
        return int(round((t - self._origin) * mixer.sample_rate))


class UnderrunWatch:
    """How many frames the device played that the mixer never rendered.

    PortAudio tells, for every block, when its first sample will reach the device
    (outputBufferDacTime, on the stream's clock). In steady play that time less the frames
    rendered so far is constant; an underrun moves it on by the length of the gap, and PortAudio
    flags the block. The offset's reference follows slow changes (a sound card's crystal against
    the system clock), so only a jump counts as lost frames. A block can be late but never early,
    so the reference drops at once to a smaller offset and rises only slowly.
    """

    JUMP_SECONDS = 0.02
    """An unflagged jump this large is an underrun too: some servers starve a stream without the
    client's library seeing it. Smaller steps are timing jitter and crystal drift."""
    FOLLOW = 0.01
    """How fast the reference follows slow changes (per block: about a second for 10 ms blocks)."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.armed = False
        """Set once the stream flows: a sound server waking from idle holds a new stream back for
        a second or two, which is a late start, not a gap in what was played."""
        self._reference: float | None = None

    def lost_frames(self, device_time: float, frames: int, underflow: bool) -> int:
        """For a block whose first sample reaches the device at `device_time` (seconds, stream
        clock) after `frames` rendered frames: the frames lost to an underrun just before it."""
        offset = device_time - frames / self.sample_rate
        if self._reference is None or not self.armed:
            self._reference = offset
            return 0
        excess = offset - self._reference
        if (underflow and excess > 1.0 / self.sample_rate) or excess > self.JUMP_SECONDS:
            return int(round(excess * self.sample_rate))  # the reference holds: the skip restores it
        self._reference += excess if excess < 0 else self.FOLLOW * excess
        return 0


class Speaker:
    """One sounddevice OutputStream feeding from a Mixer."""

    def __init__(self, device: str | int | None = None, volume: float = 0.8):
        self.wanted = device
        self.volume = volume
        self.stream = None
        self.mixer: Mixer | None = None
        self.error: str | None = None

    def open(self) -> Mixer:
        try:
            import sounddevice as sd  # PortAudio may be missing: AudioDeviceError
        except OSError as err:  # PortAudio itself missing
            raise AudioDeviceError(f"PortAudio is not available ({err}); install libportaudio2") from err
        try:
            device = find_device(self.wanted, "output")
            info = sd.query_devices(device, "output")
            rate = int(info["default_samplerate"])
            mixer = Mixer(rate, self.volume)
            watch = UnderrunWatch(rate)

            def callback(outdata, frames, time_info, status):  # the audio thread: keep it short
                try:
                    # Host APIs without a device time report 0: the callback's own time stands in.
                    device_time = time_info.outputBufferDacTime or time.monotonic()
                    mixer.skip(watch.lost_frames(device_time, mixer.frames, bool(status.output_underflow)))
                    outdata[:, 0] = mixer.render(frames)
                except Exception as err:  # an exception here would end the stream: play silence
                    outdata.fill(0)
                    mixer.frames += frames
                    self.error = f"{type(err).__name__}: {err}"

            stream = sd.OutputStream(device=device, samplerate=rate, channels=1, dtype="float32",
                                     blocksize=int(rate * BLOCK_SECONDS), latency="low", callback=callback)
            stream.start()
        except AudioDeviceError:
            raise
        except Exception as err:  # PortAudioError, ValueError for a bad device: all mean "no speaker"
            raise AudioDeviceError(f"cannot open the output device: {err}") from err
        self.stream, self.mixer, self.error = stream, mixer, None
        self._wait_until_flowing(mixer)
        watch.armed = True
        return mixer

    @staticmethod
    def _wait_until_flowing(mixer: Mixer, limit: float = 4.0) -> None:
        """Some servers (a PulseAudio sink waking from idle) hold a new stream back for a second or
        two; planning sounds before the stream flows would start them late, so wait for it."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            before, started = mixer.frames, time.monotonic()
            time.sleep(0.1)
            flowed = (mixer.frames - before) / mixer.sample_rate
            if flowed >= 0.8 * (time.monotonic() - started):
                return

    @property
    def latency(self) -> float:
        """Seconds from a frame's rendering to its sound (PortAudio's figure for the stream)."""
        stream = self.stream
        return float(stream.latency) if stream is not None else 0.0

    def healthy(self, stall_seconds: float = 1.0) -> bool:
        """False when the stream stopped or its callback has not run for a while (a silent death)."""
        if self.stream is None or self.mixer is None:
            return False
        if not self.stream.active:
            return False
        return time.monotonic() - self.mixer.last_block_at < stall_seconds or self.mixer.frames == 0

    def close(self) -> None:
        stream, self.stream = self.stream, None
        close_quietly(stream)
