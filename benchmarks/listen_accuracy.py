"""How well the listener hears commands, against plain Vosk with the same grammar (the baseline).

Every phrase of every command is synthesized with espeak-ng (voice variants, speeds, pitches),
clean and with white noise at 10 dB SNR, and decoded from memory as if live. The baseline is the
model as shipped, fed the same audio, taking the utterance's final result at Vosk's endpoint.
Prints accuracy and wrong commands per command and per condition, latency from the end of the
words to the decision (p50/p95), false commands in ordinary talk (over ten minutes of it) and in
the coach's own phrases, and decoding CPU per audio second.

    .venv/bin/python benchmarks/listen_accuracy.py [--lang ko] [--model PATH]
Caution: espeak-ng's Korean is rough, so absolute accuracy mostly measures the synthetic voice;
the comparison with the baseline in the same run is the figure that matters.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from listen_corpus import COMMAND_CONDITIONS, OTHER_LANGUAGE, TALK, TALK_CONDITIONS

from voice_coach.app.session import workout_phrases
from voice_coach.core.phrases import load_phrases
from voice_coach.listening.grammar import build_grammar
from voice_coach.listening.models import find_model
from voice_coach.listening.recognizer import (
    CHUNK_SECONDS,
    SAMPLE_RATE,
    Recognizer,
    listen_to_samples,
    load_model,
    read_wav_16k,
    repeatable_dither,
)
from voice_coach.workouts.library import resolve_script
from voice_coach.workouts.loading import load_plan


def synthesize(text: str, voice: str, speed: int, pitch: int, folder: Path) -> np.ndarray:
    path = folder / "utterance.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(path), text],
                   check=True, capture_output=True, timeout=30)
    samples = read_wav_16k(path)
    silence = np.zeros(int(0.5 * SAMPLE_RATE), dtype=np.int16)
    return np.concatenate([silence, samples, silence, silence])


def with_noise(samples: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    voice = samples.astype(np.float64)
    power = np.mean(voice[np.abs(voice) > 300] ** 2) if np.any(np.abs(voice) > 300) else 1.0
    noise = np.random.default_rng(seed).normal(0, np.sqrt(power / 10 ** (snr_db / 10)), len(voice))
    return np.clip(voice + noise, -32768, 32767).astype(np.int16)


def voice_end(samples: np.ndarray) -> float:
    frame = SAMPLE_RATE // 100
    usable = len(samples) // frame * frame
    levels = np.sqrt(np.mean((samples[:usable] / 32768.0).reshape(-1, frame) ** 2, axis=1))
    loud = np.nonzero(levels > 0.02)[0]
    return (loud[-1] + 1) * frame / SAMPLE_RATE if len(loud) else 0.0


def baseline(model, grammar, samples: np.ndarray) -> tuple[str | None, float | None]:
    """Plain Vosk: stream the audio, take the first final result (at its endpoint)."""
    import vosk

    recognizer = vosk.KaldiRecognizer(model, SAMPLE_RATE, json.dumps(grammar.words_offered, ensure_ascii=False))
    repeatable_dither()  # as the listener's: the same audio, the same dither
    chunk = int(SAMPLE_RATE * CHUNK_SECONDS)
    for start in range(0, len(samples), chunk):
        if recognizer.AcceptWaveform(samples[start:start + chunk].tobytes()):
            text = json.loads(recognizer.Result()).get("text", "")
            if text:
                return grammar.command_for(text), (start + chunk) / SAMPLE_RATE
    text = json.loads(recognizer.FinalResult()).get("text", "")
    return grammar.command_for(text), len(samples) / SAMPLE_RATE


def ours(model, grammar, samples: np.ndarray) -> tuple[str | None, float | None]:
    heard = list(listen_to_samples(Recognizer(model, grammar), samples))
    return (heard[0].command, heard[0].t) if heard else (None, None)


def percentiles(seconds: list[float]) -> str:
    if not seconds:
        return "p50    - ms p95    - ms"
    ms = np.array(seconds) * 1000
    return f"p50 {np.percentile(ms, 50):4.0f} ms p95 {np.percentile(ms, 95):4.0f} ms"


def score_commands(args, phrases, grammar, models, folder: Path) -> None:
    """Every phrase of every command in every condition, decoded by ours and by the baseline."""
    decoders = {"ours": ours, "baseline": baseline}
    right = {name: defaultdict(list) for name in decoders}
    wrong = {name: defaultdict(int) for name in decoders}
    latency = {name: [] for name in decoders}
    cpu = dict.fromkeys(decoders, 0.0)
    audio_seconds = 0.0
    for number, (suffix, speed, pitch, noisy) in enumerate(COMMAND_CONDITIONS):
        condition = f"{args.lang}{suffix} {speed}wpm p{pitch}{' noise10dB' if noisy else ''}"
        for command, words in phrases.commands.items():
            for phrase in words:
                clean = synthesize(phrase, args.lang + suffix, speed, pitch, folder)
                end = voice_end(clean)  # the end of the words, from the clean signal
                samples = with_noise(clean, 10, number) if noisy else clean
                audio_seconds += len(samples) / SAMPLE_RATE
                for name, decode in decoders.items():
                    started = time.process_time()
                    got, at = decode(models[name], grammar, samples)
                    cpu[name] += time.process_time() - started
                    for key in (("command", command), ("condition", condition)):
                        right[name][key].append(got == command)
                        wrong[name][key] += got is not None and got != command
                    if got == command:
                        latency[name].append(at - end)
    print(f"{'':34} {'ours':>6} {'wrong':>6} {'baseline':>9} {'wrong':>6}   (of {len(right['ours'][key])} each)")
    for key in sorted(right["ours"]):
        print(f"{key[0]:9} {key[1]:24} {100 * np.mean(right['ours'][key]):5.0f}% {wrong['ours'][key]:6}"
              f" {100 * np.mean(right['baseline'][key]):8.0f}% {wrong['baseline'][key]:6}")
    for name in decoders:
        every = [hit for key, hits in right[name].items() if key[0] == "command" for hit in hits]
        wrongs = sum(count for key, count in wrong[name].items() if key[0] == "command")
        print(f"{name:9} accuracy {100 * np.mean(every):5.1f}% ({sum(every)} of {len(every)}), wrong command "
              f"{100 * wrongs / len(every):4.1f}%  latency {percentiles(latency[name])}  "
              f"CPU {100 * cpu[name] / audio_seconds:4.1f}% of one core")


def count_false_in_talk(args, model, grammar, folder: Path) -> None:
    false, seconds, examples = 0, 0.0, []
    other_voice, other_talk = OTHER_LANGUAGE[args.lang]
    for voice, sentences in ((args.lang, TALK[args.lang]), (other_voice, other_talk)):
        for suffix, speed, pitch in TALK_CONDITIONS:
            for text in sentences:
                samples = synthesize(text, voice + suffix, speed, pitch, folder)
                seconds += (len(samples) - 1.5 * SAMPLE_RATE) / SAMPLE_RATE  # the talk, not the silence
                for heard in listen_to_samples(Recognizer(model, grammar), samples):
                    false += 1
                    examples.append(f"{text!r} ({voice}{suffix} {speed}wpm) -> {heard.phrase}")
    print(f"ordinary talk: {false} false commands in {seconds / 60:.1f} min ({false / (seconds / 600):.2f} per 10 min)")
    for example in examples:
        print(f"    {example}")


def count_coach_phrases(args, phrases, model, grammar, folder: Path) -> None:
    """The coach's phrases decoded alone, as if the echo guard were not there; the room benchmark
    (listen_room.py) plays them through the speaker with the guard in place."""
    decoded, barge_ins = 0, 0
    for script in ("quick-try", "reverse-lunge-glutes", "reverse-lunge"):
        plan = load_plan(resolve_script(script).path)
        for text in workout_phrases(plan, phrases):
            samples = synthesize(text, args.lang, 175, 50, folder)
            for heard in listen_to_samples(Recognizer(model, grammar), samples):
                decoded += 1
                if heard.command in ("pause", "stop") and heard.phrase not in text:
                    barge_ins += 1
    print(f"coach's own phrases, decoded alone: {decoded} commands, {barge_ins} of them barge-ins "
          "the echo guard would let through")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lang", default="ko")
    parser.add_argument("--model", help="a Vosk model folder (found by language otherwise)")
    args = parser.parse_args()
    import vosk

    phrases = load_phrases(args.lang)
    grammar = build_grammar(phrases)
    path = find_model(args.lang, args.model).path
    print(f"model: {path}")
    models = {"ours": load_model(path), "baseline": vosk.Model(str(path))}  # baseline: as shipped
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        score_commands(args, phrases, grammar, models, folder)
        count_false_in_talk(args, models["ours"], grammar, folder)
        count_coach_phrases(args, phrases, models["ours"], grammar, folder)


if __name__ == "__main__":
    main()
