"""Worker processes: the slow half of the bot beside the process that serves requests.

``ledarforum run`` serves HTTP in one process; the inbox workers (the slow half of every Slack
request) and the scheduler run in :class:`WorkerProcesses` children, so acknowledging a request
never waits for the interpreter lock held by a digest or a thank-you. Nothing is handed over in
memory: the serving process commits each request to the inbox and writes one byte to the workers'
wake pipe; the workers claim rows under the inbox's claim rule, which already makes any number
of processes safe. Each child sends its metric counts back through a second pipe every second,
and the server's ``/metrics`` adds them to its own. The children run at a lower CPU priority,
so under a burst acknowledgements come first and answers a moment later, as Slack expects.

The first children are forked at start, before the server starts any thread, so they share the
imported code with the server. A child that dies is started again as a fresh interpreter
(``python -m handlers.worker_main``), never forked from the running, threaded server. A child stops
when it gets ``SIGTERM`` or when the server's end of the wake pipe closes (the server is gone).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core import Core
from bot.domain import Platform
from bot.metrics import Metrics, Snapshot
from bot.services.inbox import Inbox, Presence

log = logging.getLogger(__name__)

NICENESS = 10  # below the serving process: acknowledgements first
RESTART_PAUSE = 2.0  # seconds between restarts of a child that keeps dying
STOP_SECONDS = 30.0
METRICS_SECONDS = 1.0
_LENGTH = struct.Struct("!I")


def do_work(core: Core, index: int, wake_fd: int, metrics_fd: int) -> int:
    """Run the inbox workers (and, in child 0, the scheduler) until told to stop; exit code."""
    from schedules.scheduler import SchedulerService

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is the server's to handle
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    presence = Presence.configured(core.db, core.settings, core.dialogue.clock)
    presence.start()
    wakers: list[Callable[[], None]] = []
    stoppers: list[Callable[[], None]] = []
    poster = core.posters.get(Platform.SLACK)
    if poster is not None and core.settings.slack_configured:
        from handlers.slack.app import inbox_worker
        from handlers.slack.poster import SlackPoster

        assert isinstance(poster, SlackPoster)
        inbox = Inbox.configured(core.db, core.settings, presence, metrics=core.metrics)
        worker = inbox_worker(core, poster, inbox)
        worker.start()
        wakers.append(worker.wake)
        stoppers.append(worker.stop)
    scheduler = SchedulerService(core) if index == 0 else None
    if scheduler is not None:
        scheduler.start()
    listener = threading.Thread(
        target=_listen, args=(wake_fd, wakers, stop), name="wake-pipe", daemon=True
    )
    listener.start()
    reporter = threading.Thread(
        target=_report, args=(core.metrics, metrics_fd, stop), name="metrics-pipe", daemon=True
    )
    reporter.start()
    log.info("worker process %d started (pid %d)", index, os.getpid())
    gc.collect()
    gc.freeze()  # as the server does (handlers.main.freeze_startup_objects): no long pauses
    stop.wait()
    if scheduler is not None:
        scheduler.stop(wait=True)
    for stopper in stoppers:
        stopper()
    presence.stop()
    reporter.join(METRICS_SECONDS * 2)
    _send(metrics_fd, core.metrics.snapshot())  # the last counts, after the last work
    log.info("worker process %d stopped", index)
    return 0


def _send(fd: int, snapshot: Snapshot) -> None:
    data = pickle.dumps(snapshot)
    frame = memoryview(_LENGTH.pack(len(data)) + data)
    with contextlib.suppress(OSError):  # the server is gone: nobody to tell
        while frame:  # a write may take part of a frame: the rest follows, never a torn one
            frame = frame[os.write(fd, frame) :]


def _report(metrics: Metrics, fd: int, stop: threading.Event) -> None:
    """Send this process's counts to the server whenever they changed."""
    last: Snapshot = {}
    while not stop.wait(METRICS_SECONDS):
        current = metrics.snapshot()
        if current != last:
            _send(fd, current)
            last = current


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        try:
            chunk = os.read(fd, left)
        except InterruptedError:
            continue
        except OSError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _listen(fd: int, wakers: list[Callable[[], None]], stop: threading.Event) -> None:
    """Wake the workers for each byte from the server; stop when the server is gone (EOF)."""
    while not stop.is_set():
        try:
            data = os.read(fd, 4096)
        except InterruptedError:
            continue
        except OSError:
            data = b""
        if not data:
            stop.set()
            return
        for wake in wakers:
            wake()


@dataclass
class _Child:
    index: int
    pid: int
    wake_fd: int  # the server's (write) end of this child's wake pipe; -1 once closed
    metrics_fd: int  # the server's (read) end of this child's metrics pipe
    popen: subprocess.Popen[bytes] | None = None
    counts: Snapshot = field(default_factory=dict)
    reader: threading.Thread | None = None  # reads the counts until the child's end closes


