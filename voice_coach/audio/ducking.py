"""Music ducking: other sounds on the sound server are lowered while the coach or the person speaks.

People train with music on. Over it the coach is hard to follow, and a command said over it is
hard to hear. So while a sentence plays (and while the person is saying something), every other
playback stream on the PulseAudio or PipeWire(-pulse) server is turned down by `duck` dB, and
turned back up smoothly within half a second after.

Two parts:
- `DuckEnvelope`: pure. Which gain other streams should have at a session time, from the
  coach's sentences (known before they sound: events reach the speaker ahead of their time) and
  the person's voice (known as it is heard). Ramps are linear in decibels, as a hand on a fader.
- `Ducker`: the sound server's edge (libpulse through pulsectl), a thread that follows the
  envelope. It remembers each stream's own volume, leaves alone a stream whose volume someone
  else changed meanwhile, and writes what it lowered to a small file, so that a session killed
  while music was down (kill -9, a power cut of the process) has it restored by the next start.

Why not the server's module-role-ducking: it ducks while a "phone" stream exists, and the
coach's stream is open (playing silence) for the whole session, so the music would stay low
from the first word to the last. PipeWire's pulse server has no such module anyway.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voice_coach import user_dirs

_LOGGER = logging.getLogger(__name__)

DEFAULT_DUCK_DB = -15.0
ATTACK_SECONDS = 0.08
"""The fade down (the speaker is told of a sentence 0.15 s ahead)."""
LEAD_SECONDS = 0.04
"""The fade down is over this long before the first word: the coach's stream and the music's
reach the sink through buffers of their own, and their latencies differ by tens of ms."""
HOLD_SECONDS = 0.1
"""Held down this long after a sentence, so that its last syllable is not under rising music."""
RELEASE_SECONDS = 0.3
"""The fade back up: back to the music's own volume HOLD + RELEASE (0.4 s) after a sentence."""
BRIDGE_SECONDS = 0.5
"""Sentences closer than this are one stretch: the music does not bob up between them."""
VOICE_HOLD_SECONDS = 0.4
"""The person's voice keeps the music down this long after it was last heard."""
VOICE_MOST_SECONDS = 4.0
"""One spell of the person's voice ducks at most this long: music the voice detector takes
for voice (a singer) must not keep itself down."""
VOICE_REST_SECONDS = 1.5
"""After a voice spell, the detector's noise floor re-learns the music at its own level (a rise
of 15 dB would look like voice): the voice does not duck again for this long."""
STEP_SECONDS = 0.02
"""How often the volumes follow the envelope during a fade (50 steps a second: no zipper
noise is heard, since the server ramps each change over its own buffer)."""
REFRESH_SECONDS = 0.5
"""While held down, the streams are looked at again this often (a player started meanwhile)."""
SAME_VOLUME = 0.01
"""Volumes (1.0 = the stream's 100 %) closer than this are the same (the server rounds them)."""


@dataclass
class _Window:
    start: float
    end: float
    """Where the voice is (session seconds)."""
    voice: bool = False
    """The person's voice, not the coach's sentence."""

    @property
    def fade_from(self) -> float:
        """Where the fade down begins."""
        return self.start - LEAD_SECONDS - ATTACK_SECONDS


