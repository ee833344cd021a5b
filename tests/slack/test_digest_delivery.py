"""A deactivated subscriber, black-box: people subscribe and share over HTTP, ``ledarforum digest``
runs as its own process against the fake Slack Web API, and organisers ask ``admin stats``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.i18n import t
from bot.services import forums, subscriptions
from bot.storage.models import DigestDelivery, Forum, Subscription
from bot.timing import digest_moment_at_or_before, shift_digest_moment, utcnow
from fakes.slack import FakeSlackAPI
from tests.slack.conftest import ORGANISER, Served, bot_env

pytestmark = pytest.mark.slow

SUBSCRIBERS = ("U1", "U2", "U3", "U4")


def _digest(env: dict[str, str], cwd: Path, forum_id: int, at: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "handlers.main", "digest", "--forum", str(forum_id), "--at", at],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _answer(served: Served, text: str, user: str) -> str:
    """Everything the app answered *user* for ``/ledarforum <text>``."""
    before = len(served.slack.responses)
    response = served.command(text, user=user)
    assert response.status_code == 200
    served.idle()
    later = served.slack.responses[before:]
    return response.text + "".join(json.dumps(r.payload, ensure_ascii=False) for r in later)


def _dms(slack: FakeSlackAPI, user: str) -> int:
    return len(slack.posted_messages(f"D{user}"))


def test_a_deactivated_subscriber_is_skipped_then_ended_and_organisers_see_it(
    make_served: Callable[..., Served], slack: FakeSlackAPI, database_url: str, tmp_path: Path
) -> None:
    served = make_served()
    slack.add_user("U3", "Sam Ek")
    slack.add_user("U4", "Noa Ek")
    for user in SUBSCRIBERS:
        _answer(served, "prenumerera", user)
    _answer(served, "dela Vi går våra 1:1 utomhus", "U1")
    forum = served.forum()
    with served.core.db.transaction() as session:
        assert subscriptions.subscribers(session, forum.id) == list(SUBSCRIBERS)
        # Later weeks have no examples: the forum's note keeps a digest going to everyone.
        session.execute(update(Forum).where(Forum.id == forum.id).values(empty_digest_note=True))
    forum = served.forum()
    slack.deactivate_user("U2")  # refused when the DM is opened
    slack.deactivate_user("U4", "account_inactive", at="chat.postMessage")  # when posting in it
    env = bot_env(database_url, slack.url, tmp_path, "WARNING")
    moments = forums.moments(forum)
    upcoming = shift_digest_moment(digest_moment_at_or_before(utcnow(), moments), moments, 1)
    ats = [
        (shift_digest_moment(upcoming, moments, week) + timedelta(minutes=1)).isoformat()
        for week in range(subscriptions.MAX_FAILURES)
    ]

    assert "posted" in _digest(env, tmp_path, forum.id, ats[0])
    assert [_dms(slack, user) for user in SUBSCRIBERS] == [1, 0, 1, 0]
    refused = [c for c in slack.calls_to("conversations.open") if c.params["users"] == "U2"]
    assert refused and refused[0].response == {"ok": False, "error": "user_disabled"}
    with served.core.db.transaction() as session:
        gone = session.scalars(select(DigestDelivery).where(DigestDelivery.error.is_not(None)))
        assert sorted((row.user_id, row.status, row.error) for row in gone) == [
            ("U2", "done", "user_disabled"),
            ("U4", "done", "account_inactive"),
        ]

    posts = len(slack.calls_to("chat.postMessage"))
    assert "already" in _digest(env, tmp_path, forum.id, ats[0])
    assert len(slack.calls_to("chat.postMessage")) == posts

    for at in ats[1:]:  # the running app's own scheduler call: the same code, no process start
        assert served.core.publisher.post_digest(forum, datetime.fromisoformat(at)).ok
    assert [_dms(slack, user) for user in SUBSCRIBERS] == [3, 0, 3, 0]
    with served.core.db.transaction() as session:
        ended = session.scalars(select(Subscription).where(Subscription.ended_at.is_not(None)))
        assert sorted((row.user_id, row.end_reason) for row in ended) == [
            ("U2", "user_disabled"),
            ("U4", "account_inactive"),
        ]
        assert subscriptions.subscribers(session, forum.id) == ["U1", "U3"]

    swedish = _answer(served, "admin stats", ORGANISER)
    assert t("sv", "admin.stats.summary", total=1, subs=2) in swedish  # the ended not counted
    assert t("sv", "admin.stats.ended", count=2) in swedish
    assert "2 prenumerationer har avslutats" in swedish
    _answer(served, "språk en", ORGANISER)
    english = _answer(served, "admin stats", ORGANISER)
    assert t("en", "admin.stats.ended", count=2) in english
    assert "2 subscriptions were ended" in english
