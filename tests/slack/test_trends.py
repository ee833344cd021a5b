"""Trends in Slack over real HTTP against the fake Slack: the trend reaction and the command.

The unfurl's title (the message's ``attachments``) is used as it is; without one the title is
fetched in the inbox worker (replaced here: no network), once even when Slack retries the event.
"""

from __future__ import annotations

import json
from datetime import timedelta

from bot.i18n import t
from bot.services import forums
from bot.timing import utcnow
from tests.slack.conftest import CHANNEL, TEAM, Served

AUTHOR, SAVER = "U2", "U1"
URL = "https://rapporter.example/omvarld-2026"


def _message(served: Served, text: str, attachments: list[dict[str, str]] | None = None) -> str:
    ts = f"{(utcnow() - timedelta(hours=3)).timestamp():.6f}"
    ts = served.slack.add_message(CHANNEL, text, user=AUTHOR, ts=ts)
    if attachments:  # what Slack adds when it unfurls the link
        served.slack._find(TEAM, CHANNEL, ts)["attachments"] = attachments  # type: ignore[index]
    return ts


def _react(served: Served, ts: str, reaction: str, event_id: str | None = None) -> None:
    event = {
        "type": "reaction_added",
        "user": SAVER,
        "reaction": reaction,
        "item": {"type": "message", "channel": CHANNEL, "ts": ts},
        "item_user": AUTHOR,
        "event_ts": f"{utcnow().timestamp():.6f}",
    }
    assert served.send_event(event, event_id=event_id).status_code == 200
    served.idle()


def _with_trend_reaction(served: Served) -> None:
    with served.core.db.transaction() as session:
        forums.update(session, served.forum().id, actor="test", trend_reaction="telescope")


def test_the_trend_reaction_stores_the_unfurled_title(served: Served) -> None:
    _with_trend_reaction(served)

    def no_fetch(url: str) -> str | None:
        raise AssertionError(f"fetched {url}")

    served.core.dialogue.fetch_title = no_fetch
    unfurl = [{"original_url": URL, "title": "Omvärldsanalys 2026", "from_url": URL}]
    ts = _message(served, f"Läs den här: <{URL}>", unfurl)
    _react(served, ts, "telescope", event_id="Ev1")
    _react(served, ts, "telescope", event_id="Ev1")  # Slack delivers it again
    [row] = served.contributions()
    assert (row.kind, row.url, row.url_title) == ("trend", URL, "Omvärldsanalys 2026")
    assert (row.author_id, row.saved_by_id, row.source_message_id) == (AUTHOR, SAVER, ts)
    answers = [m for m in served.slack.ephemeral_messages(CHANNEL) if m["user"] == SAVER]
    assert t("sv", "trend.stored", title="Omvärldsanalys 2026") in answers[0]["text"]


def test_without_an_unfurl_the_worker_fetches_the_title_once(served: Served) -> None:
    _with_trend_reaction(served)
    asked: list[str] = []

    def fetch(url: str) -> str | None:
        asked.append(url)
        return "Rapport från framtiden"

    served.core.dialogue.fetch_title = fetch
    ts = _message(served, f"Spana in {URL}")
    _react(served, ts, "telescope")
    _react(served, ts, "telescope")  # a second reaction of the same message: stored already
    [row] = served.contributions()
    assert row.url_title == "Rapport från framtiden" and asked == [URL]


def test_the_save_reaction_still_saves_a_practice(served: Served) -> None:
    _with_trend_reaction(served)
    ts = _message(served, f"Vi delar läsning varje fredag, senast {URL}")
    _react(served, ts, "bulb")
    [row] = served.contributions()
    assert (row.kind, row.url) == ("practice", None)


def test_the_trend_command_and_its_section_in_the_digest(served: Served) -> None:
    served.core.dialogue.fetch_title = lambda url: "Ny forskning om tillit"
    assert served.command(f"trend {URL} Bra underlag för nästa träff").status_code == 200
    served.idle()
    [row] = served.contributions()
    assert (row.kind, row.url_title, row.text) == (
        "trend",
        "Ny forskning om tillit",
        "Bra underlag för nästa träff",
    )
    bad = served.command("trend inte-en-länk")
    assert bad.status_code == 200
    served.idle()
    assert len(served.contributions()) == 1
    forum = served.forum()
    result = served.core.publisher.post_digest(forum, utcnow() + timedelta(days=8))
    assert result.status == "posted", result
    [post] = [p for p in served.slack.posted_messages(CHANNEL) if p["ts"] == result.message_id]
    body = json.dumps(post["blocks"], ensure_ascii=False)
    assert "Omvärldsbevakning" in body
    assert f"<{URL}|Ny forskning om tillit>" in body
