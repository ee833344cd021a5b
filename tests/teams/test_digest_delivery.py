"""A subscriber Teams refuses for good (403: bot blocked or removed; 404: left the team) is skipped
and recorded, the others get the digest once, and the subscription ends after repeated refusals.

Activities go to the adapter over HTTP; the connector is the local fake. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core import Core
from bot.domain import Platform
from bot.i18n import t
from bot.services import forums, subscriptions
from bot.storage.models import DigestDelivery, Subscription
from fakes.teams_connector import FakeTeamsConnector
from tests.teams.support import CHANNEL, ORGANISER, TENANT, BotClient, channel_message, teams_id

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:microsoft_teams")

FRIDAY = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # a digest moment, 14:00 in Stockholm
SUBSCRIBERS = ("aad-anna", "aad-bo", "aad-cia")
GONE = "aad-bo"


def _chat_texts(connector: FakeTeamsConnector, user: str) -> list[str]:
    chat = connector.chat_with(teams_id(user))
    posts = connector.in_conversation(chat) if chat else []
    return [json.dumps(p.cards, ensure_ascii=False).replace("\u200b", "") for p in posts]


@pytest.mark.parametrize("status", [403, 404])
def test_a_refused_subscriber_is_skipped_then_ended(
    status: int, bot: BotClient, connector: FakeTeamsConnector, teams_core: Core
) -> None:
    assert bot.send(channel_message(connector.url, "admin setup", user=ORGANISER)).is_success
    for user in SUBSCRIBERS:
        assert bot.send(channel_message(connector.url, "prenumerera", user=user)).is_success
    with teams_core.db.transaction() as session:
        found = forums.by_channel(session, Platform.TEAMS, TENANT, CHANNEL)
    assert found is not None
    forum = replace(found, empty_digest_note=True)  # every week sends something
    connector.refuse_member(GONE, status)
    connector.reset()

    assert teams_core.publisher.post_digest(forum, FRIDAY).status == "posted"
    assert [len(_chat_texts(connector, user)) for user in SUBSCRIBERS] == [1, 0, 1]
    assert [r.status for r in connector.requests() if r.status >= 400] == [status]  # no retry
    with teams_core.db.transaction() as session:
        gone = session.scalars(select(DigestDelivery).where(DigestDelivery.user_id == GONE)).one()
        assert (gone.status, gone.error) == ("done", f"http_{status}")
    made = len(connector.requests())
    assert teams_core.publisher.post_digest(forum, FRIDAY).status == "already"
    assert len(connector.requests()) == made

    for week in range(1, subscriptions.MAX_FAILURES):
        result = teams_core.publisher.post_digest(forum, FRIDAY + timedelta(weeks=week))
        assert result.status == "posted"
    with teams_core.db.transaction() as session:
        ended = session.scalars(select(Subscription).where(Subscription.user_id == GONE)).one()
        assert ended.ended_at is not None and ended.end_reason == f"http_{status}"
        assert subscriptions.subscribers(session, forum.id) == ["aad-anna", "aad-cia"]

    bot.send(channel_message(connector.url, "admin stats", user=ORGANISER))
    assert t("sv", "admin.stats.ended", count=1) in _chat_texts(connector, ORGANISER)[-1]
    bot.send(channel_message(connector.url, "language en", user=ORGANISER))
    bot.send(channel_message(connector.url, "admin stats", user=ORGANISER))
    assert t("en", "admin.stats.ended", count=1) in _chat_texts(connector, ORGANISER)[-1]
