"""A workspace's DM budget learned from 429s (:class:`bot.ratelimit.LearnedBudget`): what it
learns from a refusal, how it probes upwards and backs off, that one workspace's budget never
paces another's, and what it learns from the fake Slack's 429s."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from sqlalchemy import update

from bot.core import Core
from bot.domain import ForumInfo, Platform
from bot.messages import Message
from bot.ratelimit import LearnedBudget, TokenBucket, refusals_to
from bot.services import forums, subscriptions
from bot.storage.models import Forum
from fakes.slack import FakeSlackAPI
from handlers.slack.poster import SlackClients, SlackPoster
from tests.support import RecordingPoster
from tests.test_services import FRIDAY


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _calls(budget: LearnedBudget, clock: Clock, ends: list[float]) -> None:
    """Calls that all start now and succeed at *ends*."""
    tickets = [budget.acquire() for _ in ends]
    for ticket, end in zip(tickets, ends, strict=True):
        clock.now = end
        budget.release(ticket, made=True)


def test_a_refusal_teaches_the_calls_made_before_it_per_the_window_until_retry_after() -> None:
    clock = Clock()
    budget = LearnedBudget(clock=clock)
    assert budget.learned is None
    _calls(budget, clock, [100.5 + i / 10 for i in range(10)])  # 10 made, the first ended at 100.5
    assert budget.learned is None  # no refusal yet: nothing held back
    in_flight = budget.acquire()
    clock.now = 101.5
    budget.refused(3.0)  # the window frees its oldest slot at 104.5: 10 per 4 s
    assert budget.learned == pytest.approx((10, 4.0))
    clock.now = 101.6
    budget.release(in_flight, made=True)  # in flight at the refusal: it filled the window too
    assert budget.learned == pytest.approx((11, 4.0))
    clock.now = 101.7
    budget.refused(2.0)  # another call of the same full window: frees at 103.7, not 104.5
    assert budget.learned == pytest.approx((11, 3.2))
    assert budget.delay() > 0  # 11 calls in the last 3.2 s: the next one waits


def test_no_refusal_no_budget_and_a_refusal_before_any_success_teaches_nothing() -> None:
    clock = Clock()
    budget = LearnedBudget(clock=clock)
    ticket = budget.acquire()
    budget.refused(1.0)
    budget.release(ticket, made=False)
    assert budget.learned is None and budget.delay() == 0.0


def test_it_probes_upwards_after_a_quiet_spell_and_backs_off_when_refused() -> None:
    clock = Clock()
    budget = LearnedBudget(probe_every=60.0, clock=clock)
    _calls(budget, clock, [100.0, 100.1, 100.2])
    budget.refused(1.0)
    assert budget.learned == pytest.approx((3, 1.2))
    # The budget holds calls back for a minute without a refusal: one more per window.
    clock.now = 130.0
    _calls(budget, clock, [130.1, 130.2, 130.3])
    budget._held_back = True  # what acquire() records when it had to wait (real time)
    clock.now = 161.0
    _calls(budget, clock, [161.1])
    assert budget.learned == pytest.approx((4, 1.2))
    # Refused at the probe: back to what held, and the next probe waits twice as long.
    clock.now = 161.5
    budget.refused(1.0)
    assert budget.learned == pytest.approx((3, 1.2))
    budget._held_back = True
    clock.now = 221.6
    _calls(budget, clock, [221.7])
    assert budget.learned == pytest.approx((3, 1.2))  # 60 s is not enough any more
    clock.now = 282.0
    _calls(budget, clock, [282.1])
    assert budget.learned == pytest.approx((4, 1.2))
    # A refusal at a limit that held before: the platform lowered it, take some off.
    clock.now = 290.0
    budget._held_back = False
    _calls(budget, clock, [290.1])
    budget.refused(1.0)  # the probe (4) failed: back to 3
    clock.now = 292.0
    _calls(budget, clock, [292.1])
    budget.refused(1.0)  # refused at 3, which held: 2
    assert budget.learned == pytest.approx((2, 1.2))


def test_a_told_budget_is_kept_as_told() -> None:
    clock = Clock()
    budget = LearnedBudget((5, 2.0), clock=clock)
    _calls(budget, clock, [100.1])
    budget.refused(4.0)
    assert budget.learned == (5, 2.0)


def test_refusals_reach_the_listener_of_the_calling_thread_only() -> None:
    heard: list[float] = []
    bucket = TokenBucket(1000.0, 1000.0)
    elsewhere = threading.Thread(target=lambda: bucket.defer(0.0))
    with refusals_to(heard.append):
        bucket.defer(0.0)
        elsewhere.start()
        elsewhere.join()
    bucket.defer(0.0)
    assert heard == [0.0]


class RefusingPoster(RecordingPoster):
    """Workspace TA refuses its 4th DM once (a 429 the poster waits out, as Slack's does)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = TokenBucket(1000.0, 1000.0)
        self._count: Counter[str] = Counter()
        self._lock = threading.Lock()

    def send_direct(self, forum: ForumInfo, user_id: str, message: Message) -> None:
        with self._lock:
            self._count[forum.workspace_id] += 1
            refuse = forum.workspace_id == "TA" and self._count["TA"] == 4
        if refuse:
            self.gate.defer(0.05)
            self.gate.acquire()
        super().send_direct(forum, user_id, message)


def _slack_forum(core: Core, team: str, users: int) -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, team, f"C{team}", language="sv", timezone="Europe/Stockholm"
        )
        session.execute(update(Forum).where(Forum.id == forum.id).values(empty_digest_note=True))
        for n in range(users):
            subscriptions.subscribe(session, forum.id, f"U{team[1]}{n:02d}")
    return replace(forum, empty_digest_note=True)


