"""Row "digest DMs": one digest moment's DMs to thousands of subscribers, against a fake Slack
that limits ``chat.postMessage`` per workspace, timed against that limit's floor.

Each workspace has one forum and its subscribers; one subscriber's account is deactivated (the
fake answers ``user_disabled``). The fake allows *budget* posts per workspace in any sliding
*window* seconds (429 with the real wait, rounded up, as ``Retry-After`` beyond that) and one a
second per channel. A sliding window lets *budget* posts go at once and the next ones a window
later, so the floor for *P* posts in a workspace is ``(ceil(P / budget) - 1) × window``; the
row's floor is the largest workspace's. The fake runs in a process of its own (as Slack is
another machine), so it does not share our interpreter's lock. The digest runs are what the
scheduler starts at the moment: one per forum, at once. The bot runs as deployed: nobody tells
it the budget (Slack publishes none for ``chat.postMessage``); each workspace's budget is
learned from the fake's 429s (:class:`bot.ratelimit.LearnedBudget`), and the row notes what
was learned.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from benchmarks.common import Row, database
from benchmarks.fanout import TeamClients
from bot.config import Settings
from bot.core import open_core
from bot.domain import ForumInfo, Platform
from bot.services import forums, subscriptions
from bot.storage.models import DigestDelivery, Forum
from handlers.slack.poster import SlackPoster
from schedules import jobs

MOMENT = datetime(2025, 3, 7, 13, 0, tzinfo=UTC)  # Friday 7 March 14:00 in Stockholm
GONE_USER = "U00007"  # in the first workspace


def _user(team: int, n: int) -> str:
    return f"U{team}{n:04d}"


def _serve_fake(conn: Connection, teams: int, budget: int, window: float) -> None:
    """The fake Slack in its own process: its URL out, then on "stop" what it saw, then exit."""
    from fakes.slack import FakeSlackAPI

    fake = FakeSlackAPI().start()
    for team in range(teams):
        fake.add_token(f"xoxb-T{team}", f"T{team}")
    fake.deactivate_user(GONE_USER, "user_disabled")
    fake.rate_limit(
        per_channel_per_second=1,
        per_team_per_minute=budget,
        retry_after=None,
        team_window=window,
    )
    conn.send(fake.url)
    conn.recv()
    per_channel: dict[tuple[str, str], int] = {}
    for message in fake.posted_messages():
        if not message.get("thread_ts"):
            key = (str(message["team_id"]), str(message["channel"]))
            per_channel[key] = per_channel.get(key, 0) + 1
    rejected = fake.rejected
    conn.send(
        {
            "per_channel": per_channel,
            "rejected": len(rejected),
            "rejected_teams": sorted({str(call.team_id) for call in rejected}),
            "refused": len(
                [c for c in fake.calls_to("conversations.open") if not (c.response or {}).get("ok")]
            ),
        }
    )
    fake.stop()


@dataclass(frozen=True)
class Size:
    """How big the row is: workspaces, subscribers in each, the fake's budget per window."""

    teams: int
    per_team: int
    budget: int
    window: float
    timeout: float


# 2,000 subscribers in 5 workspaces; 80 posts in any 6 s per workspace: a floor of 30 s.
FULL = Size(5, 400, 80, 6.0, 300.0)
QUICK = Size(2, 50, 25, 2.0, 60.0)


def dms_row(scratch: Path, quick: bool = False) -> list[Row]:
    """The row at its full or ``--quick`` size."""
    size = QUICK if quick else FULL
    return digest_dms(scratch, size.teams, size.per_team, size.budget, size.window, size.timeout)


def floor_seconds(posts: int, budget: int, window: float) -> float:
    """The least time the fake's window allows for *posts* posts in one workspace."""
    return (math.ceil(posts / budget) - 1) * window


