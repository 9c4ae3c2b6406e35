"""How well the listener hears commands, against plain Vosk with the same grammar (the baseline).

Speech is synthesized with espeak-ng (voice variants, speeds, pitches), clean and with white noise
at 10 dB SNR, and decoded from memory as if live. Prints accuracy per command and per condition,
latency from the end of the words to the decision (p50/p95), false commands in ordinary talk and
in the coach's own phrases, and decoding CPU per audio second.

    .venv/bin/python benchmarks/listen_accuracy.py [--lang ko]
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

from voice_coach.grammar import build_grammar
from voice_coach.library import resolve_script
from voice_coach.listener import CHUNK_SECONDS, SAMPLE_RATE, Recognizer, listen_to_samples, load_model, read_wav_16k
from voice_coach.loading import load_workout
from voice_coach.models import find_model
from voice_coach.phrases import load_phrases
from voice_coach.plan import compile_plan
from voice_coach.session import workout_phrases

CONDITIONS = [  # (espeak voice suffix, words per minute, pitch, noise)
    ("", 150, 50, False), ("", 190, 50, False), ("+f3", 160, 70, False), ("+m3", 160, 35, False),
    ("", 150, 50, True), ("", 190, 50, True), ("+f3", 160, 70, True), ("+m3", 160, 35, True),
]
TALK = {  # ordinary sentences, some with command words inside them ("다음 주에", "계속 비가")
    "ko": ["오늘 날씨가 정말 좋네요.", "우리 집에 밥 먹으러 갈래요?", "내일 아침에 다시 이야기해요.",
           "그 사람은 생각이 깊어요.", "지금 몇 시예요?", "여기서 조금만 기다려 주세요.",
           "다음 주에 친구를 만나기로 했어요.", "어제는 하루 종일 계속 비가 왔어요.", "커피 한 잔 마실래요?",
           "아이들이 공원에서 놀고 있어요.", "이 책은 정말 재미있어요.", "주말에 뭐 할 거예요?",
           "버스가 늦게 와서 지각했어요.", "저녁은 김치찌개를 먹었어요.", "고양이가 소파 위에서 자고 있어요.",
           "창문 좀 열어 줄래요?", "회의는 세 시에 시작해요.", "시장에서 사과를 샀어요.",
           "엄마한테 전화해야 돼요.", "텔레비전 소리가 너무 커요.", "그 영화 봤어요?", "내일은 일찍 일어나야 해요.",
           "강아지 산책시킬 시간이에요.", "물 한 잔만 주세요.", "휴대폰 충전기 어디 있어요?",
           "오늘 저녁에 손님이 와요.", "빨래를 널어야 해요.", "이번 여름에 바다에 가고 싶어요.",
           "학교 끝나고 도서관에 갔어요.", "요즘 일이 너무 많아요."],
    "en": ["The weather is lovely today.", "Shall we have dinner at my place?", "Let's talk again tomorrow.",
           "Next week I am visiting my sister.", "It kept raining all day yesterday.",
           "Could you pass me the remote control?", "The meeting starts at three o'clock."],
}
TALK_CONDITIONS = [("", 160, 50), ("+f3", 150, 70), ("+m3", 180, 35), ("", 200, 50)]
OTHER_LANGUAGE = {"ko": ("en", TALK["en"]), "en": ("de", ["Das Wetter ist heute schön.", "Wir sehen uns morgen."])}


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

    recognizer = vosk.KaldiRecognizer(model, SAMPLE_RATE, json.dumps(grammar.vosk_grammar, ensure_ascii=False))
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lang", default="ko")
    args = parser.parse_args()
    phrases = load_phrases(args.lang)
    grammar = build_grammar(phrases)
    model = load_model(find_model(args.lang).path)
    results = {"ours": defaultdict(list), "baseline": defaultdict(list)}
    latency = {"ours": [], "baseline": []}
    cpu = {"ours": 0.0, "baseline": 0.0}
    audio_seconds = 0.0
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        for number, (suffix, speed, pitch, noisy) in enumerate(CONDITIONS):
            condition = f"{args.lang}{suffix} {speed}wpm p{pitch}{' noise10dB' if noisy else ''}"
            for command, words in phrases.commands.items():
                samples = synthesize(words[0], args.lang + suffix, speed, pitch, folder)
                if noisy:
                    samples = with_noise(samples, 10, number)
                end = voice_end(samples)
                audio_seconds += len(samples) / SAMPLE_RATE
                for name, decode in (("ours", ours), ("baseline", baseline)):
                    started = time.process_time()
                    got, at = decode(model, grammar, samples)
                    cpu[name] += time.process_time() - started
                    right = got == command
                    results[name][("command", command)].append(right)
                    results[name][("condition", condition)].append(right)
                    if right and at is not None:
                        latency[name].append(at - end)
        print(f"{'':34} {'ours':>6} {'baseline':>9}")
        for key in sorted(results["ours"]):
            mine, base = results["ours"][key], results["baseline"][key]
            print(f"{key[0]:9} {key[1]:24} {100 * np.mean(mine):5.0f}% {100 * np.mean(base):8.0f}%")
        for name in ("ours", "baseline"):
            every = [right for key, values in results[name].items() if key[0] == "command" for right in values]
            lat = np.array(latency[name]) * 1000
            print(f"{name:9} accuracy {100 * np.mean(every):5.1f}%  latency p50 {np.percentile(lat, 50):4.0f} ms "
                  f"p95 {np.percentile(lat, 95):4.0f} ms  CPU {100 * cpu[name] / audio_seconds:4.1f}% of one core")
        false_talk, talk_seconds = 0, 0.0
        other_voice, other_talk = OTHER_LANGUAGE[args.lang]
        for voice, sentences in ((args.lang, TALK[args.lang]), (other_voice, other_talk)):
            for suffix, speed, pitch in TALK_CONDITIONS:
                for text in sentences:
                    samples = synthesize(text, voice + suffix, speed, pitch, folder)
                    talk_seconds += (len(samples) - 1.5 * SAMPLE_RATE) / SAMPLE_RATE  # the talk, not the silence
                    false_talk += len(list(listen_to_samples(Recognizer(model, grammar), samples)))
        print(f"ordinary talk: {false_talk} false commands in {talk_seconds / 60:.1f} min "
              f"({false_talk / (talk_seconds / 600):.1f} per 10 min)")
        coach_false, coach_heard = 0, 0
        for script in ("quick-try", "reverse-lunge-glutes", "reverse-lunge"):
            plan = compile_plan(load_workout(resolve_script(script).path))
            for text in workout_phrases(plan, phrases):
                samples = synthesize(text, args.lang, 175, 50, folder)
                for heard in listen_to_samples(Recognizer(model, grammar), samples):
                    coach_heard += 1
                    # what the echo guard would let through: a barge-in the sentence does not contain
                    if heard.command in ("pause", "stop") and heard.phrase not in text:
                        coach_false += 1
        print(f"coach's own phrases: {coach_heard} commands decoded, {coach_false} would pass the echo guard")


if __name__ == "__main__":
    main()