class DuckEnvelope:
    """When other sounds should be down, and by how much, at each session time. Pure: the
    times are session seconds given by the caller, never read from a clock."""

    def __init__(self, depth_db: float = DEFAULT_DUCK_DB) -> None:
        self.depth_db = min(0.0, depth_db)
        self._windows: list[_Window] = []
        self._voice_rest_until = float("-inf")

    @property
    def enabled(self) -> bool:
        return self.depth_db < 0

    def speaking(self, start: float, seconds: float) -> None:
        """The coach says a sentence from `start` (session seconds) for `seconds`."""
        if not self.enabled:
            return
        end = start + seconds
        for window in self._windows:
            if not window.voice and window.start - BRIDGE_SECONDS <= end and start <= window.end + BRIDGE_SECONDS:
                window.start, window.end = min(window.start, start), max(window.end, end)
                return
        self._windows.append(_Window(start, end))
        self._forget(start - 30)

    def voice(self, at: float) -> None:
        """The person's voice was heard at `at` (the coach silent)."""
        if not self.enabled:
            return
        spell = next((w for w in self._windows if w.voice and w.fade_from <= at <= w.end + 0.05), None)
        if spell is None:
            if at < self._voice_rest_until:
                return
            # Heard now: fade from now (a window starting in the past would jump down at once).
            spell = _Window(at + LEAD_SECONDS + ATTACK_SECONDS, at + LEAD_SECONDS + ATTACK_SECONDS, voice=True)
            self._windows.append(spell)
        spell.end = min(at + VOICE_HOLD_SECONDS, spell.start + VOICE_MOST_SECONDS)
        self._voice_rest_until = spell.end + HOLD_SECONDS + RELEASE_SECONDS + VOICE_REST_SECONDS
        self._forget(at - 30)

    def silenced(self, at: float) -> None:
        """Everything the coach planned after `at` was cancelled (a pause)."""
        self._windows = [_Window(w.start, min(w.end, at), w.voice) for w in self._windows
                         if w.fade_from <= at]

    def gain_db(self, t: float) -> float:
        """The gain (dB, 0 or below) other streams should have at session time `t`."""
        # To a hundredth of a decibel, so that "back at 0 dB" is exactly 0.
        return round(self.depth_db * max((_shape(w, t) for w in self._windows), default=0.0), 2) + 0.0

    def next_change(self, t: float) -> float | None:
        """The earliest time after `t` at which the gain leaves 0 dB, if any is planned."""
        starts = [w.fade_from for w in self._windows if w.fade_from > t]
        return min(starts, default=None)

    def _forget(self, before: float) -> None:
        self._windows = [w for w in self._windows if w.end + HOLD_SECONDS + RELEASE_SECONDS > before]


def _shape(window: _Window, t: float) -> float:
    """0 (music at its own volume) to 1 (fully ducked) for one window at time t."""
    if t < window.fade_from:
        return 0.0
    if t < window.fade_from + ATTACK_SECONDS:
        return (t - window.fade_from) / ATTACK_SECONDS
    released = t - (window.end + HOLD_SECONDS)
    if released <= 0:
        return 1.0
    return max(0.0, 1.0 - released / RELEASE_SECONDS)


AUDIBLE_DBFS = -45.0
"""A clip's voice is where its 10 ms level is above this."""


