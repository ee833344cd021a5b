"""Forget-me leaves nothing behind: every table is scanned for the person's text and id afterwards.

The person's replies reach the bot over signed HTTP; one is stored, one still waits in the Slack
inbox (the worker is stopped), one failed for good; a Teams person's activity sits in Teams' inbox.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import JSON, String, Text, select, update

from bot.dialogue import Actor
from bot.domain import Platform, Source
from bot.services import audit, forums, subscriptions
from bot.services.inbox import Inbox
from bot.storage.db import Database
from bot.storage.models import Base, InboundEvent
from bot.timing import utcnow
from fakes.slack.signing import message_event
from tests.slack.conftest import CHANNEL, TEAM, Served
from tests.slack.test_contributing import theme_ts

MARKER = "Hemlig-MARKÖR-4711 vi provade gåmöten på fredagar"
TENANT = "tenant-1"
TEAMS_PERSON = "aad-0f6c-4711"


def traces(db: Database, needle: str) -> list[str]:
    """``table.column`` of every text or JSON value in the database that contains *needle*."""
    pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(needle)}(?![A-Za-z0-9])")
    found = []
    with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            for row in connection.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    shown = (
                        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    )
                    if value is not None and pattern.search(shown):
                        found.append(f"{table.name}.{column.name}")
    return found


def _mark_failed(db: Database, event_id: str) -> None:
    with db.transaction() as session:
        session.execute(
            update(InboundEvent)
            .where(InboundEvent.event_id == event_id)
            .values(status="failed", attempts=5, error="RuntimeError: gave up")
        )


def test_forget_me_erases_text_and_id_from_every_table(served: Served) -> None:
    ts = theme_ts(served)
    stored = message_event(f"{MARKER} (1)", user="U1", channel=CHANNEL, thread_ts=ts)
    assert served.send_event(stored, event_id="EvSTORED01").status_code == 200
    other = message_event("Alex exempel om veckobrev", user="U2", channel=CHANNEL, thread_ts=ts)
    assert served.send_event(other, event_id="EvOTHER001").status_code == 200
    served.idle()
    # Stored in the order the inbox worker took them: either is right.
    assert sorted(c.author_id for c in served.contributions()) == ["U1", "U2"]

    served.adapter.worker.stop()  # what arrives now waits in the inbox
    pending = message_event(f"{MARKER} (2)", user="U1", channel=CHANNEL, thread_ts=ts)
    assert served.send_event(pending, event_id="EvPENDING1").status_code == 200
    failed = message_event(f"{MARKER} (3)", user="U1", channel=CHANNEL, thread_ts=ts)
    assert served.send_event(failed, event_id="EvFAILED01").status_code == 200
    _mark_failed(served.core.db, "EvFAILED01")
    # Someone else quotes the person: the quote and the mention go, the row stays.
    quote = message_event(
        f"Som <@U1> skrev: {MARKER} (1)", user="U2", channel=CHANNEL, thread_ts=ts
    )
    quote["blocks"] = [
        {
            "type": "rich_text",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "Som "},
                        {"type": "user", "user_id": "U1"},
                        {"type": "text", "text": f" skrev: {MARKER} (1)"},
                    ],
                }
            ],
        }
    ]
    assert served.send_event(quote, event_id="EvQUOTE001").status_code == 200

    db = served.core.db
    with db.transaction() as session:
        subscriptions.subscribe(session, served.forum().id, "U1")
        audit.record(
            session, actor="test", action="note", target="-", after={"said": f"{MARKER} (1)"}
        )
    assert traces(db, MARKER) and traces(db, "U1")

    dialogue = served.core.dialogue
    actor = Actor(Platform.SLACK, TEAM, "U1", "Kim Lind")
    reply = dialogue.forget_me(actor, "sv", confirmed=True)
    assert reply.private

    assert traces(db, MARKER) == []
    assert traces(db, "U1") == []
    with db.transaction() as session:
        kept = session.scalars(select(InboundEvent.event_id).order_by(InboundEvent.id)).all()
    assert "EvOTHER001" in kept and "EvQUOTE001" in kept
    assert [c.author_id for c in served.contributions()] == ["U2"]

    served.adapter.worker.start()  # the person's waiting reply must not come back
    served.idle()
    assert [(c.author_id, c.text) for c in served.contributions()] == [
        ("U2", "Alex exempel om veckobrev"),
        ("U2", "Som <@[erased]> skrev: [erased]"),
    ]
    assert traces(db, MARKER) == []


def test_forget_me_erases_a_teams_persons_inbox_rows(served: Served) -> None:
    db = served.core.db
    with db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session,
            Platform.TEAMS,
            TENANT,
            "19:forum@thread.tacv2",
            language="sv",
            timezone="Europe/Stockholm",
        )
    teams_inbox = Inbox(db)
    payload: dict[str, Any] = {
        "type": "message",
        "conversation": "19:forum@thread.tacv2;messageid=1",
        "from": TEAMS_PERSON,
    }
    claim = teams_inbox.record_and_claim(Platform.TEAMS, TENANT, "message:1", "message", payload)
    assert claim is not None
    dialogue = served.core.dialogue
    actor = Actor(Platform.TEAMS, TENANT, TEAMS_PERSON, "Robin Ek")
    dialogue.share(actor, forum, MARKER, Source.THREAD_REPLY, message_id="1", created_at=utcnow())
    assert traces(db, TEAMS_PERSON) and traces(db, MARKER)

    dialogue.forget_me(actor, "en", confirmed=True)

    assert traces(db, TEAMS_PERSON) == []
    assert traces(db, MARKER) == []
