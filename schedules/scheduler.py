"""The in-process scheduler: each forum's theme posts, digests and nudges, on time and once.

How it works
------------
- **A plan in memory, rebuilt from the database.** For every active forum the service keeps one
  planned run per kind (theme, digest, reminder, preview, logbook prompt…; see
  :mod:`schedules.jobs`), each at the
  next moment computed with :mod:`bot.timing` on the forum's local calendar (so 09:00 stays 09:00
  across daylight saving). After a run, its kind is re-armed at the following moment.
  :meth:`SchedulerService.refresh` re-reads the forums and their cycles (every minute when
  started): a new forum gets its runs and a catch-up; a changed forum is re-planned; a removed
  one is dropped; an edited cycle pulls the forum's theme run forward to now (a theme just added
  to the current month is posted). No restart needed.
- **APScheduler only keeps time.** When started, each planned run is mirrored as a one-off
  ``DateTrigger`` job (explicit id, ``replace_existing=True``) in a ``BackgroundScheduler`` with
  an in-memory job store of its own (a job store must never be shared by two schedulers), and a
  thread pool runs the jobs, so many forums due at once post concurrently; each platform's
  poster enforces its own rate limits.
- **Exactly once is the database's business.** Every run calls a service that claims a unique
  row first (:mod:`bot.services.claims`), so any number of processes, a cron job beside the bot,
  or a run repeated after a restart post at most once.
- **Catch-up without floods.** At start (and for a forum seen for the first time) every kind
  runs once *now*: the current period's theme if not yet posted, the latest digest only if it is
  at most ``CATCH_UP_DIGEST`` late, and the nudges whose moment has passed. A run that
  APScheduler misses by more than its grace time becomes such a catch-up run too.
- **Failures are retried, never blocking.** A failed run is retried after 1, 2, 4… minutes
  (capped); a run that found another worker's live claim (``busy``) looks again after the claim's
  lease, so a crashed worker's post is made by someone. Each forum's runs are separate jobs.

:meth:`SchedulerService.run_due` does what the running scheduler does by a moment, without
threads of APScheduler's own: tests drive it with a fake clock.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor as Pool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_MISSED  # type: ignore[import-untyped]
from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.jobstores.base import JobLookupError  # type: ignore[import-untyped]
from apscheduler.jobstores.memory import MemoryJobStore  # type: ignore[import-untyped]
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy import select

from bot.core import Core
from bot.domain import ForumInfo
from bot.services import claims, cycles, forums, meetings, retention
from bot.services.inbox import payloads as inbox_payloads
from bot.services.publishing import Result
from bot.storage.models import Cycle
from bot.timing import utcnow
from schedules import jobs

log = logging.getLogger(__name__)

CATCH_UP = "catch_up"
REFRESH_JOB = "refresh"
HOUSEKEEPING_JOB = "housekeeping"
HOUSEKEEPING_DELAY = timedelta(minutes=5)  # after start-up work, not during it
# Threads are cheap and a post may wait out a workspace's Retry-After: enough of them that one
# throttled workspace cannot hold up the others.
WORKERS = 32
REFRESH_EVERY = timedelta(seconds=60)
# APScheduler's default grace of 1 s would skip a job after any stall; beyond this one the run
# still happens, as a catch-up run where the services apply their own lateness limits.
MISFIRE_GRACE = timedelta(minutes=5)
RETRY_FIRST = timedelta(minutes=1)
RETRY_CAP = timedelta(minutes=30)
RETRY_ATTEMPTS = 8
# Past the lease a stale claim can be taken over; the margin absorbs clock skew between hosts.
BUSY_RETRY = claims.LEASE + timedelta(seconds=30)
RETRIED = {"failed", "busy"}


@dataclass(frozen=True)
class Planned:
    """One planned run: a kind (or a catch-up of every kind) for a forum at a moment."""

    kind: str
    forum_id: int
    due: datetime
    attempt: int = 0  # above 0: a retry after a failed or busy run

    @property
    def id(self) -> str:
        """The job id: one regular run and one retry per kind and forum."""
        prefix = f"retry-{self.kind}" if self.attempt else self.kind
        return f"{prefix}:{self.forum_id}"


@dataclass(frozen=True)
class _Seen:
    forum: ForumInfo
    cycle_stamp: datetime | None


class SchedulerService:
    """Runs every forum's scheduled work; see the module docstring for how.

    ``start()`` returns at once (APScheduler runs in background threads); ``stop()`` shuts it
    down, by default waiting for runs in progress. ``run_due(now)`` is the same work driven by
    hand, for tests and one-shot use.
    """

    def __init__(
        self,
        core: Core,
        clock: Callable[[], datetime] = utcnow,
        *,
        workers: int = WORKERS,
        refresh_every: timedelta = REFRESH_EVERY,
    ) -> None:
        self.core = core
        self.clock = clock
        self.workers = workers
        self.refresh_every = refresh_every
        self._lock = threading.RLock()
        self._plan: dict[str, Planned] = {}
        self._seen: dict[int, _Seen] = {}
        self._scheduler: Any = None

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start APScheduler in the background; the first refresh (and catch-up) runs at once."""
        with self._lock:
            if self._scheduler is not None:
                raise RuntimeError("the scheduler is already running")
            scheduler = BackgroundScheduler(
                jobstores={"default": MemoryJobStore()},
                executors={"default": ThreadPoolExecutor(self.workers)},
                job_defaults={
                    "coalesce": True,
                    # Claims make a second concurrent run of a job harmless; skipping one is not.
                    "max_instances": 3,
                    "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
                },
                timezone=UTC,
            )
            scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
            self._scheduler = scheduler
            for planned in self._plan.values():
                self._mirror(planned)
            scheduler.add_job(
                self._refresh_job,
                IntervalTrigger(seconds=self.refresh_every.total_seconds(), timezone=UTC),
                id=REFRESH_JOB,
                name="refresh forums",
                replace_existing=True,
                next_run_time=datetime.now(UTC),
            )
            scheduler.add_job(
                self.housekeeping,
                IntervalTrigger(hours=24, timezone=UTC),
                id=HOUSEKEEPING_JOB,
                name="retention",
                replace_existing=True,
                next_run_time=datetime.now(UTC) + HOUSEKEEPING_DELAY,
            )
            scheduler.start()
        log.info("scheduler started (%d workers)", self.workers)

    def housekeeping(self, now: datetime | None = None) -> int:
        """Apply each forum's retention limit, drop old inbound payloads and DM records; rows."""
        now = self.clock() if now is None else now
        removed = 0
        with self.core.db.transaction() as session:
            for forum in forums.all_forums(session):
                removed += retention.purge_forum(session, forum, now)
            removed += inbox_payloads.purge(session, now)
            removed += retention.purge_deliveries(session, now)
        return removed

    def stop(self, wait: bool = True) -> None:
        """Stop scheduling; with *wait*, let runs in progress finish first."""
        with self._lock:
            scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=wait)
            log.info("scheduler stopped")

    # -- planning ---------------------------------------------------------------------------

    def refresh(self, now: datetime | None = None) -> None:
        """Re-read forums and cycles; plan new forums (with a catch-up), re-plan changed ones."""
        now = self.clock() if now is None else now
        with self.core.db.transaction() as session:
            found = forums.all_forums(session)
            stamps = {key: at for key, at in session.execute(select(Cycle.key, Cycle.updated_at))}
        with self._lock:
            for gone in set(self._seen) - {forum.id for forum in found}:
                del self._seen[gone]
                for planned in [p for p in self._plan.values() if p.forum_id == gone]:
                    self._drop(planned.id)
            for forum in found:
                # A year's own cycle (forum:{id}@{year}) counts too: it changes that year's posts.
                stamp = cycles.cycle_stamp(stamps, forum.id, range(now.year - 1, now.year + 2))
                before = self._seen.get(forum.id)
                self._seen[forum.id] = _Seen(forum, stamp)
                if before is None or before.forum != forum:
                    for kind in jobs.KINDS:
                        current = self._plan.get(Planned(kind, forum.id, now).id)
                        # A run already due stays: re-planning from now would skip it.
                        if current is None or current.due > now:
                            self._arm(kind, forum, now)
                else:
                    # Meetings are added and removed without changing the forum: re-read them.
                    current = self._plan.get(Planned(jobs.MEETING, forum.id, now).id)
                    if current is None or current.due > now:
                        self._arm(jobs.MEETING, forum, now)
                if before is None:
                    self._put(Planned(CATCH_UP, forum.id, now))
                elif before.cycle_stamp != stamp:
                    self._put(Planned(jobs.THEME, forum.id, now))

    def planned(self) -> list[Planned]:
        """The planned runs, earliest first."""
        with self._lock:
            return sorted(self._plan.values(), key=lambda p: (p.due, p.id))

    def next_due(self) -> datetime | None:
        """The moment of the earliest planned run."""
        with self._lock:
            return min((p.due for p in self._plan.values()), default=None)

    def _arm(self, kind: str, forum: ForumInfo, after: datetime) -> None:
        if kind == jobs.MEETING:  # planned from the stored meetings, not from the calendar
            with self.core.db.transaction() as session:
                due = meetings.next_due(session, forum, after)
        else:
            due = jobs.next_due(kind, forum, after)
        if due is None:
            self._drop(Planned(kind, forum.id, after).id)
        else:
            self._put(Planned(kind, forum.id, due))

    def _put(self, planned: Planned) -> None:
        with self._lock:
            if self._plan.get(planned.id) == planned:
                return
            self._plan[planned.id] = planned
            self._mirror(planned)

    def _mirror(self, planned: Planned) -> None:
        if self._scheduler is not None:
            self._scheduler.add_job(
                self._on_time,
                DateTrigger(run_date=planned.due, timezone=UTC),
                args=[planned.id, planned.due],
                id=planned.id,
                name=planned.id,
                replace_existing=True,
            )

    def _drop(self, job_id: str) -> None:
        with self._lock:
            self._plan.pop(job_id, None)
            if self._scheduler is not None:
                # A one-off job removes itself once it has run.
                with contextlib.suppress(JobLookupError):
                    self._scheduler.remove_job(job_id)

    # -- running ----------------------------------------------------------------------------

    def run_due(self, now: datetime | None = None) -> list[Result]:
        """Refresh, then run every planned run due at or before *now*, concurrently.

        This is what the running scheduler does by *now*; runs missed in between are coalesced
        into one catch-up run each, as APScheduler would.
        """
        now = self.clock() if now is None else now
        self.refresh(now)
        results: list[Result] = []
        while True:
            due = self._interleaved([p for p in self.planned() if p.due <= now])
            if not due:
                return results
            with Pool(max_workers=self.workers, thread_name_prefix="ledarforum-run") as pool:
                for batch in pool.map(lambda p: self._fire(p.id, p.due, now), due):
                    results.extend(batch)

    def _interleaved(self, due: list[Planned]) -> list[Planned]:
        """Due runs taken a workspace at a time in turn, so a throttled one does not go first."""
        queues: dict[str, list[Planned]] = {}
        with self._lock:
            for planned in due:
                seen = self._seen.get(planned.forum_id)
                workspace = seen.forum.workspace_id if seen else ""
                queues.setdefault(workspace, []).append(planned)
        order: list[Planned] = []
        while any(queues.values()):
            for queue in queues.values():
                if queue:
                    order.append(queue.pop(0))
        return order

    def _fire(self, job_id: str, due: datetime, now: datetime) -> list[Result]:
        with self._lock:
            planned = self._plan.get(job_id)
            if planned is None or planned.due != due:
                return []  # re-planned since this run was armed
            self._drop(job_id)
            seen = self._seen.get(planned.forum_id)
        if seen is None:
            return []
        at = max(now, due)
        kinds = jobs.kinds_for(seen.forum) if planned.kind == CATCH_UP else (planned.kind,)
        results = [self._run(kind, seen.forum, at, planned.attempt) for kind in kinds]
        if planned.kind in jobs.KINDS and not planned.attempt:
            self._arm(planned.kind, seen.forum, at)
        return results

    def _run(self, kind: str, forum: ForumInfo, at: datetime, attempt: int) -> Result:
        try:
            result = jobs.JOBS[kind](self.core.publisher, forum, at)
        except Exception as exc:  # e.g. the database is away: retry later, keep the others going
            log.exception("%s run of forum %s failed", kind, forum.id)
            result = Result(forum.id, kind, "failed", "", error=type(exc).__name__)
        if result.status in RETRIED:
            self._retry(kind, forum.id, attempt + 1, at, busy=result.status == "busy")
        elif result.status in {"posted", "found"}:
            log.info("%s %s of forum %s: %s", kind, result.key, forum.id, result.status)
        return result

    def _retry(self, kind: str, forum_id: int, attempt: int, now: datetime, *, busy: bool) -> None:
        if attempt > RETRY_ATTEMPTS:
            log.error("%s of forum %s: giving up after %d attempts", kind, forum_id, attempt)
            return
        delay = BUSY_RETRY if busy else min(RETRY_FIRST * 2 ** (attempt - 1), RETRY_CAP)
        log.warning("%s of forum %s: retry %d in %s", kind, forum_id, attempt, delay)
        self._put(Planned(kind, forum_id, now + delay, attempt))

    # -- APScheduler callbacks ----------------------------------------------------------------

    def _on_time(self, job_id: str, due: datetime) -> None:
        self._fire(job_id, due, self.clock())

    def _refresh_job(self) -> None:
        try:
            self.refresh()
        except Exception:  # the database may be briefly away: the next refresh tries again
            log.exception("scheduler refresh failed")

    def _on_missed(self, event: Any) -> None:
        with self._lock:
            planned = self._plan.get(event.job_id)
            if planned is None or self._scheduler is None:
                return
            # Run it now: the services decide what is still worth posting (see CATCH_UP_DIGEST).
            self._scheduler.add_job(
                self._on_time,
                args=[planned.id, planned.due],
                id=planned.id,
                name=planned.id,
                replace_existing=True,
            )
