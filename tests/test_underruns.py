"""Underruns: the device played silence the mixer never rendered. The clock must count those
frames, so later sounds keep their plan (pure: the mixer's blocks are pulled by hand, and the
device's times are given)."""

from __future__ import annotations

import numpy as np

from voice_coach.audio.speaker import Mixer, UnderrunWatch

RATE = 16000
BLOCK = 160


def test_steady_play_loses_nothing_and_drift_is_followed_not_skipped():
    watch = _watch()
    rng = np.random.default_rng(1)
    lost = []
    for block in range(6000):  # a minute of 10 ms blocks
        frames = block * BLOCK
        # the device's crystal runs 100 ppm slow against the system clock, plus 0.5 ms of jitter
        device_time = 5.0 + frames / RATE * (1 + 100e-6) + rng.uniform(0, 0.0005)
        lost.append(watch.lost_frames(device_time, frames, underflow=False))
    assert sum(lost) == 0


def test_a_flagged_gap_is_measured_to_the_frame():
    watch = _watch()
    for block in range(100):
        assert watch.lost_frames(2.0 + block * BLOCK / RATE, block * BLOCK, underflow=False) == 0
    # 113.5 ms of silence the device played before block 100
    assert watch.lost_frames(2.0 + 100 * BLOCK / RATE + 0.1135, 100 * BLOCK, underflow=True) == round(0.1135 * RATE)


def test_an_unflagged_jump_counts_but_jitter_under_the_flag_does_not_invent_a_long_gap():
    watch = _watch()
    watch.lost_frames(1.0, 0, underflow=False)
    assert watch.lost_frames(1.0 + BLOCK / RATE + 0.05, BLOCK, underflow=False) == round(0.05 * RATE)
    fresh = _watch()
    fresh.lost_frames(1.0, 0, underflow=False)
    assert fresh.lost_frames(1.0 + BLOCK / RATE + 0.004, BLOCK, underflow=False) == 0  # jitter
    assert fresh.lost_frames(1.0 + 2 * BLOCK / RATE, 2 * BLOCK, underflow=True) == 0  # flagged, nothing missing


def test_before_the_stream_flows_a_late_start_is_no_gap():
    watch = UnderrunWatch(RATE)
    watch.lost_frames(1.0, 0, underflow=False)
    assert watch.lost_frames(3.0, BLOCK, underflow=False) == 0  # the server held the stream back
    watch.armed = True
    assert watch.lost_frames(3.0 + BLOCK / RATE, 2 * BLOCK, underflow=False) == 0


def _watch() -> UnderrunWatch:
    watch = UnderrunWatch(RATE)
    watch.armed = True
    return watch


def _clip(length: int, value: float) -> np.ndarray:
    return np.full(length, value, np.float32)


def test_a_skip_keeps_later_clips_on_plan_and_a_sounding_one_resumes_where_it_stopped():
    mixer = Mixer(RATE, volume=1.0)
    mixer.schedule(_clip(800, 0.1), 0, "sounding")
    mixer.schedule(_clip(100, 0.2), 700, "due in the gap")
    mixer.schedule(_clip(100, 0.3), 3000, "later")
    first = mixer.render(400)
    mixer.skip(1600)  # the device played frames 400..1999 as silence
    assert mixer.gaps == [(400, 1600)]
    assert mixer.frames == 2000
    rest = mixer.render(2000)
    # the sounding clip goes on with its remaining 400 samples, the one due in the gap starts at
    # once under it, and the later clip starts on its own frame: 3000 - 2000 = 1000 into the block
    assert np.allclose(first, 0.1)
    assert np.allclose(rest[:100], 0.3) and np.allclose(rest[100:400], 0.1)
    assert np.allclose(rest[400:1000], 0.0)
    assert np.allclose(rest[1000:1100], 0.3) and np.allclose(rest[1100:], 0.0)


def test_no_skip_is_no_change():
    mixer = Mixer(RATE)
    mixer.schedule(_clip(10, 0.5), 5)
    mixer.skip(0)
    assert mixer.frames == 0 and mixer.gaps == []


def test_the_log_says_when_the_speaker_ran_dry_at_most_every_half_minute(caplog, monkeypatch):
    """What the session's live loop polls: each underrun is reported, and a burst of them is one line."""
    from voice_coach.app import voice_out
    from voice_coach.audio.speaker import AudioClock

    class PlayingSpeaker:  # a stream that is running; its mixer is the real one
        mixer = Mixer(RATE)

        def healthy(self) -> bool:
            return True

    class Screen:
        def deliver(self, events):
            pass

        def note(self, line):
            pass

    now = [100.0]
    monkeypatch.setattr(voice_out.time, "monotonic", lambda: now[0])
    output = voice_out.VoiceOutput(PlayingSpeaker(), None, AudioClock(), Screen())
    mixer = output.speaker.mixer
    with caplog.at_level("WARNING"):
        assert output.poll() is None and caplog.text == ""
        mixer.skip(1600)
        output.poll()
        mixer.skip(800)
        mixer.skip(800)
        now[0] += 10
        output.poll()  # within the half minute: held back
        mixer.skip(1600)
        now[0] += 25
        output.poll()
    said = "(the machine was busy); later sounds kept their plan"
    assert [record.getMessage() for record in caplog.records] == [
        f"the speaker ran dry 1 time(s), 100 ms in all {said}", f"the speaker ran dry 3 time(s), 200 ms in all {said}"]
