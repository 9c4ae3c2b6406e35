"""How well the listener hears real people, against plain Vosk with the same phrases on the same audio.

Real recordings (a folder laid out like ../shared/speech: MANIFEST.tsv and one folder per category)
are decoded from memory as if live, in conditions people train in:

- clean: the recording as it is;
- room: convolved with simulated room impulse responses (pyroomacoustics, RT60 0.3-0.7 s, the
  person 1-4 m from the microphone);
- music and the exercise bike at 20, 15 and 10 dB below the voice; room and music together.

Each command recording is played with one second of the background before it and 1.5 s after, so
continuous noise never lets the voice detector rest. Printed per condition, for the listener and
for plain Vosk (the model as shipped, the project's grammar, every final result that is exactly a
phrase taken as a command): commands right, wrong (another command) and stray (more than one from
one recording), the latency from the end of the voice to the decision (p50/p95); then false
commands per hour in all the talk (sentences, conversation, free utterances and non-command words);
then the trade-off of the decision's confidence threshold: commands right against false commands
per hour at a few settings, so the operating point is a visible choice.

    .venv/bin/python benchmarks/listen_real.py --data ../shared/speech [--lang ko] [--model PATH]
        [--conditions clean,room,...] [--quick] [--moment running|paused|loads] [--filler-weights 1,3,6]
        [--seed 8] [--suppression LEVEL]

Both decoders listen as a session does at a moment of the workout, with that moment's phrases:
--moment running (the default) while the workout goes on, unpaused, when the commands only a
pause gives a meaning ("resume", see ONLY_WHILE_PAUSED) command nothing; those commands'
recordings are decoded as in a pause, where they apply. --moment paused offers every command
throughout. --moment loads listens as during an exercise done with a weight: the running moment
plus every spoken load ("이십 킬로"); a load heard in talk counts as a false command.
--filler-weights decodes everything again with the listener's filler words weighted so (see
FILLER_WEIGHT in listening/grammar.py) and prints the trade-off at each: the other knob of the
decision, beside the confidence floors (each weight costs about half the main run again).
--seed draws other rooms and other excerpts of the noise: a figure that moves much between seeds
owes itself to one draw (the listener moved by 25 commands in 400 from seed 7 to 8, plain Vosk by 1,
before the noise suppressor came in; since, by 7). --suppression sets the listener's noise
suppression (see listening/noise.py; 0: none) to measure it against the session's.

It needs the benchmark extra: .venv/bin/pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from voice_coach.audio.pcm import to_speech_pcm
from voice_coach.core.phrases import load_phrases
from voice_coach.listening.grammar import (
    CONFIDENCE_FLOORS,
    FILLER_WEIGHT,
    FIT_RULES,
    ONLY_WHILE_PAUSED,
    Grammar,
    build_grammar,
    confidence_floor,
    plausible,
    while_running,
    with_loads,
)
from voice_coach.listening.models import ModelMissing, find_model
from voice_coach.listening.noise import NOISE_SUPPRESSION
from voice_coach.listening.recognizer import (
    CHUNK_SECONDS,
    SAMPLE_RATE,
    Recognizer,
    listen_to_samples,
    load_model,
    repeatable_dither,
)

LEAD_SECONDS, TAIL_SECONDS = 1.0, 1.5
"""Background before and after each command recording (seconds)."""
MUSIC = ("music: acoustic guitar", "music: orchestral", "music: drum & bass", "music: Tchaikovsky")
BIKE = ("exercise_bike",)
CONDITIONS = {  # name: (room, noise kind, signal-to-noise ratio in dB)
    "clean": (False, None, None),
    "room": (True, None, None),
    "music 20 dB": (False, MUSIC, 20), "music 15 dB": (False, MUSIC, 15), "music 10 dB": (False, MUSIC, 10),
    "bike 20 dB": (False, BIKE, 20), "bike 15 dB": (False, BIKE, 15), "bike 10 dB": (False, BIKE, 10),
    "room + music 20 dB": (True, MUSIC, 20), "room + music 15 dB": (True, MUSIC, 15),
}
TALK_CONDITIONS = ("clean", "room + music 15 dB", "bike 15 dB")
"""Where the talk is played. The bike too: short words and fragments of sentences, all that is
left of talk in its noise, drew three times as many false commands there as in the quiet."""
FLOOR_SETTINGS = ((0.0, 0.0, 0.0), (0.7, 0.5, 0.3), (0.8, 0.7, 0.5), (0.9, 0.6, 0.4), (0.9, 0.8, 0.6),
                  (0.9, 0.9, 0.6), (0.9, 0.9, 0.7), (0.99, 0.8, 0.6), (0.9, 0.97, 0.6), (0.95, 0.95, 0.6),
                  (0.97, 0.97, 0.6), (0.97, 0.97, 0.7), (0.999, 0.9, 0.8))
"""Confidence floors (phrases of up to two syllables, three, four or more) the trade-off is printed for."""
COMMAND_CATEGORY = {"ko": "korean", "en": "command-word"}
"""Where each language's command recordings are; the rest of the speech is talk."""
TALK_CATEGORIES = ("korean", "talk", "distractor-word", "command-word")
"""What counts as talk: every recording that is not one of the language's commands. English
command words ("stop", "go") are left out of the talk for other languages: a person who says
"stop" to a Korean coach means a command, and no Korean phrase should take it for another."""


