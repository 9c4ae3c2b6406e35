"""Listening during a session: microphone -> recognizer -> the session's commands.

A speaker and a microphone share one room, so every word the coach says reaches the microphone.
The coach knows what it is saying, when and how loud (the speaker tells this module). Its own
signal is first cancelled from the microphone's (echo_cancel.py), so the person's words reach the
decoder nearly alone; what is left of the coach still must not command: while it talks only a
barge-in may get through: "pause" or "stop", only when the coach's own sentence does
not contain that phrase, and only when the microphone heard more than the coach's echo just
before (someone else spoke). Everything else heard over the coach's voice is dropped.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from voice_coach.audio.devices import close_quietly, find_device
from voice_coach.audio.pcm import to_speech_pcm
from voice_coach.core.events import Event, StateChange
from voice_coach.core.phrases import available_languages, load_phrases, normalize
from voice_coach.listening.echo import WINDOW_SECONDS, EchoModel
from voice_coach.listening.echo_cancel import EchoCanceller
from voice_coach.listening.grammar import BARGE_IN
from voice_coach.listening.recognizer import CHUNK_SECONDS, SAMPLE_RATE, Heard, Recognizer, listen_to_samples

_LOGGER = logging.getLogger(__name__)

ECHO_TAIL_SECONDS = 0.6
"""The room keeps ringing, and the recognizer lags, this long after a sentence ends (seconds)."""
STALL_SECONDS = 2.0
"""No microphone audio for this long means the input died silently; reopen it (seconds)."""
FIRST_BLOCK_SECONDS = 6.0
"""A new input stream may take a while to deliver its first block (a sound server waking up)."""
BEFORE_WORDS_SECONDS = 1.0
"""A person's words over the coach begin: in the second before them the microphone held no more
than the coach's echo. When it held more for most of that second too, the echo itself grew
louder (its path changed: the speaker or the microphone moved, a door opened) and the canceller
is still learning it. In the simulated room, 2.6 s after such a change, the coach's own
"Reverse lunge for glutes 운동을 시작합니다" was heard as 일시 정지 and obeyed: the echo was 20 dB
above what the model had learned, so every window looked like someone talking over the coach."""
LOOK_BACK_SECONDS = 3.0
"""How far before the words the second of BEFORE_WORDS_SECONDS may lie: it is the last second
in which the coach's echo could be judged (only windows where the coach played throughout can
be), which ends before a pause between two sentences: a second of that pause alone holds no
verdict at all."""
LATEST_SECONDS = 0.3
"""When that last judged second ended at least this long before the words, the person's voice
cannot be in it, and its latest windows (this long) are the echo as it was last known: louder
there for most of them, it was still louder when the words came, even if the rest of that
second was not. In the simulated room (seed 14, +50 ppm) the echo path changed 0.5 s before the
end of one sentence, and the next one's "Reverse lunge for glutes 운동을 시작합니다", heard as
일시 정지 from 0.1 s into it, was obeyed while the rule looked at the whole second only (the
louder echo filled half of it). Words that begin right after judged windows (over a sentence)
keep the whole second: the person's own first syllables may lie in its last windows."""


@dataclass(frozen=True)
class Spoken:
    start: float
    end: float
    """Session seconds."""
    words: str
    """The sentence, normalized."""


