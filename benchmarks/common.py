"""Shared helpers: free ports, app subprocesses, signed requests, databases, load drivers."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.storage.db import make_engine
from bot.storage.models import Contribution
from fakes.slack.signing import sign

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-signing-secret"
TOKEN = "xoxb-test"
CHANNEL = "C1"
TEAM = "T1"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Row:
    """One line of the result table."""

    name: str
    measure: str
    ours: float | None
    reference: float | None = None
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None
    unit: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_kib(pid: int) -> int:
    """Resident memory of a process (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _parents() -> dict[int, int]:
    """Every process's parent, from ``/proc/<pid>/stat`` (field 4, after the name)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            after_name = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(after_name[1])
    return parents


def pss_kib(pid: int) -> int:
    """Proportional set size of a process, in KiB: each shared page split among its sharers."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


@dataclass(frozen=True)
class TreeMemory:
    """Memory of a process and all its descendants."""

    rss_kib: int  # VmRSS summed: pages shared after a fork counted once per process
    pss_kib: int  # PSS summed: every page counted once (shared ones split)
    processes: int


def tree_memory(pid: int) -> TreeMemory:
    """Memory of *pid* and all its descendants, found through ``/proc``.

    ``ledarforum run`` may fork worker processes; counting only the serving process would
    hide their memory. The RSS sum is what ``ps`` would add up (an upper bound: copy-on-write
    pages a fork still shares count in each process); the PSS sum counts them once.
    """
    parents = _parents()
    rss, pss, count, pending = 0, 0, 0, [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):  # a child may exit while we look
            rss += rss_kib(current)
            pss += pss_kib(current)
            count += 1
        pending += [child for child, parent in parents.items() if parent == current]
    return TreeMemory(rss, pss, count)


@dataclass
class Server:
    """A subprocess serving HTTP on a port, with its start-up time."""

    process: subprocess.Popen[bytes]
    url: str
    ready_seconds: float
    log: Path

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL)."""
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def app_env(database_url: str, api_url: str, port: int) -> dict[str, str]:
    """The environment of a single-workspace HTTP Slack app (ours or the baseline)."""
    env = dict(os.environ)
    env.update(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        DATABASE_URL=database_url,
        PORT=str(port),
        HOST="127.0.0.1",
        LEDARFORUM_CHANNELS=CHANNEL,
        LOG_LEVEL="WARNING",
    )
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "TEAMS_CLIENT_ID"):
        env.pop(name, None)
    return env


def ledarforum(*args: str) -> list[str]:
    """The command line of the ``ledarforum`` console script in this venv."""
    return [sys.executable, "-m", "handlers.main", *args]


def start_server(argv: Sequence[str], env: dict[str, str], port: int, log: Path) -> Server:
    """Start *argv* and wait until ``/readyz`` answers 200; the wait is the start-up time."""
    handle = log.open("wb")
    began = time.perf_counter()
    process = subprocess.Popen(list(argv), env=env, cwd=ROOT, stdout=handle, stderr=handle)
    url = f"http://127.0.0.1:{port}"
    deadline = began + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{argv[:3]} exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        if time.perf_counter() > deadline:
            process.kill()
            raise RuntimeError(f"{argv[:3]} did not get ready: {log.read_text()[-2000:]}")
        time.sleep(0.01)
    return Server(process, url, time.perf_counter() - began, log)


def signed(body: bytes, content_type: str) -> tuple[bytes, dict[str, str]]:
    """The body and the headers Slack would send with it."""
    return body, {"Content-Type": content_type, **sign(SECRET, body)}


@dataclass
class Load:
    """What a load run measured."""

    latencies: list[float]
    seconds: float
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies)


async def _drive(url: str, requests: Sequence[tuple[bytes, dict[str, str]]], conc: int) -> Load:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = iter(requests)
    # aiohttp, not httpx: httpx's async pool spent ~3 ms of CPU per request at 32 connections,
    # so at c=32 the driver, sharing the two cores, was the bottleneck (the AsyncApp floor
    # measured 320 req/s through it and over 1,000 at c=8).
    connector = aiohttp.TCPConnector(limit=conc, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:

        async def worker() -> None:
            for body, headers in queue:
                began = time.perf_counter()
                for attempt in range(3):
                    try:
                        async with client.post(url, data=body, headers=headers) as response:
                            await response.read()
                            status = response.status
                        break
                    except (TimeoutError, aiohttp.ClientError):
                        # Counted as status 0 and sent again, as Slack redelivers; a third
                        # failure in a row ends the run.
                        statuses[0] = statuses.get(0, 0) + 1
                        if attempt == 2:
                            raise
                latencies.append(time.perf_counter() - began)
                statuses[status] = statuses.get(status, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        seconds = time.perf_counter() - began
    return Load(latencies, seconds, statuses)


def _drive_and_send(
    url: str, requests: Sequence[tuple[bytes, dict[str, str]]], conc: int, conn: Connection
) -> None:
    conn.send(asyncio.run(_drive(url, requests, conc)))
    conn.close()


def drive(url: str, requests: Sequence[tuple[bytes, dict[str, str]]], conc: int) -> Load:
    """POST every request with *conc* in flight at a time over keep-alive connections.

    The client runs in a process of its own: in this one the fake Slack receives what the app
    under test sends back (answers, thank-yous), and sharing the interpreter lock with it would
    slow the client down for the app that does more work, not for the floor.
    """
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=False)
    client = context.Process(target=_drive_and_send, args=(url, list(requests), conc, theirs))
    client.start()
    theirs.close()
    try:
        load: Load = ours.recv()
    except EOFError as exc:
        raise RuntimeError("the load client failed") from exc
    finally:
        client.join(60)
    return load


@contextlib.contextmanager
def temp_dir() -> Iterator[Path]:
    """A scratch directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="ledarforum-bench-") as name:
        yield Path(name)


def pg_available() -> bool:
    """True when the benchmark PostgreSQL server answers."""
    try:
        psycopg.connect(_plain(PG_SERVER), connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@contextlib.contextmanager
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database ``ledarforum_bench_<rand>``, dropped afterwards."""
    name = f"ledarforum_bench_{secrets.token_hex(4)}"
    with psycopg.connect(_plain(PG_SERVER), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_plain(PG_SERVER), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def database(kind: str, scratch: Path) -> Iterator[str]:
    """A fresh database URL of *kind* (``sqlite`` or ``postgresql``)."""
    if kind == "sqlite":
        yield f"sqlite:///{scratch / f'bench-{secrets.token_hex(4)}.db'}"
    else:
        with pg_database() as url:
            yield url


def count_contributions(database_url: str) -> int:
    """How many contributions are stored."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count(Contribution.id))) or 0)
    finally:
        engine.dispose()


def ratio(ours: float | None, reference: float | None) -> float | None:
    """ours ÷ reference, when both are known and the reference is not zero."""
    if ours is None or not reference:
        return None
    return ours / reference