@dataclass(frozen=True)
class Recording:
    path: Path
    category: str
    label: str
    seconds: float


@dataclass
class Tally:
    right: int = 0
    wrong: int = 0
    stray: int = 0
    total: int = 0
    latency: list[float] = field(default_factory=list)


def read_audio_16k(path: Path) -> np.ndarray:
    """Any file libsndfile reads (FLAC, WAV), mixed to mono, as int16 at 16 kHz."""
    import soundfile

    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return to_speech_pcm(samples.mean(axis=1), rate)


def fail(message: str) -> None:
    print(f"listen_real: {message}", file=sys.stderr)
    raise SystemExit(2)


def read_manifest(data: Path, needed: tuple[str, ...]) -> list[Recording]:
    manifest = data / "MANIFEST.tsv"
    if not data.is_dir():
        fail(f"{data}: no such folder (give --data, the folder of real recordings)")
    if not manifest.is_file():
        fail(f"{manifest}: missing (the folder must hold MANIFEST.tsv, as ../shared/speech does)")
    with manifest.open(encoding="utf-8") as handle:
        rows = [Recording(data / row["file"], row["category"], row["label"], float(row["seconds"] or 0))
                for row in csv.DictReader(handle, delimiter="\t")]
    present = {row.category for row in rows if row.path.is_file()}
    for category in needed:
        if category not in present:
            fail(f"{data}: no '{category}' recordings (MANIFEST.tsv lists none, or their files are missing)")
    return [row for row in rows if row.path.is_file()]


def expected_command(grammar: Grammar, label: str) -> str | None:
    """The command a recording's label says ("일시 정지 (stop/pause)" -> pause), if it is one."""
    words = label.split(" (")[0]
    return None if label.startswith("(") else grammar.command_for(words)


def _voiced_frames(samples: np.ndarray) -> np.ndarray:
    """The 10 ms frames of a clean recording within 25 dB of its loudest."""
    frame = SAMPLE_RATE // 100
    usable = len(samples) // frame * frame
    levels = np.sqrt(np.mean((samples[:usable] / 32768.0).reshape(-1, frame) ** 2, axis=1)) + 1e-9
    return np.nonzero(20 * np.log10(levels / levels.max()) > -25)[0]


def voice_end(samples: np.ndarray) -> float:
    """Where the voice of a clean recording ends (seconds)."""
    loud = _voiced_frames(samples)
    return (loud[-1] + 1) / 100 if len(loud) else 0.0


def voice_start(samples: np.ndarray) -> float:
    """Where the voice of a clean recording begins (seconds)."""
    loud = _voiced_frames(samples)
    return loud[0] / 100 if len(loud) else 0.0


def active_power(samples: np.ndarray) -> float:
    """Mean power of the voiced part (frames within 25 dB of the loudest), for signal-to-noise ratios."""
    frame = SAMPLE_RATE // 100
    usable = len(samples) // frame * frame
    power = np.mean((samples[:usable].astype(np.float64) / 32768.0).reshape(-1, frame) ** 2, axis=1)
    return float(np.mean(power[power > power.max() * 10 ** -2.5])) if usable else 0.0


