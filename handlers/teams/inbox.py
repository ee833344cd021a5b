"""Teams activities recorded in ``inbound_events`` before any work is done on them.

Teams delivers an activity again when the bot answered with an error or too slowly. Each activity
is recorded once (unique on platform, tenant and event id) and claimed with a compare-and-set on
its status: a delivery of an activity that is done, or that another request is working on right
now, does nothing; one whose earlier attempt failed is worked on again. The contribution's own
unique key (forum, source message) protects the data even if two attempts overlap.

Only an envelope is kept (kind, conversation, sender), never the message text: the table is not
covered by "forget me", so it must hold nothing a person wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update

from bot.domain import Platform
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

    def __init__(self, db: Database, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock
        self.platform = Platform.TEAMS.value

    def begin(
        self, workspace_id: str, event_id: str, kind: str, payload: dict[str, Any]
    ) -> Claim | None:
        """Record the activity and claim it; None when it is done or being worked on."""
        now = self.clock()
        event_id = event_id[:255]
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
                },
                ["platform", "workspace_id", "event_id"],
            ):
                return Claim(workspace_id, event_id, 1)
            taken = session.execute(
                update(InboundEvent)
                .where(
                    InboundEvent.platform == self.platform,
                    InboundEvent.workspace_id == workspace_id,
                    InboundEvent.event_id == event_id,
                    or_(
                        InboundEvent.status.in_(("pending", "failed")),
                        (InboundEvent.status == "processing")
                        & (InboundEvent.processed_at < now - LEASE),
                    ),
                )
                .values(status="processing", processed_at=now, attempts=InboundEvent.attempts + 1)
                .returning(InboundEvent.attempts)
            ).first()
        return Claim(workspace_id, event_id, int(taken[0])) if taken else None

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
        with self.db.transaction() as session:
            session.execute(
                update(InboundEvent)
                .where(
                    InboundEvent.platform == self.platform,
                    InboundEvent.workspace_id == claim.workspace_id,
                    InboundEvent.event_id == claim.event_id,
                    InboundEvent.attempts == claim.attempt,
                )
                .values(processed_at=self.clock(), **values)
            )
