"""The language of an answer, decided once in the core for every adapter; true, counted texts.

A person's choice, else the language of the command word, else the platform locale, else the
forum's language. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.dialogue import Actor, locale_language
from bot.domain import ForumInfo, Language, Platform, Source
from bot.messages import Reply, plain_text
from bot.services import forums, preferences


def make_forum(core: Core, platform: Platform, language: Language = "sv") -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, platform, "W1", "C1", language=language, timezone="Europe/Stockholm"
        )
    return forum


def text_of(reply: Reply) -> str:
    return "\n".join(plain_text(message) for message in [*reply.private, *reply.public])


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("en-US", "en"),
        ("en-GB", "en"),
        ("sv-SE", "sv"),
        ("sv_FI", "sv"),
        ("EN", "en"),
        ("fi-FI", None),
        ("nb-NO", None),
        ("", None),
        (None, None),
    ],
)
def test_a_platform_locale_is_one_of_our_languages_or_none(
    locale: str | None, language: str | None
) -> None:
    assert locale_language(locale) == language


@pytest.mark.parametrize(
    ("chosen", "word", "locale", "forum", "expected"),
    [
        (None, None, None, "sv", "sv"),
        (None, None, None, "en", "en"),
        (None, None, "en-US", "sv", "en"),
        (None, None, "fi-FI", "sv", "sv"),
        (None, "en", "sv-SE", "sv", "en"),
        (None, "sv", "en-US", "en", "sv"),
        ("sv", "en", "en-US", "en", "sv"),
        ("en", "sv", "sv-SE", "sv", "en"),
    ],
)
def test_the_rule_in_its_order(
    core: Core,
    chosen: Language | None,
    word: Language | None,
    locale: str | None,
    forum: Language,
    expected: Language,
) -> None:
    place = make_forum(core, Platform.SLACK, forum)
    actor = Actor(Platform.SLACK, "W1", "U1", "Kim", locale)
    if chosen:
        with core.db.transaction() as session:
            preferences.set_language(session, "slack", "W1", "U1", chosen)
    assert core.dialogue.language_for(actor, place, word) == expected


def test_without_a_forum_the_default_language_is_last(core: Core) -> None:
    actor = Actor(Platform.SLACK, "W1", "U1", "Kim")
    assert core.dialogue.language_for(actor, None) == core.dialogue.default_language
    assert core.dialogue.language_for(actor, None, "en") == "en"


def test_the_console_answers_in_the_language_of_the_word(core: Core) -> None:
    make_forum(core, Platform.CONSOLE, "sv")
    me = Actor(Platform.CONSOLE, "W1", "me", "me")
    dialogue = core.dialogue
    assert "how it works" in text_of(dialogue.handle_text(me, "C1", "/ledarforum help"))
    assert "så här fungerar det" in text_of(dialogue.handle_text(me, "C1", "/ledarforum hjälp"))
    assert "så här fungerar det" in text_of(dialogue.handle_text(me, "C1", "?"))
    assert "Write" in text_of(dialogue.handle_text(me, "C1", "language xx"))
    assert "Skriv" in text_of(dialogue.handle_text(me, "C1", "språk xx"))


def test_stats_count_examples_and_people_grammatically(core: Core) -> None:
    forum = make_forum(core, Platform.SLACK, "sv")
    kim = Actor(Platform.SLACK, "W1", "U1", "Kim")
    clock = core.dialogue.clock
    core.dialogue.share(
        kim, forum, "Gåmöten", Source.SHARE_COMMAND, message_id="m1", created_at=clock()
    )
    organiser = Actor(Platform.SLACK, "W1", "UORG", "Org")
    said = text_of(core.dialogue.handle_text(organiser, "C1", "admin statistik"))
    assert "1 gott exempel från 1 person" in said, said
    with core.db.transaction() as session:
        preferences.set_language(session, "slack", "W1", "UORG", "en")
    said = text_of(core.dialogue.handle_text(organiser, "C1", "admin stats"))
    assert "1 example from 1 person" in said, said


def test_an_empty_week_is_nothing_to_post_every_time(core: Core) -> None:
    forum = make_forum(core, Platform.SLACK, "sv")
    organiser = Actor(Platform.SLACK, "W1", "UORG", "Org")
    for _ in range(2):
        said = text_of(core.dialogue.handle_text(organiser, "C1", "admin sammanfattning"))
        assert said == (
            "Inget att posta: inga goda exempel delades under veckan fram till"
            " fredag 20 november kl. 14.00."
        )
    assert forum.language == "sv"
