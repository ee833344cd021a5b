"""A trend's link title filled in after the answer, off the request path.

Teams handles an activity inside the HTTP request it waits on (``handlers/teams/activities.py``):
fetching a page's title there would add up to :data:`bot.linkfetch.TIMEOUT` seconds to Teams'
answer. So for the platforms in :data:`DEFERRED` a trend without a preview's title is stored at
once, untitled, and :class:`TitleFiller` fetches the title afterwards in a few daemon threads and
writes it only while the row's title is still empty. Slack (its inbox worker) and the console
are off any request already and keep fetching before they answer, so their answer names the title.

Bounded on purpose: at most :data:`WORKERS` fetches at a time and :data:`MAX_PENDING` waiting; a
link beyond that, a failed fetch or a process that ends first only loses the title, never the trend.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from bot.domain import Platform
from bot.services import trends
from bot.storage.db import Database

log = logging.getLogger(__name__)

# Platforms whose events are handled inside the HTTP request the platform waits on.
DEFERRED = frozenset({Platform.TEAMS})
WORKERS = 2
MAX_PENDING = 64
IDLE_EXIT = 10.0  # seconds a worker waits for work before it ends (a new link starts it again)


class TitleFiller:
    """Fetches trend titles in the background and stores each one if the row has none yet."""

    def __init__(
        self,
        db: Database,
        fetch: Callable[[str], str | None],
        *,
        workers: int = WORKERS,
        max_pending: int = MAX_PENDING,
        idle_exit: float = IDLE_EXIT,
    ) -> None:
        self.db = db
        self.fetch = fetch
        self.workers = workers
        self.idle_exit = idle_exit
        self._queue: queue.Queue[tuple[int, str]] = queue.Queue(maxsize=max_pending)
        self._lock = threading.Lock()
        self._running = 0

    def submit(self, trend_id: int, url: str) -> bool:
        """Fill in the title of trend *trend_id* from *url* later; False when too many wait."""
        try:
            self._queue.put_nowait((trend_id, url))
        except queue.Full:
            log.warning("trend title not fetched: %d links waiting", self._queue.qsize())
            return False
        with self._lock:
            if self._running < self.workers:
                self._running += 1
                threading.Thread(target=self._work, name="trend-titles", daemon=True).start()
        return True

    def wait_idle(self, timeout: float) -> bool:
        """True once every submitted link is done (stored or given up); False after *timeout*."""
        deadline = time.monotonic() + timeout
        done = self._queue.all_tasks_done
        with done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0 or not done.wait(left):
                    return not self._queue.unfinished_tasks
        return True

    def _work(self) -> None:
        while True:
            try:
                trend_id, url = self._queue.get(timeout=self.idle_exit)
            except queue.Empty:
                with self._lock:
                    # Checked under the lock: a submit that saw this worker running put its
                    # link in the queue before taking the lock, so the queue is not empty.
                    if self._queue.empty():
                        self._running -= 1
                        return
                continue
            try:
                self._fill(trend_id, url)
            except Exception:  # a title is a nicety: the trend is stored already
                log.exception("trend title not stored")
            finally:
                self._queue.task_done()

    def _fill(self, trend_id: int, url: str) -> None:
        title = trends.clean_title(self.fetch(url))
        if title is None:
            return
        with self.db.transaction() as session:
            trends.fill_title(session, trend_id, title)
