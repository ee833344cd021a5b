"""The logbook in Teams over real HTTP: ``@Ledarforum logg <text>`` answers in the person's 1:1 chat
with the share button, ``logg`` lists only my entries there, the button shares an entry once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.core import Core
from bot.domain import ForumInfo, Platform
from bot.services import forums
from bot.services.logbook import LOGBOOK_SHARE
from bot.storage.models import Contribution, LogbookEntry
from fakes.teams_connector import FakeTeamsConnector
from tests.teams.support import (
    CHANNEL,
    LEADER,
    ORGANISER,
    TENANT,
    BotClient,
    channel_message,
    personal_message,
    teams_id,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:microsoft_teams")
TEXT = "Jag lät gruppen själv formulera målet för terminen."
COLLEAGUE = "aad-colleague"


def _setup(bot: BotClient, connector: FakeTeamsConnector, core: Core) -> ForumInfo:
    assert bot.send(channel_message(connector.url, "admin setup", user=ORGANISER)).is_success
    with core.db.transaction() as session:
        forum = forums.by_channel(session, Platform.TEAMS, TENANT, CHANNEL)
    assert forum is not None
    return forum


def _cards(connector: FakeTeamsConnector, user: str) -> list[dict[str, Any]]:
    """Every card the person got privately (the bot's chat and their own 1:1 chat)."""
    chats = {connector.chat_with(teams_id(user)), f"a:chat-{user}"}
    return [
        card
        for chat in chats
        if chat
        for post in connector.in_conversation(chat)
        for card in post.cards
    ]


def _share_data(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The data of every share button, wherever the card holds it (an ActionSet in its body)."""
    found: list[dict[str, Any]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if isinstance(data, dict) and data.get("action") == LOGBOOK_SHARE:
                found.append(data)
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(cards)
    return found


def _entries(core: Core) -> list[tuple[str, str]]:
    with core.db.transaction() as session:
        return [(e.user_id, e.text) for e in session.scalars(select(LogbookEntry))]


def test_logg_in_the_channel_answers_privately_and_the_button_shares_once(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    forum = _setup(bot, connector, teams_core)
    connector.reset()
    assert bot.send(channel_message(connector.url, f"logg {TEXT}")).is_success
    assert connector.in_conversation(CHANNEL) == []  # nothing in the channel
    assert _entries(teams_core) == [(LEADER, TEXT)]
    cards = _cards(connector, LEADER)
    assert "Dela som gott exempel" in json.dumps(cards, ensure_ascii=False)
    [data] = _share_data(cards)

    # Someone else pressing a copy of the button shares nothing.
    assert bot.send(personal_message(connector.url, value=data, user=COLLEAGUE)).is_success
    with teams_core.db.transaction() as session:
        assert session.scalar(select(Contribution.id)) is None
    for _ in range(2):  # a double click: two activities, one good example
        assert bot.send(personal_message(connector.url, value=data)).is_success
    with teams_core.db.transaction() as session:
        [example] = session.scalars(select(Contribution)).all()
        entry = session.scalars(select(LogbookEntry)).one()
        assert (example.text, example.author_id, example.forum_id) == (TEXT, LEADER, forum.id)
        assert entry.shared_contribution_id == example.id
    assert connector.in_conversation(CHANNEL) == []  # a good example is not a post


def test_logg_without_text_lists_only_my_entries_in_my_chat(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    _setup(bot, connector, teams_core)
    bot.send(personal_message(connector.url, f"logg {TEXT}"))
    bot.send(personal_message(connector.url, "log a colleague's note", user=COLLEAGUE))
    connector.reset()
    assert bot.send(personal_message(connector.url, "logg")).is_success
    shown = json.dumps(_cards(connector, LEADER), ensure_ascii=False)
    assert TEXT in shown and "colleague" not in shown
    assert len(_share_data(_cards(connector, LEADER))) == 1
    assert bot.send(personal_message(connector.url, "log remind on")).is_success
    assert "Done" in json.dumps(_cards(connector, LEADER), ensure_ascii=False)
