"""Saving someone else's older message, over real HTTP against the fake Slack.

The example is in the first digest after it was saved (exactly once, shown with its message's own
date); its author is told in a direct message with a button to take it out; the author and the
saver may take it out, nobody else.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain import Source
from bot.i18n import long_date, t
from bot.posts import SHARE_UNDO
from bot.services import contributions, forums
from bot.services.contributions import NewContribution
from bot.timing import digest_moment_at_or_before, shift_digest_moment, utcnow
from fakes.slack.signing import block_actions_payload
from handlers.slack.process import message_time
from tests.slack.conftest import CHANNEL, Served

AUTHOR, SAVER, OTHER = "U2", "U1", "UORG"  # Alex Berg, Kim Lind, the organiser


def _old_message(served: Served, text: str) -> str:
    """Alex's message of two weeks ago in the forum's channel; its ts."""
    ts = f"{(utcnow() - timedelta(days=14)).timestamp():.6f}"
    return served.slack.add_message(CHANNEL, text, user=AUTHOR, ts=ts)


def _react(served: Served, ts: str) -> None:
    """Kim adds the forum's reaction to the message *ts*."""
    event = {
        "type": "reaction_added",
        "user": SAVER,
        "reaction": "bulb",
        "item": {"type": "message", "channel": CHANNEL, "ts": ts},
        "item_user": AUTHOR,
        "event_ts": f"{utcnow().timestamp():.6f}",
    }
    assert served.send_event(event).status_code == 200
    served.idle()


def _undo_button(message: dict[str, Any]) -> dict[str, Any]:
    buttons = [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    [button] = [b for b in buttons if b["action_id"] == SHARE_UNDO]
    return button


def _press(served: Served, user: str, value: str, channel: str) -> str:
    """*user* presses an undo button with *value*; the text of the answer."""
    url = served.slack.new_response_url()
    payload = block_actions_payload(
        SHARE_UNDO, value, user_id=user, channel_id=channel, response_url=url
    )
    assert served.interact(payload).status_code == 200
    served.idle()
    [answer] = [r for r in served.slack.responses if r.response_id in url]
    return str(answer.payload["text"])


def test_a_saved_older_message_is_in_the_next_digest_exactly_once(served: Served) -> None:
    forum = served.forum()
    marks = forums.moments(forum)
    passed = digest_moment_at_or_before(utcnow(), marks)
    with served.core.db.transaction() as session:  # an example of the week that has passed
        contributions.record(
            session,
            forum,
            NewContribution(
                "U1", "Kim Lind", "Förra veckans exempel", Source.FORM, CHANNEL, "form:1", passed
            ),
            now=passed - timedelta(hours=1),
        )
    first = served.core.publisher.post_digest(forum, utcnow())
    assert first.status == "posted", first

    ts = _old_message(served, "Vi avslutar varje möte med en runda om vad som gick bra")
    _react(served, ts)
    [stored] = [c for c in served.contributions() if c.source == Source.REACTION.value]
    assert (stored.author_id, stored.saved_by_id) == (AUTHOR, SAVER)

    following = shift_digest_moment(passed, marks, 1)
    second = served.core.publisher.post_digest(forum, following)
    assert second.status == "posted", second
    [post] = [p for p in served.slack.posted_messages(CHANNEL) if p["ts"] == second.message_id]
    body = json.dumps(post["blocks"], ensure_ascii=False)
    assert body.count("Vi avslutar varje möte") == 1
    assert "Förra veckans exempel" not in body
    written = message_time(ts).astimezone(ZoneInfo(forum.timezone))
    assert long_date(forum.language, written) in body  # the message's own date
    third = served.core.publisher.post_digest(forum, shift_digest_moment(passed, marks, 2))
    assert third.status == "empty", third


def test_the_author_is_told_and_the_author_or_the_saver_may_take_it_out(served: Served) -> None:
    _react(served, _old_message(served, "Vi bjuder in en kund till varje planeringsdag"))
    [stored] = served.contributions()
    [notice] = served.slack.posted_messages(f"D{AUTHOR}")
    assert "Kim Lind" in notice["text"]
    button = _undo_button(notice)
    assert (button["value"], button["text"]["text"]) == (str(stored.id), t("sv", "save.remove"))
    [thanks] = [m for m in served.slack.ephemeral_messages(CHANNEL) if m["user"] == SAVER]
    assert "Alex Berg" in thanks["text"]

    refused = _press(served, OTHER, button["value"], CHANNEL)  # a third person cannot
    assert refused == t("sv", "share.undo_missing")
    assert served.count() == 1
    assert _press(served, AUTHOR, button["value"], f"D{AUTHOR}") == t("sv", "share.undone")
    assert served.count() == 0

    _react(served, _old_message(served, "Vi roterar mötesledare varje vecka"))
    [again] = served.contributions()
    [thanks] = [m for m in served.slack.ephemeral_messages(CHANNEL) if m["user"] == SAVER][1:]
    assert _undo_button(thanks)["value"] == str(again.id)
    assert _press(served, SAVER, str(again.id), CHANNEL) == t("sv", "save.undone")
    assert served.count() == 0
