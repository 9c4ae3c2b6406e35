"""From a phrase table to what the recognizer may hear, and from what it heard to one command.

Pure logic. The grammar holds every command phrase plus filler words: with fillers on offer, the
decoder explains ordinary talk with them instead of forcing it onto the nearest command (the
Korean model has no [unk] word to do that). A phrase counts only when it is the whole utterance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from voice_coach.core.loads import spoken_loads
from voice_coach.core.phrases import Phrases, normalize

BARGE_IN = frozenset({"pause", "stop"})
"""Commands that may interrupt the coach mid-sentence."""
BARGE_IN_SETTLE_SECONDS = 0.1
"""A barge-in phrase must end the partial result this long (of audio) before it is taken: the
decoder's guess for the latest words can flicker while the coach's voice runs on."""
QUIET_SECONDS = 0.12
"""Quiet this long after voice ends the utterance, long before Vosk's own endpoint would (its
trailing-silence rules are far slower); a command word at the start of a longer sentence, said
without a pause, is then not a command (seconds)."""
STABLE_SECONDS = 0.35
"""A partial result that is a whole phrase and has not changed for this long (of audio) ends the
utterance even when the room never goes quiet (music, a bike): the person has stopped adding
words. Twice as long for a phrase that could still grow ("다음" -> "다음 단계")."""
MIN_VOICE_SECONDS = 0.15
"""A command needs this much voice (seconds) heard by the voice detector: music or a bike that
the decoder read as a phrase, with next to no voice in it, is not one. (On real speech, with voice
measured as speech, it costs no command in 400 and saves 2 wrong ones and 1.2 false commands an
hour of talk.)"""
SLOWEST_SYLLABLE_SECONDS = 0.30
"""How long one syllable of a command may take at the slowest; with PHRASE_SLACK_SECONDS, the
longest utterance a phrase may be. There is no shortest: real people say "다음 단계" in 0.4 s of
voice, faster than any rule fitted to a synthetic voice allowed (it cost 7 real commands in 40)."""
PHRASE_SLACK_SECONDS = 0.30
EXTRA_SYLLABLES = 2
"""An utterance with this many syllables more than the phrase is a sentence that contains it (or
sounds like it), not the command: "숙제 다 했어" is not "다 했어"."""
CONFIDENCE_FLOORS = (0.97, 0.97, 0.60)
"""The least confidence the decoder must have in a phrase's words (the lowest of its words'
posteriors, 0-1) for a phrase of up to two syllables, of three, and of four or more. Talk is
matched onto short phrases far more often than onto long ones (there is less sound to contradict
it): English words said to a Korean coach ("no", "two", "eight") come out as 생략, 팁 or 재생, and
fragments of sentences as 다 했어, 넘어가, 기다려, 그만해. So short phrases need more certainty.
Fitted on real speech (benchmarks/listen_real.py prints the trade-off; 400 commands in 10
conditions and 79 min of talk, the workout running), with a short word at a result's edge dropped
(EDGE_WORD_SECONDS) and the other rules of fit in use: these floors took 110 real commands, 1
wrong one and 1.5 false commands an hour; 0.9/0.97/0.6 took 110, 3 and 2.3 (생략 took "no" at
0.91; 잠깐 and 상태 were heard for 다음 단계 in music); 0.9/0.9/0.6 111, 3 and 4.6 (three of its
six false commands were three-syllable everyday words at 0.92-0.96: 그만해 in an English
audiobook, 넘어가 and 기다려 in English coffee orders; the one command lost, an 이어 하기 heard
as 이어서 at 0.93). A barge-in word said over the coach has floors of its own (OVER_COACH_FLOORS).
The espeak-ng benchmark (benchmarks/listen_accuracy.py) with these floors: 32 of 440, 0.5 %
wrong (0.9/0.97/0.6: 40, 0.5 %; 0.9/0.9/0.6: 43, 1.6 %; plain Vosk 67, 6.8 %): its synthetic
voice comes at lower confidence than real people. Earlier floors: 0.9/0.6/0.4 took 122, 8 and
18.2 (before 팁 alone and the English numbers left the phrases); 0.9/0.9/0.7 103, 5, 9.9."""

OVER_COACH_FLOORS = (0.90, 0.97, 0.60)
"""The floors of a barge-in word (pause, stop) whose final result comes while the coach talks or
within OVER_COACH_SECONDS of it (see Recognizer): heard through the echo canceller, with the
coach's voice under it, "정지" comes at 0.9-0.97, and it is often decided from a final result as
the coach pauses between sentences, not from the partial results a barge-in is first taken from.
With two syllables at 0.97 there too, the PulseAudio room (benchmarks/listen_room.py --part
pause, the same hour) took "정지" over the coach 15-16 times in 20 against 19 and 19 at 0.9.
Only the barge-in commands: the echo guard drops any other command heard over the coach. Never
stricter than a recognizer's own floors (the waiting coach's are lower)."""

IDLE_FLOORS = (0.90, 0.90, 0.60)
"""The floors of the waiting coach (`serve`), listening for a start phrase ("자 운동", "운동
시작"): those commands had before the floors rose to 0.97. That rise was fitted on the workout's
phrases and the false commands talk made of them; the start phrases were not measured so, and at
0.97 the PulseAudio room's test missed espeak-ng's "자 운동" in all five of its tries in one of
two runs."""

ANSWER_FLOORS = (0.90, 0.60, 0.40)
"""The confidence floors of an answer to the coach's question (how it went, how many reps, the
load): listened for only in the seconds after the coach asks, when an answer is what is expected,
so it needs less of the decoder's certainty than a command that may come any time. These are the
floors commands had before CONFIDENCE_FLOORS rose for talk (espeak-ng's 다섯 개 comes at
0.77-0.89, under even the 0.9 commands once needed for three syllables)."""


EDGE_WORD_SECONDS = 0.3
"""A word this short at either end of a result, beside a phrase of EDGE_WORD_PHRASE_SYLLABLES or
more, is taken for the background, not for talk around the phrase: the decoder must explain every
frame, and the bike's whirr or a breath after "일시 정지" comes out as 일시 정지 있어 or 투 이전
단계. While the whole result had to be the phrase, such commands were lost. On real speech
(benchmarks/listen_real.py: 400 commands in 10 conditions, 79 min of talk, the workout running),
with one such word dropped the listener took 122 commands instead of 98 at the floors then in use,
for 18.2 false commands an hour instead of 13.7; and 111 with 11.4 an hour at the floors raised
to take that back (CONFIDENCE_FLOORS). The room to drop a word is kept small, since more of it
mostly lets talk in (the same results, at 0.9/0.6/0.4: beside a phrase of any length 124
commands and 20.5 an hour; a word up to 0.4 s long 128 and 28.8; any one word 130 and 37.2; up
to two words 135 and 47.8)."""
EDGE_WORD_PHRASE_SYLLABLES = 3
"""The fewest syllables of a phrase an edge word may be dropped beside (see EDGE_WORD_SECONDS):
beside "정지" or "다음", a word as long as the phrase is half of what was heard."""

FILLER_WEIGHT = 2
"""How many times each filler word is listed in the grammar Vosk is given, for each time a phrase
is. Vosk turns that list into a language model counted over its entries (see vosk's
Recognizer::UpdateGrammarFst), so a filler listed twice is twice as likely before any sound is
heard: talk is explained by fillers more readily, and a command must sound like itself to win (the
garbage model's weight of classic keyword spotting). Measured on real speech
(benchmarks/listen_real.py --filler-weights; 400 commands in 10 conditions, 79 min of talk in the
quiet, in room + music and beside an exercise bike), at the confidence floors in use: weight 1 took
99 commands, 7 wrong, 30.4 false commands an hour; 2 took 98, 6 and 26.6; 3 took 91, 6 and 21.2
(plain Vosk: 98, 22 and 54.6). Two keeps the commands plain Vosk hears; three trades 7 of them for
a fifth fewer false ones, a choice the benchmark prints beside the floors' own."""


@dataclass(frozen=True)
class Grammar:
    phrases: dict[str, str]
    """Normalized phrase -> command."""
    fillers: tuple[str, ...]
    filler_weight: int = FILLER_WEIGHT

    @property
    def words_offered(self) -> list[str]:
        """Each phrase and each filler word once: what the decoder may say."""
        return sorted(set(self.phrases) | set(self.fillers))

    @property
    def vosk_grammar(self) -> list[str]:
        """The list KaldiRecognizer takes: each phrase once, each filler word `filler_weight`
        times (see FILLER_WEIGHT)."""
        fillers = sorted(set(self.fillers) - set(self.phrases))
        return sorted(set(self.phrases)) + fillers * self.filler_weight

    def command_for(self, text: str) -> str | None:
        """The command an utterance means, only if it is exactly one of the phrases."""
        return self.phrases.get(normalize(text))

    def barge_in_ending(self, text: str) -> str:
        """The barge-in phrase (pause, stop) that the words end with, or ""."""
        words = f" {normalize(text)}"
        endings = [phrase for phrase, command in self.phrases.items()
                   if command in BARGE_IN and words.endswith(f" {phrase}") and not self.could_grow(phrase)]
        return max(endings, key=len, default="")

    def could_grow(self, text: str) -> bool:
        """Whether a longer phrase starts with this one ("next" -> "next one")."""
        wanted = normalize(text) + " "
        return any(phrase.startswith(wanted) for phrase in self.phrases)


def build_grammar(phrases: Phrases) -> Grammar:
    table = {normalize(phrase): command for command, words in phrases.commands.items() for phrase in words}
    fillers = tuple(word for word in phrases.fillers if normalize(word) not in table)
    return Grammar(table, fillers)


@dataclass(frozen=True)
class Word:
    """One word of the decoder's final result."""

    text: str
    confidence: float = 1.0
    """The decoder's posterior for it (0-1)."""
    start: float = 0.0
    end: float = 0.0
    """Where the decoder aligned it (seconds of the audio it was given)."""


def phrase_words(grammar: Grammar, words: tuple[Word, ...]) -> tuple[tuple[Word, ...], str]:
    """The words of a result that make up the phrase: all of them, or all but one short word at
    either end beside a phrase long enough (EDGE_WORD_SECONDS); and the word dropped ("" if none).
    Without a phrase, all of them."""
    if grammar.command_for(" ".join(word.text for word in words)) is not None or len(words) < 2:
        return words, ""
    for kept, edge in ((words[:-1], words[-1]), (words[1:], words[0])):
        phrase = " ".join(word.text for word in kept)
        if (edge.end - edge.start <= EDGE_WORD_SECONDS and grammar.command_for(phrase) is not None
                and syllables(phrase) >= EDGE_WORD_PHRASE_SYLLABLES):
            return kept, edge.text
    return words, ""


@dataclass(frozen=True)
class Utterance:
    """The latest stretch of voice."""

    seconds: float
    """From its first voiced frame to its last."""
    syllables: int
    """Loudness peaks counted in it."""
    words_seconds: float = 0.0
    """How long the decoder's words lasted in it, from the first one's start to the last one's
    end, as the decoder aligned them (0: not known)."""
    quiet_before: float = float("inf")
    """How long the person had been quiet before its voice began (seconds; the coach talking
    counts as quiet; infinite when nothing was heard of the person before)."""


def syllables(phrase: str) -> int:
    """Syllables in a phrase, roughly: each Hangul block is one; in alphabetic words, each group
    of vowels, less a silent final e ("one", "pause")."""
    hangul = len(re.findall(r"[\uac00-\ud7a3]", phrase))
    if hangul:
        return hangul
    count = 0
    for word in phrase.casefold().split():
        groups = len(re.findall(r"[aeiouy]+", word))
        if groups > 1 and word.endswith("e") and not word.endswith("le"):
            groups -= 1
        count += max(1, groups)
    return max(1, count)


AFTER_TALK_SECONDS = 0.8
"""Quiet shorter than this before an utterance (the coach's voice counts as quiet) makes it the
next piece of what the person was saying more likely than a command: a command is said apart,
to the coach; a sentence goes on after a breath. Such an utterance needs AFTER_TALK_CONFIDENCE."""
AFTER_TALK_CONFIDENCE = 0.8
"""The confidence a phrase heard right after the person's own talk needs, whatever its length
(see AFTER_TALK_SECONDS). On real speech (benchmarks/listen_real.py, the workout running) it took
false commands in talk from 8.3 to 6.1 an hour: 소리 작게 (0.67), 일시 정지 (0.74) and
일시정지 (0.62), each a piece of a longer sentence after 0.46-0.79 s of quiet; 0.6 s would have
caught one of them. It cost none of the 111 real commands there, each said after a second of
quiet. Said 0.3, 0.5 and 0.7 s after a Korean sentence of the person's own (the benchmark's
"after a sentence of talk"), 65 of 120 were taken with the rule and 67 without it (the two lost:
일시정지 at 0.66 and 0.70, after 0.33 and 0.52 s); refusing such a phrase outright would lose
every one. At 0.95 (with the English numbers among the fillers) it saved no false command more
(4.6 an hour either way: what is left comes after a second of quiet or at 0.96-1.0) and took 57
of those 120 commands instead of 63."""

FIT_RULES = ("enough voice", "words not too long", "not too many syllables", "apart from talk")
"""The rules by which an utterance can be its phrase (see plausible). Each is kept only while it
saves more false commands in real talk than it costs real commands: benchmarks/listen_real.py
prints what each one does."""


def plausible(phrase: str, utterance: Utterance, rules: tuple[str, ...] = FIT_RULES,
              confidence: float = 1.0) -> bool:
    """Whether an utterance can be this phrase, by its length and its syllables, and by the quiet
    before it. A long sentence that the decoder squeezed onto a short phrase is not, nor a phrase
    found in noise with next to no voice, nor (unless the decoder is sure of it) a piece of the
    person's own talk. `confidence`: the decoder's in the phrase's words."""
    if ("apart from talk" in rules and utterance.quiet_before < AFTER_TALK_SECONDS
            and confidence < AFTER_TALK_CONFIDENCE):
        return False
    count = syllables(phrase)
    if "enough voice" in rules and utterance.seconds < MIN_VOICE_SECONDS:
        return False
    longest = PHRASE_SLACK_SECONDS + SLOWEST_SYLLABLE_SECONDS * count
    # Measured where the decoder put the phrase's words. In steady noise the voice detector hears
    # only the loudest part of a word, and the decoder may stretch a phrase over the noise around
    # it: an English "two" beside an exercise bike came out as 이전 spread over 1.2 s, with 0.15 s
    # of voice. On real speech this rule took false commands in talk from 26.6 to 22.0 an hour
    # (beside the bike 47.8 to 34.1) for one command in 400. The same limit on the voice
    # detector's length of the utterance ("not too long") was retired: on the same benchmark it
    # no longer saved a false command nor cost a command, the workout running or paused.
    if "words not too long" in rules and utterance.words_seconds > longest:
        return False
    return "not too many syllables" not in rules or utterance.syllables < count + EXTRA_SYLLABLES


def confidence_floor(phrase: str, floors: tuple[float, float, float] = CONFIDENCE_FLOORS) -> float:
    """The confidence a phrase's words need (see CONFIDENCE_FLOORS)."""
    count = syllables(phrase)
    return floors[0] if count <= 2 else floors[1] if count == 3 else floors[2]


@dataclass(frozen=True)
class Decision:
    command: str
    phrase: str
    """The words taken as the command (for a barge-in, only the end of what was heard)."""
    confidence: float = 1.0
    """The decoder's confidence in those words (0-1)."""
    utterance: Utterance | None = None
    """The voice it was heard in, as the voice detector measured it (none for a barge-in)."""
    dropped: str = ""
    """A short word at the edge of the result that was taken for the background (see
    EDGE_WORD_SECONDS), "" if the result was the phrase alone."""


@dataclass
class Decider:
    """Turns the decoder's results into commands, each spoken command once.

    An utterance ends when the person has been quiet for `quiet_seconds` (the listener then asks
    the decoder for its final result: finals are rescored and wrong far less often than partial
    guesses), when its partial result has been one whole phrase for a while (music and bikes
    never go quiet), or at Vosk's own endpoint. Its final result is a command only when it is
    exactly one phrase, the decoder is sure enough of its words (confidence_floor), and the
    utterance is not far longer than the phrase (plausible).

    While the coach talks, the microphone is never quiet and no utterance is the person's alone,
    so then only a barge-in (pause, stop) can be taken: its phrase ending the partial result,
    unchanged for BARGE_IN_SETTLE_SECONDS. The echo guard later drops it if the coach's own
    sentence holds that phrase. The final result of an utterance a barge-in was taken from is
    ignored, so one "pause" never becomes two.
    """

    grammar: Grammar
    quiet_seconds: float = QUIET_SECONDS
    confidence_floors: tuple[float, float, float] = CONFIDENCE_FLOORS
    answer_floors: tuple[float, float, float] = ANSWER_FLOORS
    over_coach_floors: tuple[float, float, float] = OVER_COACH_FLOORS
    stable_seconds: float = STABLE_SECONDS
    fit_rules: tuple[str, ...] = FIT_RULES
    _barged_in: bool = False
    _tail: str = ""
    _tail_since: float = 0.0
    _partial: str = ""
    _partial_since: float = 0.0

    def utterance_over(self, partial: str, quiet_for: float | None, at: float | None = None) -> bool:
        """Whether to end the utterance now: something was heard, then `quiet_for` seconds of
        quiet; or, at audio time `at` (seconds), the partial result has been one whole phrase
        for the stable time (continuous noise never lets the room go quiet)."""
        words = normalize(partial)
        if words != self._partial or at is None:
            self._partial, self._partial_since = words, (at or 0.0)
        if not words:
            return False
        if quiet_for is not None and quiet_for >= self.quiet_seconds:
            return True
        if at is None or self.grammar.command_for(words) is None:
            return False
        needed = self.stable_seconds * (2 if self.grammar.could_grow(words) else 1)
        return at - self._partial_since >= needed

    def final(self, text: str, confidence: float, utterance: Utterance, over_coach: bool = False) -> Decision | None:
        """The utterance is over; returns its command unless a barge-in was taken from it.
        `confidence`: the decoder's, in the words of `text` (0-1); `over_coach`: the coach's voice
        was in the audio as it was spoken (a barge-in word then has OVER_COACH_FLOORS)."""
        barged_in, self._barged_in, self._tail, self._partial = self._barged_in, False, "", ""
        if barged_in:
            return None
        text = normalize(text)
        command = self.grammar.command_for(text)
        if command is None:
            return None
        floors = self.answer_floors if command == ANSWER else self.confidence_floors
        if over_coach and command in BARGE_IN:
            floors = tuple(map(min, floors, self.over_coach_floors))
        if confidence < confidence_floor(text, floors):
            return None
        # An answer is what the coach just asked for: the quiet before it need not set it apart.
        rules = self.fit_rules if command != ANSWER else tuple(r for r in self.fit_rules if r != "apart from talk")
        if not plausible(text, utterance, rules, confidence):
            return None
        return Decision(command, text, confidence, utterance)

    def final_words(self, words: tuple[Word, ...], utterance: Utterance, over_coach: bool = False) -> Decision | None:
        """final() for the decoder's words: a short word at an edge may be dropped (phrase_words);
        the confidence is the phrase's words' least, and their span is the words' length."""
        kept, dropped = phrase_words(self.grammar, words)
        confidence = min((word.confidence for word in kept), default=0.0)
        seconds = max(0.0, kept[-1].end - kept[0].start) if kept else 0.0
        decision = self.final(" ".join(word.text for word in kept), confidence,
                              replace(utterance, words_seconds=seconds), over_coach)
        return decision and replace(decision, dropped=dropped)

    def barge_in(self, partial: str, at: float) -> Decision | None:
        """A partial result at audio time `at` (seconds) while the coach talks."""
        tail = self.grammar.barge_in_ending(partial)
        if tail != self._tail:
            self._tail, self._tail_since = tail, at
            return None
        if self._barged_in or not tail or at - self._tail_since < BARGE_IN_SETTLE_SECONDS:
            return None
        self._barged_in = True
        return Decision(self.grammar.phrases[tail], tail)


ANSWER = "answer"
"""What the decider calls an answer to the coach's question (the engine reads which one)."""


def with_answers(grammar: Grammar, phrases: Phrases) -> Grammar:
    """The grammar for the moment the coach waits for an answer: its commands stay (a "pause"
    still pauses), the answers join them ("hard", "I did ten"). Only for that moment: the
    answers' short words would otherwise draw ordinary talk onto them all session long."""
    answers = {phrase: ANSWER for phrase in phrases.answer_phrases() if phrase not in grammar.phrases}
    return replace(grammar, phrases={**grammar.phrases, **answers})


def with_loads(grammar: Grammar, phrases: Phrases, unit: str) -> Grammar:
    """The grammar during an exercise done with a weight: the commands and every load in the
    person's unit ("twenty kilos" ... "three hundred kilos", halves below a hundred). Only then:
    thousands of number phrases on offer all session would draw talk onto them."""
    loads = {phrase: ANSWER for phrase in spoken_loads(phrases, unit) if phrase not in grammar.phrases}
    return replace(grammar, phrases={**grammar.phrases, **loads})


ONLY_WHILE_PAUSED = frozenset({"resume"})
"""Commands that do something only while the workout is paused: at any other time the engine
only answers that it is not paused. Their phrases are everyday words (이어서 "and then", 계속
"still", 재생 "play"), and on real speech they were a third of all false commands in talk
(benchmarks/listen_real.py, 10 of 29), each of them the coach talking over a set for nothing.
Listened for only in a pause, they took false commands in talk while the workout runs from 22.0
to 13.7 an hour, with as many real commands heard (98 of 400; plain Vosk with the same moment's
phrases: 41.0 an hour)."""


def while_running(grammar: Grammar) -> Grammar:
    """The grammar while the workout goes on, not paused: the phrases of the commands that would
    do nothing now (ONLY_WHILE_PAUSED) become fillers. Said, or sounded like, they land on a
    word that commands nothing, not on the nearest other command."""
    idle = tuple(phrase for phrase, command in grammar.phrases.items() if command in ONLY_WHILE_PAUSED)
    phrases = {phrase: command for phrase, command in grammar.phrases.items() if command not in ONLY_WHILE_PAUSED}
    return replace(grammar, phrases=phrases, fillers=grammar.fillers + idle)


def merged(first: Grammar, second: Grammar) -> Grammar:
    """Both grammars' phrases (the coach waits for an answer during an exercise with a weight)."""
    return replace(first, phrases={**first.phrases, **second.phrases})
