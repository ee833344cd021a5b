"""Rows 1, 2 and 5: acknowledgement latency, ingest rate and footprint of the real app over HTTP.

Ours is a ``ledarforum run`` subprocess. The floor every target is measured against is a plain
Bolt ``AsyncApp`` on Bolt's own aiohttp server (:mod:`benchmarks.async_floor`); the synchronous
Bolt app served like ours (:mod:`benchmarks.baseline_app`), the floor before issue 15, stays as
a second reference without targets. All are driven over loopback with correctly signed requests.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import (
    CHANNEL,
    ROOT,
    TEAM,
    Load,
    Row,
    Server,
    app_env,
    count_contributions,
    database,
    drive,
    free_port,
    ledarforum,
    ratio,
    rss_kib,
    signed,
    start_server,
    tree_memory,
)
from fakes.slack import FakeSlackAPI
from fakes.slack.signing import FORM, JSON, event_callback, message_event, slash_command

SERVERS = {
    "floor": [sys.executable, "-m", "benchmarks.async_floor"],
    "sync": [sys.executable, "-m", "benchmarks.baseline_app"],
    "ours": ledarforum("run"),
}
KINDS = ("floor", "sync", "ours")
ACK = "ack /ledarforum tema"
SYNC_NOTE = "reference: the synchronous Bolt app served like ours (the floor before issue 15)"


@dataclass(frozen=True)
class Footprint:
    """Start-up time and idle memory of one server."""

    ready: float
    tree_kib: int  # VmRSS of the process and every child (worker processes), summed
    tree_pss_kib: int  # the same tree's PSS: pages still shared after a fork counted once
    own_kib: int  # VmRSS of the serving process alone
    processes: int


def _fake() -> FakeSlackAPI:
    fake = FakeSlackAPI().start()
    fake.add_user("U1", "Kim Lind")
    return fake


def _commands(fake: FakeSlackAPI, count: int) -> list[tuple[bytes, dict[str, str]]]:
    response_url = fake.new_response_url()  # one URL: the fake keeps every post to it
    return [
        signed(slash_command("tema", team_id=TEAM, response_url=response_url), FORM)
        for _ in range(count)
    ]


def _replies(thread_ts: str, count: int) -> list[tuple[bytes, dict[str, str]]]:
    base = int(time.time()) - 600
    requests = []
    for number in range(count):
        ts = f"{base + number // 1_000_000}.{number % 1_000_000:06d}"
        event = message_event(
            f"Gott exempel nummer {number}: vi testade gåmöten.",
            user="U1",
            channel=CHANNEL,
            team_id=TEAM,
            ts=ts,
            thread_ts=thread_ts,
        )
        requests.append(signed(event_callback(TEAM, event), JSON))
    return requests


def _serve(kind: str, database_url: str, fake: FakeSlackAPI, scratch: Path) -> Server:
    port = free_port()
    env = app_env(database_url, fake.url, port)
    return start_server(SERVERS[kind], env, port, scratch / f"{kind}-{port}.log")


def _limit(value: float | None, bound: float, upper: bool) -> bool:
    return value is not None and (value <= bound if upper else value >= bound)


def _load_rows(conc: int, ours: Load, floor: Load) -> list[Row]:
    """p50, p99 and requests/s of ours against the floor, with the issue's targets.

    A target counts as met only when every request of ours was answered 200: an error page
    is fast, but it is no acknowledgement.
    """
    p50, p99 = ratio(ours.p50, floor.p50), ratio(ours.quantile(0.99), floor.quantile(0.99))
    rate = ratio(ours.rate, floor.rate)
    clean = set(ours.statuses) == {200}
    p50_target = conc == 1
    check = conc == 32
    return [
        Row(
            ACK,
            f"p50 c={conc}",
            ours.p50 * 1000,
            floor.p50 * 1000,
            p50,
            target="≤1.5×" if p50_target else "",
            ok=clean and _limit(p50, 1.5, upper=True) if p50_target else None,
            unit="ms",
        ),
        Row(
            ACK,
            f"p99 c={conc}",
            ours.quantile(0.99) * 1000,
            floor.quantile(0.99) * 1000,
            p99,
            target="≤1.5×" if check else "",
            ok=clean and _limit(p99, 1.5, upper=True) if check else None,
            unit="ms",
        ),
        Row(
            ACK,
            f"req/s c={conc}",
            ours.rate,
            floor.rate,
            rate,
            target="≥0.7×" if check else "",
            ok=clean and _limit(rate, 0.7, upper=False) if check else None,
            unit="req/s",
            extra={"statuses_ours": ours.statuses, "statuses_floor": floor.statuses},
        ),
    ]


def _sync_rows(ours: dict[int, Load], sync: dict[int, Load]) -> list[Row]:
    """Ours against the synchronous Bolt reference: no targets, for continuity."""
    name = f"{ACK} (vs sync Bolt)"
    return [
        Row(
            name,
            "p50 c=1",
            ours[1].p50 * 1000,
            sync[1].p50 * 1000,
            ratio(ours[1].p50, sync[1].p50),
            unit="ms",
            note=SYNC_NOTE,
        ),
        Row(
            name,
            "p99 c=32",
            ours[32].quantile(0.99) * 1000,
            sync[32].quantile(0.99) * 1000,
            ratio(ours[32].quantile(0.99), sync[32].quantile(0.99)),
            unit="ms",
        ),
        Row(
            name,
            "req/s c=32",
            ours[32].rate,
            sync[32].rate,
            ratio(ours[32].rate, sync[32].rate),
            unit="req/s",
            extra={"statuses_sync": sync[32].statuses},
        ),
    ]


def _footprint_rows(ours: Footprint, floor: Footprint, sync: Footprint) -> list[Row]:
    """Start → ``/readyz`` and idle RSS of the whole process tree, against the floor."""
    ready = ratio(ours.ready, floor.ready)
    rss = ratio(ours.tree_kib, floor.tree_kib)
    return [
        Row(
            "footprint",
            "start → /readyz 200",
            ours.ready,
            floor.ready,
            ready,
            target="≤2×",
            ok=_limit(ready, 2.0, upper=True),
            unit="s",
        ),
        Row(
            "footprint",
            "idle RSS (process tree)",
            ours.tree_kib / 1024,
            floor.tree_kib / 1024,
            rss,
            target="≤1.8×",
            ok=_limit(rss, 1.8, upper=True),
            unit="MiB",
            note=(
                f"{ours.processes} process(es); the serving process alone "
                f"{ours.own_kib / 1024:.1f} MiB; the tree's PSS {ours.tree_pss_kib / 1024:.1f} "
                f"MiB (the floor's {floor.tree_pss_kib / 1024:.1f} MiB)"
            ),
            extra={
                "own_mib": ours.own_kib / 1024,
                "processes": ours.processes,
                "pss_mib": ours.tree_pss_kib / 1024,
                "floor_pss_mib": floor.tree_pss_kib / 1024,
                "floor_processes": floor.processes,
            },
        ),
        Row(
            "footprint (vs sync Bolt)",
            "start → /readyz 200",
            ours.ready,
            sync.ready,
            ratio(ours.ready, sync.ready),
            unit="s",
            note=SYNC_NOTE,
        ),
        Row(
            "footprint (vs sync Bolt)",
            "idle RSS (process tree)",
            ours.tree_kib / 1024,
            sync.tree_kib / 1024,
            ratio(ours.tree_kib, sync.tree_kib),
            unit="MiB",
        ),
    ]


def acknowledgement(scratch: Path, requests: int) -> list[Row]:
    """Row 1 (``/ledarforum tema`` at concurrency 1 and 32) and row 5 (start-up, idle RSS)."""
    fake = _fake()
    loads: dict[str, dict[int, Load]] = {}
    answered = (0, 0, 0.0)
    footprint: dict[str, Footprint] = {}
    expected = 20 + 2 * requests  # the warm-up and both loads
    try:
        for kind in KINDS:
            with database("sqlite", scratch) as url:
                server = _serve(kind, url, fake, scratch)
                try:
                    time.sleep(2.0)  # idle: the scheduler's catch-up is done, nothing is loaded
                    pid = server.process.pid
                    footprint[kind] = Footprint(server.ready_seconds, *_rss(pid))
                    drive(server.events_url, _commands(fake, 20), 4)  # warm-up
                    loads[kind] = {}
                    for conc in (1, 32):
                        loads[kind][conc] = drive(
                            server.events_url, _commands(fake, requests), conc
                        )
                    if kind == "ours":
                        # Acks come first, answers follow: every command must get its answer.
                        began = time.perf_counter()
                        _until(
                            lambda: len(fake.responses) >= expected, min(300, 30 + 0.15 * requests)
                        )
                        answered = (len(fake.responses), expected, time.perf_counter() - began)
                finally:
                    server.stop()
                if kind == "ours":
                    footprint["restart"] = _idle_footprint(kind, url, fake, scratch)
    finally:
        fake.stop()
    rows: list[Row] = []
    for conc in (1, 32):
        bad = {
            kind: {s: n for s, n in loads[kind][conc].statuses.items() if s != 200}
            for kind in loads
        }
        rows += _load_rows(conc, loads["ours"][conc], loads["floor"][conc])
        if any(bad.values()):
            rows[-1].note = f"non-200 answers: {bad}"
    got, expected, drained = answered
    rows[-1].note = (rows[-1].note + "; " if rows[-1].note else "") + (
        f"answers posted {got} of {expected}, the last {drained:.1f} s after the last ack"
        if got >= expected
        else f"answers posted {got} of {expected} (missing after {drained:.0f} s!)"
    )
    if got < expected:
        rows[-1].ok = False
    rows[-1].extra["answered"] = got
    rows[-1].extra["answers_expected"] = expected
    rows += _sync_rows(loads["ours"], loads["sync"])
    rows += _footprint_rows(footprint["ours"], footprint["floor"], footprint["sync"])
    restart = footprint["restart"]
    rows.insert(
        -2,
        Row(
            "footprint",
            "restart → /readyz 200",
            restart.ready,
            footprint["floor"].ready,
            ratio(restart.ready, footprint["floor"].ready),
            unit="s",
            note=(
                f"the same database, now at the migrations' head (every start but the first); "
                f"idle RSS {restart.tree_kib / 1024:.1f} MiB"
            ),
            extra={"idle_rss_mib": restart.tree_kib / 1024, "processes": restart.processes},
        ),
    )
    return rows


def _idle_footprint(kind: str, url: str, fake: FakeSlackAPI, scratch: Path) -> Footprint:
    """Start *kind* on *url*, wait 2 s idle and measure it."""
    server = _serve(kind, url, fake, scratch)
    try:
        time.sleep(2.0)
        return Footprint(server.ready_seconds, *_rss(server.process.pid))
    finally:
        server.stop()


def _rss(pid: int) -> tuple[int, int, int, int]:
    """(tree RSS, tree PSS, own RSS in KiB, processes) of a server."""
    tree = tree_memory(pid)
    return tree.rss_kib, tree.pss_kib, rss_kib(pid), tree.processes


def _theme_ts(fake: FakeSlackAPI, database_url: str, port_env: dict[str, str]) -> str:
    """Post the theme with ``ledarforum post-theme`` and read its ts from the fake."""
    subprocess.run(
        ledarforum("post-theme"), env=port_env, cwd=ROOT, check=True, capture_output=True
    )
    posted = [m for m in fake.posted_messages(CHANNEL) if not m.get("thread_ts")]
    if not posted:
        raise RuntimeError("post-theme posted nothing")
    return str(posted[-1]["ts"])


def _until(done: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            return False
        time.sleep(every)
    return True


@dataclass(frozen=True)
class Ingested:
    """What one ingest run of ours measured."""

    rate: float  # events per second until all were stored (0 when they never were)
    stored: int  # contributions stored in the end
    thanked: int  # private thank-yous (chat.postEphemeral) the fake received
    thanks_lag: float  # seconds from the last stored to the last thank-you
    statuses: dict[int, int]


def _thanks(fake: FakeSlackAPI) -> int:
    return sum(1 for m in fake.ephemeral_messages(CHANNEL) if m["user"] == "U1")


def _ingest_ours(kind: str, scratch: Path, count: int) -> Ingested:
    """Events per second until all *count* replies are stored; then the thank-yous."""
    fake = _fake()
    try:
        with database(kind, scratch) as url:
            port = free_port()
            env = app_env(url, fake.url, port)
            thread_ts = _theme_ts(fake, url, env)
            server = start_server(ledarforum("run"), env, port, scratch / f"ingest-{kind}.log")
            try:
                requests = _replies(thread_ts, count)
                began = time.perf_counter()
                load = drive(server.events_url, requests, 32)
                stored = _until(lambda: count_contributions(url) >= count, 300)
                seconds = time.perf_counter() - began
                # Every stored reply is thanked privately; they may follow the commit.
                _until(lambda: _thanks(fake) >= count, 120, every=0.25)
                lag = time.perf_counter() - began - seconds
                time.sleep(1.0)  # anything doubled would show up now
                final = count_contributions(url)
            finally:
                server.stop()
            rate = count / seconds if stored else 0.0
            return Ingested(rate, final, _thanks(fake), lag, load.statuses)
    finally:
        fake.stop()


def _accepted_rate(kind: str, scratch: Path, count: int) -> float:
    """Thread replies acknowledged per second by a bare Bolt app (*kind*) at c=32."""
    fake = _fake()
    try:
        with database("sqlite", scratch) as url:
            server = _serve(kind, url, fake, scratch)
            try:
                drive(server.events_url, _replies("1700000000.000100", 20), 4)  # warm-up
                load = drive(server.events_url, _replies("1700000000.000100", count), 32)
            finally:
                server.stop()
        return load.statuses.get(200, 0) / load.seconds
    finally:
        fake.stop()


def ingest(scratch: Path, count: int, postgres: bool) -> list[Row]:
    """Row 2: thread replies sent as fast as accepted, until every one is stored and thanked."""
    floor = _accepted_rate("floor", scratch, count)
    sync = _accepted_rate("sync", scratch, count)
    rows = []
    for kind in ("sqlite", "postgresql"):
        name = f"ingest {kind}"
        if kind == "postgresql" and not postgres:
            rows.append(Row(name, "events/s", None, floor, note="no PostgreSQL server"))
            continue
        got = _ingest_ours(kind, scratch, count)
        share = ratio(got.rate or None, floor)
        exact = got.stored == count and got.thanked == count
        note = f"stored {got.stored} of {count}, thanked {got.thanked}" + (
            f", the last thank-you {got.thanks_lag:.1f} s after the last stored"
            if exact
            else " (lost, doubled or not thanked!)"
        )
        rows.append(
            Row(
                name,
                "events/s (stored)",
                got.rate or None,
                floor,
                share,
                target="≥0.4×, exactly N",
                ok=exact and _limit(share, 0.4, upper=False),
                unit="ev/s",
                note=note,
                extra={
                    "statuses": got.statuses,
                    "n": count,
                    "stored": got.stored,
                    "thanked": got.thanked,
                    "thanks_lag_s": got.thanks_lag,
                },
            )
        )
        rows.append(
            Row(
                f"{name} (vs sync Bolt)",
                "events/s (stored)",
                got.rate or None,
                sync,
                ratio(got.rate or None, sync),
                unit="ev/s",
                note=SYNC_NOTE,
            )
        )
    return rows
