"""Speech in: Vosk, restricted to the command grammar, turns 16 kHz audio into commands.

The Recognizer is fed audio (from a file or a microphone) and answers with commands and the
audio time at which each was decided. A voice-activity detector on the same audio tells when the
person stopped speaking (to decide early, and to measure latency) and how long they spoke.
"""

from __future__ import annotations

import ctypes
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from voice_coach.audio.pcm import SPEECH_RATE, read_wav, to_speech_pcm
from voice_coach.listening.grammar import (
    CONFIDENCE_FLOORS,
    Decider,
    Decision,
    Grammar,
    Utterance,
    Word,
    merged,
    while_running,
)
from voice_coach.listening.models import tuned_for_listening
from voice_coach.listening.noise import NOISE_SUPPRESSION, noise_suppressor
from voice_coach.listening.voice_activity import VoiceActivity, speech_detector

_LOGGER = logging.getLogger(__name__)

SAMPLE_RATE = SPEECH_RATE
"""What the recognizer listens at (hertz); other rates are resampled."""
CHUNK_SECONDS = 0.02
"""Audio handed to the decoder at a time (seconds): small, so decisions are not held back."""
PAD_SECONDS = 0.3
"""Quiet given to the decoder when an utterance is ended early (see Recognizer._end_utterance)."""
REST_AFTER_SECONDS = 0.5
"""Quiet this long, with nothing pending in the decoder, and the decoder rests (see Recognizer.feed)."""
VOICE_NOW_SECONDS = 0.05
"""Voice this recent is voice now (the voice detector's frames are 10 ms; blocks are 20-100 ms)."""
WORDS_AFTER_SECONDS = 0.15
"""Voice this long with words in it is someone speaking (see Recognizer.hearing_words)."""
DITHER_SEED = 1
"""The C library's random generator is set to this as each recognizer starts (see repeatable_dither)."""
PREROLL_SECONDS = 0.3
"""Audio from before the first voiced frame given to a resting decoder when voice returns: a
word's first consonant is quieter than the vowel the voice detector notices."""
OVER_COACH_SECONDS = 1.5
"""A final result decided this soon after the coach's voice (or its echo) was last in the audio
may hold words said over it (a barge-in phrase and the quiet that ends it take about this long):
such a barge-in word is judged at OVER_COACH_FLOORS (seconds)."""


@dataclass(frozen=True)
class Heard:
    t: float
    """Audio time at which the command was decided (seconds)."""
    command: str
    phrase: str
    latency: float | None
    """Seconds from the end of the spoken words to the decision, when voice was seen."""
    spoken_for: float = 0.0
    """Seconds from the start of the utterance's voice to the decision."""
    confidence: float = 1.0
    """The decoder's confidence in the command's words (0-1)."""
    utterance: Utterance | None = None
    """The voice it was heard in (its length and syllables), for a final result."""
    dropped: str = ""
    """A short word at the result's edge taken for the background (see EDGE_WORD_SECONDS)."""

    def to_json(self) -> dict:
        latency = None if self.latency is None else round(self.latency * 1000)
        return {"t": round(self.t, 3), "command": self.command, "phrase": self.phrase, "latency_ms": latency}


