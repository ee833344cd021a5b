"""Rows 1, 2 and 5: acknowledgement latency, ingest rate and footprint of the real app over HTTP.

Ours is a ``ledarforum run`` subprocess; the baseline a bare Bolt app
(:mod:`benchmarks.baseline_app`) served the same way. Both are driven over loopback with
correctly signed requests.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
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
)
from fakes.slack import FakeSlackAPI
from fakes.slack.signing import FORM, JSON, event_callback, message_event, slash_command

BASELINE = [sys.executable, "-m", "benchmarks.baseline_app"]


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
    argv = ledarforum("run") if kind == "ours" else BASELINE
    return start_server(argv, env, port, scratch / f"{kind}-{port}.log")


def _load_row(name: str, conc: int, ours: Load, base: Load) -> list[Row]:
    p99_ratio = ratio(ours.quantile(0.99), base.quantile(0.99))
    rate_ratio = ratio(ours.rate, base.rate)
    check = conc == 32
    return [
        Row(
            name,
            f"p50 c={conc}",
            ours.p50 * 1000,
            base.p50 * 1000,
            ratio(ours.p50, base.p50),
            unit="ms",
        ),
        Row(
            name,
            f"p99 c={conc}",
            ours.quantile(0.99) * 1000,
            base.quantile(0.99) * 1000,
            p99_ratio,
            target="≤1.3×" if check else "",
            ok=(p99_ratio is not None and p99_ratio <= 1.3) if check else None,
            unit="ms",
        ),
        Row(
            name,
            f"req/s c={conc}",
            ours.rate,
            base.rate,
            rate_ratio,
            target="≥0.8×" if check else "",
            ok=(rate_ratio is not None and rate_ratio >= 0.8) if check else None,
            unit="req/s",
            extra={"statuses_ours": ours.statuses, "statuses_baseline": base.statuses},
        ),
    ]


def acknowledgement(scratch: Path, requests: int) -> list[Row]:
    """Row 1 (``/ledarforum tema`` at concurrency 1 and 32) and row 5 (start-up, idle RSS)."""
    fake = _fake()
    loads: dict[str, dict[int, Load]] = {}
    answered = (0, 0, 0.0)
    footprint: dict[str, tuple[float, int]] = {}
    try:
        for kind in ("baseline", "ours"):
            with database("sqlite", scratch) as url:
                server = _serve(kind, url, fake, scratch)
                try:
                    time.sleep(2.0)  # idle: the scheduler's catch-up is done, nothing is loaded
                    footprint[kind] = (server.ready_seconds, rss_kib(server.process.pid))
                    drive(server.events_url, _commands(fake, 20), 4)  # warm-up
                    loads[kind] = {}
                    for conc in (1, 32):
                        loads[kind][conc] = drive(
                            server.events_url, _commands(fake, requests), conc
                        )
                    if kind == "ours":
                        # Acks come first, answers follow: every command must get its answer.
                        expected = 20 + 2 * requests
                        began = time.perf_counter()
                        _until(lambda n=expected: len(fake.responses) >= n, 300)
                        answered = (len(fake.responses), expected, time.perf_counter() - began)
                finally:
                    server.stop()
    finally:
        fake.stop()
    rows: list[Row] = []
    for conc in (1, 32):
        bad = {
            kind: {s: n for s, n in loads[kind][conc].statuses.items() if s != 200}
            for kind in loads
        }
        rows += _load_row(
            "ack /ledarforum tema", conc, loads["ours"][conc], loads["baseline"][conc]
        )
        if any(bad.values()):
            rows[-1].note = f"non-200 answers: {bad}"
    got, expected, drained = answered
    rows[-1].note = (rows[-1].note + "; " if rows[-1].note else "") + (
        f"answers posted {got} of {expected}, the last {drained:.1f} s after the last ack"
    )
    rows[-1].extra["answered"] = got
    rows[-1].extra["answers_expected"] = expected
    (ours_ready, ours_rss), (base_ready, base_rss) = footprint["ours"], footprint["baseline"]
    rows.append(
        Row(
            "footprint",
            "start → /readyz 200",
            ours_ready,
            base_ready,
            ratio(ours_ready, base_ready),
            unit="s",
        )
    )
    rows.append(
        Row(
            "footprint",
            "idle RSS",
            ours_rss / 1024,
            base_rss / 1024,
            ratio(ours_rss, base_rss),
            unit="MiB",
        )
    )
    return rows


def _theme_ts(fake: FakeSlackAPI, database_url: str, port_env: dict[str, str]) -> str:
    """Post the theme with ``ledarforum post-theme`` and read its ts from the fake."""
    subprocess.run(
        ledarforum("post-theme"), env=port_env, cwd=ROOT, check=True, capture_output=True
    )
    posted = [m for m in fake.posted_messages(CHANNEL) if not m.get("thread_ts")]
    if not posted:
        raise RuntimeError("post-theme posted nothing")
    return str(posted[-1]["ts"])


def _until(done: Callable[[], bool], timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            return False
        time.sleep(0.05)
    return True


def _ingest_ours(kind: str, scratch: Path, count: int) -> tuple[float, int, dict[int, int]]:
    """Events per second until all *count* replies are stored; and the final stored count."""
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
                time.sleep(1.0)  # anything doubled would show up now
                final = count_contributions(url)
            finally:
                server.stop()
            if not stored:
                seconds = float("inf")
            return count / seconds, final, load.statuses
    finally:
        fake.stop()


def _ingest_baseline(scratch: Path, count: int) -> float:
    fake = _fake()
    try:
        with database("sqlite", scratch) as url:
            server = _serve("baseline", url, fake, scratch)
            try:
                load = drive(server.events_url, _replies("1700000000.000100", count), 32)
            finally:
                server.stop()
        return load.statuses.get(200, 0) / load.seconds
    finally:
        fake.stop()


def ingest(scratch: Path, count: int, postgres: bool) -> list[Row]:
    """Row 2: thread replies sent as fast as accepted, until every one is stored."""
    baseline = _ingest_baseline(scratch, count)
    rows = []
    for kind in ("sqlite", "postgresql"):
        if kind == "postgresql" and not postgres:
            rows.append(
                Row(f"ingest {kind}", "events/s", None, baseline, note="no PostgreSQL server")
            )
            continue
        rate, stored, statuses = _ingest_ours(kind, scratch, count)
        share = ratio(rate, baseline)
        exact = stored == count
        rows.append(
            Row(
                f"ingest {kind}",
                "events/s (stored)",
                rate,
                baseline,
                share,
                target="≥0.5×, exactly N",
                ok=exact and share is not None and share >= 0.5,
                unit="ev/s",
                note=f"stored {stored} of {count}" + ("" if exact else " (lost or doubled!)"),
                extra={"statuses": statuses, "n": count, "stored": stored},
            )
        )
    return rows