CONDITIONS_SEED = 7
"""The draw of rooms and noise excerpts the README's figures come from (--seed)."""


class Conditions:
    """Makes each condition's version of a recording; rooms and noise picks are seeded."""

    def __init__(self, noises: dict[str, np.ndarray], seed: int = CONDITIONS_SEED):
        self.noises = noises
        self.rng = np.random.default_rng(seed)
        self.rooms = [self._room_response(rt60, distance) for rt60 in (0.3, 0.4, 0.5, 0.6, 0.7)
                      for distance in (1.0, 2.0, 3.0, 4.0)]

    def _room_response(self, rt60: float, distance: float) -> np.ndarray:
        import pyroomacoustics as pra

        size = np.array([5.5, 4.5, 2.7])
        absorption, max_order = pra.inverse_sabine(rt60, size)
        room = pra.ShoeBox(size, fs=SAMPLE_RATE, materials=pra.Material(absorption), max_order=min(max_order, 40))
        microphone = np.array([0.6, 2.2, 1.0])  # the Pi on a shelf
        angle = self.rng.uniform(-0.8, 0.8)
        source = microphone + distance * np.array([np.cos(angle), np.sin(angle), 0.0]) + [0, 0, 0.5]
        source = np.clip(source, 0.3, size - 0.3)
        room.add_source(source)
        room.add_microphone(microphone)
        room.compute_rir()
        response = np.asarray(room.rir[0][0], dtype=np.float64)
        direct = int(np.argmax(np.abs(response)))  # keep the voice's timing: the direct sound at 0
        return response[max(0, direct - 16):] / np.abs(response[direct])

    def make(self, condition: str, voice: np.ndarray, index: int) -> np.ndarray:
        in_room, kind, snr = CONDITIONS[condition]
        lead, tail = int(LEAD_SECONDS * SAMPLE_RATE), int(TAIL_SECONDS * SAMPLE_RATE)
        signal = np.concatenate([np.zeros(lead), voice.astype(np.float64), np.zeros(tail)])
        power = active_power(voice)
        if in_room:
            from scipy.signal import fftconvolve

            signal = fftconvolve(signal, self.rooms[index % len(self.rooms)])[:len(signal)]
            signal *= np.sqrt(power / max(active_power(signal[lead:lead + len(voice)].astype(np.int16)), 1e-12))
        if kind:
            names = [name for name in self.noises if any(name.startswith(k) or k in name for k in kind)]
            noise = self.noises[names[index % len(names)]]
            start = int(self.rng.integers(0, max(1, len(noise) - len(signal))))
            piece = np.resize(noise[start:start + len(signal)].astype(np.float64), len(signal))
            noise_power = np.mean((piece / 32768.0) ** 2) + 1e-12
            signal = signal + piece * np.sqrt(power / noise_power / 10 ** (snr / 10))
        return np.clip(signal, -32768, 32767).astype(np.int16)


class PlainVosk:
    """The baseline: the model as shipped, the same grammar, each final result that is a phrase."""

    def __init__(self, model, grammar: Grammar):
        self.model = model
        self.grammars = {False: grammar, True: while_running(grammar)}
        """Its phrases in a pause, and while the workout runs (as the listener's moments)."""

    def decode(self, samples: np.ndarray, running: bool = False) -> list[tuple[float, str, float, str]]:
        """`running`: with the phrases of the workout going on, unpaused (see while_running)."""
        import vosk

        grammar = self.grammars[running]
        recognizer = vosk.KaldiRecognizer(self.model, SAMPLE_RATE,
                                          json.dumps(grammar.words_offered, ensure_ascii=False))
        repeatable_dither()  # as the listener's: the same audio, the same dither
        chunk, heard = int(SAMPLE_RATE * CHUNK_SECONDS), []
        for start in range(0, len(samples), chunk):
            if recognizer.AcceptWaveform(samples[start:start + chunk].tobytes()):
                self._take(grammar, json.loads(recognizer.Result()).get("text", ""), (start + chunk) / SAMPLE_RATE,
                           heard)
        self._take(grammar, json.loads(recognizer.FinalResult()).get("text", ""), len(samples) / SAMPLE_RATE, heard)
        return heard

    @staticmethod
    def _take(grammar: Grammar, text: str, at: float, heard: list) -> None:
        command = grammar.command_for(text)
        if command:
            heard.append((at, command, 1.0, text))


