"""Listening in the virtual room, in real time: the coach's own voice, "pause" over it, and cost.

1. Every phrase a Korean session of each bundled script says (the scripts' cues as written, the
   Korean announcements, counts and answers, full of command words such as 다음 and 정지) is
   played through the speaker into the PulseAudio null sink while the listener records its
   monitor: how many commands the decoder made of them, and how many reached the session
   (target: none).
2. "정지" spoken over the coach: during a real session, the person's clip is played into the room
   while the coach is in the middle of a sentence. How often it was taken, and the time from the
   end of the spoken word to the coach's voice stopping (negative: it stopped before the word
   ended): the word's end and the coach's sentence are found in the sink's recording, and the
   sentence is cut where the mixer stopped it
   (target: p95 <= 400 ms).
3. Cost, during (1): CPU of the listening thread and of the whole process, and its memory (RSS).

    .venv/bin/python benchmarks/listen_room.py [--trials 20]
About ten minutes. espeak-ng's Korean spoken over another voice is often misheard: the hit rate
says how often; the latency is that of the hits.

With --simulated --data DIR it needs no sound server: the coach's echo and the person's real
voice in a simulated living room (benchmarks/simulated_room.py says how).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from room import RATE, Recorder, ensure_room  # noqa: E402
from room_listening import (  # noqa: E402
    COACH_VOLUME,
    ListeningRoom,
    ListeningSession,
    is_state,
    person_clip,
    play_person,
    wait_until,
)

from voice_coach.app.session import workout_phrases  # noqa: E402
from voice_coach.audio.speaker import STOP_FADE_SECONDS  # noqa: E402
from voice_coach.core.events import Event  # noqa: E402
from voice_coach.core.phrases import load_phrases  # noqa: E402
from voice_coach.listening.recognizer import read_wav_16k  # noqa: E402
from voice_coach.workouts.library import resolve_script  # noqa: E402
from voice_coach.workouts.loading import load_plan  # noqa: E402

SCRIPTS = ("quick-try", "reverse-lunge-glutes", "reverse-lunge")


def thread_cpu_seconds(native_id: int) -> float:
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


def coach_phrases_in_the_room() -> None:
    texts = list(dict.fromkeys(text for script in SCRIPTS
                               for text in workout_phrases(load_plan(resolve_script(script).path),
                                                           load_phrases("ko"))))
    room = ListeningRoom(texts)
    room.open()
    started_cpu, started = os.times(), time.monotonic()
    listener_thread = next(t for t in threading.enumerate() if t.name == "voice-in")
    listener_cpu = thread_cpu_seconds(listener_thread.native_id)
    try:
        for text in texts:
            room.output.deliver([Event(room.clock.now() + 0.1, "say", text)])
            time.sleep(0.1 + room.cache.duration(text) + 0.5)
        time.sleep(1.0)
        seconds = time.monotonic() - started
        process = sum(os.times()[:2]) - sum(started_cpu[:2])
        listening = thread_cpu_seconds(listener_thread.native_id) - listener_cpu
        rss = memory_mb("VmRSS:")
    finally:
        room.close()
    decoded = len(room.listener.heard)
    leaked = [heard.phrase for heard, passed in room.listener.heard if passed]
    print(f"coach's own phrases in the room: {len(texts)} phrases, {seconds / 60:.1f} min; the decoder made "
          f"{decoded} commands of them, {len(leaked)} reached the session {leaked}")
    print(f"CPU while the coach talks and the listener listens: listening thread {100 * listening / seconds:.1f}% "
          f"of one core, whole process {100 * process / seconds:.1f}%")
    print(f"memory of that session (one model, its speech, PortAudio and PulseAudio clients): RSS {rss:.0f} MB")


def at_room_rate(samples: np.ndarray, rate: int) -> np.ndarray:
    """Samples at another rate resampled to the recording's, as the mixer does (linear)."""
    count = int(len(samples) * RATE / rate)
    return np.interp(np.arange(count) * (rate / RATE), np.arange(len(samples)), samples)


def find_clip(recording: np.ndarray, clip: np.ndarray, around: int, span: int) -> int:
    """Where `clip` starts in `recording`, searched within `span` samples of `around`."""
    start, end = max(0, around - span), min(len(recording), around + span + len(clip))
    window = recording[start:end]
    size = 1 << int(np.ceil(np.log2(len(window) + len(clip))))
    correlation = np.fft.irfft(np.fft.rfft(window, size) * np.conj(np.fft.rfft(clip, size)), size)
    return start + int(np.argmax(correlation[: len(window) - len(clip) + 1]))