def test_one_workspaces_learned_budget_never_paces_another(core: Core) -> None:
    poster = RefusingPoster()
    core.posters[Platform.SLACK] = poster
    made = {team: _slack_forum(core, team, 12) for team in ("TA", "TB")}
    with ThreadPoolExecutor(2) as pool:
        statuses = list(
            pool.map(lambda f: core.publisher.post_digest(f, FRIDAY).status, made.values())
        )
    assert statuses == ["posted", "posted"]
    dms = core.publisher.dms
    learned = dms.budget(Platform.SLACK, "TA").learned
    assert learned is not None and 1 <= learned[0] <= 3 + dms.per_workspace
    other = dms.budget(Platform.SLACK, "TB")
    assert other.learned is None and other.delay() == 0.0  # TB is held back by nothing
    assert Counter(sent.user_id for sent in poster.direct) == Counter(
        [f"UA{n:02d}" for n in range(12)] + [f"UB{n:02d}" for n in range(12)]
    )


class TeamClients(SlackClients):
    """One bot token per workspace, as an OAuth install gives."""

    def token_for(self, team_id: str) -> str | None:
        return f"xoxb-{team_id}"


@pytest.mark.slow
def test_the_budget_learned_from_the_fake_slacks_429_is_its_window(core: Core) -> None:
    with FakeSlackAPI() as fake:
        fake.add_token("xoxb-TA", "TA")
        # 6 posts in any 2 s, the real wait rounded up as Retry-After (as Slack's whole seconds).
        fake.rate_limit(
            per_channel_per_second=None, per_team_per_minute=6, team_window=2.0, retry_after=None
        )
        core.posters[Platform.SLACK] = SlackPoster(TeamClients(fake.url))
        forum = _slack_forum(core, "TA", 14)
        assert core.publisher.post_digest(forum, FRIDAY).status == "posted"
        dms = [m for m in fake.posted_messages() if str(m["channel"]).startswith("D")]
        rejected = len(fake.rejected)
    learned = core.publisher.dms.budget(Platform.SLACK, "TA").learned
    # The channel post took one of the 6: 5 DMs filled the window (never more is learned; on a
    # loaded machine a DM in flight may end after the pause and not be counted).
    assert learned is not None and 3 <= learned[0] <= 5
    # The window frees at most Retry-After (the wait rounded up) after the refusal.
    assert 1.0 < learned[1] <= 4.5
    assert len(dms) == 14 and len({m["channel"] for m in dms}) == 14
    # Refused while learning (the calls in flight then), hardly again once paced.
    assert 1 <= rejected <= 2 * core.publisher.dms.per_workspace
