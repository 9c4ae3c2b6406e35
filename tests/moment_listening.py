"""A listener told what moment the session is in (the coach waits for an answer; an exercise
with a weight is under way), then fed a phrase espeak-ng says: what it passes on. Real Vosk with
the Korean model, the session's own grammars."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from voice_coach.audio.pcm import SPEECH_RATE, read_wav, to_speech_pcm
from voice_coach.core.events import Event
from voice_coach.core.phrases import load_phrases
from voice_coach.listening.grammar import build_grammar, with_answers, with_loads
from voice_coach.listening.models import find_model
from voice_coach.listening.recognizer import Recognizer, load_model
from voice_coach.listening.voice_in import EchoGuard, MicrophoneTime, VoiceInput


def heard_in_moment(wav: Path, text: str, moment: dict, speed: int = 175, workout: bool = False) -> list[str]:
    """What a Korean session's listener passes on when `text` is said (espeak-ng's female
    variant, whose answers and loads it says recognizably) after a state event with `moment`.
    `workout`: the listener follows a workout's state, as a session's does."""
    phrases = load_phrases("ko")
    commands = build_grammar(phrases)
    recognizer = Recognizer(load_model(find_model("ko").path), commands, with_answers(commands, phrases),
                            with_loads(commands, phrases, "kg"))
    taken: list[str] = []
    listener = VoiceInput(recognizer, EchoGuard(), now=lambda: 0.0, on_command=taken.append, workout=workout)
    position, chunk = MicrophoneTime(stream=1, start=0.0), int(SPEECH_RATE * 0.02)
    hiss = (np.random.default_rng(5).normal(0, 60, 2 * SPEECH_RATE)).astype(np.int16)
    for first in range(0, len(hiss), chunk):  # the session has been listening a while: a running decoder
        listener.process(hiss[first:first + chunk], (first + chunk) / SPEECH_RATE, position.at(chunk))
    listener.deliver([Event(2.0, "state", None, moment)])
    subprocess.run(["espeak-ng", "-v", "ko+f3", "-s", str(speed), "-w", str(wav), text], check=True, timeout=30)
    samples, rate = read_wav(wav)
    quiet = np.zeros(int(0.5 * SPEECH_RATE), np.int16)
    microphone = np.concatenate([quiet, to_speech_pcm(samples, rate), quiet, quiet, quiet])
    for first in range(0, len(microphone), chunk):
        block = microphone[first:first + chunk]
        listener.process(block, 2.0 + (first + len(block)) / SPEECH_RATE, position.at(len(block)))
    return taken