def pause_over_the_coach(trials: int, folder: Path) -> None:
    plan = load_plan(resolve_script("reverse-lunge-glutes").path)
    clip_path = person_clip(folder, "정지")
    clip = at_room_rate(read_wav_16k(clip_path).astype(np.float32) / 32768.0, 16000)
    voiced = np.nonzero(np.abs(clip) > 0.02)[0]
    clip_end = int(voiced[-1]) if len(voiced) else len(clip)
    attempts = []
    recorder = Recorder()
    with ListeningSession(plan) as session, recorder as heard:
        mixer = session.output.speaker.mixer
        stops: list[int] = []
        """The mixer's frame at each stop(): there the coach's voice is cut (and fades in 4 ms)."""
        original_stop = mixer.stop

        def logged_stop() -> None:
            stops.append(mixer.frames)
            original_stop()

        mixer.stop = logged_stop
        after = 0
        while len(attempts) < trials:
            event = session.wait_for(lambda e: e.kind == "say" and (session.cache.duration(e.text) or 0) > 2.0,
                                     120, after=after)
            if event is None:
                break
            after = session.events.index(event) + 1
            if not wait_until(lambda ev=event: session.clock.now() > ev.t + 0.4, 5):
                continue
            # the recorder's own stream clock, in which its blocks are stamped
            before, said_at, stops_before = len(session.events), recorder.stream.time, len(stops)
            play_person(clip_path)
            paused = session.wait_for(is_state("paused"), 3, after=before)
            wait_until(lambda n=stops_before: len(stops) > n, 1)
            stop = stops[stops_before] if paused is not None and len(stops) > stops_before else None
            attempts.append((event, said_at, stop, session.clock.frame_of(event.t), mixer.sample_rate))
            if paused is not None:
                session.commands.put("resume")
                session.wait_for(is_state("resumed"), 5, after=before)
            after = len(session.events)
            time.sleep(2.0)
        recording = heard.samples
        times = np.array(heard.adc_times)
        blocks = np.cumsum([0] + [len(b) for b in heard.blocks])
        at_rate = {key[0]: (samples, key[1]) for key, samples in session.output._samples.items()}
        canceller = session.guard.canceller
        print(f"echo canceller: delay {canceller.delay}, recent echo removed {canceller.erle_db:.1f} dB")
        decisions = [(decision.phrase, passed) for decision, passed in session.listener.heard]
        print(f"  decisions (phrase, passed on): {decisions}")
    latencies, missed, finished = [], 0, 0
    for event, said_at, stop, coach_frame, mixer_rate in attempts:
        if stop is None:
            missed += 1
            continue
        # Find the block that was being recorded when the person started speaking, then the
        # clip itself around it.
        block = int(np.searchsorted(times, said_at))
        person_start = find_clip(recording, clip, int(blocks[min(block, len(blocks) - 1)]), RATE)
        spoken_end = person_start + clip_end
        samples, rate = at_rate[f"say:{event.text}"]  # the clip exactly as the mixer played it
        expected = at_room_rate(samples, rate) * COACH_VOLUME
        coach_start = find_clip(recording, expected[: RATE // 2], person_start - RATE // 2, RATE)
        # Where the coach's voice stopped, from the mixer's own frames (the person's louder voice
        # would hide the coach's in the recording): as far into the sentence as it had played.
        played = (stop - coach_frame) / mixer_rate
        if played >= len(samples) / rate:
            finished += 1  # the coach's sentence ended by itself first
            continue
        stopped = coach_start + int((played + STOP_FADE_SECONDS) * RATE)
        latencies.append((stopped - spoken_end) / RATE)
    print(f"'정지' over the coach: {len(attempts)} tries, taken {len(attempts) - missed}, missed {missed}, "
          f"the coach's sentence ended first in {finished}")
    if latencies:
        ms = np.array(latencies) * 1000
        print(f"  end of the word -> the coach's voice stops: p50 {np.percentile(ms, 50):.0f} ms, "
              f"p95 {np.percentile(ms, 95):.0f} ms, max {ms.max():.0f} ms (n={len(ms)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--part", choices=("all", "coach", "pause"), default="all")
    simulated = parser.add_argument_group("simulated room (no sound server)")
    simulated.add_argument("--simulated", action="store_true")
    simulated.add_argument("--data", type=Path, help="the folder of real recordings (../shared/speech)")
    simulated.add_argument("--noise", choices=("none", "music", "bike"), default="none")
    simulated.add_argument("--snr", type=float, default=15.0, help="noise this many dB below the voice")
    simulated.add_argument("--rounds", type=int, default=2, help="times each pause clip is said over the coach")
    simulated.add_argument("--minutes", type=float, default=4.0, help="the coach's talk per language")
    simulated.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if args.simulated:
        if args.data is None:
            parser.error("--simulated needs --data DIR (the folder of real recordings)")
        import simulated_room

        simulated_room.main(args)
        return
    ensure_room()
    with tempfile.TemporaryDirectory() as work:
        if args.part in ("all", "coach"):
            coach_phrases_in_the_room()
        if args.part in ("all", "pause"):
            pause_over_the_coach(args.trials, Path(work))


if __name__ == "__main__":
    main()
