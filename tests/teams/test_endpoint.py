"""The Teams adapter black-box over HTTP: activities in, calls out to a fake connector.

Every test runs on SQLite and, when configured, on PostgreSQL (the ``database_url`` fixture).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.core import Core, open_core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Platform, Source
from bot.services import forums, subscriptions
from bot.storage.db import Database
from bot.storage.models import Contribution, InboundEvent, ThemePost
from fakes.teams_connector import FakeTeamsConnector, Posted
from handlers.teams.app import TeamsAdapter
from tests.support import FakeClock
from tests.teams.conftest import serve
from tests.teams.support import (
    CHANNEL,
    GROUP,
    LEADER,
    ORGANISER,
    TEAM,
    TENANT,
    BotClient,
    bot_added,
    channel_message,
    message_delete,
    message_update,
    personal_message,
    teams_id,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:microsoft_teams")

FRIDAY = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # the digest moment, 14:00 in Stockholm


def _forum(core: Core) -> ForumInfo | None:
    with core.db.transaction() as session:
        return forums.by_channel(session, Platform.TEAMS, TENANT, CHANNEL)


def _setup(bot: BotClient, connector: FakeTeamsConnector, core: Core) -> ForumInfo:
    response = bot.send(channel_message(connector.url, "admin setup", user=ORGANISER))
    assert response.status_code == 200
    forum = _forum(core)
    assert forum is not None
    return forum


def _texts(card: dict[str, Any]) -> str:
    """Every text of a card, flattened (what a reader sees)."""
    return json.dumps(card, ensure_ascii=False).replace("\u200b", "")


def _private(connector: FakeTeamsConnector, user: str) -> list[Posted]:
    chat = connector.chat_with(teams_id(user))
    return connector.in_conversation(chat) if chat else []


def _contributions(core: Core) -> list[Contribution]:
    with core.db.transaction() as session:
        rows = list(session.scalars(select(Contribution).order_by(Contribution.id)))
        session.expunge_all()
        return rows


# -- authentication ----------------------------------------------------------------------------


def test_a_request_without_a_token_gets_401_without_the_development_flag(
    db: Database, database_url: str, clock: FakeClock, connector: FakeTeamsConnector
) -> None:
    settings = Settings(
        database_url=database_url, teams_client_id="app-id", teams_client_secret="secret"
    )
    core = open_core(settings, clock=clock, database=db)
    adapter = TeamsAdapter(core)
    try:
        with serve(adapter) as served:
            client = BotClient(served.url)
            response = client.send(channel_message(connector.url, "hjälp"))
            forged = client.send(channel_message(connector.url, "hjälp"), Authorization="Basic x")
            client.close()
    finally:
        adapter.stop()
    assert response.status_code == 401
    assert forged.status_code == 401
    assert connector.requests() == []


def test_malformed_bodies_are_refused(bot: BotClient) -> None:
    assert bot.http.post("/api/messages", content=b"{not json").status_code == 400
    assert bot.http.post("/api/messages", json=[1, 2]).status_code == 400


# -- install and setup -------------------------------------------------------------------------


def test_install_keeps_the_reference_and_welcomes_once(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    activity = bot_added(connector.url)
    assert bot.send(activity).status_code == 200
    assert bot.send(activity).status_code == 200  # a redelivery

    welcome = connector.in_conversation(TEAM)
    assert len(welcome) == 1
    assert "Ledarforum" in _texts(welcome[0].cards[0])
    assert all(
        r.authorization and r.authorization.startswith("Bearer ") for r in connector.requests()
    )
    with teams_core.db.transaction() as session:
        rows = session.scalars(select(InboundEvent).where(InboundEvent.platform == "teams")).all()
        assert len(rows) == 1
        assert rows[0].status == "done"
        assert rows[0].payload["reference"]["service_url"] == connector.url
        assert rows[0].payload["reference"]["team_id"] == TEAM


def test_an_organiser_sets_up_the_channel_as_a_forum(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    forum = _setup(bot, connector, teams_core)

    assert forum.platform is Platform.TEAMS
    assert forum.workspace_id == TENANT
    assert forum.channel_id == CHANNEL
    assert forum.name == "Ledarforum"
    assert forum.conversation_ref == {
        "service_url": connector.url,
        "tenant_id": TENANT,
        "channel_id": CHANNEL,
        "team_id": TEAM,
        "group_id": GROUP,
    }
    answer = _private(connector, ORGANISER)
    assert len(answer) == 1
    assert "forum" in _texts(answer[0].cards[0])
    assert connector.in_conversation(CHANNEL) == []  # the answer is private


def test_setup_is_refused_for_someone_who_is_not_an_organiser(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    assert bot.send(channel_message(connector.url, "admin setup", user=LEADER)).status_code == 200

    assert _forum(teams_core) is None
    answer = _private(connector, LEADER)
    assert len(answer) == 1
    assert "organisatör" in _texts(answer[0].cards[0])


# -- theme post, replies, form -----------------------------------------------------------------


def test_theme_post_and_a_thread_reply_stored_once(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    forum = _setup(bot, connector, teams_core)
    result = teams_core.publisher.post_theme(forum, clock())
    assert result.status == "posted"
    assert teams_core.publisher.post_theme(forum, clock()).status == "already"

    roots = [p for p in connector.in_conversation(CHANNEL) if p.thread_root is None]
    assert len(roots) == 1
    theme = roots[0]
    assert theme.id == result.message_id
    assert theme.size < 28_000
    card = theme.cards[0]
    submit = card["body"][-2]["actions"][0]
    assert submit["type"] == "Action.Submit"
    assert submit["data"] == {"forum": forum.id, "action": "share_open", "value": "2026-11"}
    with teams_core.db.transaction() as session:
        post = session.scalars(select(ThemePost)).one()
        assert post.message_id == theme.id
        assert post.permalink and "parentMessageId=" + theme.id in post.permalink

    reply = channel_message(
        connector.url,
        "Vi började med gåmöten &amp; det gav mycket.",
        root=theme.id,
        mention=False,
        timestamp=clock(),
    )
    assert bot.send(reply).status_code == 200
    assert bot.send(reply).status_code == 200  # Teams delivers it again

    stored = _contributions(teams_core)
    assert len(stored) == 1
    assert stored[0].text == "Vi började med gåmöten & det gav mycket."
    assert stored[0].source == "thread_reply"
    assert stored[0].period == "2026-11"
    assert stored[0].author_id == LEADER
    assert stored[0].source_message_id == reply["id"]
    assert stored[0].permalink and reply["id"] in stored[0].permalink
    thanks = _private(connector, LEADER)
    assert len(thanks) == 1
    assert thanks[0].cards[0]["body"][-1]["actions"][0]["data"]["action"] == "share_undo"


def test_plain_channel_messages_outside_a_theme_thread_are_ignored(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    _setup(bot, connector, teams_core)
    connector.reset()
    top = channel_message(connector.url, "Lunch?", mention=False)
    other_thread = channel_message(connector.url, "Ja!", mention=False, root="42")
    assert bot.send(top).status_code == 200
    assert bot.send(other_thread).status_code == 200
    assert _contributions(teams_core) == []
    assert connector.requests() == []


def test_a_reply_that_mentions_the_bot_is_a_practice_unless_it_is_a_command(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    forum = _setup(bot, connector, teams_core)
    root = teams_core.publisher.post_theme(forum, clock()).message_id
    assert root is not None
    bot.send(channel_message(connector.url, "Vi delar ut ansvaret.", root=root))
    bot.send(channel_message(connector.url, "tema", root=root))

    stored = _contributions(teams_core)
    assert [c.text for c in stored] == ["Vi delar ut ansvaret."]
    assert "Månadens tema" in _texts(_private(connector, LEADER)[-1].cards[0])


def test_the_share_button_opens_the_form_and_a_submission_is_stored_once(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    forum = _setup(bot, connector, teams_core)
    root = teams_core.publisher.post_theme(forum, clock()).message_id
    assert root is not None
    click = {"forum": forum.id, "action": "share_open", "value": "2026-11"}
    assert bot.send(channel_message(connector.url, root=root, value=click)).status_code == 200

    form = _private(connector, LEADER)[-1].cards[0]
    submit = form["actions"][0]
    assert submit["data"]["action"] == "share_submit"
    assert submit["data"]["period"] == "2026-11"
    ids = [item.get("id") for item in form["body"] if "id" in item]
    assert ids == ["kind", "text", "url", "anonymous"]

    value = {**submit["data"], "text": "Vi har stående punkt om arbetsmiljö.", "anonymous": "true"}
    first = personal_message(connector.url, value=value)
    second = personal_message(connector.url, value=value)  # a double click: a new activity
    assert bot.send(first).status_code == 200
    assert bot.send(second).status_code == 200

    stored = _contributions(teams_core)
    assert len(stored) == 1
    assert stored[0].source == "form"
    assert stored[0].anonymous is True
    assert stored[0].period == "2026-11"


def test_a_submission_naming_a_forum_of_another_tenant_is_refused(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    forum = _setup(bot, connector, teams_core)
    value = {"action": "share_submit", "forum": forum.id, "form": "x", "text": "Hej"}
    activity = personal_message(connector.url, value=value)
    activity["conversation"]["tenantId"] = "another-tenant"
    activity["channelData"]["tenant"]["id"] = "another-tenant"
    assert bot.send(activity).status_code == 200
    assert _contributions(teams_core) == []


def test_edits_and_deletions_are_followed(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    forum = _setup(bot, connector, teams_core)
    root = teams_core.publisher.post_theme(forum, clock()).message_id
    assert root is not None
    reply = channel_message(connector.url, "Första versionen", root=root, mention=False)
    bot.send(reply)

    assert bot.send(message_update(connector.url, reply["id"], "Andra versionen", root=root))
    assert [c.text for c in _contributions(teams_core)] == ["Andra versionen"]
    assert _contributions(teams_core)[0].edited_at is not None

    assert bot.send(message_delete(connector.url, reply["id"], root=root)).status_code == 200
    assert _contributions(teams_core) == []


# -- commands ----------------------------------------------------------------------------------


def test_commands_answer_privately_in_the_chat(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    forum = _setup(bot, connector, teams_core)
    connector.reset()

    bot.send(channel_message(connector.url, "hjälp"))
    bot.send(channel_message(connector.url, "theme"))
    bot.send(channel_message(connector.url, "prenumerera"))
    bot.send(personal_message(connector.url, "årscykel"))  # in the chat: no mention needed
    bot.send(channel_message(connector.url, "dela Vi testade tyst timme på fredagar."))

    assert connector.in_conversation(CHANNEL) == []
    chat = connector.chat_with(teams_id(LEADER))
    assert chat is not None
    creations = [r for r in connector.requests() if r.path == "/v3/conversations"]
    assert creations and all(r.body and r.body["isGroup"] is False for r in creations)
    # Answers go to the chat the bot created, until the person writes from their own 1:1 chat,
    # which is then used (in Teams both are the same conversation).
    created = [_texts(p.cards[0]) for p in connector.in_conversation(chat)]
    personal = [_texts(p.cards[0]) for p in connector.in_conversation(f"a:chat-{LEADER}")]
    assert len(created) == 3 and len(personal) == 2
    assert "så här fungerar det" in created[0]
    assert "Theme of the month" in created[1]  # asked in English ("theme"), answered so
    assert "sammanfattning" in created[2]
    assert "november" in personal[0].lower()
    assert "Tack!" in personal[1]
    with teams_core.db.transaction() as session:
        assert subscriptions.subscribers(session, forum.id) == [LEADER]
    shared = _contributions(teams_core)
    assert [(c.source, c.text) for c in shared] == [
        ("share_command", "Vi testade tyst timme på fredagar.")
    ]


def test_the_answer_follows_the_word_then_the_teams_locale_then_the_forum(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    _setup(bot, connector, teams_core)  # a Swedish forum
    connector.reset()

    def answer(text: str, locale: str) -> str:
        activity = channel_message(connector.url, text)
        activity["locale"] = locale
        assert bot.send(activity).status_code == 200
        return _texts(_private(connector, LEADER)[-1].cards[0])

    assert "how it works" in answer("?", "en-US")  # "?" is both languages': the locale decides
    assert "så här fungerar det" in answer("?", "sv-SE")
    assert "så här fungerar det" in answer("?", "fi-FI")  # neither of ours: the forum's
    assert "så här fungerar det" in answer("hjälp", "en-US")  # the word beats the locale
    assert "how it works" in answer("help", "sv-SE")
    bot.send(channel_message(connector.url, "språk sv"))
    assert "så här fungerar det" in answer("help", "en-US")  # a choice beats everything


def test_share_without_text_sends_the_form(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    forum = _setup(bot, connector, teams_core)
    bot.send(channel_message(connector.url, "dela"))
    form = _private(connector, LEADER)[-1].cards[0]
    assert form["actions"][0]["data"]["forum"] == forum.id
    assert "period" not in form["actions"][0]["data"]


def test_setup_in_the_personal_chat_is_explained(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    bot.send(personal_message(connector.url, "admin setup", user=ORGANISER))
    assert _forum(teams_core) is None
    answer = connector.in_conversation(f"a:chat-{ORGANISER}")
    assert "kanal" in _texts(answer[0].cards[0])


def test_my_data_arrives_as_cards_in_the_chat(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    _setup(bot, connector, teams_core)
    bot.send(channel_message(connector.url, "dela Mitt exempel"))
    bot.send(personal_message(connector.url, "my-data"))
    cards = [_texts(p.cards[0]) for p in connector.in_conversation(f"a:chat-{LEADER}")]
    assert any("ledarforum-my-data.json" in card for card in cards)
    assert any("Mitt exempel" in card for card in cards)


# -- digest ------------------------------------------------------------------------------------


def test_the_digest_card_contains_the_reply_and_reaches_subscribers(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    forum = _setup(bot, connector, teams_core)
    root = teams_core.publisher.post_theme(forum, clock()).message_id
    assert root is not None
    reply = channel_message(
        connector.url, "Vi har infört en check-in.", root=root, mention=False, timestamp=clock()
    )
    bot.send(reply)
    bot.send(channel_message(connector.url, "prenumerera", user=ORGANISER))
    connector.reset()

    result = teams_core.publisher.post_digest(_forum(teams_core) or forum, FRIDAY)
    assert result.status == "posted", result

    digest = [p for p in connector.in_conversation(CHANNEL) if p.thread_root is None]
    assert len(digest) == 1
    text = _texts(digest[0].cards[0])
    assert "Vi har infört en check-in." in text
    assert "Lea Ledare" in text
    assert f"/l/message/{CHANNEL.replace(':', '%3A').replace('@', '%40')}/{reply['id']}" in text
    direct = _private(connector, ORGANISER)
    assert len(direct) == 1
    assert "Vi har infört en check-in." in _texts(direct[0].cards[0])
    lookups = [r for r in connector.requests() if "/members/" in r.path]
    assert [r.path for r in lookups] == [f"/v3/conversations/{TEAM}/members/{ORGANISER}"]


def test_a_large_digest_is_split_across_cards_and_nothing_is_dropped(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    forum = _setup(bot, connector, teams_core)
    root = teams_core.publisher.post_theme(forum, clock()).message_id
    assert root is not None
    # Stored through the dialogue: 150 replies over HTTP would wait for the pacing of the
    # thank-you messages (60 per 30 s in one chat), which is right but slow.
    actor = Actor(Platform.TEAMS, TENANT, LEADER, "Lea Ledare")
    for n in range(150):
        text = f"Exempel nummer {n:03d}: " + "långt och innehållsrikt " * 12
        reply = teams_core.dialogue.share(
            actor, forum, text, Source.THREAD_REPLY, message_id=f"m{n}", created_at=clock()
        )
        assert reply.private[0].kind == "confirmation"
    connector.reset()

    assert teams_core.publisher.post_digest(forum, FRIDAY).status == "posted"

    parts = connector.in_conversation(CHANNEL)
    assert len(parts) > 1
    first = parts[0]
    assert first.thread_root is None
    assert all(p.thread_root == first.id for p in parts[1:])
    assert all(p.size < 28_000 for p in parts)
    everything = "".join(_texts(p.cards[0]) for p in parts)
    for n in range(150):
        assert everything.count(f"Exempel nummer {n:03d}:") == 1


def test_no_mention_can_be_injected_through_a_contribution(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    forum = _setup(bot, connector, teams_core)
    root = teams_core.publisher.post_theme(forum, clock()).message_id
    assert root is not None
    attack = channel_message(
        connector.url,
        "&lt;at&gt;Rektor&lt;/at&gt; kolla {{DATE(2017-02-14T06:00:00Z)}} [x](javascript:alert(1))",
        root=root,
        mention=False,
        name="<at>Rektor</at>",
        timestamp=clock(),
    )
    bot.send(attack)
    assert "<at>Rektor</at>" in _contributions(teams_core)[0].text
    connector.reset()

    assert teams_core.publisher.post_digest(forum, FRIDAY).status == "posted"
    digest = connector.in_conversation(CHANNEL)[0]
    raw = json.dumps(digest.activity, ensure_ascii=False)
    assert "<at>" not in raw
    assert "{{DATE" not in raw
    assert "entities" not in digest.activity
    assert "msteams" not in digest.cards[0]
    assert "](javascript" in raw  # shown as characters in a plain TextRun, never a link
    assert "<\u200bat>Rektor" in raw


# -- the connector pushes back -----------------------------------------------------------------


def test_a_429_is_waited_out_and_the_post_made_exactly_once(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    forum = _setup(bot, connector, teams_core)
    connector.reset()
    connector.fail_next(429, retry_after="1", match="/activities")

    result = teams_core.publisher.post_theme(forum, clock())

    assert result.status == "posted"
    statuses = [r.status for r in connector.requests()]
    assert statuses == [429, 201]
    gap = connector.requests()[1].at - connector.requests()[0].at
    assert gap >= 0.9
    assert len(connector.in_conversation(CHANNEL)) == 1


def test_server_errors_are_retried_and_a_post_is_never_lost(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    forum = _setup(bot, connector, teams_core)
    connector.reset()
    connector.fail_next(412, match="/activities")
    connector.fail_next(502, match="/activities")
    connector.fail_next(503, match="/activities")
    assert teams_core.publisher.post_theme(forum, clock()).status == "posted"
    assert [r.status for r in connector.requests()] == [412, 502, 503, 201]

    # A connector that keeps failing: the claim fails, and the next run posts once.
    connector.reset()
    december = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    clock.set(december)
    connector.fail_next(503, times=50, match="/activities")
    assert teams_core.publisher.post_theme(forum, december).status == "failed"
    connector.reset()
    assert teams_core.publisher.post_theme(forum, december).status == "posted"
    assert len(connector.in_conversation(CHANNEL)) == 1


def test_a_refusal_for_good_is_not_retried(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    forum = _setup(bot, connector, teams_core)
    connector.reset()
    connector.fail_next(403, match="/activities")
    assert teams_core.publisher.post_theme(forum, clock()).status == "failed"
    assert [r.status for r in connector.requests()] == [403]