def audible_span(samples: np.ndarray, sample_rate: int) -> tuple[float, float] | None:
    """(first, last) seconds of a clip where its level is above AUDIBLE_DBFS; None if silent."""
    frame = max(1, sample_rate // 100)
    count = len(samples) // frame
    if count == 0:
        return None
    power = np.mean(samples[:count * frame].astype(np.float64).reshape(count, frame) ** 2, axis=1)
    loud = np.flatnonzero(power > 10 ** (AUDIBLE_DBFS / 10))
    if len(loud) == 0:
        return None
    return loud[0] * frame / sample_rate, (loud[-1] + 1) * frame / sample_rate


@dataclass
class _Lowered:
    """A stream the ducker turned down: who it is, its own volume, and what the ducker set."""

    index: int
    pid: str
    name: str
    program: str
    """The server's key for the program's remembered volume (see restore_key)."""
    original: list[float]
    last: list[float]


@dataclass
class _Program:
    """A program whose stream the ducker turned down: its own volume and what was set last."""

    original: list[float]
    last: list[float]


def restore_key(properties: dict[str, str]) -> str:
    """The name under which the server (module-stream-restore) remembers a stream's volume for the
    program's next stream: a player that opens a new stream per track, or is restarted, gets the
    volume its last stream had, lowered or not."""
    for prop, kind in (("media.role", "media-role"), ("application.id", "application-id"),
                       ("application.name", "application-name"), ("media.name", "media-name")):
        if properties.get(prop):
            return f"sink-input-by-{kind}:{properties[prop]}"
    return ""


def state_file(pid: int | None = None) -> Path:
    """Where a session notes the streams it has lowered (one file per process)."""
    return user_dirs.state_dir() / f"ducked-{pid or os.getpid()}.json"


class Ducker:
    """Follows a DuckEnvelope on the sound server's other playback streams, in its own thread.

    `now` is the session clock (the envelope's times). When there is no sound server, or pulsectl
    or libpulse is missing, `start` says so in one line and the session goes on without ducking.
    """

    def __init__(self, now: Callable[[], float], depth_db: float = DEFAULT_DUCK_DB, client: str = "voice-coach"):
        self.now = now
        self.envelope = DuckEnvelope(depth_db)
        self.client = client
        self._lock = threading.Condition()
        self._pulse = None
        self._lowered: dict[int, _Lowered] = {}
        self._programs: dict[str, _Program] = {}
        """Programs whose streams this session lowered, by restore key (see restore_key)."""
        self._running = False
        self._thread: threading.Thread | None = None
        self._pid = str(os.getpid())
        self._sentences: set[float] = set()
        """Start times of sentences told (speaking) whose sound has not come yet (playing)."""

    # --- what the session tells it (any thread) ---

    def speaking(self, text: str, start: float, seconds: float) -> None:
        with self._lock:
            self._sentences.add(start)  # its sound follows (playing), and tells where the voice is

    def playing(self, start: float, samples: np.ndarray, sample_rate: int, volume: float) -> None:
        """A sound the coach plays: a sentence ducks the music where its voice is (a speech
        engine's clip has a quarter second of silence after the words); tones and ticks do not."""
        with self._lock:
            if start not in self._sentences:
                return
            self._sentences.discard(start)
            span = audible_span(samples, sample_rate)
            if span is not None:
                self.envelope.speaking(start + span[0], span[1] - span[0])
                self._lock.notify()

    def silenced(self, at: float) -> None:
        with self._lock:
            self.envelope.silenced(at)
            self._lock.notify()

    def voice(self, at: float) -> None:
        with self._lock:
            self.envelope.voice(at)
            self._lock.notify()

    def played(self, origin: float, frame: int, block: np.ndarray, rate: int) -> None:
        pass  # the Playback protocol's block by block: the whole sound (playing) is enough here

    # --- the sound server ---

    def start(self) -> bool:
        """Connect, put back what an earlier session left lowered, and start following the
        envelope (only when ducking is on). False, with one line why, when there is no server."""
        try:
            import pulsectl  # libpulse loads only where there is a sound server to talk to

            self._pulse = pulsectl.Pulse(self.client, connect=True)
        except Exception as err:  # no libpulse, no server, refused
            _LOGGER.warning("music is not lowered while the coach speaks: no PulseAudio or PipeWire "
                            "sound server (%s)", err)
            return False
        restore_left_lowered(self._pulse)
        if not self.envelope.enabled:
            self._close_pulse()
            return True
        self._running = True
        self._thread = threading.Thread(target=self._follow, daemon=True, name="ducking")
        self._thread.start()
        return True

    def close(self) -> None:
        """Stop, with every lowered stream back at its own volume."""
        with self._lock:
            self._running = False
            self._lock.notify()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._pulse is not None:
            try:
                self._apply(0.0)
                # A program whose stream ended while lowered is remembered by the server at the
                # lowered volume: its next stream would start low.
                remembered = {key: p for key, p in self._programs.items() if not _same(p.last, p.original)}
                _reset_remembered(self._pulse, {key: (p.original, p.last) for key, p in remembered.items()})
                self._programs.clear()
                self._save()
            except Exception as err:
                _LOGGER.warning("could not put the music's volume back (%s)", err)
            self._close_pulse()

    def _close_pulse(self) -> None:
        pulse, self._pulse = self._pulse, None
        if pulse is not None:
            pulse.close()

    def _follow(self) -> None:
        applied, applied_at = 0.0, float("-inf")
        while True:
            with self._lock:
                if not self._running:
                    return
                now = self.now()
                gain = self.envelope.gain_db(now)
                if gain == 0.0 and applied == 0.0:
                    # Nothing to do until the next sentence is due: sleep until then, or until told.
                    upcoming = self.envelope.next_change(now)
                    self._lock.wait(None if upcoming is None else max(0.0, upcoming - now))
                    continue
            try:
                # Also now and then while held down: a player started meanwhile is lowered too.
                if abs(gain - applied) >= 0.1 or gain == 0.0 or now - applied_at >= REFRESH_SECONDS:
                    self._apply(gain)
                    applied, applied_at = gain, now
            except Exception as err:  # the server went away or restarted
                _LOGGER.warning("music ducking stopped: the sound server is gone (%s)", err)
                self._lowered.clear()
                self._save()
                return
            with self._lock:
                if self._running:
                    self._lock.wait(STEP_SECONDS)

    def _apply(self, gain_db: float) -> None:
        """Every other playback stream at its own volume times `gain_db`."""
        import pulsectl

        factor = _volume_factor(gain_db)
        back = gain_db == 0.0
        changed = False
        present = set()
        for stream in self._pulse.sink_input_list():
            pid = stream.proplist.get("application.process.id", "")
            if pid == self._pid:
                continue  # the coach's own voice
            present.add(stream.index)
            current = list(stream.volume.values)
            lowered = self._lowered.get(stream.index)
            if lowered is None:
                program = restore_key(stream.proplist)
                known = self._programs.get(program)
                # A new stream of a program lowered before, which the server started at the volume
                # this session set last (a player's next track): its own volume is the program's.
                inherited = known is not None and _same(current, known.last) and not _same(current, known.original)
                if back and not inherited:
                    continue
                lowered = _Lowered(stream.index, pid, stream.name, program,
                                   known.original if inherited else current, current)
                self._lowered[stream.index] = lowered
                self._save()  # before the first change: a kill from now on leaves a note
            elif not _same(current, lowered.last):
                # Someone turned this stream up or down meanwhile: theirs is the volume now.
                del self._lowered[stream.index]
                self._programs.pop(lowered.program, None)
                changed = True
                continue
            target = lowered.original if back else [v * factor for v in lowered.original]
            self._pulse.volume_set(stream, pulsectl.PulseVolumeInfo(target))
            lowered.last = target
            self._programs[lowered.program] = _Program(lowered.original, target)
            if back:
                del self._lowered[stream.index]
                changed = True
        for index in set(self._lowered) - present:  # the stream ended
            del self._lowered[index]
            changed = True
        if changed:
            self._save()

    def _save(self) -> None:
        path = state_file()
        programs = {key: p for key, p in self._programs.items() if not _same(p.last, p.original)}
        if not self._lowered and not programs:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        lowest = _volume_factor(self.envelope.depth_db)
        note = {"streams": [{"index": s.index, "pid": s.pid, "name": s.name, "program": s.program,
                             "original": s.original, "lowest": [v * lowest for v in s.original]}
                            for s in self._lowered.values()],
                "programs": {key: {"original": p.original, "lowest": [v * lowest for v in p.original]}
                             for key, p in programs.items()}}
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(note))
        temporary.replace(path)


