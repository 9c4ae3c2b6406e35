"""Music ducking on a real sound server: the PulseAudio room, with a second program (paplay, as a
music player would be) playing a steady 7 kHz tone into the same sink while the coach speaks.
The tone's level is measured from the sink's monitor by a lock-in at its frequency; the coach's
voice is what is left when the tone is taken out."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
import wave

import numpy as np
import pulsectl
import pytest
from room import RATE, Recorder, ensure_room

from voice_coach.app.voice_out import Playbacks, VoiceOutput
from voice_coach.audio.ducking import Ducker, state_file
from voice_coach.audio.speaker import AudioClock, Speaker
from voice_coach.core.events import Event
from voice_coach.speech.tts import Pyttsx3Renderer, SpeechCache

TONE_HZ = 7000.0
"""Above nearly all of the voice's energy, so the lock-in sees the tone alone."""
TONE_AMPLITUDE = 0.1
WINDOW = int(RATE * 0.02)
"""20 ms lock-in windows: 140 whole periods of the tone."""
SENTENCE = "Slow on the way down, fast on the way up."


@pytest.fixture(scope="module", autouse=True)
def room():
    ensure_room()


@pytest.fixture
def tone_file(tmp_path):
    path = tmp_path / "tone.wav"
    t = np.arange(int(RATE * 30)) / RATE
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((TONE_AMPLITUDE * np.sin(2 * np.pi * TONE_HZ * t) * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture
def music(tone_file):
    """A 'music player': another process playing a steady tone into the room."""
    player = subprocess.Popen(["paplay", str(tone_file)])
    try:
        index = wait_for_stream(player.pid)
        # The server remembers a program's last volume for its next stream (module-stream-restore):
        # each test's player starts at 100 %, whatever an earlier test left.
        subprocess.run(["pactl", "set-sink-input-volume", str(index), "100%"], check=True)
        yield index
    finally:
        player.kill()
        player.wait()


def wait_for_stream(pid: int, limit: float = 5.0) -> int:
    """The sink input index of process `pid`'s stream, once the server has it."""
    deadline = time.monotonic() + limit
    with pulsectl.Pulse("test-watch") as pulse:
        while time.monotonic() < deadline:
            for stream in pulse.sink_input_list():
                if stream.proplist.get("application.process.id") == str(pid):
                    return stream.index
            time.sleep(0.05)
    raise AssertionError("the player's stream never appeared")


def remembered_volume(program: str = "paplay") -> float | None:
    """The volume the server (module-stream-restore) gives the program's next stream."""
    with pulsectl.Pulse("test-watch") as pulse:
        for entry in pulse.stream_restore_list():
            if entry.name == f"sink-input-by-application-name:{program}" and entry.volume.values:
                return entry.volume.values[0]
    return None


def volume_of(index: int) -> float:
    with pulsectl.Pulse("test-watch") as pulse:
        return pulse.sink_input_info(index).volume.values[0]


def lock_in(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The tone's level (dBFS of its amplitude) per window, and the rest of the signal."""
    count = len(samples) // WINDOW
    frames = samples[:count * WINDOW].astype(np.float64).reshape(count, WINDOW)
    phase = 2 * np.pi * TONE_HZ * np.arange(count * WINDOW).reshape(count, WINDOW) / RATE
    cos, sin = np.cos(phase), np.sin(phase)
    a = 2 * np.mean(frames * cos, axis=1, keepdims=True)
    b = 2 * np.mean(frames * sin, axis=1, keepdims=True)
    rest = frames - a * cos - b * sin
    level = 20 * np.log10(np.hypot(a, b)[:, 0] + 1e-9)
    return level, np.sqrt(np.mean(rest ** 2, axis=1))


LOWERED = 10 ** (-15 / 60)
"""A stream's volume 15 dB down (PulseAudio's volume scale is cubic)."""


@contextlib.contextmanager
def ducking():
    """A ducker at -15 dB on a clock of its own, started, and closed after."""
    start = time.monotonic()
    ducker = Ducker(lambda: time.monotonic() - start, -15)
    assert ducker.start()
    try:
        yield ducker
    finally:
        ducker.close()


def say(ducker: Ducker, start: float, seconds: float) -> None:
    """Tell the ducker of a sentence as the speaker output does: its text, then its sound."""
    ducker.speaking("a sentence", start, seconds)
    ducker.playing(start, np.full(int(16000 * seconds), 0.1, np.float32), 16000, 1.0)


class _Screen:
    def deliver(self, events):
        pass

    def note(self, line):
        pass


def test_music_goes_down_15_db_under_the_coachs_sentence_and_is_back_within_half_a_second(music, tmp_path):
    renderer = Pyttsx3Renderer()
    cache = SpeechCache(renderer, tmp_path / "speech")
    clip = cache.get(SENTENCE)
    clock, speaker = AudioClock(), Speaker(volume=0.8)
    ducker = Ducker(lambda: clock.now() - speaker.latency, -15)
    output = VoiceOutput(speaker, cache, clock, _Screen(), playback=Playbacks(ducker))
    try:
        with Recorder() as recording:
            output.start()
            assert ducker.start()
            time.sleep(0.8)
            output.deliver([Event(clock.now() + 0.6, "say", SENTENCE)])
            time.sleep(0.6 + clip.seconds + 1.5)
            assert volume_of(music) == pytest.approx(1.0, abs=0.01)
    finally:
        ducker.close()
        output.close()
        renderer.close()
    tone, voice = lock_in(recording.samples)
    # Where the voice is: a 100 ms median first, so that a click (the monitor's drop or repeat
    # cuts the tone, and the cut is broadband for a window or two) is not taken for it.
    smoothed = np.median(np.lib.stride_tricks.sliding_window_view(np.pad(voice, 2), 5), axis=1)
    voiced = np.flatnonzero(smoothed > 0.01)
    onset, offset = voiced[0], voiced[-1] + 1
    before = float(np.median(tone[onset - 40:onset - 15]))
    assert before == pytest.approx(20 * np.log10(TONE_AMPLITUDE), abs=1.0)
    # The edges are judged with 0.1 s of slack: the null sink's monitor now and then drops or
    # repeats a 0.1 s stretch (the voice's length in the recording varies by that much).
    during = tone[onset + 5:offset]
    assert float(np.median(during)) == pytest.approx(before - 15, abs=1.5)
    assert float(np.max(during)) < before - 12, "the music came up during the sentence"
    assert float(np.max(tone[onset - 20:onset - 8])) > before - 1, "the music went down long before the voice"
    # Back at its own level half a second after the last word (0.4 s planned), in a smooth fade.
    assert float(np.min(tone[offset + 30:offset + 45])) > before - 1.0
    assert float(np.max(np.abs(np.diff(tone[offset:offset + 45])))) < 3.0
    # The coach's own voice is not ducked: its level is the clip's at the session's volume.
    samples = clip.samples.astype(np.float64)
    expected = float(np.sqrt(np.mean(samples[np.abs(samples) > 0] ** 2))) * 0.8
    heard = float(np.sqrt(np.mean(voice[onset:offset] ** 2)))
    assert 20 * np.log10(heard / expected) == pytest.approx(0.0, abs=3.0)


def test_a_volume_changed_by_someone_else_while_ducked_is_left_as_they_chose(music):
    with ducking() as ducker:
        say(ducker, 0.2, 1.0)
        time.sleep(0.5)
        assert volume_of(music) == pytest.approx(LOWERED, abs=0.01)
        subprocess.run(["pactl", "set-sink-input-volume", str(music), "30%"], check=True)
        time.sleep(1.5)
        assert volume_of(music) == pytest.approx(0.30, abs=0.01)
    assert volume_of(music) == pytest.approx(0.30, abs=0.01)
    assert not state_file().exists()


def test_music_left_down_by_a_killed_session_is_put_back_by_the_next_start(music, tmp_path):
    """kill -9 in the middle of a sentence: nothing can restore the volume then, so the next
    session's start does, from the note the killed one left."""
    script = textwrap.dedent("""
        import time
        import numpy as np
        from voice_coach.audio.ducking import Ducker
        start = time.monotonic()
        ducker = Ducker(lambda: time.monotonic() - start, -15)
        assert ducker.start()
        ducker.speaking("a long sentence", 0.2, 600.0)
        ducker.playing(0.2, np.full(16000 * 600, 0.1, np.float32), 16000, 1.0)
        print("speaking", flush=True)
        time.sleep(600)
    """)
    session = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                               env={**os.environ})
    try:
        assert session.stdout.readline().strip() == "speaking"
        time.sleep(0.8)
        assert volume_of(music) == pytest.approx(LOWERED, abs=0.01)
        assert state_file(session.pid).exists()
    finally:
        session.send_signal(signal.SIGKILL)
        session.wait()
    time.sleep(0.3)
    assert volume_of(music) == pytest.approx(LOWERED, abs=0.01), "nothing else should restore it"
    with ducking():
        pass
    assert volume_of(music) == pytest.approx(1.0, abs=0.01)
    assert remembered_volume() == pytest.approx(1.0, abs=0.01), "the player's next stream would start low"
    assert not state_file(session.pid).exists()


def test_a_players_next_track_started_while_ducked_comes_back_at_the_players_own_volume(music, tone_file):
    """The server starts a program's new stream at the volume its last one had (lowered, if the
    track changed under the coach): the ducker knows it is the program's and restores its own."""
    with ducking() as ducker:
        say(ducker, 0.2, 2.5)
        time.sleep(0.6)
        assert volume_of(music) == pytest.approx(LOWERED, abs=0.01)
        subprocess.run(["pkill", "-f", f"paplay {tone_file}"], check=False)  # the track ends...
        time.sleep(0.2)
        assert remembered_volume() == pytest.approx(LOWERED, abs=0.01)
        player = subprocess.Popen(["paplay", str(tone_file)])  # ...and the next one starts
        try:
            index = wait_for_stream(player.pid)
            time.sleep(0.6)
            assert volume_of(index) == pytest.approx(LOWERED, abs=0.01)
            time.sleep(2.5)  # the sentence is over
            assert volume_of(index) == pytest.approx(1.0, abs=0.01)
        finally:
            player.kill()
            player.wait()
    assert remembered_volume() == pytest.approx(1.0, abs=0.01)


def test_a_player_that_stopped_while_ducked_is_remembered_at_its_own_volume_after_the_session(music, tone_file):
    with ducking() as ducker:
        say(ducker, 0.2, 1.5)
        time.sleep(0.6)
        subprocess.run(["pkill", "-f", f"paplay {tone_file}"], check=False)
        time.sleep(0.2)
        assert remembered_volume() == pytest.approx(LOWERED, abs=0.01)
    assert remembered_volume() == pytest.approx(1.0, abs=0.01)


def test_without_a_sound_server_one_line_says_music_is_not_lowered(monkeypatch, caplog):
    monkeypatch.setenv("PULSE_SERVER", "unix:/nonexistent/pulse/native")
    ducker = Ducker(time.monotonic, -15)
    assert not ducker.start()
    say(ducker, 0.0, 1.0)  # the session goes on calling it: nothing happens, nothing fails
    ducker.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "voice_coach.audio.ducking"]
    assert len(lines) == 1 and "music is not lowered" in lines[0]
