"""The virtual room: a PulseAudio null sink the coach plays into, and its monitor the tests record.

`make test` installs PulseAudio; these helpers start the server when none runs, so the audio tests
work the same on a developer's machine and on a fresh CI machine.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from voice_coach.app.live import ScreenOutput, run_live_session
from voice_coach.app.session import workout_phrases
from voice_coach.app.voice_out import VoiceOutput
from voice_coach.audio.pcm import resample
from voice_coach.audio.speaker import AudioClock, Speaker
from voice_coach.core.engine.machine import Engine, Settings
from voice_coach.core.events import BEEP, GO, TICK
from voice_coach.core.phrases import load_phrases
from voice_coach.core.timeline import words_per_minute_estimator
from voice_coach.speech.tts import SpeechCache

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




def tone_onsets(samples: np.ndarray, hz: float, threshold: float = 0.15, hold: float = 0.03) -> list[int]:
    """Sample indices where a tone of `hz` starts: complex demodulation smoothed over 10 ms, above
    `threshold` for at least `hold` seconds (speech passes through a pitch, a tone stays on it)."""
    t = np.arange(len(samples)) / RATE
    baseband = samples * np.exp(-2j * np.pi * hz * t)
    kernel = np.ones(441) / 441
    above = np.abs(np.convolve(baseband, kernel, mode="same")) > threshold
    edges = np.diff(above.astype(np.int8))
    starts, ends = np.nonzero(edges == 1)[0] + 1, np.nonzero(edges == -1)[0] + 1
    onsets = []
    for start in starts:
        end = ends[ends > start][0] if np.any(ends > start) else len(samples)
        if end - start >= hold * RATE and (not onsets or start - onsets[-1] > RATE * 0.05):
            onsets.append(int(start))
    return onsets


def run_spoken(plan, renderer):
    """A real-time voice session of `plan` (auto-start, no commands); returns the events with the
    frames they were planned on, the speech cache, and the underruns (first frame, frames) the
    device had meanwhile."""
    phrases = load_phrases("en")
    cache = SpeechCache(renderer)
    cache.prepare(workout_phrases(plan, phrases))
    clock = AudioClock()
    screen = ScreenOutput(stdout=io.StringIO())
    output = VoiceOutput(Speaker(), cache, clock, screen)
    delivered = []
    deliver = output.deliver

    def recording_deliver(events):
        for event in events:
            if event.kind in ("say", "tone"):
                delivered.append((event, clock.frame_of(event.t)))
        deliver(events)

    output.deliver = recording_deliver
    output.start()
    fallback = words_per_minute_estimator()
    engine = Engine(plan, phrases, clock, Settings(auto_start_seconds=0.5,
                                                   estimate_speech=lambda t: cache.duration(t) or fallback(t)))
    try:
        run_live_session(engine, clock, output, stdin=io.StringIO(""), stdout=io.StringIO())
    finally:
        output.close()
    return delivered, cache, list(output.speaker.mixer.gaps)


def in_gap(frame: int, gaps) -> bool:
    """Whether a sound planned on `frame` fell due while the device was starved (an underrun):
    it starts when the device is fed again, so it cannot be on time; everything after is."""
    return any(first <= frame < first + frames for first, frames in gaps)


def onset_deviations(samples, delivered, gaps=()):
    """How far each tone started from its plan (seconds), once the constant latency is taken out;
    and that latency (frames from the first delivered event to where it was heard). Tones due
    during an underrun (`gaps`) are left out."""
    onsets = {name: np.array(tone_onsets(samples, hz)) for name, hz in
              (("go", GO.hz), ("tick", TICK.hz), ("beep", BEEP.hz))}
    first_frame = delivered[0][1]
    planned = [(frame - first_frame, event.data["tone"]) for event, frame in delivered if event.kind == "tone"]

    def nearest(latency):
        result = []
        for offset, name in planned:
            found = onsets[name]
            if len(found) == 0:
                result.append(np.inf)
                continue
            expected = offset + latency
            result.append((found[np.argmin(np.abs(found - expected))] - expected) / RATE)
        return np.array(result)

    # The latency is whatever lines the first planned tone up with one heard: take the candidate
    # under which the most tones line up.
    first_offset, first_name = planned[0]
    candidates = [onset - first_offset for onset in onsets[first_name]]
    best = max(candidates, key=lambda latency: np.sum(np.abs(nearest(latency)) < 0.02))
    deviations = nearest(best)
    latency = best + int(round(np.median(deviations[np.isfinite(deviations)]) * RATE))
    on_time = [not in_gap(frame, gaps) for event, frame in delivered if event.kind == "tone"]
    return deviations[on_time], latency


def speech_deviations(samples, delivered, cache, latency_frames: int, counts_only: bool = False,
                      gaps=()) -> np.ndarray:
    """How far each spoken phrase started from its plan (seconds), given the latency the tones
    showed. Only phrases that start in silence can be timed from a recording: one that begins
    while an earlier sound still plays is left out. A clip may open with a little silence of its
    own; that is part of its plan.

    The clip is found in the recording by cross-correlation with its own opening 150 ms: a level
    threshold lands on whichever glottal pulse first crosses it, a pitch period (5-13 ms) early or
    late when the first pulse is near the threshold, which read as jitter the coach did not have."""
    first_frame = delivered[0][1]
    deviations = []
    heard_threshold, search, span = 0.02, int(0.05 * RATE), int(0.15 * RATE)
    busy_until = -1
    for event, frame in delivered:
        start = frame - first_frame + latency_frames
        if event.kind == "tone":
            busy_until = max(busy_until, start + int(event.data["seconds"] * RATE))
            continue
        clip = cache.get(event.text)
        quiet_before = start - busy_until > 0.06 * RATE
        busy_until = max(busy_until, start + int(clip.seconds * RATE))
        if not quiet_before or (counts_only and "rep" not in event.data) or in_gap(frame, gaps):
            continue
        played = resample(clip.samples, clip.sample_rate, RATE)
        lead = int(np.argmax(np.abs(played) > heard_threshold))  # where the clip's voice begins
        template = played[lead: lead + span]
        expected = start + lead
        window = samples[max(0, expected - search): expected + search + len(template)]
        if expected - search < 0 or len(window) < len(template) + 2 * search:
            deviations.append(np.inf)
            continue
        correlation = np.correlate(window, template, mode="valid")
        energy = np.cumsum(np.concatenate([[0.0], window ** 2]))
        local = np.sqrt(energy[len(template):] - energy[:-len(template)]) + 1e-9
        best = int(np.argmax(correlation / local))
        deviations.append((best - search) / RATE)
    return np.array(deviations)


def unplug_room() -> bool:
    """Take the room's sink away, as if the speaker were unplugged. PulseAudio's module-always-sink
    would quietly put a dummy sink in its place, so it goes too; returns whether it was loaded."""
    modules = _pactl("list", "short", "modules").stdout
    always = "module-always-sink" in modules
    if always:
        _pactl("unload-module", "module-always-sink")
    _pactl("unload-module", sink_module_id())
    return always


def restore_room(always_sink: bool) -> None:
    ensure_room()
    if always_sink:
        _pactl("load-module", "module-always-sink")