def sound_server() -> str:
    """The sound server's name and version ("pulseaudio 16.1", "PulseAudio (on PipeWire 1.0.5)");
    raises OSError-like errors (any Exception) when there is none to talk to."""
    import pulsectl

    with pulsectl.Pulse("voice-coach-check") as pulse:
        info = pulse.server_info()
        return f"{info.server_name} {info.server_version}"


def restore_left_lowered(pulse) -> int:
    """Streams lowered by a session that is no longer running go back to their own volume (a
    session killed mid-sentence cannot do it itself), and so does the volume the server remembers
    for those programs' next streams. A volume since moved out of what the ducker could have set
    is left as someone chose it. Returns how many streams came back."""
    folder = user_dirs.state_dir()
    restored = 0
    for path in sorted(folder.glob("ducked-*.json")) if folder.is_dir() else []:
        owner = path.stem.removeprefix("ducked-")
        if owner.isdigit() and _alive(int(owner)):
            continue  # a running session (another voice-coach) still owns these
        try:
            note = json.loads(path.read_text())
            restored += _restore(pulse, note.get("streams", []), note.get("programs", {}))
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
            _LOGGER.warning("%s: not a note of lowered streams (%s); removed", path, err)
        path.unlink(missing_ok=True)
    if restored:
        _LOGGER.info("put %d stream(s) back at their own volume: a session before this one ended while "
                     "they were lowered", restored)
    return restored


