"""Posting themes and digests exactly once per forum and period / digest moment.

What the scheduler does at a moment and what ``ledarforum post-theme|digest --at`` does are the
same calls, so cron and the in-process scheduler never disagree. See :mod:`bot.services.claims`
for the exactly-once rule.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import ForumInfo, Language, Platform, ThemeContent
from bot.messages import Message
from bot.metrics import Metrics
from bot.ports import Poster, PostRef
from bot.posts import digest_marker, digest_post, theme_marker, theme_post
from bot.services import claims, cohorts, comeback, cycles, preferences, subscriptions
from bot.services import digest as digests
from bot.services.direct_sends import DirectSends, Job
from bot.services.forums import moments
from bot.storage.db import Database
from bot.storage.models import DigestRun, ThemePost
from bot.timing import Period, digest_moment_at_or_before, period_at, theme_moment, utcnow

log = logging.getLogger(__name__)

CATCH_UP_DIGEST = timedelta(days=2)


@dataclass(frozen=True)
class Result:
    """What a publishing call did, for the CLI, the scheduler and the logs.

    ``status`` is one of: ``posted``, ``found`` (a resumed claim found the post already out),
    ``already`` (posted before), ``busy`` (another worker holds the claim), ``no_theme``,
    ``empty`` (no contributions and no note configured), ``too_late``, ``no_adapter``, ``failed``,
    ``not_in_rhythm`` (an alumni cohort's quiet month, :mod:`bot.services.cohorts`: done, nothing
    to post, no claim taken).
    """

    forum_id: int
    kind: str
    status: str
    key: str
    message_id: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """False only for failures."""
        return self.status not in {"failed", "no_adapter"}


def _reachable(url: str, platform: Platform) -> bool:
    """Whether readers on *platform* can open a link to *url*: the default ``localhost`` address
    reaches only the machine itself, which is where the console forum is read."""
    host = (urlsplit(url).hostname or "").lower()
    loopback = host in {"localhost", "127.0.0.1", "::1"} or host.endswith(".localhost")
    return platform is Platform.CONSOLE or not loopback


reachable = _reachable  # also asked by bot.services.cohorts (the reunion's link to the review)


def period_of_post(session: Session, forum_id: int, message_id: str) -> Period | None:
    """The period of the forum's theme post *message_id* (a thread reply finds its theme)."""
    key = session.scalar(
        select(ThemePost.period).where(
            ThemePost.forum_id == forum_id, ThemePost.message_id == message_id
        )
    )
    return Period.parse(key) if key else None


