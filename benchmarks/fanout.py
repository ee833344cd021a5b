"""Row 4: many forums due at the same moment, against a fake Slack that enforces rate limits.

The fake allows one ``chat.postMessage`` per second per channel and *budget* per workspace in
any sliding minute, answering 429 with ``Retry-After: 1`` beyond that. A sliding-minute budget
lets *budget* posts go at once and the next ones a minute later, so the floor for *P* posts in a
workspace is ``(ceil(P / budget) - 1) × 60 s``. The scheduler runs in real time: its clock is the
due moment plus the time elapsed, and its retries are waited for as the running service would.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import Row, database
from bot.config import Settings
from bot.core import open_core
from bot.domain import Platform
from bot.services import forums
from fakes.slack import FakeSlackAPI
from handlers.slack.poster import SlackClients, SlackPoster
from schedules.scheduler import SchedulerService

MOMENT = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # Monday 3 March 09:00 in Stockholm


class TeamClients(SlackClients):
    """One bot token per workspace, as an OAuth install gives (without an installation store)."""

    def token_for(self, team_id: str) -> str | None:
        """The workspace's own token ``xoxb-<team>``."""
        return f"xoxb-{team_id}"


def floor_seconds(per_team: int, budget: int) -> float:
    """The least time the fake's limits allow for *per_team* posts in each workspace."""
    return (math.ceil(per_team / budget) - 1) * 60.0


def fan_out(scratch: Path, count: int, teams: int, budget: int, timeout: float) -> list[Row]:
    """Post the theme in *count* forums over *teams* workspaces; time it against the floor."""
    fake = FakeSlackAPI().start()
    per_team = count // teams
    channels = [(f"T{t}", f"C{t}{n:04d}") for t in range(teams) for n in range(per_team)]
    for team in {t for t, _ in channels}:
        fake.add_token(f"xoxb-{team}", team)
    # Like Slack, the fake says in Retry-After how long the budget is really exhausted.
    fake.rate_limit(per_channel_per_second=1, per_team_per_minute=budget, retry_after=None)
    began = time.monotonic()

    def clock() -> datetime:
        return MOMENT + timedelta(seconds=time.monotonic() - began)

    try:
        with database("sqlite", scratch) as url:
            settings = Settings(database_url=url, slack_bot_token="xoxb-T0", slack_api_url=fake.url)
            core = open_core(settings, clock=clock)
            core.posters[Platform.SLACK] = SlackPoster(TeamClients(fake.url))
            with core.db.transaction() as session:
                for team, channel in channels:
                    forums.ensure_forum(
                        session,
                        Platform.SLACK,
                        team,
                        channel,
                        language="sv",
                        timezone="Europe/Stockholm",
                    )
            service = SchedulerService(core, clock=clock)
            began = time.monotonic()
            rounds = 0
            while True:
                rounds += 1
                service.run_due(clock())
                posted = {(m["team_id"], m["channel"]) for m in fake.posted_messages()}
                if len(posted) >= len(channels) or time.monotonic() - began > timeout:
                    break
                due = service.next_due()
                wait = (due - clock()).total_seconds() if due else 1.0
                time.sleep(min(max(wait, 0.05), max(0.05, timeout - (time.monotonic() - began))))
            seconds = time.monotonic() - began
            core.close()
    finally:
        fake.stop()
        messages = fake.posted_messages()
    per_channel: dict[tuple[str, str], int] = {}
    for message in messages:
        if not message.get("thread_ts"):
            key = (str(message["team_id"]), str(message["channel"]))
            per_channel[key] = per_channel.get(key, 0) + 1
    duplicates = sum(n - 1 for n in per_channel.values() if n > 1)
    lost = sum(1 for key in channels if key not in per_channel)
    floor = floor_seconds(per_team, budget)
    share = seconds / floor if floor else None
    ok = duplicates == 0 and lost == 0 and share is not None and share <= 1.2
    return [
        Row(
            "fan-out",
            f"{count} forums / {teams} workspaces",
            seconds,
            floor,
            share,
            target="≤1.2×, 0 dup, 0 lost",
            ok=ok if floor else (duplicates == 0 and lost == 0),
            unit="s",
            note=f"budget {budget}/min/workspace; duplicates {duplicates}, lost {lost}, "
            f"429s {len(fake.rejected)}, rounds {rounds}",
            extra={"duplicates": duplicates, "lost": lost, "rejected": len(fake.rejected)},
        )
    ]
