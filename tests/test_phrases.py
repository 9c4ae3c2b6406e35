"""Phrase tables: every language complete, every phrase meaning exactly one command."""

from __future__ import annotations

import string

import pytest
from conftest import run_cli

from voice_coach.core.phrases import COMMANDS, IDLE_COMMANDS, available_languages, load_phrases
from voice_coach.listening.grammar import syllables

ENGLISH = load_phrases("en")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_english_and_korean_are_both_there():
    assert {"en", "ko"} <= set(available_languages())


@pytest.mark.parametrize("language", available_languages())
def test_a_language_has_every_command_and_phrase_with_the_same_placeholders(language):
    phrases = load_phrases(language)
    assert set(phrases.commands) == set(COMMANDS)
    assert all(phrases.commands[command] for command in COMMANDS)
    assert set(phrases.templates) == set(ENGLISH.templates)
    assert all(phrases.idle[key] for key in IDLE_COMMANDS)
    assert all("{name}" in phrase for phrase in phrases.idle["start_named"])
    for key, template in ENGLISH.templates.items():
        assert placeholders(phrases.templates[key]) == placeholders(template), key


@pytest.mark.parametrize("language", available_languages())
def test_every_phrase_means_exactly_one_command(language):
    phrases = load_phrases(language)
    seen: dict[str, str] = {}
    for command, words in phrases.commands.items():
        for phrase in words:
            assert phrase not in seen, f"{phrase!r} means both {seen.get(phrase)} and {command}"
            seen[phrase] = command
            assert phrases.command_for(phrase) == command


def test_a_korean_session_speaks_korean_and_counts_in_korean():
    result = run_cli("run", "reverse-lunge-glutes", "--simulate", "--auto-start", "--lang", "ko")
    assert result.returncode == 0, result.stderr
    assert "2세트 중 1세트, right leg, 8회." in result.stdout  # script words are spoken as written
    assert "여덟. 세트 완료." in result.stdout
    assert "운동 완료: 2세트, 32회" in result.stdout


def test_korean_commands_drive_the_engine():
    result = run_cli("run", "quick-try", "--simulate", "--lang", "ko",
                     "--commands", "0:20 준비; 0:40 상태; 1:00 그만; 1:02 그만")
    assert "heard  준비" in result.stdout and "운동 종료" in result.stdout


def test_no_korean_command_is_a_single_syllable():
    """One Hangul block is the least sound a command can be told by: a bare 팁 took English
    "two", "three" and "down" in real talk (benchmarks/listen_real.py), so tip is 자세 팁, 팁 줘."""
    short = [phrase for words in load_phrases("ko").commands.values() for phrase in words if syllables(phrase) < 2]
    assert short == []
    assert syllables("팁") == 1  # the count itself sees a single syllable