class EchoGuard:
    """What the coach says and when, so that the listener can tell the coach from the person."""

    def __init__(self, canceller: EchoCanceller | None = None) -> None:
        self._spoken: list[Spoken] = []
        self._lock = threading.Lock()
        self.echo = EchoModel()
        self.canceller = canceller or EchoCanceller()
        self._double_talk_at: float | None = None
        self._verdicts: deque[tuple[float, bool]] = deque(maxlen=500)
        """(session time, double talk) of every window heard while the coach played loud enough
        to tell (10 s of 20 ms blocks)."""

    def playing(self, start: float, samples: np.ndarray, sample_rate: int, volume: float) -> None:
        """Every sound the coach plays (speech and tones), for the echo's loudness."""
        with self._lock:
            self.echo.playing(start, samples, sample_rate, volume)

    def played(self, origin: float, frame: int, block: np.ndarray, rate: int) -> None:
        """A block went to the speaker (called in the audio thread; see SpeakerSignal.played)."""
        self.canceller.speaker.played(origin, frame, block, rate)

    def heard(self, microphone_energy: float, at: float) -> None:
        """The microphone's mean energy over the last echo window, at session time `at`."""
        with self._lock:
            double = self.echo.double_talk(microphone_energy, at)
            if self.echo.echo_known(at):
                self._verdicts.append((at, double))
            if double:
                self._double_talk_at = at

    def speaking(self, text: str, start: float, seconds: float) -> None:
        with self._lock:
            self._spoken.append(Spoken(start, start + seconds, normalize(text)))
            cutoff = start - 30
            self._spoken = [s for s in self._spoken if s.end > cutoff]

    def silenced(self, at: float) -> None:
        """Everything stopped (pause): nothing planned after `at` will be heard."""
        with self._lock:
            self._spoken = [Spoken(s.start, min(s.end, at), s.words) for s in self._spoken if s.start <= at]
            self.echo.silenced(at)

    def talking(self, at: float) -> bool:
        """Whether the coach's voice (or its echo) is in what the microphone hears at `at`."""
        with self._lock:
            return any(s.start <= at < s.end + ECHO_TAIL_SECONDS for s in self._spoken)

    def accept(self, command: str, phrase: str, at: float, heard_seconds: float = 1.5) -> bool:
        """Whether a command decided at session time `at`, from words spoken over the
        `heard_seconds` before it, came from the person."""
        words = normalize(phrase)
        with self._lock:
            overlapping = [s for s in self._spoken
                           if s.start < at and s.end + ECHO_TAIL_SECONDS > at - heard_seconds]
            someone_else = self._double_talk_at is not None and at - self._double_talk_at <= heard_seconds
            began = at - heard_seconds
            judged = [(t, double) for t, double in self._verdicts if began - LOOK_BACK_SECONDS <= t < began]
        if not overlapping:
            return True
        if command not in BARGE_IN or not someone_else:
            return False
        if _echo_grew_louder(judged, began):
            _LOGGER.debug("%r over the coach after a louder echo: taken for the coach's own", phrase)
            return False
        return not any(says_command(s.words, command, words) for s in overlapping)


def _echo_grew_louder(judged: list[tuple[float, bool]], began: float) -> bool:
    """Whether the windows judged before words that began at `began` ((session time, double
    talk), oldest first) say the coach's echo had grown louder (see BEFORE_WORDS_SECONDS and
    LATEST_SECONDS)."""
    if not judged:
        return False
    last = judged[-1][0]
    if _mostly([double for t, double in judged if t >= last - BEFORE_WORDS_SECONDS]):
        return True
    # only when the person's voice cannot be in the latest windows
    return began - last >= LATEST_SECONDS and _mostly([double for t, double in judged if t >= last - LATEST_SECONDS])


def _mostly(verdicts: list[bool]) -> bool:
    """Whether most of these windows were double talk (none: no)."""
    return bool(verdicts) and sum(verdicts) > len(verdicts) / 2


@cache
def _phrases_of(command: str) -> tuple[str, ...]:
    """Every language's phrases for a command."""
    return tuple(normalize(phrase) for language in available_languages()
                 for phrase in load_phrases(language).commands.get(command, ()))


def says_command(sentence: str, command: str, heard: str) -> bool:
    """Whether the coach's (normalized) sentence holds the words heard or any phrase of that
    command in any language. A script's text may be in another language than the session's
    ("Say pause at any time" in a Korean session), and the Korean decoder hears that "pause" as
    일시 정지 (in the simulated room, at the session's start, before the echo canceller had
    learned the room)."""
    for phrase in {heard, *_phrases_of(command)}:
        if re.search(r"[a-z]", phrase):  # alphabetic: whole words ("stop" is not in "stopwatch")
            if re.search(rf"\b{re.escape(phrase)}\b", sentence):
                return True
        # Korean: containment, as particles are fixed to words ("그만이라고" holds "그만"), and
        # without spaces, as spacing is loose (the decoder's 일시정지 is the coach's 일시 정지).
        elif phrase.replace(" ", "") in sentence.replace(" ", ""):
            return True
    return False