class Recognizer:
    def __init__(self, model, grammar: Grammar, answers: Grammar | None = None, loads: Grammar | None = None,
                 floors: tuple[float, float, float] = CONFIDENCE_FLOORS, suppression: int = NOISE_SUPPRESSION):
        """`model`: a loaded vosk.Model (loading takes a second; share it). `answers`: the
        grammar for the moments the coach waits for an answer, `loads`: for an exercise done with
        a weight (see use_moment); each holds the commands too. `floors`: the commands'
        confidence floors (see CONFIDENCE_FLOORS; the waiting coach has its own, IDLE_FLOORS).
        `suppression`: how hard steady noise is turned down before anything listens (see
        NOISE_SUPPRESSION; 0: not at all)."""
        import vosk  # libvosk loads only where speech is recognized

        self.grammar = self.commands = grammar
        self.answers, self.loads = answers, loads
        moments: dict[tuple[bool, bool], Grammar] = {(False, False): grammar}
        if answers is not None:
            moments[True, False] = answers
        if loads is not None:
            moments[False, True] = loads
        if answers is not None and loads is not None:
            moments[True, True] = merged(answers, loads)
        # Each moment also while the workout runs unpaused: without the commands that do nothing then.
        self._moments: dict[tuple[bool, bool, bool], Grammar] = {
            (*key, running): while_running(moment) if running else moment
            for key, moment in moments.items() for running in (False, True)}
        self._model = model
        widest = moments[max(moments, key=lambda key: len(moments[key].phrases))]
        missing = words_missing_from(model, widest.words_offered)
        if missing:  # Vosk drops such words silently: a phrase holding one can never be heard
            _LOGGER.warning("words not in the speech model's vocabulary (phrases with them cannot be heard): %s",
                            ", ".join(missing))
        self._recognizer = vosk.KaldiRecognizer(model, SAMPLE_RATE,
                                                json.dumps(grammar.vosk_grammar, ensure_ascii=False))
        self._recognizer.SetWords(True)  # each word's posterior: how sure the decoder is of it
        repeatable_dither()
        self.floors = floors
        self.suppression = suppression
        self.suppressor = noise_suppressor(suppression)
        self.decider = Decider(grammar, confidence_floors=floors)
        self.voice = VoiceActivity(SAMPLE_RATE, speech_detector())
        self._recent = np.zeros(0, np.int16)
        """The latest audio, to pad an utterance that ends early with the room's own quiet, and
        to give a resting decoder the start of a word."""
        self.resting = False
        """The decoder is not being fed: the room has been quiet (see feed)."""
        self.decoded_seconds = 0.0
        """Audio the decoder was given (seconds): what resting saves shows against `t`."""
        self.partial = ""
        """The words the decoder hears in the utterance so far (empty between utterances)."""
        self._coach_heard_at: float | None = None
        """Audio time the coach's voice was last in what was fed (seconds), None before it ever was."""

    @property
    def t(self) -> float:
        """Audio time fed so far (seconds)."""
        return self.voice.now

    def feed(self, pcm: np.ndarray, coach_talking: bool = False) -> list[Heard]:
        """Mono int16 samples at 16 kHz; `coach_talking`: the coach's voice is in them."""
        if self.suppressor is not None:  # everything below hears the room with its steady noise turned down
            pcm = self.suppressor.process(pcm)
        # While the coach talks its echo is speech too: the speech detector would not tell the
        # person apart, and only a barge-in's words matter then (see Decider).
        self.voice.feed(pcm, classify=not coach_talking)
        if coach_talking:
            self._coach_heard_at = self.t
        self._recent = np.concatenate([self._recent, pcm])[-int(SAMPLE_RATE * 0.5):]
        quiet_for = self.voice.quiet_for()
        quiet = self.voice.now if quiet_for is None else quiet_for
        # Decoding is most of the listener's work, and much of a session is quiet. So the decoder
        # rests while the room is quiet and nothing is pending in it, and gets the word's start
        # back from the recent audio when voice returns. Not while the coach talks: resting over
        # its (cancelled) voice cost a "pause" said over it one time in six in the room.
        if self.resting:
            if quiet >= len(pcm) / SAMPLE_RATE and not coach_talking:  # no voice in this block
                return []
            self.resting = False
            pcm = self._recent[-(len(pcm) + int(SAMPLE_RATE * PREROLL_SECONDS)):]
        spoken = self.voice.utterance()
        self.decoded_seconds += len(pcm) / SAMPLE_RATE
        self.partial = ""
        if self._recognizer.AcceptWaveform(pcm.astype("<i2").tobytes()):
            return self._heard(self._decide(_parse_final(self._recognizer.Result()), spoken))
        partial = self.partial = json.loads(self._recognizer.PartialResult()).get("partial", "")
        if quiet >= REST_AFTER_SECONDS and not partial.strip() and not coach_talking:
            # No Reset: that would also drop the speaker adaptation (i-vector) learned so far.
            self.resting = True
            return []
        if coach_talking and (barge_in := self.decider.barge_in(partial, self.t)):
            return self._heard(barge_in)
        # Between the coach's sentences too: a word said in a gap is decoded on its own, not as
        # the end of the coach's sentence (the echo guard decides what may pass then).
        if self.decider.utterance_over(partial, quiet_for, self.t):
            return self._heard(self._decide(self._end_utterance(quiet_for), spoken))
        return []

    @property
    def hearing_words(self) -> bool:
        """Voice right now, for a while already, with words in it by the decoder's ear: someone
        is speaking (a knock or a drum hit has voice-like level but rarely words and length)."""
        quiet = self.voice.quiet_for()
        return (quiet is not None and quiet < VOICE_NOW_SECONDS and not self.resting
                and self.voice.utterance().seconds >= WORDS_AFTER_SECONDS and bool(self.partial.strip()))

    def another(self) -> Recognizer:
        """A recognizer of its own (the same model and grammars, a fresh decoder)."""
        return Recognizer(self._model, self.commands, self.answers, self.loads, self.floors, self.suppression)

    def use_moment(self, answers: bool = False, loads: bool = False, running: bool = False) -> bool:
        """Listen with the grammar for this moment: the commands, plus the answers while the
        coach waits for one, plus the loads during an exercise done with a weight (those this
        recognizer has); `running`: the workout goes on, not paused, so the commands that only a
        pause gives a meaning are left out (see while_running). Switched between utterances
        only: a new grammar starts the decoder afresh. Returns whether the grammar is now as wanted."""
        wanted = self._moments[answers and self.answers is not None, loads and self.loads is not None, running]
        if wanted is self.grammar:
            return True
        if self.partial.strip():
            return False  # someone is speaking: switch once they are done
        self.grammar = wanted
        # Vosk refuses a new grammar while an utterance runs (a fatal error that ends the process):
        # end it first. Between utterances its result is nothing, and the speaker adaptation stays.
        self._recognizer.FinalResult()
        self._recognizer.SetGrammar(json.dumps(self.grammar.vosk_grammar, ensure_ascii=False))
        self.decider = Decider(self.grammar, confidence_floors=self.floors)
        return True

    def _end_utterance(self, quiet_for: float | None) -> tuple[Word, ...]:
        """The final result now, with no wait for Vosk's endpoint. The acoustic model looks a
        little ahead of each frame, so it is first given PAD_SECONDS more of the quiet just heard
        (the room's own background, so its features stay those of this room)."""
        # In continuous noise (quiet_for None or short) the latest 50-100 ms are that noise.
        quiet = self._recent[-int(SAMPLE_RATE * min(max(quiet_for or 0.0, 0.05), 0.1)):]
        padding = np.resize(quiet, int(SAMPLE_RATE * PAD_SECONDS))
        if self._recognizer.AcceptWaveform(padding.astype("<i2").tobytes()):
            result = _parse_final(self._recognizer.Result())
            self._recognizer.FinalResult()  # nothing more: just reset for the next utterance
            return result
        return _parse_final(self._recognizer.FinalResult())

    def flush(self) -> list[Heard]:
        """The audio has ended: whatever the last utterance meant."""
        return self._heard(self._decide(_parse_final(self._recognizer.FinalResult()), self.voice.utterance()))

    def _decide(self, words: tuple[Word, ...], spoken: Utterance) -> Decision | None:
        """The decider's verdict on a final result's words, heard in the voice `spoken`."""
        over_coach = self._coach_heard_at is not None and self.t - self._coach_heard_at <= OVER_COACH_SECONDS
        return self.decider.final_words(words, spoken, over_coach)

    def _heard(self, decision: Decision | None) -> list[Heard]:
        if decision is None:
            return []
        end = self.voice.last_voice_at
        latency = None if end is None else max(0.0, self.t - end)
        began = self.voice.utterance_started_at
        spoken_for = 0.0 if began is None else self.t - began
        return [Heard(self.t, decision.command, decision.phrase, latency, spoken_for, decision.confidence,
                      decision.utterance, decision.dropped)]


