"""Digest DMs to many people at once: a bounded thread pool, each workspace within its budget.

Each reader is claimed in ``digest_deliveries`` (:mod:`bot.services.claims`) just before their
DM, exactly as a one-by-one run would, so concurrency changes only how many are in flight:

- **Exactly once.** Any number of runs and processes may work on the same moment; a reader
  whose delivery another run holds or finished is skipped. A crash mid-run leaves the finished
  deliveries ``done`` and the rest unclaimed (or claimed until the lease lapses), so a rerun
  sends only to the rest; only a DM in flight at the crash can be repeated.
- **A gone account** (:class:`~bot.ports.RecipientGone`) is recorded and skipped; it counts
  towards ending the subscription (:func:`bot.services.subscriptions.unreachable`).
- **A transient failure** marks that delivery ``failed`` (a later run takes it over) and does
  not stop the others; the run raises it once every other reader has had their DM.
- **Per workspace**: at most ``per_workspace`` DMs are in flight, so a workspace paused by a 429
  (the poster waits out its ``Retry-After``) holds only its own few threads, never the others';
  and each workspace's DMs keep to its budget, learned in this process from the 429s its own
  DMs meet (:class:`~bot.ratelimit.LearnedBudget`: the DMs that got through before a 429 and
  its ``Retry-After`` give "N per window"), so after the first pause the workspace's DMs go at
  the rate its platform allows instead of running into the limit again and again. One
  workspace's budget never paces another's. :meth:`DirectSends.pace` sets a known budget
  instead (when a platform publishes one).

The poster stays synchronous (:meth:`bot.ports.Poster.send_direct`): the pool's threads call it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import ForumInfo, Language, Platform
from bot.messages import Message
from bot.ports import Poster, RecipientGone
from bot.ratelimit import LearnedBudget, refusals_to
from bot.services import claims, subscriptions
from bot.storage.db import Database
from bot.storage.models import DigestDelivery

log = logging.getLogger(__name__)

# Threads shared by every forum's run; enough that several throttled workspaces (each holding
# at most PER_WORKSPACE of them while they wait out a Retry-After) leave room for the others.
WORKERS = 64
# DMs in flight per workspace: enough to keep a workspace's budget busy despite each DM's round
# trips (open the DM, post, ask the permalink) and the database's claim and settle.
PER_WORKSPACE = 8
# The run's lease is renewed (its DM count written) at most this often, not after every DM.
PROGRESS_EVERY = 1.0

SENT, GONE, HELD, SKIPPED = "sent", "gone", "held", "skipped"


@dataclass
class Tally:
    """What a forum's DM run did."""

    sent: int = 0
    gone: int = 0
    held: int = 0  # another run holds the delivery (it is busy with it)
    skipped: int = 0  # finished before (by an earlier run)
    failed: list[BaseException] = field(default_factory=list)


@dataclass(frozen=True)
class Job:
    """One forum's DMs of a digest moment: who, in which language, and the parts per language."""

    forum: ForumInfo
    moment: datetime
    poster: Poster
    readers: Sequence[tuple[str, Language]]
    render: Callable[[Language], list[Message]]


