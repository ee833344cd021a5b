"""Digest DMs are claimed per subscriber: a gone account is skipped and recorded, the others get
the digest, nobody gets it twice, and a subscription that keeps failing is ended."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.core import Core
from bot.domain import ForumInfo
from bot.messages import Message
from bot.services import stats, subscriptions
from bot.storage.models import DigestDelivery, Subscription
from tests.support import FakeClock, RecordingPoster
from tests.test_services import FRIDAY, make_forum, share

WEEK = timedelta(days=7)


class Crash(BaseException):
    """The process dies mid-send: no ``except Exception`` of ours runs."""


def _forum(core: Core, *users: str) -> ForumInfo:
    # A note on empty weeks, so every digest moment sends something to the subscribers.
    forum = replace(make_forum(core), empty_digest_note=True)
    share(core, forum, "m1", FRIDAY - timedelta(days=1))
    with core.db.transaction() as session:
        for user in users:
            subscriptions.subscribe(session, forum.id, user)
    return forum


def _received(poster: RecordingPoster) -> list[str]:
    return [sent.user_id or "" for sent in poster.direct]


def _deliveries(core: Core) -> list[tuple[str, str, str | None]]:
    with core.db.transaction() as session:
        rows = session.scalars(select(DigestDelivery).order_by(DigestDelivery.moment))
        return [(row.user_id, row.status, row.error) for row in rows]


def _subscription(core: Core, user: str) -> tuple[int, datetime | None, str | None]:
    with core.db.transaction() as session:
        row = session.scalars(select(Subscription).where(Subscription.user_id == user)).one()
        return row.failures, row.ended_at, row.end_reason


def test_a_gone_subscriber_is_skipped_and_the_others_get_the_digest_once(
    core: Core, poster: RecordingPoster
) -> None:
    forum = _forum(core, "U1", "U2", "U3")
    poster.gone["U2"] = "user_disabled"
    first = core.publisher.post_digest(forum, FRIDAY)
    assert first.status == "posted" and first.ok
    assert _received(poster) == ["U1", "U3"]
    assert sorted(_deliveries(core)) == [
        ("U1", "done", None),
        ("U2", "done", "user_disabled"),
        ("U3", "done", None),
    ]
    assert _subscription(core, "U2")[0] == 1
    again = core.publisher.post_digest(forum, FRIDAY + timedelta(hours=1))
    assert again.status == "already"
    assert _received(poster) == ["U1", "U3"] and len(poster.posts) == 1


def test_a_transient_failure_fails_the_run_and_the_next_run_sends_only_to_the_rest(
    core: Core, poster: RecordingPoster
) -> None:
    forum = _forum(core, "U1", "U2", "U3", "U4")
    poster.gone["U2"] = "user_disabled"
    poster.down.add("U3")
    assert core.publisher.post_digest(forum, FRIDAY).status == "failed"
    # U3's failure for now does not stop the others: U4 after U3 gets the digest too.
    assert sorted(_received(poster)) == ["U1", "U4"]
    assert _subscription(core, "U3")[0] == 0  # a failure for now does not count
    poster.down.clear()
    assert core.publisher.post_digest(forum, FRIDAY).status == "posted"
    assert sorted(_received(poster)) == ["U1", "U3", "U4"]
    assert len(poster.posts) == 1  # the channel post was not repeated
    assert _subscription(core, "U2")[0] == 1  # U2 was not tried again for the same moment


def test_a_crash_mid_run_resumes_per_recipient_even_when_subscribers_change(
    core: Core, poster: RecordingPoster, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    forum = _forum(core, "U1", "U2", "U3")
    send = poster.send_direct

    def dies_at_u2(forum: ForumInfo, user_id: str, message: Message) -> None:
        if user_id == "U2":
            raise Crash
        send(forum, user_id, message)

    monkeypatch.setattr(poster, "send_direct", dies_at_u2)
    with pytest.raises(Crash):
        core.publisher.post_digest(forum, FRIDAY)
    monkeypatch.undo()
    before = _received(poster)
    assert "U1" in before and "U2" not in before  # DMs go out concurrently: U3 may be sent too
    with core.db.transaction() as session:  # someone sorting first subscribes meanwhile
        subscriptions.subscribe(session, forum.id, "U0")
    clock.advance(timedelta(minutes=6))  # the dead run's claims have lapsed
    assert core.publisher.post_digest(forum, FRIDAY).status == "posted"
    assert sorted(_received(poster)) == ["U0", "U1", "U2", "U3"]  # each once
    assert sorted(_received(poster)[len(before) :]) == sorted({"U0", "U2", "U3"} - set(before))


def test_repeated_permanent_failures_end_the_subscription_and_the_stats_show_it(
    core: Core, poster: RecordingPoster
) -> None:
    forum = _forum(core, "U1", "U2")
    poster.gone["U2"] = "account_inactive"
    for week in range(subscriptions.MAX_FAILURES):
        assert core.publisher.post_digest(forum, FRIDAY + week * WEEK).status == "posted"
    failures, ended_at, reason = _subscription(core, "U2")
    assert failures == subscriptions.MAX_FAILURES
    assert ended_at is not None and reason == "account_inactive"
    with core.db.transaction() as session:
        assert subscriptions.subscribers(session, forum.id) == ["U1"]
        assert not subscriptions.is_subscribed(session, forum.id, "U2")
        overview = stats.forum_stats(session, forum.id)
    assert (overview.subscribers, overview.ended) == (1, 1)
    attempts = len(_deliveries(core))
    core.publisher.post_digest(forum, FRIDAY + 3 * WEEK)
    assert len(_deliveries(core)) == attempts + 1  # only U1: U2 is not tried any more
    # Subscribing again reopens the subscription with a clean slate.
    with core.db.transaction() as session:
        assert subscriptions.subscribe(session, forum.id, "U2")
        assert not subscriptions.subscribe(session, forum.id, "U2")
        assert subscriptions.is_subscribed(session, forum.id, "U2")
    assert _subscription(core, "U2") == (0, None, None)


def test_a_delivery_in_between_resets_the_count(core: Core, poster: RecordingPoster) -> None:
    forum = _forum(core, "U2")
    for week, gone in enumerate([True, True, False, True, True]):
        poster.gone = {"U2": "user_disabled"} if gone else {}
        assert core.publisher.post_digest(forum, FRIDAY + week * WEEK).status == "posted"
    assert _subscription(core, "U2")[:2] == (2, None)
    with core.db.transaction() as session:
        assert subscriptions.is_subscribed(session, forum.id, "U2")
