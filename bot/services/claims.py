"""Exactly-once claims: a row with a unique key, taken in a transaction before any platform call.

The rule, for theme posts (one per forum and period), digests (one per forum and moment) and
each digest DM (one per forum, moment and subscriber):

1. A worker inserts the claim row (``status=claimed``) with a fresh token. The unique key lets
   exactly one of any number of racing workers — threads, processes, a cron job beside the bot —
   succeed; the others see the existing row.
2. A row that is ``posted`` (or ``empty``, or ``done``) is finished: nobody posts again.
3. A ``claimed`` row (or a digest ``sent`` while its DMs go out) younger than the lease belongs
   to a live worker: others back off.
4. A ``claimed`` row older than the lease, or a ``failed`` one, is taken over with a
   compare-and-set on the old token. Because the earlier worker may have crashed *after* the
   platform accepted the post but *before* we recorded it, the new owner is told the claim was
   ``resumed`` and must first ask the platform whether the post went out (by the marker the post
   carries) and only post if it did not. A digest DM has no marker to look for: a resumed DM
   claim sends again, so only a crash during that one send can repeat it.

The lease is longer than any single post takes, including the sender's retries.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.services.sql import insert_ignore
from bot.storage.models import (
    ClaimColumns,
    DigestDelivery,
    DigestRun,
    LogbookPrompt,
    Notice,
    ThemePost,
)
from bot.timing import utcnow

LEASE = timedelta(minutes=5)
FINISHED = {"posted", "empty", "done"}
# A worker still at it: "sent" is a digest whose parts are out while its DMs are being sent.
IN_PROGRESS = {"claimed", "sent"}


class Outcome(enum.StrEnum):
    """What a claim attempt found."""

    ACQUIRED = "acquired"
    FINISHED = "finished"
    BUSY = "busy"


@dataclass(frozen=True)
class Claim:
    """A held claim: the row, the token that proves ownership, and whether it was taken over."""

    outcome: Outcome
    row_id: int = 0
    token: str = ""
    resumed: bool = False
    finished_as: str = ""  # a finished row's status: "empty" is not "posted"


ClaimModel = (
    type[ThemePost] | type[DigestRun] | type[DigestDelivery] | type[Notice] | type[LogbookPrompt]
)


def take(
    session: Session,
    model: ClaimModel,
    keys: dict[str, Any],
    *,
    now: datetime | None = None,
    lease: timedelta = LEASE,
) -> Claim:
    """Try to claim the job identified by *keys* (see the module's rule)."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    if insert_ignore(
        session,
        model,
        {**keys, "status": "claimed", "claim_token": token, "claimed_at": now, "attempts": 1},
        list(keys),
    ):
        row_id = session.scalars(select(model.id).filter_by(**keys)).one()
        return Claim(Outcome.ACQUIRED, row_id, token)
    row = cast(ClaimColumns, session.scalars(select(model).filter_by(**keys)).one())
    if row.status in FINISHED:
        return Claim(Outcome.FINISHED, row.id, finished_as=row.status)
    if row.status in IN_PROGRESS and row.claimed_at > now - lease:
        return Claim(Outcome.BUSY, row.id)
    result = session.execute(
        update(model)
        .where(model.id == row.id, model.claim_token == row.claim_token)
        .values(claim_token=token, claimed_at=now, attempts=row.attempts + 1, status="claimed")
    )
    if getattr(result, "rowcount", 0) != 1:
        return Claim(Outcome.BUSY, row.id)
    return Claim(Outcome.ACQUIRED, row.id, token, resumed=True)


def settle(session: Session, model: ClaimModel, claim: Claim, **values: Any) -> bool:
    """Update the claimed row if we still own it (the token matches); True when we did."""
    result = session.execute(
        update(model)
        .where(model.id == claim.row_id, model.claim_token == claim.token)
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0) == 1)
