"""Teams' theme editor over HTTP: a forum organiser's edit changes only their forum's own cycle
(copied from the default on the first edit); only configured organisers edit the shared cycle,
whatever a forged card says. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core import Core
from bot.domain import ForumInfo, Platform
from bot.i18n import t
from bot.services import cycles, forums
from fakes.teams_connector import FakeTeamsConnector
from handlers.teams.themes import CYCLE, SHARED, THEME_OPEN, THEME_SUBMIT
from tests.support import FakeClock
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

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:microsoft_teams"),
    pytest.mark.slow,
]

SECOND = "19:second-forum@thread.tacv2"


def _two_forums(bot: BotClient, url: str, core: Core) -> tuple[ForumInfo, ForumInfo]:
    """Two forums of the tenant; LEADER organises the first one only."""
    for channel in (CHANNEL, SECOND):
        bot.send(channel_message(url, "admin setup", user=ORGANISER, channel=channel))
    bot.send(channel_message(url, f"admin organisers add {LEADER}", user=ORGANISER))
    with core.db.transaction() as session:
        first = forums.by_channel(session, Platform.TEAMS, TENANT, CHANNEL)
        second = forums.by_channel(session, Platform.TEAMS, TENANT, SECOND)
    assert first is not None and second is not None
    return first, second


def _cards(connector: FakeTeamsConnector, user: str) -> list[dict[str, Any]]:
    """The cards sent to *user*'s 1:1 chat: the one the bot made, or the one they wrote in."""
    chats = {connector.chat_with(teams_id(user)), f"a:chat-{user}"}
    return [card for post in connector.posted() if post.channel_id in chats for card in post.cards]


def _text(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False).replace("\u200b", "")


def _action(card: dict[str, Any]) -> str:
    actions = card.get("actions") or [{}]
    return str((actions[0].get("data") or {}).get("action", ""))


def _theme_form(
    bot: BotClient,
    connector: FakeTeamsConnector,
    user: str,
    channel: str,
    month: int,
) -> dict[str, Any]:
    """``admin schedule`` in *channel*, then the month picker: the theme form that arrives."""
    bot.send(channel_message(connector.url, "admin schedule", user=user, channel=channel))
    [picker] = [c for c in _cards(connector, user) if _action(c) == THEME_OPEN][-1:]
    data = {**picker["actions"][0]["data"], "month": str(month)}
    bot.send(personal_message(connector.url, user=user, value=data))
    form = _cards(connector, user)[-1]
    assert _action(form) == THEME_SUBMIT
    return form


def _submit(
    bot: BotClient,
    connector: FakeTeamsConnector,
    user: str,
    form: dict[str, Any],
    title: str,
    **extra: Any,
) -> dict[str, Any]:
    """Send the form back with a new English title (the rest as shown); the answer card."""
    fields = {item["id"]: item.get("value") or "" for item in form["body"] if "id" in item}
    value = {**fields, **form["actions"][0]["data"], "title_en": title, **extra}
    assert bot.send(personal_message(connector.url, user=user, value=value)).status_code == 200
    return _cards(connector, user)[-1]


def _title(core: Core, forum: ForumInfo | None, month: int = 3) -> str | None:
    with core.db.transaction() as session:
        doc = cycles.for_forum(session, forum) if forum else cycles.load(session, "default")
    theme = doc.theme_for(month) if doc else None
    return theme.title.en if theme else None


def test_a_forum_organisers_card_edit_stays_in_their_forum(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 2, 2, 9, tzinfo=UTC))  # March and April lie ahead: the own cycle
    first, second = _two_forums(bot, connector.url, teams_core)
    shipped = _title(teams_core, None)
    form = _theme_form(bot, connector, LEADER, CHANNEL, 3)
    assert "forumets egen årscykel" in _text(form) and "som 2 forum följer" in _text(form)
    assert f'"{CYCLE}"' not in _text(form)  # no choice of the shared cycle

    saved = _submit(bot, connector, LEADER, form, "Our own March")
    assert "det här forumets egen årscykel" in _text(saved)
    assert _title(teams_core, first) == "Our own March"
    assert _title(teams_core, second) == shipped == _title(teams_core, None)

    again = _theme_form(bot, connector, LEADER, CHANNEL, 4)
    assert "Bara det här forumet följer den" in _text(again)
    _submit(bot, connector, LEADER, again, "Our own April")
    assert (_title(teams_core, first), _title(teams_core, first, 4)) == (
        "Our own March",
        "Our own April",
    )
    assert _title(teams_core, second, 4) == _title(teams_core, None, 4) != "Our own April"


def test_only_a_configured_organiser_edits_the_shared_cycle(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 2, 2, 9, tzinfo=UTC))  # March and April lie ahead: the own cycle
    first, second = _two_forums(bot, connector.url, teams_core)
    shipped = _title(teams_core, None)
    form = _theme_form(bot, connector, LEADER, CHANNEL, 3)
    refused = _submit(bot, connector, LEADER, form, "Forged", **{CYCLE: SHARED})
    assert _action(refused) == THEME_SUBMIT  # the form again, with what was wrong
    assert "LEDARFORUM_ORGANISERS" in _text(refused)
    forged = {**form["actions"][0]["data"], "forum": second.id}
    denied = _submit(bot, connector, LEADER, {**form, "actions": [{"data": forged}]}, "Forged")
    assert t("sv", "admin.denied") in _text(denied)  # a forum they do not organise
    assert _title(teams_core, None) == shipped == _title(teams_core, first)
    assert _title(teams_core, second) == shipped

    _submit(bot, connector, LEADER, form, "Our own March")  # the first forum gets its own cycle
    shared_form = _theme_form(bot, connector, ORGANISER, SECOND, 3)
    assert f'"{CYCLE}"' in _text(shared_form)
    assert "Den gemensamma (1 forum följer den)" in _text(shared_form)
    saved = _submit(bot, connector, ORGANISER, shared_form, "Shared March", **{CYCLE: SHARED})
    assert "gemensamma årscykeln, som 1 forum följer" in _text(saved)
    assert _title(teams_core, None) == "Shared March" == _title(teams_core, second)
    assert _title(teams_core, first) == "Our own March"
