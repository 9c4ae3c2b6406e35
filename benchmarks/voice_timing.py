"""Timing of a real-time spoken workout, measured from what the PulseAudio null sink's monitor heard.

Figures: drift (the largest deviation of a tone's or a count's start from its plan, after the
constant output latency) and jitter (95th percentile of the deviation from the median).
Targets: drift < 20 ms, jitter p95 < 10 ms over a ~10-minute session.

    .venv/bin/python benchmarks/voice_timing.py [SCRIPT] [--variation NAME]
    (default: reverse-lunge as written, about fourteen minutes)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from room import RATE, Recorder, ensure_room, in_gap, onset_deviations, run_spoken, speech_deviations  # noqa: E402

from voice_coach.speech.tts import Pyttsx3Renderer  # noqa: E402
from voice_coach.workouts.library import resolve_script  # noqa: E402
from voice_coach.workouts.loading import load_plan  # noqa: E402


def report(name: str, deviations: np.ndarray) -> None:
    finite = deviations[np.isfinite(deviations)]
    centred = np.abs(finite - np.median(finite))
    print(f"{name:6} n={len(deviations):4} missed={len(deviations) - len(finite):2} "
          f"drift max={np.max(np.abs(finite)) * 1000:6.2f} ms  jitter p95={np.percentile(centred, 95) * 1000:6.2f} ms "
          f"p50={np.percentile(centred, 50) * 1000:5.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("script", nargs="?", default="reverse-lunge")
    parser.add_argument("--variation", default=None)
    args = parser.parse_args()
    ensure_room()
    plan = load_plan(resolve_script(args.script).path, args.variation or None)
    renderer = Pyttsx3Renderer()
    started = time.monotonic()
    with Recorder() as heard:
        delivered, cache, gaps = run_spoken(plan, renderer)
    renderer.close()
    minutes = (time.monotonic() - started) / 60
    tones, latency = onset_deviations(heard.samples, delivered, gaps)
    counts = speech_deviations(heard.samples, delivered, cache, latency, counts_only=True, gaps=gaps)
    speech = speech_deviations(heard.samples, delivered, cache, latency, gaps=gaps)
    print(f"{args.script} ({args.variation or 'as written'}): {minutes:.1f} min in real time, "
          f"constant offset between plan and recording taken out")
    lost = sum(frames for _, frames in gaps)
    due = sum(1 for _, frame in delivered if in_gap(frame, gaps))
    print(f"underruns: {len(gaps)}, {lost / RATE * 1000:.0f} ms played as silence in all, "
          f"{due} sounds fell due in them and are left out")
    report("tones", tones)
    report("counts", counts)
    report("speech", speech)
    report("all", np.concatenate([tones, speech]))


if __name__ == "__main__":
    main()