def digest_dms(
    scratch: Path, teams: int, per_team: int, budget: int, window: float, timeout: float
) -> list[Row]:
    """DM one digest moment to *per_team* subscribers in each of *teams* workspaces; time it."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=_serve_fake, args=(theirs, teams, budget, window))
    server.start()
    url = str(ours.recv())
    began = time.monotonic()

    def clock() -> datetime:
        return MOMENT + timedelta(seconds=time.monotonic() - began)

    rounds, statuses = 0, []
    learned: list[tuple[int, float] | None] = []
    try:
        with database("sqlite", scratch) as db_url:
            settings = Settings(database_url=db_url, slack_bot_token="xoxb-T0", slack_api_url=url)
            core = open_core(settings, clock=clock)
            core.posters[Platform.SLACK] = SlackPoster(TeamClients(url))
            made: list[ForumInfo] = []
            with core.db.transaction() as session:
                for team in range(teams):
                    forum, _ = forums.ensure_forum(
                        session,
                        Platform.SLACK,
                        f"T{team}",
                        f"C{team}0000",
                        language="sv",
                        timezone="Europe/Stockholm",
                    )
                    # A note on an empty week: the digest goes out without examples to store.
                    session.execute(
                        update(Forum).where(Forum.id == forum.id).values(empty_digest_note=True)
                    )
                    made.append(replace(forum, empty_digest_note=True))
                    for n in range(per_team):
                        subscriptions.subscribe(session, forum.id, _user(team, n))
            publisher = core.publisher
            began = time.monotonic()
            # What the scheduler does at the moment: every forum's digest run at once.
            with ThreadPoolExecutor(len(made)) as pool:
                pending = made
                while pending and time.monotonic() - began < timeout:
                    rounds += 1
                    results = list(pool.map(lambda f: jobs.digest(publisher, f, clock()), pending))
                    statuses += [r.status for r in results]
                    pending = [f for f, r in zip(pending, results, strict=True) if not r.ok]
            seconds = time.monotonic() - began
            with core.db.transaction() as session:
                skipped = session.scalar(
                    select(func.count(DigestDelivery.id)).where(DigestDelivery.error.is_not(None))
                )
            learned = [
                core.publisher.dms.budget(Platform.SLACK, f.workspace_id).learned for f in made
            ]
            core.publisher.dms.close()
            core.close()
    finally:
        ours.send("stop")
        seen: dict[str, Any] = ours.recv()
        server.join(timeout=10)
    per_channel: dict[tuple[str, str], int] = seen["per_channel"]
    duplicates = sum(n - 1 for n in per_channel.values() if n > 1)
    wanted = [
        (f"T{t}", f"D{_user(t, n)}")
        for t in range(teams)
        for n in range(per_team)
        if _user(t, n) != GONE_USER
    ]
    lost = sum(1 for key in wanted if key not in per_channel)
    # Posts per workspace: the channel post and a DM to each reachable subscriber.
    posts = per_team + 1
    floor = floor_seconds(posts, budget, window)
    share = seconds / floor if floor else None
    ok = duplicates == 0 and lost == 0 and skipped == 1 and share is not None and share <= 1.1
    return [
        Row(
            "digest DMs",
            f"{teams * per_team:,} subscribers / {teams} workspaces",
            seconds,
            floor,
            share,
            target="≤1.1×, 0 dup, 0 lost, 1 skipped",
            ok=ok,
            unit="s",
            note=f"budget {budget}/{window:g} s/workspace; duplicates {duplicates}, lost {lost}, "
            f"skipped {skipped}, 429s {seen['rejected']}, runs {rounds} ({', '.join(statuses)}); "
            f"learned {_learned(learned)}",
            extra={
                "duplicates": duplicates,
                "lost": lost,
                "skipped": skipped,
                "rejected": seen["rejected"],
                "rejected_teams": seen["rejected_teams"],
                "refused_dm_opens": seen["refused"],  # the fake's user_disabled answers
                "learned": [list(each) if each else None for each in learned],
            },
        )
    ]


def _learned(budgets: list[tuple[int, float] | None]) -> str:
    """The learned DM budgets, e.g. ``79/6.41 s, 79/6.38 s``."""
    return ", ".join(f"{b[0]}/{b[1]:.2f} s" if b else "none" for b in budgets)
