"""The core inbox as a unit (:mod:`bot.services.inbox`), on SQLite and PostgreSQL: statuses,
idempotent records, claims, settling and handing back, and what a stored payload keeps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import ConfigError, settings_from
from bot.domain import Platform
from bot.services.inbox import (
    MAX_ATTEMPTS,
    RETRY_AFTER,
    Busy,
    Inbox,
    Item,
    Presence,
    Status,
    payloads,
)
from bot.storage.db import Database
from bot.storage.models import InboundEvent
from tests.support import FakeClock

SLACK, TEAMS = Platform.SLACK, Platform.TEAMS
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

# A Slack thread reply as the Events API delivers it: processing reads the event's type,
# channel, user, text, ts and thread_ts; the rest must not be stored.
SLACK_REPLY: dict[str, Any] = {
    "token": "verification-token",
    "team_id": "T1",
    "api_app_id": "A1",
    "event_id": "Ev1",
    "event_time": 1732351200,
    "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
    "authed_users": ["UBOT"],
    "event": {
        "type": "message",
        "channel": "C1",
        "channel_type": "channel",
        "user": "U1",
        "text": "Vi har gåmöten.",
        "ts": "1732351200.000200",
        "thread_ts": "1732351200.000100",
        "client_msg_id": "d1f3",
        "team": "T1",
        "blocks": [{"type": "rich_text", "elements": [{"type": "text", "text": "Vi har"}]}],
        "attachments": [{"fallback": "a preview"}],
        "files": [{"id": "F1", "url_private": "https://files.example/F1"}],
    },
}


@pytest.fixture
def inbox(db: Database) -> Iterator[Inbox]:
    """An inbox whose clock the test moves; its presence stopped at the end."""
    clock = FakeClock(START)
    made = Inbox(db, Presence(db, clock=clock), clock=clock)
    yield made
    made.presence.stop()


def _advance(inbox: Inbox, delta: timedelta) -> None:
    clock = inbox.clock
    assert isinstance(clock, FakeClock)
    clock.advance(delta)
    inbox.presence.renew()  # this process lives on


def _row(db: Database) -> tuple[str, int, str | None]:
    with db.transaction() as session:
        row = session.scalars(select(InboundEvent)).one()
        return row.status, row.attempts, row.error


def _command(text: str) -> dict[str, Any]:
    return {"user_id": "U1", "channel_id": "C1", "text": text, "trigger_id": "1.2"}


def test_the_statuses_are_the_stored_words() -> None:
    assert [status.value for status in Status] == ["pending", "processing", "done", "failed"]


def test_a_record_is_stored_once_and_a_retried_delivery_adds_nothing(
    inbox: Inbox, db: Database
) -> None:
    assert inbox.record(SLACK, "T1", "Ev1", "event", SLACK_REPLY)
    assert not inbox.record(SLACK, "T1", "Ev1", "event", SLACK_REPLY)
    assert inbox.record(SLACK, "T2", "Ev1", "event", SLACK_REPLY)  # another workspace's
    assert inbox.record(TEAMS, "T1", "Ev1", "message", {"type": "message"})  # another platform's
    assert inbox.count(Status.PENDING) == 3
    assert inbox.count(Status.PENDING, platform=SLACK) == 2


def test_claim_settle_and_release(inbox: Inbox, db: Database) -> None:
    assert inbox.record(SLACK, "T1", "Ev1", "command", _command("hjälp"))
    [item] = inbox.claim(SLACK, 5)
    assert (item.platform, item.workspace_id, item.event_id, item.kind) == (
        "slack",
        "T1",
        "Ev1",
        "command",
    )
    assert (item.payload["text"], item.attempts) == ("hjälp", 1)
    assert _row(db) == (Status.PROCESSING, 1, None)
    assert inbox.claim(SLACK, 5) == []  # held

    inbox.release([item])  # handed back untouched: not an attempt
    assert _row(db) == (Status.PENDING, 0, None)
    [item] = inbox.claim(SLACK, 5)
    assert item.attempts == 1
    inbox.settle(item)
    assert _row(db) == (Status.DONE, 1, None)
    assert inbox.claim(SLACK, 5) == []


def test_a_failed_attempt_backs_off_and_is_given_up_after_the_last(
    inbox: Inbox, db: Database
) -> None:
    assert inbox.record(SLACK, "T1", "Ev1", "command", _command("hjälp"))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        [item] = inbox.claim(SLACK)
        assert item.attempts == attempt
        inbox.settle(item, "RuntimeError: boom")
        if attempt < MAX_ATTEMPTS:
            assert _row(db) == (Status.PENDING, attempt, "RuntimeError: boom")
            assert inbox.claim(SLACK) == []  # backing off
            _advance(inbox, RETRY_AFTER * attempt + timedelta(seconds=1))
    assert _row(db) == (Status.FAILED, MAX_ATTEMPTS, "RuntimeError: boom")
    _advance(inbox, timedelta(hours=1))
    assert inbox.claim(SLACK) == []


def test_an_error_no_retry_can_mend_is_failed_at_once(inbox: Inbox, db: Database) -> None:
    assert inbox.record(SLACK, "T1", "Ev1", "command", _command("hjälp"))
    [item] = inbox.claim(SLACK)
    inbox.settle(item, "SendFailed: HTTP 403", retry=False)
    assert _row(db) == (Status.FAILED, 1, "SendFailed: HTTP 403")


def test_a_claim_takes_only_its_platforms_rows(inbox: Inbox) -> None:
    assert inbox.record(TEAMS, "tenant", "message:1", "message", {"type": "message"})
    assert inbox.claim(SLACK, 5) == []
    assert [item.kind for item in inbox.claim(TEAMS, 5)] == ["message"]


def test_record_and_claim_within_a_request(inbox: Inbox, db: Database) -> None:
    def deliver() -> Item | None:
        return inbox.record_and_claim(TEAMS, "tenant", "message:1", "message", {"type": "message"})

    first = deliver()
    assert first is not None and first.attempts == 1
    assert _row(db) == (Status.PROCESSING, 1, None)
    with pytest.raises(Busy):  # a live process works on it: to be delivered again later
        deliver()
    inbox.settle(first, "SendFailed")
    again = deliver()  # the redelivery is the retry: no back-off
    assert again is not None and again.attempts == 2
    inbox.settle(again, "SendFailed: HTTP 403", retry=False)
    last = deliver()  # even a row given up on, if the platform delivers it again
    assert last is not None and last.attempts == 3
    inbox.settle(last)
    assert deliver() is None  # done: a redelivery does nothing
    assert _row(db) == (Status.DONE, 3, None)


def test_a_slack_payload_keeps_what_processing_reads_and_nothing_else(
    inbox: Inbox, db: Database
) -> None:
    assert inbox.record(SLACK, "T1", "Ev1", "event", SLACK_REPLY)
    with db.transaction() as session:
        stored = session.scalars(select(InboundEvent.payload)).one()
    assert stored == {
        "event": {
            "type": "message",
            "channel": "C1",
            "channel_type": "channel",
            "user": "U1",
            "text": "Vi har gåmöten.",
            "ts": "1732351200.000200",
            "thread_ts": "1732351200.000100",
        }
    }
    [item] = inbox.claim(SLACK)
    assert item.payload == stored


@pytest.mark.parametrize(
    ("kind", "payload", "kept"),
    [
        (
            "event",
            {
                "event": {
                    "type": "message",
                    "subtype": "message_changed",
                    "channel": "C1",
                    "message": {"ts": "1.2", "text": "ny", "user": "U1", "blocks": [1]},
                    "previous_message": {"ts": "1.2", "text": "gammal"},
                }
            },
            {
                "event": {
                    "type": "message",
                    "subtype": "message_changed",
                    "channel": "C1",
                    "message": {"ts": "1.2", "text": "ny", "user": "U1"},
                }
            },
        ),
        (
            "event",
            {
                "event": {
                    "type": "reaction_added",
                    "user": "U2",
                    "reaction": "star::skin-tone-2",
                    "item": {"type": "message", "channel": "C1", "ts": "1.2"},
                    "item_user": "U1",
                    "event_ts": "3.4",
                }
            },
            {
                "event": {
                    "type": "reaction_added",
                    "user": "U2",
                    "reaction": "star::skin-tone-2",
                    "item": {"type": "message", "channel": "C1", "ts": "1.2"},
                }
            },
        ),
        (
            "command",
            {**_command("dela"), "response_url": "https://hooks", "token": "t", "team_domain": "x"},
            {**_command("dela"), "response_url": "https://hooks"},
        ),
        (
            "action",
            {
                "user": {"id": "U1", "username": "robin", "team_id": "T1"},
                "channel": {"id": "C1", "name": "ledare"},
                "response_url": "https://hooks",
                "actions": [{"action_id": "share.undo", "value": "7", "block_id": "b", "text": {}}],
                "message": {"blocks": [], "text": "Sparat"},
                "token": "t",
            },
            {
                "user": {"id": "U1"},
                "channel": {"id": "C1"},
                "response_url": "https://hooks",
                "actions": [{"action_id": "share.undo", "value": "7"}],
            },
        ),
        (
            "shortcut",
            {
                "user": {"id": "U2"},
                "channel": {"id": "C1"},
                "response_url": "https://hooks",
                "message": {"user": "U1", "text": "Bra", "ts": "1.2", "blocks": [], "files": []},
                "trigger_id": "1.2",
            },
            {
                "user": {"id": "U2"},
                "channel": {"id": "C1"},
                "response_url": "https://hooks",
                "message": {"user": "U1", "text": "Bra", "ts": "1.2"},
            },
        ),
        (
            "submission",
            {
                "user": {"id": "U1", "name": "robin"},
                "view": {
                    "id": "V1",
                    "callback_id": "share.form",
                    "private_metadata": '{"channel": "C1"}',
                    "state": {"values": {"text": {"text": {"value": "Bra"}}}},
                    "blocks": [{"type": "input"}],
                    "hash": "h",
                },
            },
            {
                "user": {"id": "U1"},
                "view": {
                    "id": "V1",
                    "callback_id": "share.form",
                    "private_metadata": '{"channel": "C1"}',
                    "state": {"values": {"text": {"text": {"value": "Bra"}}}},
                },
            },
        ),
        ("unknown", {"text": "anything"}, {}),
    ],
)
def test_each_slack_kind_keeps_only_what_its_processing_reads(
    kind: str, payload: dict[str, Any], kept: dict[str, Any]
) -> None:
    assert payloads.keep(SLACK, kind, payload) == kept


def test_a_teams_row_keeps_its_envelope_never_the_text(inbox: Inbox, db: Database) -> None:
    activity = {
        "type": "message",
        "conversation": "19:c@thread.tacv2;messageid=1",
        "from": "aad-1",
        "text": "Vi har gåmöten.",
        "attachments": [{"content": "Vi har gåmöten."}],
    }
    item = inbox.record_and_claim(TEAMS, "tenant", "message:1", "message", activity)
    assert item is not None
    envelope = {"type": "message", "conversation": "19:c@thread.tacv2;messageid=1", "from": "aad-1"}
    assert item.payload == envelope
    with db.transaction() as session:
        assert session.scalars(select(InboundEvent.payload)).one() == envelope


def test_forget_deletes_the_persons_rows_and_erases_them_from_others(
    inbox: Inbox, db: Database
) -> None:
    assert inbox.record(SLACK, "T1", "Ev1", "command", _command("Robins text"))
    assert inbox.record(
        SLACK, "T1", "Ev2", "command", {**_command("om Robins text"), "user_id": "U2"}
    )
    assert inbox.record(SLACK, "T2", "Ev3", "command", _command("another workspace"))

    def erase(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: erase(item) for key, item in value.items()}
        return value.replace("Robins text", "[erased]") if isinstance(value, str) else value

    with db.transaction() as session:
        assert payloads.forget(session, "slack", "T1", "U1", erase) == 2
    with db.transaction() as session:
        rows = session.execute(select(InboundEvent.event_id, InboundEvent.payload)).all()
    assert sorted((event, payload["text"]) for event, payload in rows) == [
        ("Ev2", "om [erased]"),
        ("Ev3", "another workspace"),
    ]


def test_the_inbox_settings_are_read_and_checked() -> None:
    defaults = settings_from({})
    assert (
        defaults.inbox_lease_seconds,
        defaults.inbox_request_lease_seconds,
        defaults.inbox_batch,
    ) == (300.0, 120.0, 32)
    chosen = settings_from(
        {
            "LEDARFORUM_INBOX_LEASE_SECONDS": "600",
            "LEDARFORUM_INBOX_REQUEST_LEASE_SECONDS": "30",
            "LEDARFORUM_INBOX_BATCH": "16",
        }
    )
    assert (chosen.inbox_lease_seconds, chosen.inbox_request_lease_seconds) == (600.0, 30.0)
    assert chosen.inbox_batch == 16
    with pytest.raises(ConfigError, match="LEDARFORUM_INBOX_BATCH"):
        settings_from({"LEDARFORUM_INBOX_BATCH": "0"})
    with pytest.raises(ConfigError, match="LEDARFORUM_INBOX_LEASE_SECONDS"):
        settings_from({"LEDARFORUM_INBOX_LEASE_SECONDS": "soon"})


def test_a_configured_inbox_takes_its_leases_and_batch_from_the_settings(db: Database) -> None:
    settings = settings_from(
        {"LEDARFORUM_INBOX_LEASE_SECONDS": "600", "LEDARFORUM_INBOX_BATCH": "3"}
    )
    presence = Presence(db)
    inbox = Inbox.configured(db, settings, presence)
    assert (inbox.lease, inbox.batch) == (timedelta(minutes=10), 3)
    for number in range(5):
        assert inbox.record(SLACK, "T1", f"Ev{number}", "command", _command("hjälp"))
    try:
        assert len(inbox.claim(SLACK, inbox.batch)) == 3
    finally:
        presence.stop()
