"""Organisers change a forum's settings on a Teams card: the submitted card is validated by the
core and audit-logged; a bad value or a non-organiser's submission changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.core import Core
from bot.domain import ForumInfo, Platform
from bot.services import audit, forums
from bot.services.settings import KEYS
from fakes.teams_connector import FakeTeamsConnector, Posted
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


def _forum(core: Core) -> ForumInfo:
    with core.db.transaction() as session:
        forum = forums.by_channel(session, Platform.TEAMS, TENANT, CHANNEL)
    assert forum is not None
    return forum


def _private(connector: FakeTeamsConnector, user: str) -> list[Posted]:
    """The person's private answers: in the chat the bot created, then (once they wrote from
    it) in their own 1:1 chat; in these tests they write there last."""
    chat = connector.chat_with(teams_id(user))
    created = connector.in_conversation(chat) if chat else []
    return created + connector.in_conversation(f"a:chat-{user}")


def _texts(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False).replace("\u200b", "")


def _updates(core: Core) -> list[Any]:
    """Audit entries of settings changes (not the channel reference Teams keeps up to date)."""
    with core.db.transaction() as session:
        return [
            entry
            for entry in audit.recent(session)
            if entry.action == "forum.update" and set(entry.after) & set(KEYS)
        ]


def _settings_card(bot: BotClient, connector: FakeTeamsConnector, core: Core) -> dict[str, Any]:
    assert bot.send(channel_message(connector.url, "admin setup", user=ORGANISER))
    sent = bot.send(channel_message(connector.url, "admin settings", user=ORGANISER))
    assert sent.status_code == 200
    card: dict[str, Any] = _private(connector, ORGANISER)[-1].cards[0]
    assert card["actions"][0]["data"] == {"action": "settings_submit", "forum": _forum(core).id}
    return card


def _fields(card: dict[str, Any]) -> dict[str, str]:
    """The card's inputs with what they show, as Teams sends them back untouched."""
    return {item["id"]: item.get("value", "") for item in card["body"] if "id" in item}


def test_an_organiser_changes_settings_on_the_card(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    card = _settings_card(bot, connector, teams_core)
    fields = _fields(card)
    assert fields["language"] == "sv" and fields["digest_time"] == "14:00"

    value = {**card["actions"][0]["data"], **fields, "digest_time": "15:30", "country": "no"}
    assert bot.send(personal_message(connector.url, user=ORGANISER, value=value)).status_code == 200

    forum = _forum(teams_core)
    assert (forum.digest_time, forum.country, forum.timezone) == ("15:30", "NO", "Europe/Stockholm")
    [entry] = _updates(teams_core)
    assert entry.before == {"digest_time": "14:00", "country": "SE"}
    assert entry.after == {"digest_time": "15:30", "country": "NO"}
    assert "Inställningarna är sparade" in _texts(_private(connector, ORGANISER)[-1].cards[0])


def test_a_bad_value_on_the_card_is_named_and_changes_nothing(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    card = _settings_card(bot, connector, teams_core)
    value = {**card["actions"][0]["data"], **_fields(card), "timezone": "Mars/Base"}
    value["retention_years"] = "3"
    bot.send(personal_message(connector.url, user=ORGANISER, value=value))

    answer = _texts(_private(connector, ORGANISER)[-1].cards[0])
    assert "timezone kan inte vara Mars/Base" in answer and "Europe/Stockholm" in answer
    forum = _forum(teams_core)
    assert forum.timezone == "Europe/Stockholm" and forum.retention_years is None
    assert _updates(teams_core) == []


def test_a_non_organisers_card_submission_is_refused(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    card = _settings_card(bot, connector, teams_core)
    assert bot.send(channel_message(connector.url, "admin inställningar", user=LEADER))
    assert "organisatör" in _texts(_private(connector, LEADER)[-1].cards[0])  # no card

    value = {**card["actions"][0]["data"], **_fields(card), "timezone": "Europe/Oslo"}
    bot.send(personal_message(connector.url, user=LEADER, value=value))

    assert "organisatör" in _texts(_private(connector, LEADER)[-1].cards[0])
    assert _forum(teams_core).timezone == "Europe/Stockholm"
    assert _updates(teams_core) == []
