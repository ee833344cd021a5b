"""The meeting form, the logbook form and the share form's trend choice on Teams cards, over HTTP.

Cards go to the person's 1:1 chat; what a card sends back is checked by the core again, and a
refused submission comes back as the same card with each problem above its field.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bot.core import Core
from bot.domain import ForumInfo, Platform
from bot.logbook_chat import LOGBOOK_WRITE
from bot.services import forums
from bot.storage.models import Contribution, LogbookEntry, Meeting
from fakes.teams_connector import FakeTeamsConnector
from handlers.teams.forms import LOGBOOK_SUBMIT, MEETING_SUBMIT
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
GOOD = {"date": "2027-02-10", "time": "13:00", "place": "Aulan", "link": "", "agenda": "Loggbok"}
NOTE = "Jag lät gruppen själv sätta agendan, och mötet blev kortare."


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


def _text(cards: list[dict[str, Any]]) -> str:
    return json.dumps(cards, ensure_ascii=False).replace("\u200b", "")


def _form(connector: FakeTeamsConnector, user: str, action: str) -> dict[str, Any]:
    """The latest card of *user* whose submit button is *action*."""
    found = [
        card
        for card in _cards(connector, user)
        if card.get("actions") and card["actions"][0]["data"].get("action") == action
    ]
    assert found, f"no {action} card"
    return found[-1]


def _meetings(core: Core) -> list[Meeting]:
    with core.db.transaction() as session:
        rows = list(session.scalars(select(Meeting)))
        session.expunge_all()
    return rows


# -- the meeting form ------------------------------------------------------------------------------


def test_an_organiser_adds_a_meeting_on_the_card_once(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    forum = _setup(bot, connector, teams_core)
    assert bot.send(channel_message(connector.url, "admin möte lägg till", user=ORGANISER))
    card = _form(connector, ORGANISER, MEETING_SUBMIT)
    ids = [item.get("id") for item in card["body"] if "id" in item]
    assert ids == ["date", "time", "place", "link", "agenda"]
    assert card["actions"][0]["data"] == {"action": MEETING_SUBMIT, "forum": forum.id}
    value = {**card["actions"][0]["data"], **GOOD}
    for _ in range(2):  # two clicks: one meeting
        bot.send(personal_message(connector.url, user=ORGANISER, value=value))
    [row] = _meetings(teams_core)
    assert (row.forum_id, row.place, row.agenda) == (forum.id, "Aulan", "Loggbok")
    assert "Mötet är tillagt" in _text(_cards(connector, ORGANISER))


def test_bad_values_come_back_on_the_card_and_nothing_is_stored(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    forum = _setup(bot, connector, teams_core)
    value = {"action": MEETING_SUBMIT, "forum": forum.id, **GOOD, "time": "25:00", "place": ""}
    bot.send(personal_message(connector.url, user=ORGANISER, value=value))
    card = _form(connector, ORGANISER, MEETING_SUBMIT)
    shown = _text([card])
    assert "25:00" in shown and "Ange en plats eller en länk" in shown
    assert next(i for i in card["body"] if i.get("id") == "date")["value"] == "2027-02-10"
    assert _meetings(teams_core) == []


def test_a_leader_gets_no_meeting_card_and_a_forged_one_stores_nothing(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    forum = _setup(bot, connector, teams_core)
    bot.send(channel_message(connector.url, "admin meeting add", user=LEADER))
    assert "organiser" in _text(_cards(connector, LEADER))
    assert not any(c.get("actions") for c in _cards(connector, LEADER))
    value = {"action": MEETING_SUBMIT, "forum": forum.id, **GOOD}
    bot.send(personal_message(connector.url, user=LEADER, value=value))
    assert _meetings(teams_core) == []


# -- the logbook form ------------------------------------------------------------------------------


def test_the_write_button_brings_the_card_and_an_entry_is_stored_once_privately(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    forum = _setup(bot, connector, teams_core)
    connector.reset()
    bot.send(personal_message(connector.url, "logg"))
    assert LOGBOOK_WRITE in _text(_cards(connector, LEADER))
    bot.send(personal_message(connector.url, value={"action": LOGBOOK_WRITE, "value": ""}))
    card = _form(connector, LEADER, LOGBOOK_SUBMIT)
    data = card["actions"][0]["data"]
    for _ in range(2):  # the same card twice: one entry
        bot.send(personal_message(connector.url, value={**data, "text": NOTE}))
    with teams_core.db.transaction() as session:
        [entry] = session.scalars(select(LogbookEntry)).all()
        assert (entry.user_id, entry.text, entry.forum_id) == (LEADER, NOTE, forum.id)
        assert session.scalar(select(Contribution.id)) is None
    assert connector.in_conversation(CHANNEL) == []


def test_an_empty_entry_comes_back_on_the_card(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    _setup(bot, connector, teams_core)
    bot.send(personal_message(connector.url, value={"action": LOGBOOK_SUBMIT, "text": " "}))
    card = _form(connector, LEADER, LOGBOOK_SUBMIT)
    assert any(item.get("color") == "Attention" for item in card["body"])
    with teams_core.db.transaction() as session:
        assert session.scalar(select(LogbookEntry.id)) is None


# -- the share form's trend choice ---------------------------------------------------------------


def test_a_trend_chosen_on_the_share_card_is_stored_as_a_trend(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    _setup(bot, connector, teams_core)
    teams_core.dialogue.fetch_title = lambda url: "Framtidens arbetsliv"
    bot.send(channel_message(connector.url, "dela"))
    card = _form(connector, LEADER, "share_submit")
    kinds = next(item for item in card["body"] if item.get("id") == "kind")
    assert [c["value"] for c in kinds["choices"]] == ["practice", "trend"]
    data = card["actions"][0]["data"]
    bad = {**data, "kind": "trend", "url": "rapport.example", "text": "", "form": "n1"}
    bot.send(personal_message(connector.url, value=bad))
    with teams_core.db.transaction() as session:
        assert session.scalar(select(Contribution.id)) is None
    good = {**data, "kind": "trend", "url": "https://rapport.example/a", "text": "Kapitel 2"}
    for _ in range(2):
        bot.send(personal_message(connector.url, value=good))
    with teams_core.db.transaction() as session:
        [row] = session.scalars(select(Contribution)).all()
        assert (row.kind, row.url, row.text) == ("trend", "https://rapport.example/a", "Kapitel 2")
