"""Group commit for the request path: many arrivals, one transaction, each acknowledged after it.

An asynchronous request handler awaits :meth:`Recorder.record`; the row is queued for one writer
thread, which inserts everything that arrived while the previous transaction was committing in a
single multi-row ``INSERT … ON CONFLICT DO NOTHING`` and one commit, then resolves each caller's
future. A request is therefore acknowledged only once its own row is durable, but thirty-two
concurrent arrivals cost one commit instead of thirty-two, and the event loop never waits for
the database. If a group's transaction fails on a row's data, its rows are tried one by one, so
one bad row cannot fail its neighbours' requests; if the database is away or locked for too long,
the whole group gets the error at once.

On SQLite the writer waits for another writer (a worker process committing its batch) by
polling every fraction of a millisecond rather than through SQLite's own busy handler, which
sleeps 1, 2, 5 … up to 100 ms at a time: those sleeps, not the work, were an acknowledgement's
slowest hundredth.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.exc import OperationalError

from bot.domain import Platform
from bot.metrics import Metrics
from bot.services.inbox.payloads import keep
from bot.services.inbox.presence import Status
from bot.services.sql import insert_ignore_statement
from bot.storage.db import Database
from bot.storage.models import InboundEvent
from bot.timing import utcnow

log = logging.getLogger(__name__)

# Rows in one transaction at most: big enough for any burst a process sees between two commits.
GROUP = 256
# SQLite: how long one attempt waits for the write lock, how often it is tried, and for how long:
# well within Slack's three seconds, so a held lock gets an error answer (Slack delivers again)
# rather than a request Slack gives up on.
LOCK_WAIT_MS = 1
LOCK_POLL_SECONDS = 0.0003
LOCK_GIVE_UP_SECONDS = 2.0
_KEY = ("platform", "workspace_id", "event_id")


def pending_row(
    platform: Platform | str,
    workspace_id: str,
    event_id: str,
    kind: str,
    kept: dict[str, Any],
    received_at: datetime,
) -> dict[str, Any]:
    """The values of a newly recorded inbox row (*kept*: the payload as the policy keeps it)."""
    return {
        "platform": str(platform),
        "workspace_id": workspace_id,
        "event_id": event_id[:255],
        "kind": kind[:64],
        "payload": kept,
        "status": Status.PENDING,
        "attempts": 0,
        "received_at": received_at,
        "processed_at": None,
        "claimed_by": None,
    }


@dataclass
class _Arrival:
    values: dict[str, Any]
    future: asyncio.Future[bool]
    loop: asyncio.AbstractEventLoop


class Recorder:
    """Records inbound items for ``async`` callers, committing concurrent arrivals together."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics | None = None,
        group: int = GROUP,
    ) -> None:
        self.db = db
        self.clock = clock
        self.metrics = metrics or Metrics()
        self.group = group
        self._queue: queue.SimpleQueue[_Arrival | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.commits = 0  # how many transactions carried the rows (tests, metrics)
        # The writer thread's own connection (and the database it belongs to).
        self._connection: Connection | None = None
        self._connected_to: Database | None = None

    async def record(
        self,
        platform: Platform | str,
        workspace_id: str,
        event_id: str,
        kind: str,
        payload: Mapping[str, Any],
    ) -> bool:
        """Store an inbound item durably; False when it was there before (a redelivery).

        Raises when the database refused it: the caller must then not acknowledge.
        """
        label = str(platform)
        values = pending_row(
            platform, workspace_id, event_id, kind, keep(platform, kind, payload), self.clock()
        )
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._ensure_started()
        self._queue.put(_Arrival(values, future, loop))
        inserted = await future
        self.metrics.events_received.labels(label).inc()
        if not inserted:
            self.metrics.events_deduplicated.labels(label).inc()
        return inserted

    def close(self) -> None:
        """Finish what is queued, then stop the writer thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(10)

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._write_loop, name="inbox-recorder", daemon=True
                )
                self._thread.start()

    def _write_loop(self) -> None:
        try:
            self._write_groups()
        finally:
            self._disconnect()

    def _write_groups(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            stop = False
            while len(group) < self.group:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                group.append(more)
            self._commit(group)
            if stop:
                return

    def _commit(self, group: list[_Arrival]) -> None:
        try:
            inserted = self._insert([arrival.values for arrival in group])
        except Exception as exc:
            if len(group) == 1 or isinstance(exc, OperationalError):
                # The database is away or locked: every row would wait as long again. The whole
                # group gets the error at once (Slack delivers each again), so the writer never
                # holds later arrivals past Slack's three seconds.
                for arrival in group:
                    _resolve(arrival, error=exc)
                return
            log.warning("a group of %d inbox rows failed (%s); one by one", len(group), exc)
            for arrival in group:
                self._commit([arrival])
            return
        seen: set[tuple[str, str, str]] = set()
        for arrival in group:
            key = _key_of(arrival.values)
            # The same delivery twice in one group: the first one inserted it, the second did not.
            _resolve(arrival, result=key in inserted and key not in seen)
            seen.add(key)

    def _insert(self, rows: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
        """One transaction for *rows*; the keys it inserted."""
        unique: dict[tuple[str, str, str], dict[str, Any]] = {}
        for row in rows:  # in arrival order; the first arrival of a key is the one stored
            unique.setdefault(_key_of(row), row)
        table: Table = InboundEvent.__table__  # type: ignore[assignment]
        statement = insert_ignore_statement(self.db.engine.dialect.name, table, _KEY, _KEY)
        values = list(unique.values())
        deadline = time.monotonic() + LOCK_GIVE_UP_SECONDS
        while True:
            connection = self._connect()
            try:
                with connection.begin():
                    returned = connection.execute(statement, values).all()
            except OperationalError as exc:
                if not _locked(exc) or time.monotonic() > deadline:
                    self._disconnect()
                    raise
                time.sleep(LOCK_POLL_SECONDS)  # another writer holds SQLite's lock: soon again
                continue
            except Exception:
                self._disconnect()
                raise
            self.commits += 1
            return {(str(r[0]), str(r[1]), str(r[2])) for r in returned}

    def _connect(self) -> Connection:
        if self._connection is None or self._connected_to is not self.db:
            self._disconnect()
            connection = self.db.engine.connect()
            if connection.dialect.name == "sqlite":
                # Give up on a held lock at once (see the module's note), for this connection.
                connection.exec_driver_sql(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
                connection.commit()
            self._connection, self._connected_to = connection, self.db
        return self._connection

    def _disconnect(self) -> None:
        connection, self._connection, self._connected_to = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a broken connection: nothing to keep
                connection.invalidate()
                connection.close()


def _locked(exc: OperationalError) -> bool:
    """True when SQLite refused because another connection holds the write lock."""
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


def _key_of(values: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(values["platform"]), str(values["workspace_id"]), str(values["event_id"]))


def _resolve(arrival: _Arrival, *, result: bool = False, error: Exception | None = None) -> None:
    def settle() -> None:
        if arrival.future.done():  # the request was cancelled (the client went away)
            return
        if error is not None:
            arrival.future.set_exception(error)
        else:
            arrival.future.set_result(result)

    with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for the answer
        arrival.loop.call_soon_threadsafe(settle)