def repeatable_dither() -> None:
    """Make the decoding of the same audio come out the same from here on.

    Kaldi's feature extraction adds dither, noise of about one step of 16-bit audio, drawn from the
    C library's rand(). Unseeded, the same audio decodes a little differently each time: eight
    fresh decodes of one espeak-ng 다섯 개 gave its first word a confidence from 0.66 to 1.0, on
    both sides of a confidence floor. The dither stays (the model was trained with it: it keeps
    digital silence from having no energy at all); its sequence is fixed at each recognizer's
    start, so a recording replays the same decisions (`listen --file`, the benchmarks, the tests).
    A live microphone's own noise is far above one step: there it changes nothing."""
    try:
        ctypes.CDLL(None).srand(DITHER_SEED)
    except (OSError, AttributeError):  # no C library to reach: decoding is only less repeatable
        _LOGGER.debug("cannot seed the C library's rand(): decoding the same audio may vary a little")


def words_missing_from(model, phrases: list[str]) -> list[str]:
    """The words of `phrases` that the model's vocabulary lacks (a grammar cannot add words)."""
    words = dict.fromkeys(word for phrase in phrases for word in phrase.split())
    return [word for word in words if model.vosk_model_find_word(word) < 0]


def _parse_final(result: str) -> tuple[Word, ...]:
    """A final result's words, each with the decoder's posterior and where it aligned it."""
    return tuple(Word(word["word"], word.get("conf", 1.0), word.get("start", 0.0), word.get("end", 0.0))
                 for word in json.loads(result).get("result", []))


def read_wav_16k(path: Path) -> np.ndarray:
    """A 16-bit WAV file as the recognizer takes it (int16 at SAMPLE_RATE)."""
    try:
        samples, rate = read_wav(path)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from err
    return to_speech_pcm(samples, rate)


def listen_to_samples(recognizer: Recognizer, samples: np.ndarray) -> Iterator[Heard]:
    """Feed audio chunk by chunk as if it were arriving live, then flush."""
    chunk = int(SAMPLE_RATE * CHUNK_SECONDS)
    for start in range(0, len(samples), chunk):
        yield from recognizer.feed(samples[start:start + chunk])
    yield from recognizer.flush()


@cache
def load_model(path: Path):
    """The Vosk model in `path`, with the decoding options listening needs (see models.py). Loaded
    once per process: `serve` and each session it runs share it (it is most of the memory)."""
    import vosk  # libvosk loads only where speech is recognized


    vosk.SetLogLevel(-1)
    return vosk.Model(str(tuned_for_listening(path)))
