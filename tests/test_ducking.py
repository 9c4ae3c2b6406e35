"""When the music goes down and back up: the ducking envelope, pure, on session times; and the
listener's report that the person is speaking, which ducks the music too."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from voice_coach.audio.ducking import (
    ATTACK_SECONDS,
    BRIDGE_SECONDS,
    HOLD_SECONDS,
    LEAD_SECONDS,
    RELEASE_SECONDS,
    VOICE_MOST_SECONDS,
    VOICE_REST_SECONDS,
    DuckEnvelope,
)
from voice_coach.audio.pcm import SPEECH_RATE, read_wav, resample
from voice_coach.core.phrases import load_phrases
from voice_coach.listening.grammar import build_grammar
from voice_coach.listening.models import find_model
from voice_coach.listening.recognizer import Recognizer, load_model
from voice_coach.listening.voice_in import EchoGuard, MicrophoneTime, VoiceInput


def test_a_sentence_is_faded_under_before_it_starts_and_the_music_is_back_within_half_a_second():
    envelope = DuckEnvelope(-15)
    envelope.speaking(10.0, 2.0)
    assert envelope.gain_db(10.0 - LEAD_SECONDS - ATTACK_SECONDS - 0.01) == 0.0
    assert envelope.gain_db(10.0 - LEAD_SECONDS - ATTACK_SECONDS / 2) == pytest.approx(-7.5)
    assert envelope.gain_db(10.0 - LEAD_SECONDS) == -15.0
    assert envelope.gain_db(12.0 + HOLD_SECONDS) == -15.0
    assert envelope.gain_db(12.0 + HOLD_SECONDS + RELEASE_SECONDS / 2) == pytest.approx(-7.5)
    assert HOLD_SECONDS + RELEASE_SECONDS <= 0.5
    assert envelope.gain_db(12.5) == 0.0
    assert envelope.next_change(0.0) == pytest.approx(10.0 - LEAD_SECONDS - ATTACK_SECONDS)
    assert envelope.next_change(11.0) is None


def test_the_fade_is_smooth_in_steps_of_20_ms():
    envelope = DuckEnvelope(-15)
    envelope.speaking(1.0, 1.0)
    gains = [envelope.gain_db(t / 1000) for t in range(0, 3000, 20)]
    assert min(gains) == -15.0
    # The fade down: 15 dB in ATTACK_SECONDS; up: in RELEASE_SECONDS (1 dB a step).
    assert max(abs(b - a) for a, b in zip(gains, gains[1:])) <= 15 * 0.02 / ATTACK_SECONDS + 0.01
    release = [g for t, g in zip(range(0, 3000, 20), gains) if t > 2000 + 1000 * HOLD_SECONDS]
    assert max(abs(b - a) for a, b in zip(release, release[1:])) <= 1.01


def test_sentences_close_together_keep_the_music_down_between_them():
    envelope = DuckEnvelope(-15)
    envelope.speaking(1.0, 1.0)
    envelope.speaking(2.0 + BRIDGE_SECONDS * 0.9, 1.0)
    assert all(envelope.gain_db(t / 100) == -15.0 for t in range(100, 300 + int(BRIDGE_SECONDS * 90)))
    envelope.speaking(10.0, 1.0)  # far from the others: up in between
    assert envelope.gain_db(7.0) == 0.0


def test_a_pause_brings_the_music_back_and_cancels_what_was_planned():
    envelope = DuckEnvelope(-15)
    envelope.speaking(1.0, 5.0)
    envelope.speaking(9.0, 1.0)
    envelope.silenced(2.0)
    assert envelope.gain_db(2.0) == -15.0
    assert envelope.gain_db(2.0 + HOLD_SECONDS + RELEASE_SECONDS) == 0.0
    assert envelope.gain_db(9.5) == 0.0  # planned after the pause: never said


def test_the_persons_voice_ducks_from_when_it_is_heard_for_a_limited_time_then_rests():
    envelope = DuckEnvelope(-15)
    envelope.voice(5.0)
    assert envelope.gain_db(5.0) == 0.0  # heard now: the fade starts now, no jump
    assert envelope.gain_db(5.0 + ATTACK_SECONDS) == -15.0
    for step in range(1, 200):  # someone (or a singer in the music) goes on and on
        envelope.voice(5.0 + step * 0.05)
    spell_end = 5.0 + LEAD_SECONDS + ATTACK_SECONDS + VOICE_MOST_SECONDS
    assert envelope.gain_db(spell_end) == -15.0
    assert envelope.gain_db(spell_end + HOLD_SECONDS + RELEASE_SECONDS + 0.01) == 0.0
    # Just after, the voice detector still hears the music rising as voice: no new spell.
    envelope.voice(spell_end + HOLD_SECONDS + RELEASE_SECONDS + 0.1)
    assert envelope.gain_db(spell_end + HOLD_SECONDS + RELEASE_SECONDS + 0.3) == 0.0
    later = spell_end + HOLD_SECONDS + RELEASE_SECONDS + VOICE_REST_SECONDS + 0.1
    envelope.voice(later)
    assert envelope.gain_db(later + ATTACK_SECONDS) == -15.0


def test_a_short_word_keeps_the_music_down_a_little_after_it():
    envelope = DuckEnvelope(-15)
    envelope.voice(5.0)
    envelope.voice(5.3)
    assert envelope.gain_db(5.6) == -15.0
    assert envelope.gain_db(5.3 + 0.4 + HOLD_SECONDS + RELEASE_SECONDS + 0.01) == 0.0


def test_zero_turns_ducking_off():
    envelope = DuckEnvelope(0)
    envelope.speaking(1.0, 1.0)
    envelope.voice(5.0)
    assert not envelope.enabled
    assert envelope.gain_db(1.5) == 0.0 and envelope.gain_db(5.2) == 0.0
    assert envelope.next_change(0.0) is None


# ----- the person's voice, as the listener reports it (real Vosk: the Korean model, espeak-ng) -----

def _listen_for_voice(microphone: np.ndarray, coach: tuple[float, float] | None = None) -> list[float]:
    """Feed `microphone` (int16, 16 kHz) through the live listening path; the session times at
    which the person was reported speaking. `coach`: (start, seconds) the coach was talking."""
    guard = EchoGuard()
    if coach is not None:
        guard.speaking("다음 운동은 런지입니다", *coach)
    times: list[float] = []
    recognizer = Recognizer(load_model(find_model("ko").path), build_grammar(load_phrases("ko")))
    listener = VoiceInput(recognizer, guard, now=lambda: 0.0, on_command=lambda phrase: None,
                          on_voice=times.append)
    position = MicrophoneTime(stream=1, start=0.0)
    chunk = int(SPEECH_RATE * 0.02)
    for first in range(0, len(microphone), chunk):
        block = microphone[first:first + chunk]
        listener.process(block, (first + len(block)) / SPEECH_RATE, position.at(len(block)))
    return times


def _person_saying(tmp_path, text: str, at: float, seconds: float) -> tuple[np.ndarray, float, float]:
    path = tmp_path / "person.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "160", "-w", str(path), text], check=True, timeout=30)
    samples, rate = read_wav(path)
    words = resample(samples, rate, SPEECH_RATE) * 0.5
    microphone = np.random.default_rng(3).normal(0, 0.002, int(seconds * SPEECH_RATE))
    start = int(at * SPEECH_RATE)
    microphone[start:start + len(words)] += words
    voiced = np.flatnonzero(np.abs(words) > 0.02)
    return (np.clip(microphone, -1, 1) * 32767).astype(np.int16), at + voiced[0] / SPEECH_RATE, \
        at + voiced[-1] / SPEECH_RATE


def test_the_listener_reports_the_person_speaking_while_the_voice_lasts_and_not_in_quiet(tmp_path):
    microphone, voice_from, voice_to = _person_saying(tmp_path, "일시 정지", at=1.5, seconds=4.0)
    times = _listen_for_voice(microphone)
    assert times, "the person's voice was never reported"
    # Voice with words in it: the decoder's first partial words come some 0.6 s into the voice
    # (a drum hit or a clap, voice-like to the level detector, brings none).
    assert voice_from < times[0] <= voice_from + 0.8
    assert all(voice_from <= t <= voice_to + 0.1 for t in times)


def test_while_the_coach_talks_the_voice_is_the_coachs_and_nothing_is_reported(tmp_path):
    microphone, _, _ = _person_saying(tmp_path, "일시 정지", at=1.5, seconds=4.0)
    assert _listen_for_voice(microphone, coach=(1.0, 2.5)) == []
