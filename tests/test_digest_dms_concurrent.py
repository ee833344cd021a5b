"""Digest DMs go out many at once and still exactly once: runs racing on the same moment, a
crash mid-run, a transient failure of one person, a gone account, and a 429 in one workspace
that must not hold up another (against the fake Slack)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.core import Core
from bot.domain import ForumInfo, Language, Platform
from bot.messages import Message
from bot.posts import digest_post
from bot.ratelimit import SlidingWindow
from bot.services import digest as digests
from bot.services import forums, subscriptions
from bot.services.direct_sends import DirectSends, Job
from bot.services.publishing import Publisher
from bot.storage.db import Database
from bot.storage.models import DigestDelivery, Forum
from fakes.slack import FakeSlackAPI
from handlers.slack.poster import SlackClients, SlackPoster
from tests.support import FakeClock, RecordingPoster
from tests.test_services import FRIDAY, make_forum, share

READERS = [f"U{n:03d}" for n in range(40)]


class Crash(BaseException):
    """The process dies mid-send: no ``except Exception`` of ours runs."""


class SlowPoster(RecordingPoster):
    """A recording poster whose DMs take a moment, so runs overlap for real."""

    def send_direct(self, forum: ForumInfo, user_id: str, message: Message) -> None:
        time.sleep(0.002)
        super().send_direct(forum, user_id, message)


def _forum(core: Core, users: list[str]) -> ForumInfo:
    forum = replace(make_forum(core), empty_digest_note=True)
    share(core, forum, "m1", FRIDAY - timedelta(days=1))
    with core.db.transaction() as session:
        for user in users:
            subscriptions.subscribe(session, forum.id, user)
    return forum


def _received(poster: RecordingPoster) -> list[str]:
    return [sent.user_id or "" for sent in poster.direct]


def _job(core: Core, forum: ForumInfo, poster: RecordingPoster) -> Job:
    with core.db.transaction() as session:
        start, end = digests.window(session, forum.id, FRIDAY, forums.moments(forum))
        digest = digests.load(session, forum.id, start, end)

    def render(lang: Language) -> list[Message]:
        return [digest_post(forum, digest, lang)]

    return Job(forum, FRIDAY, poster, [(user, "sv") for user in READERS], render)


def test_two_processes_sending_the_same_moment_at_once_reach_each_person_once(
    core: Core, database_url: str, clock: FakeClock
) -> None:
    forum = _forum(core, READERS)
    poster = SlowPoster()
    other_db = Database.connect(database_url)  # a second process: its own engine
    try:
        senders = [DirectSends(core.db, clock), DirectSends(other_db, clock)]
        job = _job(core, forum, poster)
        with ThreadPoolExecutor(2) as pool:
            tallies = list(pool.map(lambda s: s.send(job, lambda _: None), senders))
    finally:
        other_db.dispose()
    assert Counter(_received(poster)) == Counter(READERS)  # everyone, nobody twice
    assert sum(t.sent for t in tallies) == len(READERS)
    # What one sender did not send, the other held or had finished.
    for tally in tallies:
        assert tally.sent + tally.held + tally.skipped == len(READERS)


def test_two_digest_runs_at_once_post_once_and_dm_each_subscriber_once(
    core: Core, clock: FakeClock
) -> None:
    forum = _forum(core, READERS)
    poster = SlowPoster()
    publishers = [Publisher(core.db, {Platform.SLACK: poster}, clock) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda p: p.post_digest(forum, FRIDAY), publishers))
    assert sorted(r.status for r in results) == ["busy", "posted"]
    assert len(poster.posts) == 1
    assert Counter(_received(poster)) == Counter(READERS)


def test_a_crash_mid_run_leaves_the_rest_to_the_rerun_and_sends_nobody_twice(
    core: Core, poster: RecordingPoster, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    forum = _forum(core, READERS)
    send = poster.send_direct

    def dies_at_u020(forum: ForumInfo, user_id: str, message: Message) -> None:
        if user_id == "U020":
            raise Crash
        send(forum, user_id, message)

    monkeypatch.setattr(poster, "send_direct", dies_at_u020)
    with pytest.raises(Crash):
        core.publisher.post_digest(forum, FRIDAY)
    monkeypatch.undo()
    before = _received(poster)
    assert "U020" not in before  # how many others went out depends on the threads' timing
    clock.advance(timedelta(minutes=6))  # the dead run's claims lapse
    assert core.publisher.post_digest(forum, FRIDAY).status == "posted"
    after = _received(poster)[len(before) :]
    assert sorted(after) == sorted(set(READERS) - set(before))  # only the rest
    assert Counter(_received(poster)) == Counter(READERS)


def test_one_transient_failure_does_not_stop_the_others_and_is_sent_next_time(
    core: Core, poster: RecordingPoster
) -> None:
    forum = _forum(core, READERS)
    poster.down.add("U005")
    poster.gone["U030"] = "account_inactive"
    assert core.publisher.post_digest(forum, FRIDAY).status == "failed"
    assert sorted(_received(poster)) == sorted(set(READERS) - {"U005", "U030"})
    with core.db.transaction() as session:
        rows = session.execute(select(DigestDelivery.user_id, DigestDelivery.status))
        statuses = {user: status for user, status in rows}
    assert statuses["U005"] == "failed" and statuses["U030"] == "done"
    poster.down.clear()
    assert core.publisher.post_digest(forum, FRIDAY).status == "posted"
    assert Counter(_received(poster)) == Counter(set(READERS) - {"U030"})


def test_a_sliding_window_counts_a_call_from_its_end_and_honours_retry_after() -> None:
    now = [100.0]
    window = SlidingWindow(2, 5.0, clock=lambda: now[0])
    assert window.acquire() == 0.0 and window.acquire() == 0.0
    assert window.delay() == 5.0  # both in flight: they count as made now
    window.release()
    now[0] = 101.0
    window.release()
    assert window.delay() == pytest.approx(4.0)  # the first ended at 100: free at 105
    now[0] = 105.0
    assert window.delay() == 0.0
    window.defer(3.0)
    assert window.delay() == pytest.approx(3.0)


class TeamClients(SlackClients):
    """One bot token per workspace, as an OAuth install gives."""

    def token_for(self, team_id: str) -> str | None:
        return f"xoxb-{team_id}"


@pytest.mark.slow
def test_a_429_in_one_workspace_pauses_it_alone_and_a_gone_account_is_skipped(
    core: Core,
) -> None:
    with FakeSlackAPI() as fake:
        for team in ("TA", "TB"):
            fake.add_token(f"xoxb-{team}", team)
        fake.deactivate_user("UB05", "user_disabled")
        # Workspace TA may post twice in any 3 s and is told to wait 3 s; TB is not limited.
        fake.rate_limit(
            per_channel_per_second=None,
            per_team_per_minute=2,
            team_window=3.0,
            retry_after=3,
            teams={"TA"},
        )
        core.posters[Platform.SLACK] = SlackPoster(TeamClients(fake.url))
        made: dict[str, ForumInfo] = {}
        with core.db.transaction() as session:
            for team, users in (("TA", 3), ("TB", 12)):
                forum, _ = forums.ensure_forum(
                    session,
                    Platform.SLACK,
                    team,
                    f"C{team}",
                    language="sv",
                    timezone="Europe/Stockholm",
                )
                session.execute(
                    update(Forum).where(Forum.id == forum.id).values(empty_digest_note=True)
                )
                made[team] = replace(forum, empty_digest_note=True)
                for n in range(users):
                    subscriptions.subscribe(session, forum.id, f"U{team[1]}{n:02d}")
        start = threading.Barrier(2)

        def run(team: str) -> str:
            start.wait()
            return core.publisher.post_digest(made[team], FRIDAY).status

        with ThreadPoolExecutor(2) as pool:
            statuses = list(pool.map(run, ["TA", "TB"]))
        assert statuses == ["posted", "posted"]
        posts = fake.posted_messages()
        rejected = fake.rejected
    order = [(m["team_id"], m["channel"]) for m in posts]
    # TA: its channel post and 3 DMs, so at least one 429 and a 3 s pause before its last post.
    assert rejected and {call.team_id for call in rejected} == {"TA"}
    assert sum(1 for team, _ in order if team == "TA") == 4
    # TB: its channel post and 11 DMs (UB05 is gone), every one of them out before TA's last.
    tb = [i for i, (team, _) in enumerate(order) if team == "TB"]
    assert len(tb) == 12 and len({order[i] for i in tb}) == 12
    last_ta = max(i for i, (team, _) in enumerate(order) if team == "TA")
    assert max(tb) < last_ta
    with core.db.transaction() as session:
        gone = session.execute(
            select(DigestDelivery.user_id, DigestDelivery.error).where(
                DigestDelivery.error.is_not(None)
            )
        ).all()
        assert subscriptions.counts(session, made["TB"].id) == (12, 0)
    assert [tuple(row) for row in gone] == [("UB05", "user_disabled")]
