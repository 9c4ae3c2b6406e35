"""`voice-coach listen --file MIC --reference SPEAKER`: a recording pair replays a session's listening
decisions: the coach's voice (what the speaker played) is cancelled and never obeyed, and a person
who talks over the coach still gets "pause" through. Real recognition: espeak-ng and the Korean model."""

from __future__ import annotations

import json
import struct
import subprocess
import wave
from pathlib import Path

import numpy as np
from conftest import run_cli

from voice_coach.audio.pcm import SPEECH_RATE, read_wav, resample, write_wav

RATE = SPEECH_RATE


def voice(tmp_path: Path, text: str, name: str, voice: str = "ko", speed: int = 175) -> np.ndarray:
    path = tmp_path / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True, timeout=30)
    samples, rate = read_wav(path)
    return resample(samples, rate, RATE)


def room(reference: np.ndarray, gain: float, delay_seconds: float = 0.04, seed: int = 1) -> np.ndarray:
    """What a microphone hears of the speaker: later, quieter, over a little hiss."""
    delay = int(delay_seconds * RATE)
    heard = np.zeros(len(reference), np.float32)
    heard[delay:] = gain * reference[:len(reference) - delay]
    return heard + np.random.default_rng(seed).normal(0, 0.002, len(heard)).astype(np.float32)


def decisions(tmp_path: Path, microphone: np.ndarray, reference: np.ndarray | None) -> list[dict]:
    write_wav(tmp_path / "mic.wav", microphone, RATE)
    args = ["listen", "--lang", "ko", "--file", str(tmp_path / "mic.wav"), "--json"]
    if reference is not None:
        write_wav(tmp_path / "speaker.wav", reference, RATE)
        args += ["--reference", str(tmp_path / "speaker.wav")]
    result = run_cli(*args, timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_coach_saying_a_command_is_not_obeyed_when_its_reference_is_given(tmp_path):
    quiet = np.zeros(RATE // 2, np.float32)
    speaker = np.concatenate([quiet, voice(tmp_path, "정지", "coach", voice="ko+f3"), quiet, quiet, quiet])
    microphone = room(speaker, gain=0.5)[: len(speaker) - RATE]  # shorter than the reference: padded
    alone = decisions(tmp_path, microphone, None)
    assert [d["command"] for d in alone] == ["pause"] and alone[0]["taken"]  # it does sound like one
    replayed = decisions(tmp_path, microphone, speaker)
    assert [d["command"] for d in replayed] == ["pause"] and not replayed[0]["taken"]


def test_the_coach_is_not_obeyed_at_the_start_of_a_recording_longer_than_the_guard_remembers(tmp_path):
    """The echo guard keeps the last 30 s of what the coach said. A replay tells it each
    sentence as it begins, as a live session does: told every sentence at once, it forgot the
    coach's 정지 at the start once it heard of the sentence 40 s later, and obeyed it."""
    quiet = np.zeros(RATE // 2, np.float32)
    speaker = np.concatenate([quiet, voice(tmp_path, "정지", "coach", voice="ko+f3"), np.zeros(40 * RATE, np.float32),
                              voice(tmp_path, "좋아요", "later"), quiet, quiet])
    replayed = decisions(tmp_path, room(speaker, gain=0.5), speaker)
    assert [d["command"] for d in replayed] == ["pause"] and not replayed[0]["taken"], replayed
    assert replayed[0]["t"] < 3


def test_a_person_saying_pause_over_the_coach_is_taken(tmp_path):
    quiet = np.zeros(RATE // 2, np.float32)
    sentence = voice(tmp_path, "좋아요, 천천히 내려가고 빠르게 올라오세요. 무릎은 발끝을 넘지 않게 하고 가슴을 펴세요",
                     "coach", speed=160)
    speaker = np.concatenate([quiet, sentence, quiet, quiet])
    microphone = room(speaker, gain=0.3)
    person = voice(tmp_path, "정지", "person", voice="ko+f3", speed=150)
    # Said in the middle of the coach's second sentence (espeak-ng's Korean is rough: this voice
    # is heard said 4.5, 5.5 and 6.5 s in, as is ko+f2's; the male ones are misheard at one or two).
    at = int(5.5 * RATE)
    assert at + len(person) < len(quiet) + len(sentence)  # the coach is still talking
    microphone[at:at + len(person)] += 0.9 * person
    replayed = decisions(tmp_path, microphone, speaker)
    taken = [d for d in replayed if d["taken"]]
    assert [d["command"] for d in taken] == ["pause"], replayed
    assert 5.5 < taken[0]["t"] < 5.5 + len(person) / RATE + 0.6


def _header_only_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    """A WAV whose header promises `seconds` of mono 16-bit audio (the data itself is short)."""
    size = int(seconds * rate) * 2
    path.write_bytes(b"RIFF" + struct.pack("<I", 36 + size) + b"WAVEfmt " +
                     struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", size)
                     + bytes(1600))


def test_unusable_recordings_are_one_line_each_and_exit_2(tmp_path):
    write_wav(tmp_path / "mic.wav", np.zeros(RATE, np.float32), RATE)
    (tmp_path / "noise.wav").write_bytes(b"not a wav file at all")
    three = tmp_path / "three.wav"
    with wave.open(str(three), "wb") as wav:
        wav.setnchannels(3)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(bytes(6 * 100))
    _header_only_wav(tmp_path / "long.wav", 3601)
    for reference, expected in [("noise.wav", "cannot use this WAV file"), ("three.wav", "3 channels"),
                                ("long.wav", "at most 60"), ("missing.wav", "No such file")]:
        result = run_cli("listen", "--lang", "ko", "--file", str(tmp_path / "mic.wav"),
                         "--reference", str(tmp_path / reference), timeout=60)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1, (reference, result.stderr)
        assert lines[0].startswith(f"voice-coach: --reference {tmp_path / reference}:") and expected in lines[0]
