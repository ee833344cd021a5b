"""Row 3: build and render one week's digest in a small and in a large database.

The small database holds only the week; the large one the same week plus the rest of five years
of history. If the cost follows the week (one indexed range query), large ÷ small stays near 1.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from benchmarks.common import Row, database, ratio
from bot.config import Settings
from bot.core import open_core
from bot.domain import ForumInfo, Platform
from bot.posts import digest_post
from bot.services import digest, forums
from bot.storage.models import Contribution
from bot.timing import Moments, digest_window
from handlers.slack import render

MOMENT = datetime(2025, 3, 14, 13, 0, tzinfo=UTC)  # Friday 14:00 in Stockholm
COLUMNS = (
    "forum_id",
    "platform",
    "workspace_id",
    "period",
    "theme_title_sv",
    "theme_title_en",
    "author_id",
    "author_name",
    "text",
    "source",
    "channel_id",
    "source_message_id",
    "permalink",
    "anonymous",
    "created_at",
    "recorded_at",
)
BATCH = 20_000
TEXT = (
    "Vi testade gåmöten i ledningsgruppen och det gav mer energi än vi trodde; "
    "nästa steg är att låta varje team prova samma sak under en månad."
)


def _moments_in(start: datetime, end: datetime, count: int, offset: int) -> Iterator[datetime]:
    span = (end - start).total_seconds()
    for number in range(count):
        yield start + timedelta(seconds=span * (number + 0.5) / count + offset * 1e-6)


def _rows(forum_id: int, week: int, history: int) -> Iterator[tuple[Any, ...]]:
    """*week* contributions in the digest's week, *history* over the five years before it."""
    start, end = digest_window(MOMENT, Moments())
    first = end - timedelta(days=5 * 365)
    stamps = list(_moments_in(start, end, week, 0))
    if history:
        # History avoids the week itself, so both databases give the very same digest.
        stamps += [t for t in _moments_in(first, start, history, 1) if t <= start]
    for number, at in enumerate(stamps):
        naive = at.astimezone(UTC).replace(tzinfo=None)
        yield (
            forum_id,
            "slack",
            "T1",
            f"{at.year:04d}-{at.month:02d}",
            "Verksamhetsplanering och mål",
            "Operational planning and goals",
            f"U{number % 300}",
            f"Person {number % 300}",
            f"{TEXT} ({number})",
            "thread",
            "C1",
            f"{number}.000001",
            f"https://example.slack.com/archives/C1/p{number}",
            number % 17 == 0,
            naive,
            naive,
        )


def _fill(url: str, forum_id: int, engine: Any, week: int, history: int) -> float:
    began = time.perf_counter()
    rows = _rows(forum_id, week, history)
    if url.startswith("postgresql"):
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor() as cursor:
                statement = f"COPY contributions ({', '.join(COLUMNS)}) FROM STDIN"
                with cursor.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
            raw.commit()
            conn.exec_driver_sql("ANALYZE contributions")
            conn.commit()
    else:
        table = Contribution.__table__
        batch: list[dict[str, Any]] = []
        with engine.begin() as conn:
            for row in rows:
                batch.append(dict(zip(COLUMNS, row, strict=True)))
                if len(batch) >= BATCH:
                    conn.execute(insert(table), _aware(batch))
                    batch = []
            if batch:
                conn.execute(insert(table), _aware(batch))
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - began


def _aware(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in batch:
        row["created_at"] = row["created_at"].replace(tzinfo=UTC)
        row["recorded_at"] = row["recorded_at"].replace(tzinfo=UTC)
    return batch


def _build(core: Any, forum: ForumInfo) -> int:
    """Load, build, render and split the digest; returns the number of Slack messages."""
    start, end = digest_window(MOMENT, Moments())
    with core.db.transaction() as session:
        built = digest.load(session, forum.id, start, end)
    message = digest_post(forum, built, "sv")
    parts = render.split(message)
    for part in parts:
        render.blocks_of(part)
        render.fallback_text(part)
    return len(parts)


def measure(url: str, week: int, history: int, repeats: int = 3) -> dict[str, float]:
    """Fill a fresh database and time the digest (median of *repeats*) and its peak memory."""
    core = open_core(Settings(database_url=url))
    try:
        with core.db.transaction() as session:
            forum, _ = forums.ensure_forum(
                session, Platform.SLACK, "T1", "C1", language="sv", timezone="Europe/Stockholm"
            )
        fill = _fill(url, forum.id, core.db.engine, week, history)
        _build(core, forum)  # warm caches (query compilation, locale data)
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            parts = _build(core, forum)
            times.append(time.perf_counter() - began)
        tracemalloc.start()
        _build(core, forum)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        core.close()
    return {
        "seconds": statistics.median(times),
        "peak_mib": peak / 2**20,
        "fill_seconds": fill,
        "parts": parts,
        "rows": week + history,
    }


def digest_rows(
    scratch: Path, week: int, total: int, postgres: bool, repeats: int = 3
) -> list[Row]:
    """Row 3 on SQLite and (when available) PostgreSQL."""
    rows: list[Row] = []
    for kind in ("sqlite", "postgresql"):
        name = f"digest {kind}"
        if kind == "postgresql" and not postgres:
            rows.append(Row(name, "build+render", None, note="no PostgreSQL server"))
            continue
        with database(kind, scratch) as url:
            small = measure(url, week, 0, repeats)
        with database(kind, scratch) as url:
            large = measure(url, week, total - week, repeats)
        slower = ratio(large["seconds"], small["seconds"])
        rows.append(
            Row(
                name,
                f"time, {week:,} of {week:,}",
                small["seconds"] * 1000,
                unit="ms",
                target="<1000 ms",
                ok=small["seconds"] < 1.0,
                note=f"{small['parts']} Slack messages",
                extra=small,
            )
        )
        rows.append(
            Row(
                name,
                f"time, {week:,} of {total:,}",
                large["seconds"] * 1000,
                small["seconds"] * 1000,
                slower,
                target="≤1.5×",
                ok=slower is not None and slower <= 1.5,
                unit="ms",
                note=f"filled in {large['fill_seconds']:.0f} s",
                extra=large,
            )
        )
        rows.append(
            Row(
                name,
                "peak memory",
                large["peak_mib"],
                small["peak_mib"],
                ratio(large["peak_mib"], small["peak_mib"]),
                unit="MiB",
            )
        )
    return rows
