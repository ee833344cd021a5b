"""Teams activities recorded in ``inbound_events`` before any work is done on them.

Teams delivers an activity again when the bot answered with an error or too slowly. Each activity
is recorded once (unique on platform, tenant and event id) and claimed with a compare-and-set that
names this process (:mod:`bot.services.inbox`): a delivery of an activity that is done, or that a
live process is working on right now, does nothing; one whose earlier attempt failed, or whose
process was killed in the middle (it stopped renewing its presence), is worked on again. The
contribution's own unique key (forum, source message) protects the data even if attempts overlap.

Only an envelope is kept (kind, conversation, sender), never the message text; "forget me"
deletes a person's rows, and retention every row a week after it arrived.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement

from bot.domain import Platform
from bot.services.inbox import Claims, Presence
from bot.services.sql import insert_ignore
from bot.storage.db import Database
from bot.storage.models import InboundEvent
from bot.timing import utcnow

LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class Claim:
    """An activity this request may work on."""

    workspace_id: str
    event_id: str
    attempt: int


class TeamsInbox:
    """The Teams rows of the ``inbound_events`` table."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime] = utcnow,
        presence: Presence | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.db = db
        self.clock = clock
        self.platform = Platform.TEAMS.value
        self.presence = presence or Presence(db, clock=clock)
        self.claims = Claims(self.presence, lease, open_statuses=("pending", "failed"))

    def begin(
        self, workspace_id: str, event_id: str, kind: str, payload: dict[str, Any]
    ) -> Claim | None:
        """Record the activity and claim it; None when it is done or being worked on."""
        now = self.clock()
        event_id = event_id[:255]
        owner = self.claims.owner()
        with self.db.transaction() as session:
            if insert_ignore(
                session,
                InboundEvent,
                {
                    "platform": self.platform,
                    "workspace_id": workspace_id,
                    "event_id": event_id,
                    "kind": kind[:64],
                    "payload": payload,
                    "status": "processing",
                    "attempts": 1,
                    "received_at": now,
                    "processed_at": now,
                    "claimed_by": owner,
                },
                ["platform", "workspace_id", "event_id"],
            ):
                return Claim(workspace_id, event_id, 1)
            attempt = self.claims.take(session, owner, self._row(workspace_id, event_id), now)
        return None if attempt is None else Claim(workspace_id, event_id, attempt)

    def finish(self, claim: Claim) -> None:
        """The work is done: later deliveries of the activity do nothing."""
        self._settle(claim, status="done", error=None)

    def fail(self, claim: Claim, error: str) -> None:
        """The work failed: the next delivery tries again."""
        self._settle(claim, status="pending", error=error[:500])

    def give_up(self, claim: Claim, error: str) -> None:
        """The work failed in a way no redelivery can mend: kept as failed, with the error."""
        self._settle(claim, status="failed", error=error[:500])

    def _settle(self, claim: Claim, **values: Any) -> None:
        held = self._row(claim.workspace_id, claim.event_id) & (
            InboundEvent.attempts == claim.attempt
        )
        with self.db.transaction() as session:
            self.claims.settle(session, held, processed_at=self.clock(), **values)

    def _row(self, workspace_id: str, event_id: str) -> ColumnElement[bool]:
        return (
            (InboundEvent.platform == self.platform)
            & (InboundEvent.workspace_id == workspace_id)
            & (InboundEvent.event_id == event_id)
        )