class Publisher:
    """Posts theme and digest messages through the platform posters."""

    def __init__(
        self,
        db: Database,
        posters: Mapping[Platform, Poster],
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics | None = None,
        *,
        public_url: str | None = None,
    ) -> None:
        self.db = db
        self.posters = posters
        self.clock = clock
        self.metrics = metrics or Metrics()
        self.public_url = public_url  # the web pages' base URL (theme posts link to the library)
        self.dms = DirectSends(db, clock)  # digest DMs, many at once

    def post_theme(self, forum: ForumInfo, at: datetime) -> Result:
        """Post the theme of the latest posting moment at or before *at*, if not yet posted."""
        return self._count(self._post_theme(forum, at))

    def post_digest(
        self, forum: ForumInfo, at: datetime, *, max_late: timedelta | None = None
    ) -> Result:
        """Post the digest of the latest digest moment at or before *at*, if not yet posted.

        With *max_late*, a moment further back than that is skipped (catch-up without floods:
        only the latest moment is ever considered, so weeks of downtime give one digest at most).
        """
        return self._count(self._post_digest(forum, at, max_late))

    def _count(self, result: Result) -> Result:
        self.metrics.posts_sent.labels(result.kind, result.status).inc()
        return result

    def _post_theme(self, forum: ForumInfo, at: datetime) -> Result:
        with self.db.transaction() as session:
            current = cycles.current(session, forum, at)
        key = current.period.key
        if not cohorts.rhythm_allows(forum, current.period):
            return Result(forum.id, "theme", "not_in_rhythm", key)
        if current.theme is None:
            return Result(forum.id, "theme", "no_theme", key)
        poster = self.posters.get(forum.platform)
        if poster is None:
            return Result(forum.id, "theme", "no_adapter", key, error=forum.platform.value)
        with self.db.transaction() as session:
            claim = claims.take(
                session, ThemePost, {"forum_id": forum.id, "period": key}, now=self.clock()
            )
        if claim.outcome is not claims.Outcome.ACQUIRED:
            status = "already" if claim.outcome is claims.Outcome.FINISHED else "busy"
            return Result(forum.id, "theme", status, key)
        since = theme_moment(current.period, moments(forum)) - timedelta(days=1)
        ref, status = None, "posted"
        try:
            # Built once the claim is ours: last year's count is the one at posting time.
            message = self.theme_message(forum, current.period, current.theme)
            if claim.resumed:
                ref = poster.find_post(forum, theme_marker(forum.id, current.period), since)
                status = "found" if ref else status
            ref = ref or poster.post(forum, message)
        except Exception as exc:
            self._fail(ThemePost, claim, forum, "theme", key, exc)
            return Result(forum.id, "theme", "failed", key, error=type(exc).__name__)
        with self.db.transaction() as session:
            kept = claims.settle(
                session,
                ThemePost,
                claim,
                status="posted",
                message_id=ref.message_id,
                permalink=ref.permalink,
                posted_at=self.clock(),
            )
        if not kept:
            log.warning("theme claim of forum %s, %s was taken over while posting", forum.id, key)
        log.info("theme posted", extra={"forum_id": forum.id, "period": key, "status": status})
        return Result(forum.id, "theme", status, key, ref.message_id)

    def theme_message(self, forum: ForumInfo, period: Period, theme: ThemeContent) -> Message:
        """The theme post, with a line on last year's examples of the theme when there were any."""
        with self.db.transaction() as session:
            before = comeback.summary(session, forum, period, theme)
        url = None
        if before is not None and self.public_url and _reachable(self.public_url, forum.platform):
            url = before.library_url(self.public_url, forum.id)
        return theme_post(
            forum, period, theme, last_year=before.count if before else 0, last_year_url=url
        )

    def _post_digest(self, forum: ForumInfo, at: datetime, max_late: timedelta | None) -> Result:
        moment = digest_moment_at_or_before(at, moments(forum))
        key = moment.isoformat()
        if max_late is not None and self.clock() - moment > max_late:
            return Result(forum.id, "digest", "too_late", key)
        if not cohorts.rhythm_allows(forum, period_at(moment, moments(forum))):
            # No claim row: the next posting month's digest covers this one's examples.
            return Result(forum.id, "digest", "not_in_rhythm", key)
        poster = self.posters.get(forum.platform)
        if poster is None:
            return Result(forum.id, "digest", "no_adapter", key, error=forum.platform.value)
        with self.db.transaction() as session:
            claim = claims.take(
                session, DigestRun, {"forum_id": forum.id, "moment": moment}, now=self.clock()
            )
        if claim.outcome is not claims.Outcome.ACQUIRED:
            status = "already" if claim.outcome is claims.Outcome.FINISHED else "busy"
            # An empty week stays "nothing to post", however often it is asked for.
            status = "empty" if claim.finished_as == "empty" else status
            return Result(forum.id, "digest", status, key)
        with self.metrics.digest_build_seconds.time(), self.db.transaction() as session:
            start, end = digests.window(session, forum.id, moment, moments(forum))
            digest = digests.load(session, forum.id, start, end)
            run = session.get(DigestRun, claim.row_id)
            assert run is not None
            parts_posted, root, dms_sent = run.parts_posted, run.message_id, run.dms_sent
            readers = [
                (
                    user,
                    preferences.language_of(session, forum.platform.value, forum.workspace_id, user)
                    or forum.language,
                )
                for user in subscriptions.subscribers(session, forum.id)
            ]
        if digest.is_empty and not forum.empty_digest_note:
            with self.db.transaction() as session:
                claims.settle(session, DigestRun, claim, status="empty", posted_at=self.clock())
            return Result(forum.id, "digest", "empty", key)
        try:
            parts = poster.split(digest_post(forum, digest, forum.language))
            if claim.resumed and parts_posted == 0:
                found = poster.find_post(
                    forum, digest_marker(forum.id, key), moment - timedelta(days=1)
                )
                if found is not None:
                    parts_posted, root = 1, found.message_id
            for index in range(parts_posted, len(parts)):
                ref: PostRef = poster.post(forum, parts[index], thread_id=root if index else None)
                root = root if index else ref.message_id
                self._progress(claim, parts_posted=index + 1, message_id=root)
            self._progress(claim, status="sent", contribution_count=digest.total)
            held = self._send_to_readers(forum, moment, claim, poster, digest, readers, dms_sent)
        except Exception as exc:
            self._fail(DigestRun, claim, forum, "digest", key, exc)
            return Result(forum.id, "digest", "failed", key, error=type(exc).__name__)
        if held:
            # The run stays "sent": it is finished when its lease runs out and a later run
            # finds the held deliveries done or takes them over.
            return Result(forum.id, "digest", "busy", key, root)
        with self.db.transaction() as session:
            claims.settle(session, DigestRun, claim, status="done", posted_at=self.clock())
        log.info("digest posted", extra={"forum_id": forum.id, "moment": key})
        return Result(forum.id, "digest", "posted", key, root)

    def _send_to_readers(
        self,
        forum: ForumInfo,
        moment: datetime,
        claim: claims.Claim,
        poster: Poster,
        digest: digests.Digest,
        readers: list[tuple[str, Language]],
        sent: int,
    ) -> bool:
        """DM the digest to every reader without a finished delivery of *moment*, concurrently.

        Each reader is claimed like the channel post, so no run sends twice to anyone
        (:mod:`bot.services.direct_sends`). A person the platform cannot reach for good is
        recorded and skipped; any other failure leaves that person to a later run, the others
        are sent, and then it is raised. True when another worker holds some reader's delivery.
        """

        def render(lang: Language) -> list[Message]:
            return poster.split(digest_post(forum, digest, lang))

        job = Job(forum, moment, poster, readers, render)
        tally = self.dms.send(job, lambda count: self._progress(claim, dms_sent=count), sent)
        return tally.held > 0

    def _progress(self, claim: claims.Claim, **values: object) -> None:
        # Each step renews the lease, so a long digest is not taken over while it progresses.
        with self.db.transaction() as session:
            claims.settle(session, DigestRun, claim, claimed_at=self.clock(), **values)

    def _fail(
        self,
        model: claims.ClaimModel,
        claim: claims.Claim,
        forum: ForumInfo,
        kind: str,
        key: str,
        exc: Exception,
    ) -> None:
        log.error(
            "%s of forum %s for %s failed: %s",
            kind,
            forum.id,
            key,
            type(exc).__name__,
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
        with self.db.transaction() as session:
            claims.settle(session, model, claim, status="failed")
