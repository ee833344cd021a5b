"""Theme posts and digests go out exactly once, resume after crashes, and split digests resume."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.core import Core
from bot.messages import Entry
from bot.services import subscriptions
from bot.services.publishing import Publisher
from bot.storage.db import Database, make_engine
from bot.storage.models import DigestRun, ThemePost
from tests.support import FakeClock, RecordingPoster
from tests.test_services import FRIDAY, make_forum, share

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_post_theme_twice_posts_once(core: Core, poster: RecordingPoster) -> None:
    forum = make_forum(core)
    first = core.publisher.post_theme(forum, NOW)
    second = core.publisher.post_theme(forum, NOW)
    assert (first.status, second.status) == ("posted", "already")
    assert len(poster.theme_posts()) == 1
    assert poster.posts[0].message.metadata["event_payload"]["period"] == "2026-11"


def test_themeless_month_posts_nothing(core: Core, poster: RecordingPoster) -> None:
    forum = make_forum(core)
    result = core.publisher.post_theme(forum, datetime(2027, 7, 10, 12, tzinfo=UTC))
    assert result.status == "no_theme" and poster.posts == []


def test_a_failed_post_is_retried_and_posts_once(core: Core, poster: RecordingPoster) -> None:
    forum = make_forum(core)
    poster.fail_on = {1}
    assert core.publisher.post_theme(forum, NOW).status == "failed"
    assert core.publisher.post_theme(forum, NOW).status == "posted"
    assert len(poster.theme_posts()) == 1


def test_crash_after_post_before_record_does_not_double(
    core: Core, poster: RecordingPoster, clock: FakeClock
) -> None:
    forum = make_forum(core)
    core.publisher.post_theme(forum, NOW)
    # Simulate a crash between the platform call and the record: the claim is left "claimed".
    with core.db.transaction() as session:
        session.execute(update(ThemePost).values(status="claimed", message_id=None))
    assert core.publisher.post_theme(forum, NOW).status == "busy"  # within the lease
    clock.advance(timedelta(minutes=6))
    result = core.publisher.post_theme(forum, NOW)
    assert result.status == "found"  # the retry asked the platform first
    assert len(poster.theme_posts()) == 1
    with core.db.transaction() as session:
        row = session.scalars(select(ThemePost)).one()
    assert row.status == "posted" and row.attempts == 2 and row.message_id == "m1"


def test_crash_after_claim_before_post_posts_after_the_lease(
    core: Core, poster: RecordingPoster, clock: FakeClock
) -> None:
    forum = make_forum(core)
    with core.db.transaction() as session:
        session.add(
            ThemePost(forum_id=forum.id, period="2026-11", claim_token="dead", claimed_at=clock())
        )
    assert core.publisher.post_theme(forum, NOW).status == "busy"
    clock.advance(timedelta(minutes=6))
    assert core.publisher.post_theme(forum, NOW).status == "posted"
    assert len(poster.theme_posts()) == 1


def test_racing_publishers_post_once(core: Core, database_url: str, clock: FakeClock) -> None:
    forum = make_forum(core)
    poster = RecordingPoster()
    databases = [Database(make_engine(database_url)) for _ in range(4)]
    publishers = [Publisher(d, {forum.platform: poster}, clock) for d in databases]
    for round_ in range(10):
        at = NOW + timedelta(days=31 * round_)
        barrier = threading.Barrier(len(publishers))

        def run(
            publisher: Publisher, at: datetime = at, barrier: threading.Barrier = barrier
        ) -> None:
            barrier.wait()
            publisher.post_theme(forum, at)

        threads = [threading.Thread(target=run, args=(p,)) for p in publishers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    periods = [s.message.metadata["event_payload"]["period"] for s in poster.theme_posts()]
    assert len(periods) == len(set(periods))
    assert len(periods) == 9  # ten months from November 2026, less themeless July
    for database in databases:
        database.dispose()


def test_digest_posts_once_and_reaches_subscribers(core: Core, poster: RecordingPoster) -> None:
    forum = make_forum(core)
    share(core, forum, "m1", FRIDAY - timedelta(days=1))
    with core.db.transaction() as session:
        subscriptions.subscribe(session, forum.id, "U7")
    first = core.publisher.post_digest(forum, FRIDAY + timedelta(hours=1))
    second = core.publisher.post_digest(forum, FRIDAY + timedelta(hours=2))
    assert (first.status, second.status) == ("posted", "already")
    assert [p.message.kind for p in poster.posts] == ["digest"]
    assert [d.user_id for d in poster.direct] == ["U7"]


def test_empty_week_posts_nothing_unless_the_forum_wants_a_note(
    core: Core, poster: RecordingPoster
) -> None:
    forum = make_forum(core)
    assert core.publisher.post_digest(forum, FRIDAY).status == "empty"
    assert poster.posts == []


def test_interrupted_split_digest_resumes_without_repeating(
    core: Core, poster: RecordingPoster
) -> None:
    forum = make_forum(core)
    for n in range(7):
        share(core, forum, f"m{n}", FRIDAY - timedelta(hours=n + 1), text=f"Exempel {n}")
    poster.split_size = 3  # three parts: 3 + 3 + 1 entries
    poster.fail_on = {2}  # the second part fails
    assert core.publisher.post_digest(forum, FRIDAY).status == "failed"
    assert core.publisher.post_digest(forum, FRIDAY).status == "posted"
    entries = [e.text for p in poster.posts for e in p.message.elements if isinstance(e, Entry)]
    assert sorted(entries) == sorted(f"Exempel {n}" for n in range(7))
    assert [p.thread_id for p in poster.posts] == [None, "m1", "m1"]
    with core.db.transaction() as session:
        run = session.scalars(select(DigestRun)).one()
    assert run.parts_posted == 3 and run.status == "done"


def test_catch_up_digest_is_skipped_when_too_late(core: Core, clock: FakeClock) -> None:
    forum = make_forum(core)
    share(core, forum, "m1", FRIDAY - timedelta(days=1))
    clock.set(FRIDAY + timedelta(days=3))
    result = core.publisher.post_digest(forum, clock(), max_late=timedelta(days=2))
    assert result.status == "too_late"


def test_outcomes_are_counted_for_operators(core: Core) -> None:
    forum = make_forum(core)
    core.publisher.post_theme(forum, NOW)
    core.publisher.post_theme(forum, NOW)
    text = core.metrics.exposition().decode()
    assert 'ledarforum_posts_sent_total{kind="theme",status="posted"} 1.0' in text
    assert 'ledarforum_posts_sent_total{kind="theme",status="already"} 1.0' in text
