"""Slack's Web API failing in bursts (500, 503, 429 with Retry-After, gateway timeouts, connection
resets) while a theme, a digest and DMs go out: each arrives exactly once, and slash commands sent
meanwhile are acknowledged within Slack's 3 seconds.

The SDK's retry handlers absorb 500/503/429 and resets; a 504 or a read timeout is deliberately
not retried by the client (the call may have succeeded), so the publisher's next attempt, as the
scheduler makes it, finds its marker or posts — never both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.domain import Source
from bot.services import contributions, forums, subscriptions
from bot.services.contributions import NewContribution
from bot.services.publishing import Result
from bot.timing import digest_moment_at_or_before, shift_digest_moment, utcnow
from tests.slack.conftest import CHANNEL, Served

pytestmark = pytest.mark.slow  # bursts of faults with real retry waits

BURST = [500, 429, "timeout", "reset", 503, 429]


def _contribute(served: Served, count: int) -> None:
    forum = served.forum()
    moment = digest_moment_at_or_before(utcnow(), forums.moments(forum))
    with served.core.db.transaction() as session:
        for number in range(count):
            contributions.record(
                session,
                forum,
                NewContribution(
                    author_id=f"U{number}",
                    author_name=f"Ledare {number}",
                    text=f"Exempel {number}: vi provade något nytt",
                    source=Source.THREAD_REPLY,
                    channel_id=CHANNEL,
                    source_message_id=f"{1_800_000_000 + number}.000100",
                    created_at=moment + timedelta(minutes=number + 1),
                ),
                now=moment + timedelta(minutes=number + 1),
            )
        subscriptions.subscribe(session, forum.id, "U1")
        subscriptions.subscribe(session, forum.id, "U2")


def _until_done(attempt: Callable[[], Result], tries: int = 6) -> list[str]:
    """Call *attempt* as the scheduler would (again after a failure); the statuses seen."""
    seen: list[str] = []
    for _ in range(tries):
        result = attempt()
        seen.append(result.status)
        if result.status in {"posted", "found", "already"}:
            return seen
    raise AssertionError(f"never done: {seen}")


def test_theme_digest_and_dms_arrive_once_through_bursts_while_commands_are_acked_fast(
    served: Served,
) -> None:
    slack = served.slack
    slack.timeout_delay = 0.5  # the 504 of a gateway timeout, without waiting the real 3 s
    _contribute(served, 3)
    forum = served.forum()
    digest_at = shift_digest_moment(
        digest_moment_at_or_before(utcnow(), forums.moments(forum)), forums.moments(forum), 1
    )
    slack.inject_faults("chat.postMessage", BURST)
    slack.inject_faults("conversations.open", [503, "reset", 429, "timeout"])
    statuses: dict[str, list[str]] = {}

    def publish() -> None:
        publisher = served.core.publisher
        statuses["theme"] = _until_done(lambda: publisher.post_theme(forum, utcnow()))
        statuses["digest"] = _until_done(lambda: publisher.post_digest(forum, digest_at))

    worker = threading.Thread(target=publish)
    worker.start()
    acks: list[float] = []
    while worker.is_alive() and len(acks) < 20:
        started = time.monotonic()
        response = served.command("hjälp", user="U2")
        acks.append(time.monotonic() - started)
        assert response.status_code == 200
        time.sleep(0.2)
    worker.join(60)
    assert not worker.is_alive()
    served.idle()

    assert acks and max(acks) < 3.0, acks
    assert len(slack.faulted) >= len(BURST)  # the faults really happened
    assert "failed" in statuses["theme"] + statuses["digest"], statuses  # and one got through
    kinds = [(m["metadata"] or {}).get("event_type") for m in slack.posted_messages(CHANNEL)]
    assert kinds.count("ledarforum_theme_post") == 1
    assert kinds.count("ledarforum_digest") == 1
    for user in ("U1", "U2"):
        dms = slack.posted_messages(f"D{user}")
        assert len(dms) == 1, (user, dms)
    # Every command was answered exactly once through its response_url.
    assert len(slack.responses) == len(acks)