def _restore(pulse, streams: list[dict], programs: dict[str, dict]) -> int:
    import pulsectl

    restored = 0
    by_index = {stream.index: stream for stream in pulse.sink_input_list()}
    done = set()
    for entry in streams:
        stream = by_index.get(entry["index"])
        if stream is None or stream.proplist.get("application.process.id", "") != entry["pid"] \
                or stream.name != entry["name"]:
            continue  # gone, or the number now belongs to another stream
        if _between(list(stream.volume.values), entry["lowest"], entry["original"]):
            pulse.volume_set(stream, pulsectl.PulseVolumeInfo(entry["original"]))
            restored += 1
        done.add(stream.index)
    # A later stream of a lowered program, started by the server at the lowered volume.
    for stream in by_index.values():
        program = programs.get(restore_key(stream.proplist))
        if stream.index in done or program is None:
            continue
        if _between(list(stream.volume.values), program["lowest"], program["original"]) \
                and not _same(list(stream.volume.values), program["original"]):
            pulse.volume_set(stream, pulsectl.PulseVolumeInfo(program["original"]))
            restored += 1
    _reset_remembered(pulse, {key: (p["original"], p["lowest"]) for key, p in programs.items()}, within=True)
    return restored


def _reset_remembered(pulse, programs: dict[str, tuple[list[float], list[float]]], within: bool = False) -> None:
    """The server's remembered volume for each program back at the program's own, where it is the
    lowered one (`within`: anywhere from the lowest to the own volume)."""
    import pulsectl

    if not programs:
        return
    try:
        entries = pulse.stream_restore_list()
    except pulsectl.PulseError:
        return  # the server remembers no volumes (no module-stream-restore, or PipeWire without it)
    for entry in entries:
        if entry.name not in programs or entry.volume is None or not entry.volume.values:
            continue
        original, lowered = programs[entry.name]
        remembered = list(entry.volume.values)
        if (_between(remembered, lowered, original) if within else _same(remembered, lowered)) \
                and not _same(remembered, original):
            entry.volume = pulsectl.PulseVolumeInfo(original)
            pulse.stream_restore_write(entry, mode="replace")


def _between(values: list[float], lowest: list[float], highest: list[float]) -> bool:
    return len(values) == len(lowest) == len(highest) and all(
        low - SAME_VOLUME <= value <= high + SAME_VOLUME for value, low, high in zip(values, lowest, highest))


def _volume_factor(gain_db: float) -> float:
    """What a stream's volume is multiplied by for `gain_db` of amplitude: PulseAudio's volume
    scale is cubic (amplitude = volume ** 3: 100 % is 0 dB, 56 % is -15 dB)."""
    return 10 ** (gain_db / 60)


def _same(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= SAME_VOLUME for x, y in zip(a, b))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != os.getpid()  # a file of this very process number is an older process's
