"""The shared command parser: Swedish and English, case-insensitive, unknown → help."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import commands
from bot.commands import AdminVerb, Verb, parse


@pytest.mark.parametrize(
    ("text", "verb"),
    [
        ("hjälp", Verb.HELP),
        ("HELP", Verb.HELP),
        ("tema", Verb.THEME),
        ("Theme", Verb.THEME),
        ("årscykel", Verb.YEAR),
        ("ÅRSCYKEL", Verb.YEAR),
        ("arscykel", Verb.YEAR),
        ("year", Verb.YEAR),
        ("dela", Verb.SHARE),
        ("share", Verb.SHARE),
        ("sammanfattning", Verb.DIGEST),
        ("digest", Verb.DIGEST),
        ("prenumerera", Verb.SUBSCRIBE),
        ("subscribe", Verb.SUBSCRIBE),
        ("avsluta", Verb.UNSUBSCRIBE),
        ("unsubscribe", Verb.UNSUBSCRIBE),
        ("språk en", Verb.LANGUAGE),
        ("language sv", Verb.LANGUAGE),
        ("mina-data", Verb.MY_DATA),
        ("my-data", Verb.MY_DATA),
        ("glöm-mig", Verb.FORGET_ME),
        ("forget-me", Verb.FORGET_ME),
        ("a\u030arscykel", Verb.YEAR),  # å typed as a + combining ring
    ],
)
def test_words_in_both_languages(text: str, verb: Verb) -> None:
    assert parse(text).verb is verb


def test_share_keeps_the_text_as_written() -> None:
    command = parse("dela  Vi testade gåmöten\noch det gick bra")
    assert command.verb is Verb.SHARE
    assert command.rest == "Vi testade gåmöten\noch det gick bra"


@pytest.mark.parametrize("text", ["", "   ", "blaha", "/ledarforum", "🙂"])
def test_nothing_or_unknown_answers_with_help(text: str) -> None:
    command = parse(text)
    assert command.verb is Verb.HELP
    if text.strip() and text.strip() != "/ledarforum":
        assert command.unknown


@pytest.mark.parametrize(
    ("text", "admin"),
    [
        ("admin", AdminVerb.HELP),
        ("admin setup", AdminVerb.SETUP),
        ("admin post-theme", AdminVerb.POST_THEME),
        ("admin digest", AdminVerb.DIGEST),
        ("admin schedule", AdminVerb.SCHEDULE),
        ("admin stats", AdminVerb.STATS),
        ("admin organisers add <@U123|ada>", AdminVerb.ORGANISERS),
        ("ADMIN STATISTIK", AdminVerb.STATS),
    ],
)
def test_admin_subcommands(text: str, admin: AdminVerb) -> None:
    command = parse(text)
    assert (command.verb, command.admin) == (Verb.ADMIN, admin)


def test_console_prefix_is_accepted() -> None:
    assert parse("/ledarforum tema").verb is Verb.THEME


def test_control_characters_are_dropped() -> None:
    assert parse("tema\x00\x07").verb is Verb.THEME


@given(st.text())
def test_parser_never_raises(text: str) -> None:
    command = parse(text)
    assert isinstance(command.verb, Verb)
    assert len(command.rest) <= 12_000


def test_huge_input_is_bounded() -> None:
    command = parse("dela " + "x" * 40_000)
    assert command.verb is Verb.SHARE
    assert len(command.rest) < 12_000


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("help", "en"),
        ("HJÄLP", "sv"),
        ("hjalp", "sv"),
        ("theme", "en"),
        ("tema", "sv"),
        ("share Vi testade", "en"),
        ("dela We tried", "sv"),
        ("year", "en"),
        ("årscykel", "sv"),
        ("subscribe", "en"),
        ("prenumerera", "sv"),
        ("forget-me", "en"),
        ("glöm-mig", "sv"),
        ("/ledarforum help", "en"),
        ("?", None),
        ("admin", None),
        ("admin stats", None),  # the Swedish help shows "admin stats" as it is
        ("admin statistik", "sv"),
        ("admin help", "en"),
        ("admin hjälp", "sv"),
        ("", None),
        ("blaha", None),
    ],
)
def test_a_command_tells_the_language_of_its_word(text: str, language: str | None) -> None:
    assert parse(text).language == language


def test_every_plain_word_has_one_language_except_the_shared_ones() -> None:
    assert not commands._SWEDISH & commands._ENGLISH
    assert commands._SWEDISH | commands._ENGLISH | {"?", "admin", "trend"} == set(commands._VERBS)
    assert not commands._SWEDISH_ADMIN & commands._ENGLISH_ADMIN
    assert set(commands._ADMIN_VERBS) >= commands._SWEDISH_ADMIN | commands._ENGLISH_ADMIN
