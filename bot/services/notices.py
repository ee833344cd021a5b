"""The once-only side posts of a forum (reminders, previews, meetings, reunions, the year in
review): one claim per (forum, kind, key) in ``notices``, by the rule in :mod:`claims`.

Each caller builds and posts its own message; these are the steps they share, so every kind
answers ``already``/``busy``/``failed`` the same way.
"""

from __future__ import annotations

import logging

from bot.domain import ForumInfo

# The module, not its names: publishing asks cohorts, which posts reunions through here.
from bot.services import claims, publishing
from bot.storage.models import Notice

log = logging.getLogger(__name__)


def take(publisher: publishing.Publisher, forum: ForumInfo, kind: str, key: str) -> claims.Claim:
    """Claim the *kind* notice *key* of *forum* (see :func:`claims.take`)."""
    with publisher.db.transaction() as session:
        return claims.take(
            session, Notice, {"forum_id": forum.id, "kind": kind, "key": key}, now=publisher.clock()
        )


def not_acquired(forum: ForumInfo, kind: str, key: str, claim: claims.Claim) -> publishing.Result:
    """The answer when another run holds the claim or finished it."""
    status = "already" if claim.outcome is claims.Outcome.FINISHED else "busy"
    return publishing.Result(forum.id, kind, status, key)


def failed(
    publisher: publishing.Publisher,
    forum: ForumInfo,
    kind: str,
    key: str,
    claim: claims.Claim,
    exc: Exception,
) -> publishing.Result:
    """Free the claim for a later run, and say why (the exception's type: never its text)."""
    log.error("%s of forum %s for %s failed: %s", kind, forum.id, key, type(exc).__name__)
    with publisher.db.transaction() as session:
        claims.settle(session, Notice, claim, status="failed")
    return publishing.Result(forum.id, kind, "failed", key, error=type(exc).__name__)


def done(publisher: publishing.Publisher, claim: claims.Claim, status: str = "done") -> None:
    """Mark the notice sent (or finished as *status*), so no run sends it again."""
    with publisher.db.transaction() as session:
        claims.settle(session, Notice, claim, status=status, done_at=publisher.clock())
