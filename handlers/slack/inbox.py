"""Slack's side of the durable inbox: the worker threads, and acks before background work.

Listeners record every request in the core's inbox (:class:`bot.services.inbox.Inbox`) before the
ack; :class:`InboxWorker` threads claim the Slack rows and do the slow work (Web API calls,
rendering, DMs) from the table, so a crash after the ack loses nothing: pending rows are picked
up at the next start, by this or any other instance.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.domain import Platform
from bot.services.inbox import Inbox, Item

log = logging.getLogger(__name__)

# Background work gives way to acknowledgements: it waits for this long a pause in arriving
# requests, but never longer than MAX_DEFER, so answers are late under a burst, never lost.
QUIET = 0.05
MAX_DEFER = 1.0


class Traffic:
    """When a Slack request last arrived, so that background work can give way to acks.

    Slack's three seconds for an acknowledgement are a hard limit; an answer sent through the
    ``response_url`` a moment later is not. The listeners call :meth:`arrived`; workers call
    :meth:`wait_quiet` before each row.
    """

    def __init__(self, quiet: float = QUIET, longest: float = MAX_DEFER) -> None:
        self.quiet = quiet
        self.longest = longest
        self._last = float("-inf")

    def arrived(self) -> None:
        """A request has arrived (a float assignment: safe from any thread)."""
        self._last = time.monotonic()

    def wait_quiet(self, stop: threading.Event) -> None:
        """Wait until no request arrived for :attr:`quiet` seconds, or :attr:`longest` passed."""
        deadline = time.monotonic() + self.longest
        while not stop.is_set():
            now = time.monotonic()
            pause = self.quiet - (now - self._last)
            if pause <= 0 or now >= deadline:
                return
            stop.wait(min(pause, deadline - now))


class InboxWorker:
    """Threads that process inbox rows as they arrive (woken at once) and on a slow poll."""

    def __init__(
        self,
        inbox: Inbox,
        handle: Callable[[Item], None],
        *,
        threads: int = 2,
        poll_seconds: float = 2.0,
        batch: int | None = None,
        traffic: Traffic | None = None,
    ) -> None:
        self.inbox = inbox
        self.batch = inbox.batch if batch is None else batch
        self.traffic = traffic or Traffic(quiet=0.0)
        self.handle = handle
        self.threads = threads
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []

    def wake(self) -> None:
        """Tell the workers a new row is waiting."""
        self._wake.set()

    def start(self) -> None:
        """Register this process, then start the threads; rows left pending by an earlier run,
        or held by a process that stopped renewing its presence, are processed first."""
        self.inbox.presence.start()
        self._stop.clear()
        for number in range(self.threads):
            thread = threading.Thread(target=self._loop, name=f"slack-inbox-{number}", daemon=True)
            thread.start()
            self._workers.append(thread)
        self.wake()

    def stop(self, timeout: float = 10.0) -> None:
        """Let the current rows finish, then stop."""
        self._stop.set()
        self._wake.set()
        for thread in self._workers:
            thread.join(timeout)
        self._workers.clear()
        close = getattr(self.handle, "close", None)
        if callable(close):
            close()  # the handler's own threads (Slack's thank-yous)

    def run_once(self) -> bool:
        """Process a batch of due rows; False when there was none.

        When the handler offers ``handle_batch`` (Slack's :class:`~handlers.slack.process.
        Processor`), the batch is handed over whole and its outcomes settled in one transaction
        (:meth:`~bot.services.inbox.Inbox.settle_many`): a crash repeats at most the batch in
        hand, and a repeated batch stores nothing twice (contributions are unique on their source
        message). Otherwise each row is settled on its own as soon as it is handled, so a crash
        repeats at most the one in hand. Either way, rows of the batch not started within half a
        lease, or once this process could not renew its presence in time, are handed back, so a
        slow batch (a rate-limited DM, say) or a stalled process never lets another worker take
        a row twice.
        """
        items = self.inbox.claim(Platform.SLACK, self.batch)
        if not items:
            return False
        started = time.monotonic()

        def may_start(index: int) -> bool:
            self.traffic.wait_quiet(self._stop)
            late = index > 0 and time.monotonic() - started > self.inbox.lease.total_seconds() / 2
            return not late and self.inbox.presence.fresh()

        handle_batch = getattr(self.handle, "handle_batch", None)
        if callable(handle_batch):
            self._handle_batch(items, handle_batch, may_start)
            return True
        for index, item in enumerate(items):
            if not may_start(index):
                self.inbox.release(items[index:])
                break
            self._handle(item)
        return True

    def _handle_batch(
        self,
        items: list[Item],
        handle_batch: Callable[..., list[tuple[Item, str | None]]],
        may_start: Callable[[int], bool],
    ) -> None:
        """Hand *items* over together; settle what was done, release what was not started."""
        if not may_start(0):
            self.inbox.release(items)
            return
        try:
            outcomes = handle_batch(items, may_start=lambda: may_start(1))
        except Exception as exc:  # the batch as a whole failed: each row is retried
            log.warning(
                "inbox batch of %d failed: %s",
                len(items),
                type(exc).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            outcomes = [(item, f"{type(exc).__name__}: {exc}") for item in items]
        for item, error in outcomes:
            if error is not None:
                log.warning(
                    "inbox item %s (%s) failed on attempt %d: %s",
                    item.id,
                    item.kind,
                    item.attempts,
                    error.split(":")[0],
                )
        handled = {item.id for item, _ in outcomes}
        self.inbox.settle_many(outcomes)
        self.inbox.release([item for item in items if item.id not in handled])

    def _handle(self, item: Item) -> None:
        try:
            self.handle(item)
        except Exception as exc:
            log.warning(
                "inbox item %s (%s) failed on attempt %d: %s",
                item.id,
                item.kind,
                item.attempts,
                type(exc).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            self.inbox.settle(item, f"{type(exc).__name__}: {exc}")
        else:
            self.inbox.settle(item)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()  # before claiming, so a row recorded meanwhile is not missed
            try:
                busy = self.run_once()
            except Exception as exc:  # the database is away: wait and try again
                log.warning("inbox unavailable: %s", type(exc).__name__)
                busy = False
            if not busy:
                self._wake.wait(self.poll_seconds)
