"""A burst of signed thread replies over real HTTP: the worker stores them in batches, exactly
once, and every person gets their private thank-you; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.storage.db import make_engine
from bot.timing import utcnow
from fakes.slack import FakeSlackAPI
from fakes.slack.signing import message_event
from tests.slack.conftest import CHANNEL, Served, serve_app, settings_for

USERS = ("U1", "U2", "U3")


@pytest.fixture
def served(database_url: str) -> Iterator[Served]:
    with FakeSlackAPI() as slack:
        slack.add_user("U1", "Kim Lind")
        slack.add_user("U2", "Alex Berg", locale="en-US")
        slack.add_user("U3", "Sam Ek")
        settings = settings_for(database_url, slack.url, inbox_batch=16)
        app, stop = serve_app(settings, slack, make_engine(database_url))
        try:
            yield app
        finally:
            stop()
        assert slack.errors == []


def test_a_burst_of_replies_is_stored_exactly_once_and_each_thanked(served: Served) -> None:
    result = served.core.publisher.post_theme(served.forum(), utcnow())
    assert result.status == "posted" and result.message_id
    thread = result.message_id
    events = [
        message_event(
            f"Exempel {n}",
            user=USERS[n % 3],
            channel=CHANNEL,
            ts=f"1764000000.{n:06d}",
            thread_ts=thread,
        )
        for n in range(40)
    ]

    def send(n: int) -> int:
        # Every reply twice, as Slack retries a delivery it thinks was lost.
        first = served.send_event(events[n], event_id=f"Ev{n}").status_code
        again = served.send_event(events[n], event_id=f"Ev{n}", retry=1).status_code
        return max(first, again)

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(send, range(40))) == {200}
    served.idle(30)

    stored = served.contributions()
    assert sorted(row.text for row in stored) == sorted(f"Exempel {n}" for n in range(40))
    thanked = served.slack.ephemeral_messages(CHANNEL)
    assert len(thanked) == 40
    assert {m["user"] for m in thanked} == set(USERS)
    assert all(m.get("thread_ts") == thread for m in thanked)