@dataclass
class MicrophoneTime:
    """Where a block sits in its input stream: sample counts are exact where callback times jitter."""

    stream: int
    start: float | None = None
    """Session time of the stream's first sample (its first callback's time less one block)."""
    first: int = 0
    """The block's first sample number in the stream (16 kHz)."""

    def at(self, count: int) -> MicrophoneTime:
        """This block's position; the next block follows it."""
        position = MicrophoneTime(self.stream, self.start, self.first)
        self.first += count
        return position


class VoiceInput:
    """Microphone blocks go to a worker thread that decodes them and passes commands on."""

    def __init__(self, recognizer: Recognizer, guard: EchoGuard, now: Callable[[], float],
                 on_command: Callable[[str], None], note: Callable[[str], None] | None = None,
                 device: str | int | None = None, block_seconds: float = CHUNK_SECONDS,
                 on_voice: Callable[[float], None] | None = None, workout: bool = False):
        """`note`: where the person is told that the microphone went away or came back (by
        default this module's log, which the terminal and the journal show). `block_seconds`:
        how much audio each callback brings. A session takes 20 ms, for barge-in; `serve`, which
        only waits for "start", takes more: a stream costs per callback (on this machine a bare
        PortAudio input takes 1.5 % of a core at 20 ms, 0.3 % at 100 ms). `on_voice`: told the
        session time whenever the person is heard speaking while the coach is silent (the session
        lowers the music then). `workout`: a workout's events come to `deliver` (a session), so
        the commands that only a pause gives a meaning are listened for only while it is paused."""
        self.recognizer, self.guard, self.now = recognizer, guard, now
        self.workout = workout
        self._paused = False
        """The workout is paused (from the engine's events)."""
        self.on_voice = on_voice
        self._answers_until = float("-inf")
        """Session time until which the coach waits for an answer (the answers' grammar is on)."""
        self._loads_until = float("-inf")
        """... and for a load, after a set of an exercise done with a weight."""
        self._loads_wanted = False
        """An exercise done with a weight is under way: the loads are in the grammar."""
        self.on_command, self.note, self.device = on_command, note or _LOGGER.warning, device
        self.block_seconds = block_seconds
        self._blocks: queue.Queue[tuple[np.ndarray, float, MicrophoneTime]] = queue.Queue(maxsize=400)
        """Audio blocks with the session time they were captured at: the decoder may fall behind,
        and what the coach was playing must be compared with when the block was heard."""
        self._streams = 0
        """Input streams opened so far: the echo canceller counts samples per stream."""
        self._energies: deque[float] = deque(maxlen=max(1, round(WINDOW_SECONDS / block_seconds)))
        self._stream = None
        self._last_block = time.monotonic()
        self._running = False
        self._lost = False
        """The input stalled and has not delivered since (said once, and once when it is back)."""
        self.heard: list[tuple[Heard, bool]] = []
        """Every decision, and whether it was passed on (for tests and the benchmark)."""

    def start(self) -> None:
        self._open()
        self._running = True
        threading.Thread(target=self._work, daemon=True, name="voice-in").start()

    def _open(self) -> None:
        import sounddevice as sd  # PortAudio loads only where a device is opened

        device = find_device(self.device, "input")
        rate = SAMPLE_RATE
        try:
            sd.check_input_settings(device=device, samplerate=rate, channels=1, dtype="int16")
        except Exception:  # the device cannot do 16 kHz itself: take its rate and resample
            rate = int(sd.query_devices(device, "input")["default_samplerate"])

        self._streams += 1
        clock = MicrophoneTime(self._streams)

        def callback(indata, frames, time_info, status):  # the audio thread: keep it short
            self._last_block = time.monotonic()
            block, now = to_speech_pcm(indata[:, 0].copy(), rate), self.now()
            if clock.start is None:
                clock.start = now - len(block) / SAMPLE_RATE
            try:
                self._blocks.put_nowait((block, now, clock.at(len(block))))
            except queue.Full:
                pass  # the decoder fell far behind: dropping is better than growing without end

        self._stream = sd.InputStream(device=device, samplerate=rate, channels=1, dtype="int16",
                                      blocksize=int(rate * self.block_seconds), callback=callback)
        self._stream.start()
        # Until the first block arrives, allow the longer start-up wait before calling it a stall.
        self._last_block = time.monotonic() + FIRST_BLOCK_SECONDS - STALL_SECONDS

    def _work(self) -> None:
        while self._running:
            try:
                block, captured_at, position = self._blocks.get(timeout=0.2)
            except queue.Empty:
                self._check_stall()
                continue
            if self._lost:
                self._lost = False
                self.note("(the microphone is back: listening again)")
            self.process(block, captured_at, position)

    def process(self, block: np.ndarray, captured_at: float, position: MicrophoneTime) -> None:
        """One microphone block (int16 at 16 kHz, heard at session time `captured_at`): the coach
        cancelled from it, decoded, and each command decided on and passed on or dropped. The
        worker thread calls it live; `replay` calls it for a recording."""
        block = self.guard.canceller.process(block, position.stream, position.first, position.start)
        # What is left after cancelling is the person (and a little of the coach): the echo
        # model learns how little, so that a person talking over the coach stands out clearly.
        self._energies.append(float(np.mean((block.astype(np.float32) / 32768.0) ** 2)))
        self.guard.heard(sum(self._energies) / len(self._energies), captured_at)
        coach_talking = self.guard.talking(captured_at)
        self.recognizer.use_moment(answers=captured_at < self._answers_until,
                                   loads=self._loads_wanted or captured_at < self._loads_until,
                                   running=self.workout and not self._paused)
        heard_now = self.recognizer.feed(block, coach_talking=coach_talking)
        if self.on_voice is not None and not coach_talking and self.recognizer.hearing_words:
            self.on_voice(captured_at)
        for heard in heard_now:
            passed = self.guard.accept(heard.command, heard.phrase, captured_at, heard.spoken_for)
            self.heard.append((heard, passed))
            if passed:
                self.on_command(heard.phrase)
            else:
                _LOGGER.debug("heard %r over the coach's voice: taken for the coach's own", heard.phrase)

    def deliver(self, events: list[Event]) -> None:
        """The session's events (a Tee listener): when the coach waits for an answer, listen for
        answers until then; during an exercise done with a weight, for loads; while paused, for
        the commands only a pause gives a meaning ("resume")."""
        for event in events:
            state = event.data.get("state") if event.kind == "state" else None
            if state == StateChange.ASKING:
                self._answers_until = float(event.data["until"])
                if event.data.get("loads"):
                    self._loads_until = self._answers_until
            elif state == StateChange.LISTENING:
                self._loads_wanted = bool(event.data.get("loads"))
            elif state in (StateChange.PAUSED, StateChange.RESUMED):
                self._paused = state == StateChange.PAUSED

    def _check_stall(self) -> None:
        if time.monotonic() - self._last_block < STALL_SECONDS:
            return
        if not self._lost:  # said once, however long it stays away
            self._lost = True
            self.note("(the microphone went quiet; opening it again — type commands meanwhile)")
        self._close_stream()
        try:
            self._open()
        except Exception:
            self._last_block = time.monotonic()  # try again after another stall period

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        close_quietly(stream)

    def stop(self) -> None:
        self._running = False
        self._close_stream()