class Listener:
    """The project's listener, exactly as a session runs it, with every candidate reported: the
    confidence floors and the rules of fit are applied afterwards (see kept), so one pass gives
    the whole trade-off."""

    def __init__(self, model, grammar: Grammar, suppression: int | None = None):
        """`suppression`: the noise suppressor's level instead of the session's (0: none)."""
        self.model, self.grammar, self.suppression = model, grammar, suppression

    def decode(self, samples: np.ndarray, running: bool = False) -> list[tuple]:
        """`running`: listen as while the workout goes on, unpaused (the session's use_moment)."""
        recognizer = Recognizer(self.model, self.grammar) if self.suppression is None else \
            Recognizer(self.model, self.grammar, suppression=self.suppression)
        recognizer.use_moment(running=running)
        recognizer.decider.confidence_floors = (0.0, 0.0, 0.0)
        recognizer.decider.fit_rules = ()
        # getattr: the same benchmark also measures earlier versions, which had no confidence
        # and no utterance on what they heard (their own rules of fit then stay applied)
        return [(h.t, h.command, getattr(h, "confidence", 1.0), h.phrase, getattr(h, "utterance", None),
                 getattr(h, "dropped", "")) for h in listen_to_samples(recognizer, samples)]


def kept(heard: list[tuple], floors: tuple[float, float, float], rules: tuple[str, ...] = FIT_RULES,
         edge_words: bool = True) -> list:
    """The candidates a listener with these confidence floors and rules of fit takes;
    `edge_words`: also those heard with a short word at the edge dropped (EDGE_WORD_SECONDS)."""
    return [h for h in heard if h[2] >= confidence_floor(h[3], floors)
            and (h[4] is None or plausible(h[3], h[4], rules, h[2])) and (edge_words or not h[5])]


def score(heard: list[tuple[float, str, float]], expected: str, end: float, tally: Tally) -> None:
    tally.total += 1
    if not heard:
        return
    (at, command, *_), *rest = heard
    tally.stray += len(rest)
    if command == expected:
        tally.right += 1
        tally.latency.append(at - end)
    else:
        tally.wrong += 1


def row(tally: Tally) -> str:
    return (f"   {tally.right:3}/{tally.total:<3} {100 * tally.right / max(1, tally.total):3.0f}%  {tally.wrong:3}  "
            f"{tally.stray:3}  {percentiles(tally.latency)}")


def percentiles(seconds: list[float]) -> str:
    if not seconds:
        return "   -/   -"
    ms = np.array(seconds) * 1000
    return f"{np.percentile(ms, 50):4.0f}/{np.percentile(ms, 95):4.0f}"


def run_commands(decoders, commands, conditions: Conditions, names, running: bool) -> dict:
    """Every command recording in every condition; the tallies per decoder (the listener's at its
    own confidence floors) and the listener's candidates. `running`: decoded as while the workout
    goes on, unpaused, except the commands that apply only in a pause (as in a pause)."""
    tallies = {name: {c: Tally() for c in names} for name in decoders}
    candidates = defaultdict(list)  # (condition, index) -> the listener's candidates, for the trade-off
    for condition in names:
        for index, (_recording, expected, voice) in enumerate(commands):
            samples = conditions.make(condition, voice, index)
            end = LEAD_SECONDS + voice_end(voice)
            for name, decoder in decoders.items():
                heard = decoder.decode(samples, running and expected not in ONLY_WHILE_PAUSED)
                if name == "listener":
                    candidates[(condition, index)] = (heard, expected, end)
                    heard = kept(heard, CONFIDENCE_FLOORS)
                score(heard, expected, end, tallies[name][condition])
    return {"tallies": tallies, "candidates": candidates}