class WorkerProcesses:
    """The worker children of one serving process: start, wake, supervise, stop."""

    def __init__(self, core: Core, count: int) -> None:
        self.core = core
        self.count = count
        self._children: list[_Child] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._supervisor: threading.Thread | None = None
        self._retired: list[Snapshot] = []  # the last counts of children that were replaced

    def fork(self) -> None:
        """Fork the children; call before this process starts any thread.

        Every pooled connection is closed first. SQLite keeps its file locks' bookkeeping in
        process memory: a child that inherited it would believe it held locks it does not, and
        the server, closing its last connection, could then checkpoint and remove the WAL
        file under the child's commits. Both sides open their connections afresh after it.
        """
        self.core.db.engine.dispose()
        for index in range(self.count):
            self._children.append(self._fork(index))

    def supervise(self) -> None:
        """Start watching the children (restarting one that dies) and reading their counts,
        once the server runs."""
        for child in self._children:
            self._listen_to(child)
        self._supervisor = threading.Thread(
            target=self._watch, name="worker-supervisor", daemon=True
        )
        self._supervisor.start()

    def metrics(self) -> list[Snapshot]:
        """The children's latest counts (and those of children that were replaced)."""
        with self._lock:
            return [*self._retired, *(child.counts for child in self._children)]

    def wake(self) -> None:
        """Tell every child a row is waiting (a full pipe already holds a wake-up).

        Under the lock: a descriptor closed for a dead child may be reused at once by a socket
        or a database file, which must never get the byte.
        """
        with self._lock:
            for child in self._children:
                if child.wake_fd >= 0:
                    with contextlib.suppress(BlockingIOError, BrokenPipeError, OSError):
                        os.write(child.wake_fd, b"w")

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Ask every child to finish its current work and stop; kill one that will not."""
        with self._lock:  # with the supervisor's check: no child is started after this
            self._stopping.set()
            children = list(self._children)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in children:
            if not self._reap(child, max(0.0, deadline - time.monotonic())):
                log.warning("worker process %d did not stop; killing it", child.index)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
                self._reap(child, 5.0)
            with self._lock:
                self._close_wake(child)
        if self._supervisor is not None:
            self._supervisor.join(5.0)

    def _listen_to(self, child: _Child) -> None:
        def read() -> None:
            while (header := _read_exactly(child.metrics_fd, _LENGTH.size)) is not None:
                body = _read_exactly(child.metrics_fd, _LENGTH.unpack(header)[0])
                if body is None:
                    break
                try:
                    counts = pickle.loads(body)  # noqa: S301 - from our own child process
                except Exception:  # a torn frame: the stream cannot be trusted any more
                    log.warning("worker process %d sent unreadable counts", child.index)
                    break
                with self._lock:
                    child.counts = counts
            os.close(child.metrics_fd)

        child.reader = threading.Thread(
            target=read, name=f"worker-{child.index}-metrics", daemon=True
        )
        child.reader.start()

    @staticmethod
    def _close_wake(child: _Child) -> None:
        """Close the server's end of *child*'s wake pipe once (call with the lock held)."""
        if child.wake_fd >= 0:
            os.close(child.wake_fd)
            child.wake_fd = -1

    @property
    def pids(self) -> list[int]:
        """The children's process ids (tests, the footprint benchmark)."""
        with self._lock:
            return [child.pid for child in self._children]

    def _fork(self, index: int) -> _Child:
        wake_read, wake_write = os.pipe()
        counts_read, counts_write = os.pipe()
        os.set_blocking(wake_write, False)
        pid = os.fork()
        if pid == 0:  # the child: never returns into the server's code
            code = 1
            try:
                os.close(wake_write)
                os.close(counts_read)
                for earlier in self._children:  # the server's ends of earlier children's pipes
                    os.close(earlier.wake_fd)
                    os.close(earlier.metrics_fd)
                # Nothing is pooled (see fork); a pool made before the fork belongs to the server.
                self.core.db.engine.dispose(close=False)
                code = do_work(self.core, index, wake_read, counts_write)
            except BaseException:
                log.exception("worker process %d failed", index)
            finally:
                logging.shutdown()
                os._exit(code)
        os.close(wake_read)
        os.close(counts_write)
        return _Child(index, pid, wake_write, counts_read)

    def _spawn(self, index: int) -> _Child:
        """A fresh interpreter for a child that died (the server has threads now: no fork)."""
        wake_read, wake_write = os.pipe()
        counts_read, counts_write = os.pipe()
        os.set_blocking(wake_write, False)
        popen = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "handlers.worker_main",
                str(index),
                str(wake_read),
                str(counts_write),
            ],
            stdin=subprocess.PIPE,
            pass_fds=(wake_read, counts_write),
        )
        os.close(wake_read)
        os.close(counts_write)
        assert popen.stdin is not None
        # The settings as this process has them (command-line overrides included), never in argv.
        popen.stdin.write(pickle.dumps(self.core.settings))
        popen.stdin.close()
        return _Child(index, popen.pid, wake_write, counts_read, popen)

    def _reap(self, child: _Child, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if self._exited(child) is not None:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)

    @staticmethod
    def _exited(child: _Child) -> int | None:
        """The child's exit status once it has ended (reaped), else None."""
        if child.popen is not None:
            return child.popen.poll()
        try:
            pid, status = os.waitpid(child.pid, os.WNOHANG)
        except ChildProcessError:
            return -1
        return os.waitstatus_to_exitcode(status) if pid else None

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            with self._lock:
                children = list(self._children)
            for position, child in enumerate(children):
                status = self._exited(child)
                if status is None or self._stopping.is_set():
                    continue
                log.error("worker process %d ended (%s); starting it again", child.index, status)
                if child.reader is not None:
                    child.reader.join(5.0)  # its last counts, sent just before it ended
                with self._lock:
                    self._close_wake(child)
                if self._stopping.wait(RESTART_PAUSE):
                    return
                with self._lock:  # stop() snapshots the children under this lock
                    if self._stopping.is_set():
                        return
                    fresh = self._spawn(child.index)
                    self._retired.append(child.counts)
                    self._children[position] = fresh
                self._listen_to(fresh)