REFERENCE_FLOOR_DBFS = -50.0
"""Where a reference recording counts as the coach playing something (20 ms frames)."""
REFERENCE_GAP_SECONDS = 0.3
"""Quieter stretches of the reference shorter than this are still one sound (a breath, a pause
between words)."""


def playing_spans(reference: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """(start, end) seconds where the reference (float samples) is above REFERENCE_FLOOR_DBFS."""
    frame = max(1, int(rate * 0.02))
    count = len(reference) // frame
    if count == 0:
        return []
    power = np.mean(reference[:count * frame].astype(np.float64).reshape(count, frame) ** 2, axis=1)
    loud = 10 * np.log10(power + 1e-12) > REFERENCE_FLOOR_DBFS
    spans: list[tuple[float, float]] = []
    for index in np.flatnonzero(loud):
        start, end = index * frame / rate, (index + 1) * frame / rate
        if spans and start - spans[-1][1] < REFERENCE_GAP_SECONDS:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def replay(recognizer: Recognizer, microphone: np.ndarray, reference: np.ndarray | None = None,
           reference_rate: int = SAMPLE_RATE,
           spoken: list[tuple[float, float, str]] | None = None,
           canceller: EchoCanceller | None = None) -> list[tuple[Heard, bool]]:
    """A session's listening decisions, from a recording: `microphone` (int16 at 16 kHz) as the
    microphone heard it and `reference` (float samples at `reference_rate`, aligned to the
    microphone's first sample) as the speaker played it. The echo canceller gets the reference
    block by block just before the microphone hears it, as it gets the mixer's blocks live; the
    echo guard learns when the coach was playing from the reference's level, and which command
    phrases the coach's voice holds by listening to the reference itself as the microphone would
    (a recording has no text; live, the coach's sentences give it). Where the text is known (a
    simulation), `spoken` gives it as the session would: (start, seconds, text) per sentence.
    `canceller`: another echo canceller to try (a benchmark's comparison).
    Returns every decision and whether it would have been passed on."""
    guard = EchoGuard(canceller)
    listener = VoiceInput(recognizer, guard, now=lambda: 0.0, on_command=lambda phrase: None)
    if reference is not None:
        reference = reference.astype(np.float32, copy=False)
        if spoken is None:
            said = [(heard.t, heard.phrase) for heard in
                    listen_to_samples(recognizer.another(), to_speech_pcm(reference, reference_rate))]
            spoken = []
            for start, end in playing_spans(reference, reference_rate):
                # A phrase is decided a little after its voice ends: it belongs to the span it follows.
                words = " ".join(phrase for t, phrase in said if start <= t <= end + ECHO_TAIL_SECONDS)
                spoken.append((start, end - start, words))
    # Each sentence is told to the guard as it begins, as a live session does: the guard keeps
    # only the last 30 s of what the coach said, so told all at once it would forget a long
    # recording's start and take the coach's own words there for the person's.
    upcoming = deque(sorted(spoken or []) if reference is not None else [])
    chunk = int(SAMPLE_RATE * CHUNK_SECONDS)
    length = max(len(microphone), 0 if reference is None else int(len(reference) * SAMPLE_RATE / reference_rate))
    microphone = np.concatenate([microphone, np.zeros(max(0, length - len(microphone)), np.int16)])
    position, fed = MicrophoneTime(stream=1, start=0.0), 0
    reference_block = max(1, int(reference_rate * CHUNK_SECONDS))
    for first in range(0, len(microphone), chunk):
        block = microphone[first:first + chunk]
        ahead = int((first + len(block)) / SAMPLE_RATE * reference_rate) + reference_block
        while reference is not None and fed < min(ahead, len(reference)):  # the mixer's tap, live
            guard.played(0.0, fed, reference[fed:fed + reference_block], reference_rate)
            fed += reference_block
        while upcoming and upcoming[0][0] <= (first + len(block)) / SAMPLE_RATE:
            start, seconds, text = upcoming.popleft()
            guard.speaking(text, start, seconds)
            begin = int(start * reference_rate)
            guard.playing(start, reference[begin:begin + int(seconds * reference_rate)], reference_rate, 1.0)
        # Stamped like a live block: the moment its last sample arrived.
        listener.process(block, (first + len(block)) / SAMPLE_RATE, position.at(len(block)))
    for heard in listener.recognizer.flush():
        listener.heard.append((heard, guard.accept(heard.command, heard.phrase, heard.t, heard.spoken_for)))
    return listener.heard