class DirectSends:
    """Sends a forum's digest DMs concurrently (see the module docstring); thread-safe."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], datetime],
        *,
        workers: int = WORKERS,
        per_workspace: int = PER_WORKSPACE,
    ) -> None:
        self.db = db
        self.clock = clock
        self.per_workspace = per_workspace
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="ledarforum-dm")
        self._lock = threading.Lock()
        self._slots: dict[tuple[Platform, str], threading.Semaphore] = {}
        self._told: dict[Platform, tuple[int, float]] = {}
        self._budgets: dict[tuple[Platform, str], LearnedBudget] = {}

    def pace(self, platform: Platform, limit: int, window: float) -> None:
        """Keep each workspace of *platform* to *limit* DMs in any *window* seconds.

        Without it each workspace's budget is learned from its 429s (see the module docstring).
        """
        with self._lock:
            self._told[platform] = (limit, window)
            self._budgets = {k: b for k, b in self._budgets.items() if k[0] is not platform}

    def budget(self, platform: Platform, workspace_id: str) -> LearnedBudget:
        """The DM budget of a workspace in this process (made on first use)."""
        key = (platform, workspace_id)
        with self._lock:
            budget = self._budgets.get(key)
            if budget is None:
                budget = self._budgets[key] = LearnedBudget(self._told.get(platform))
            return budget

    def close(self) -> None:
        """Let the pool's threads end (DMs in flight finish first)."""
        self._pool.shutdown(wait=True)

    def send(self, job: Job, progress: Callable[[int], None], sent_before: int = 0) -> Tally:
        """DM every reader of *job* without a finished delivery; *progress* gets the running
        count of DMs sent (at most every :data:`PROGRESS_EVERY` s and at the end).

        Raises the first transient failure once the others are sent; a crash (an exception that
        is not an :class:`Exception`) stops feeding at once and is raised as soon as it is seen.
        """
        slot = self._slot(job.forum)
        tally = Tally(sent=sent_before)
        rendered: dict[Language, list[Message]] = {}
        pending: set[Future[str]] = set()
        last = time.monotonic()

        def collect(done: set[Future[str]]) -> None:
            nonlocal last
            for future in done:
                error = future.exception()
                if error is not None and not isinstance(error, Exception):
                    raise error  # the process is going down: no more DMs from this run
                if error is not None:
                    tally.failed.append(error)
                    continue
                outcome = future.result()
                tally.sent += outcome == SENT
                tally.gone += outcome == GONE
                tally.held += outcome == HELD
                tally.skipped += outcome == SKIPPED
            if time.monotonic() - last >= PROGRESS_EVERY:
                progress(tally.sent)
                last = time.monotonic()

        try:
            for user, lang in job.readers:
                if lang not in rendered:
                    rendered[lang] = job.render(lang)  # once per language, as one by one did
                while not slot.acquire(timeout=0.05):
                    done = {f for f in pending if f.done()}
                    pending -= done
                    collect(done)
                future = self._pool.submit(self._one, job, user, rendered[lang])
                future.add_done_callback(lambda _: slot.release())
                pending.add(future)
                done = {f for f in pending if f.done()}
                pending -= done
                collect(done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                collect(done)
        finally:
            # A crash leaves the DMs in flight to finish (their claims settle); nothing new starts.
            wait(pending)
        progress(tally.sent)
        if tally.failed:
            raise tally.failed[0]
        return tally

    def _slot(self, forum: ForumInfo) -> threading.Semaphore:
        key = (forum.platform, forum.workspace_id)
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = threading.Semaphore(self.per_workspace)
            return slot

    def _one(self, job: Job, user: str, parts: list[Message]) -> str:
        """Claim, send and settle one reader's DM (in a pool thread)."""
        forum = job.forum
        with self.db.transaction() as session:
            delivery = claims.take(
                session,
                DigestDelivery,
                {"forum_id": forum.id, "moment": job.moment, "user_id": user},
                now=self.clock(),
            )
        if delivery.outcome is not claims.Outcome.ACQUIRED:
            return HELD if delivery.outcome is claims.Outcome.BUSY else SKIPPED
        budget = self.budget(forum.platform, forum.workspace_id)
        try:
            for part in parts:
                ticket, made = budget.acquire(), False
                try:
                    with refusals_to(budget.refused):  # the poster's 429s teach the budget
                        job.poster.send_direct(forum, user, part)
                    made = True
                finally:
                    # Counted even when it failed: the platform may have counted it too.
                    budget.release(ticket, made=made)
        except RecipientGone as gone:
            self._unreachable(forum, delivery, user, gone.reason)
            return GONE
        except Exception:
            with self.db.transaction() as session:
                claims.settle(session, DigestDelivery, delivery, status="failed")
            raise
        with self.db.transaction() as session:
            done = {"status": "done", "done_at": self.clock()}
            if claims.settle(session, DigestDelivery, delivery, **done):
                subscriptions.delivered(session, forum.id, user)
        return SENT

    def _unreachable(
        self, forum: ForumInfo, delivery: claims.Claim, user: str, reason: str
    ) -> None:
        # The delivery is finished (never retried for this moment) and counts towards ending
        # the subscription, in one transaction so a crash cannot count it twice or not at all.
        with self.db.transaction() as session:
            kept = claims.settle(
                session,
                DigestDelivery,
                delivery,
                status="done",
                error=reason[:255],
                done_at=self.clock(),
            )
            ended = kept and subscriptions.unreachable(
                session, forum.id, user, reason, self.clock()
            )
        log.warning(
            "digest DM of forum %s not delivered for good (%s)%s",
            forum.id,
            reason,
            "; the subscription is ended" if ended else "",
        )