def run_talk(decoders, talk, conditions: Conditions, talk_conditions: tuple[str, ...], running: bool) -> dict:
    seconds, false, examples, candidates = defaultdict(float), defaultdict(int), defaultdict(list), []
    for condition in talk_conditions:
        for index, (recording, voice) in enumerate(talk):
            samples = conditions.make(condition, voice, index)
            seconds[condition] += len(voice) / SAMPLE_RATE
            for name, decoder in decoders.items():
                heard = decoder.decode(samples, running)
                if name == "listener":
                    candidates += heard
                    heard = kept(heard, CONFIDENCE_FLOORS)
                false[(name, condition)] += len(heard)
                examples[name] += [f"{condition}: {recording.label[:60]!r} -> {h[1]} {h[3]!r} ({h[2]:.2f})"
                                   for h in heard]
    return {"seconds": seconds, "false": false, "examples": examples, "candidates": candidates}


AFTER_TALK_GAPS = (0.3, 0.5, 0.7)
"""Quiet between a sentence of talk and the command said after it (seconds)."""
SENTENCE_CATEGORY = {"ko": "korean", "en": "talk"}
"""Where the sentences said before a command come from (run_after_talk): the language's own talk,
up to 6 s long."""


def run_after_talk(decoders, commands, sentences: list[np.ndarray], running: bool) -> dict:
    """Each command said right after one of `sentences` (in the quiet), after each gap of
    AFTER_TALK_GAPS from the sentence's voice to the command's: what a rule that wants quiet
    before a command costs. Per decoder: [commands right, wrong, false commands during the
    sentence]; the listener's candidates are kept, to be scored with other rules of fit."""
    lead, tail = np.zeros(int(0.5 * SAMPLE_RATE), np.int16), np.zeros(int(TAIL_SECONDS * SAMPLE_RATE), np.int16)
    cases, tallies = [], {name: [0, 0, 0] for name in decoders}
    for gap in AFTER_TALK_GAPS:
        for index, (_recording, expected, voice) in enumerate(commands):
            # the gap from voice to voice: the recordings' own silence at their edges cut off
            sentence = sentences[index % len(sentences)]
            sentence = sentence[:int(voice_end(sentence) * SAMPLE_RATE)]
            command = voice[int(voice_start(voice) * SAMPLE_RATE):]
            samples = np.concatenate([lead, sentence, np.zeros(int(gap * SAMPLE_RATE), np.int16), command, tail])
            begins = (len(lead) + len(sentence)) / SAMPLE_RATE + gap
            for name, decoder in decoders.items():
                heard = decoder.decode(samples, running and expected not in ONLY_WHILE_PAUSED)
                if name == "listener":
                    cases.append((heard, expected, begins))
                    heard = kept(heard, CONFIDENCE_FLOORS)
                _add_after_talk(tallies[name], heard, expected, begins)
    return {"tallies": tallies, "cases": cases, "count": len(cases)}


def _add_after_talk(tally: list[int], heard: list, expected: str, begins: float) -> None:
    during = [h for h in heard if h[0] < begins]
    after = [h for h in heard if h[0] >= begins]
    tally[2] += len(during)
    if after:
        tally[0 if after[0][1] == expected else 1] += 1


def after_talk_without(result: dict, rules: tuple[str, ...]) -> list[int]:
    """The listener's tally for run_after_talk with other rules of fit."""
    tally = [0, 0, 0]
    for heard, expected, begins in result["cases"]:
        _add_after_talk(tally, kept(heard, CONFIDENCE_FLOORS, rules), expected, begins)
    return tally


def tradeoff(result: dict, talk_result: dict, hours: float, floors, rules, edge_words: bool = True) -> str:
    """Commands right, wrong + stray, and false commands per hour of talk, for a listener that
    takes the candidates these floors and rules let through."""
    right = wrong = 0
    for heard, expected, _end in result["candidates"].values():
        taken = kept(heard, floors, rules, edge_words)
        right += bool(taken) and taken[0][1] == expected
        wrong += (bool(taken) and taken[0][1] != expected) + max(0, len(taken) - 1)
    false = len(kept(talk_result["candidates"], floors, rules, edge_words))
    return f"right {right:4}/{len(result['candidates'])}  wrong+stray {wrong:3}   false {false / hours:5.1f}/h"


