"""A Teams activity that a killed process had in hand is worked on at its next delivery, over HTTP.

The killed process is a :class:`Presence` whose clock stands still (it renews no more); the
adapter under test is the next process. On SQLite and, when configured, PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.core import Core
from bot.domain import Platform
from bot.services import forums
from bot.services.inbox import Inbox, Presence
from bot.storage.models import Contribution, InboundEvent
from fakes.teams_connector import FakeTeamsConnector
from tests.support import FakeClock
from tests.teams.support import CHANNEL, ORGANISER, TENANT, BotClient, channel_message

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:microsoft_teams")


def _texts(core: Core) -> list[str]:
    with core.db.transaction() as session:
        return list(session.scalars(select(Contribution.text)))


def test_a_reply_held_by_a_killed_process_is_stored_at_the_next_delivery_not_after_the_lease(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, clock: FakeClock
) -> None:
    assert bot.send(channel_message(connector.url, "admin setup", user=ORGANISER)).is_success
    with teams_core.db.transaction() as session:
        forum = forums.by_channel(session, Platform.TEAMS, TENANT, CHANNEL)
    assert forum is not None
    root = teams_core.publisher.post_theme(forum, clock()).message_id
    assert root is not None
    reply = channel_message(connector.url, "Vi har gåmöten.", root=root, mention=False)

    # What a process leaves behind when it is killed while working on this reply.
    other_clock = FakeClock(clock())
    other = Presence(teams_core.db, clock=other_clock)
    try:
        held = Inbox(teams_core.db, other, clock=other_clock).record_and_claim(
            Platform.TEAMS, TENANT, f"message:{reply['id']}", "message", {"type": "message"}
        )
        assert held is not None
        for moving in (clock, other_clock):
            moving.advance(timedelta(seconds=5))
        other.renew()
        # Its process still lives: Teams is asked to deliver it again later, not told it is done.
        busy = bot.send(reply)
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "10"
        assert _texts(teams_core) == []

        clock.advance(timedelta(seconds=11))  # it renews no more; the 2-minute lease still runs
        assert bot.send(reply).is_success
        assert bot.send(reply).is_success  # and a later delivery adds nothing
        assert _texts(teams_core) == ["Vi har gåmöten."]
        with teams_core.db.transaction() as session:
            row = session.scalars(
                select(InboundEvent).where(InboundEvent.event_id == f"message:{reply['id']}")
            ).one()
            assert (row.status, row.attempts) == ("done", 2)
            assert row.claimed_by not in {None, other.id}
    finally:
        other.stop()