def print_tradeoff(result: dict, talk_result: dict, hours: float, settings, marker: str,
                   edge_words: bool = True) -> None:
    """A line of tradeoff() for each setting of the confidence floors, the one in use marked."""
    for floors in settings:
        figures = tradeoff(result, talk_result, hours, floors, FIT_RULES, edge_words)
        print(f"  {'/'.join(f'{f:g}' for f in floors):16} {figures}{marker if floors == CONFIDENCE_FLOORS else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the folder of real recordings (MANIFEST.tsv)")
    parser.add_argument("--lang", default="ko")
    parser.add_argument("--model", help="a Vosk model folder (found by language otherwise)")
    parser.add_argument("--conditions", default=",".join(CONDITIONS), help="comma-separated, from: "
                        + ", ".join(CONDITIONS))
    parser.add_argument("--quick", action="store_true", help="clean, room and music 15 dB only; no talk in music")
    parser.add_argument("--examples", action="store_true", help="print each false command in talk")
    parser.add_argument("--moment", choices=("running", "paused", "loads"), default="running",
                        help="running: the workout goes on, unpaused; paused: every command on offer; loads: "
                        "running, during an exercise done with a weight (the loads in the grammar)")
    parser.add_argument("--filler-weights", metavar="W,W", help="also run the listener with its fillers "
                        "weighted so (e.g. 1,6) and print the trade-off at each")
    parser.add_argument("--suppression", type=int, choices=range(5), metavar="LEVEL",
                        help=f"the listener's noise suppression, 0-4 (0: none; the session's: {NOISE_SUPPRESSION}); "
                        "plain Vosk stays plain")
    parser.add_argument("--seed", type=int, default=CONDITIONS_SEED, help="draw other rooms and other excerpts "
                        f"of the noise (default {CONDITIONS_SEED}): how much a figure owes to one draw")
    args = parser.parse_args()
    names = ["clean", "room", "music 15 dB"] if args.quick else [c.strip() for c in args.conditions.split(",")]
    for name in names:
        if name not in CONDITIONS:
            fail(f"--conditions: unknown condition {name!r} (choose from {', '.join(CONDITIONS)})")
    if args.lang not in COMMAND_CATEGORY:
        fail(f"--lang {args.lang}: no command recordings are known for it (choose from {', '.join(COMMAND_CATEGORY)})")
    # The arguments are checked before the recordings are read and the model is loaded (seconds each).
    try:
        weights = [int(part) for part in args.filler_weights.split(",")] if args.filler_weights else []
    except ValueError:
        fail(f"--filler-weights {args.filler_weights}: give whole numbers, for instance 1,6")
    if any(weight < 1 for weight in weights):
        fail(f"--filler-weights {args.filler_weights}: a weight is at least 1 (each filler listed once)")
    recordings = read_manifest(args.data, (COMMAND_CATEGORY[args.lang], "talk", "noise"))
    try:
        path = find_model(args.lang, args.model).path
    except ModelMissing as err:
        fail(str(err))
    import vosk

    grammar = build_grammar(load_phrases(args.lang))
    if args.moment == "loads":
        grammar = with_loads(grammar, load_phrases(args.lang), "kg")
    vosk.SetLogLevel(-1)
    plain_model = vosk.Model(str(path))  # as shipped: Vosk's own endpointing and decoding options
    decoders = {"listener": Listener(load_model(path), grammar, args.suppression),
                "plain Vosk": PlainVosk(plain_model, grammar)}
    noises = {r.label: read_audio_16k(r.path) for r in recordings if r.category == "noise"}
    commands, talk = [], []
    for recording in recordings:
        expected = expected_command(grammar, recording.label) if recording.category == COMMAND_CATEGORY[args.lang] \
            else None
        if expected:
            commands.append((recording, expected, read_audio_16k(recording.path)))
        elif recording.category in TALK_CATEGORIES and not (recording.category == "command-word"
                                                             and args.lang != "en"):
            talk.append((recording, read_audio_16k(recording.path)))
    print(f"model: {path}\n{len(commands)} command recordings, {len(talk)} talk recordings "
          f"({sum(len(v) for _, v in talk) / SAMPLE_RATE / 60:.1f} min); confidence floors {CONFIDENCE_FLOORS}; "
          f"seed {args.seed}; moment: {args.moment}; the listener's noise suppression "
          f"{NOISE_SUPPRESSION if args.suppression is None else args.suppression}"
          + (f" (commands for a pause only, {', '.join(sorted(ONLY_WHILE_PAUSED))}, decoded as in a pause)"
             if args.moment != "paused" else ""))
    talk_conditions = ("clean",) if args.quick else TALK_CONDITIONS
    started = time.process_time()
    conditions = Conditions(noises, args.seed)
    running = args.moment != "paused"
    result = run_commands(decoders, commands, conditions, names, running)
    print(f"\n{'':20}   {'listener':36}   plain Vosk, same phrases\n{'condition':20}"
          + "   right       wrong stray  p50/p95 ms" * 2)
    totals = {name: Tally() for name in decoders}
    for condition in names:
        line = f"{condition:20}"
        for name in decoders:
            tally = result["tallies"][name][condition]
            line += row(tally)
            for key in ("right", "wrong", "stray", "total"):
                setattr(totals[name], key, getattr(totals[name], key) + getattr(tally, key))
            totals[name].latency += tally.latency
        print(line)
    line = f"{'all':20}"
    for name in decoders:
        tally = totals[name]
        line += row(tally)
    print(line)
    talk_result = run_talk(decoders, talk, conditions, talk_conditions, running)
    hours = sum(talk_result["seconds"].values()) / 3600
    print(f"\nfalse commands in {sum(talk_result['seconds'].values()) / 60:.1f} min of talk:")
    for name in decoders:
        counts = [(condition, talk_result["false"][(name, condition)], talk_result["seconds"][condition] / 3600)
                  for condition in talk_conditions]
        print(f"  {name:12} " + "   ".join(f"{condition}: {count:3} ({count / part:5.1f} per hour)"
                                          for condition, count, part in counts))
        if args.examples:
            for example in talk_result["examples"][name]:
                print(f"      {example}")
    print("\ntrade-off (listener): confidence floors (up to 2 syllables, 3, 4+) -> commands right (all "
          "conditions), wrong+stray, false commands per hour of talk")
    print_tradeoff(result, talk_result, hours, FLOOR_SETTINGS, "  <- in use")
    print("the same, the whole result the phrase (no short word at its edge dropped, see EDGE_WORD_SECONDS)")
    print_tradeoff(result, talk_result, hours, FLOOR_SETTINGS, "  <- floors in use", edge_words=False)
    print("\nrules of fit (listener, at the floors in use): each left out in turn -> the same figures")
    for left_out in (None, *FIT_RULES, "all"):
        rules = FIT_RULES if left_out is None else () if left_out == "all" else \
            tuple(rule for rule in FIT_RULES if rule != left_out)
        name = "all kept" if left_out is None else f"without {left_out}"
        print(f"  {name:34} {tradeoff(result, talk_result, hours, CONFIDENCE_FLOORS, rules)}")
    sentences = [voice for recording, voice in talk
                 if recording.category == SENTENCE_CATEGORY[args.lang] and len(voice) < 6 * SAMPLE_RATE]
    if not sentences:
        print(f"\ncommands said after a sentence of talk: no {SENTENCE_CATEGORY[args.lang]!r} recording under 6 s")
    else:
        after = run_after_talk(decoders, commands, sentences, running)
        print(f"\ncommands said {', '.join(f'{g:g}' for g in AFTER_TALK_GAPS)} s after a sentence of talk "
              f"({after['count']} in the quiet, {len(sentences)} sentences): right, wrong, false commands in "
              "the sentences")
        without = after_talk_without(after, tuple(rule for rule in FIT_RULES if rule != "apart from talk"))
        for name, (right, wrong, false) in [*after["tallies"].items(), ("listener without apart from talk", without)]:
            print(f"  {name:34} right {right:3}/{after['count']}  wrong {wrong:3}  false {false:3}")
    print(f"\nCPU: {time.process_time() - started:.0f} s for both decoders")
    for weight in weights:
        # A fresh Conditions draws the same rooms and noise excerpts in the same order: the same audio.
        weighted = {"listener": Listener(load_model(path), replace(grammar, filler_weight=weight), args.suppression)}
        conditions = Conditions(noises, args.seed)
        result = run_commands(weighted, commands, conditions, names, running)
        talk_result = run_talk(weighted, talk, conditions, talk_conditions, running)
        print(f"\nfiller weight {weight} (in use: {FILLER_WEIGHT}): confidence floors -> the same figures")
        print_tradeoff(result, talk_result, hours, FLOOR_SETTINGS[1:], "  <- floors in use")


if __name__ == "__main__":
    main()
