"""``python -m benchmarks [--quick] [--only ROWS] [--skip-postgres-if-unavailable]``: run the
rows, print the table and write ``benchmarks/results/latest.json``."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks.common import Row, pg_available, temp_dir
from benchmarks.digest_build import digest_rows
from benchmarks.digest_dms import dms_row
from benchmarks.fanout import fan_out
from benchmarks.serving import acknowledgement, ingest

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


@dataclass(frozen=True)
class Sizes:
    """How big each row is."""

    requests: int
    events: int
    digest_week: int
    digest_total: int
    forums: int
    workspaces: int
    budget: int
    fanout_timeout: float
    repeats: int


FULL = Sizes(2_000, 3_000, 10_000, 1_000_000, 500, 5, 80, 300.0, 3)
QUICK = Sizes(50, 50, 2_000, 20_000, 20, 2, 1_000, 60.0, 1)


def machine() -> dict[str, str | int]:
    """Where the run happened."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count() or 0,
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value < 10 else f"{value:.1f}"


def table(rows: Sequence[Row]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| benchmark | measure | ours | reference | ratio | target | met | note |",
        "|---|---|---:|---:|---:|---|:-:|---|",
    ]
    for row in rows:
        unit = f" {row.unit}" if row.unit else ""
        ours = _fmt(row.ours) + (unit if row.ours is not None else "")
        reference = _fmt(row.reference) + (unit if row.reference is not None else "")
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else "—"
        met = {True: "✓", False: "✗", None: ""}[row.ok]
        lines.append(
            f"| {row.name} | {row.measure} | {ours} | {reference} | {ratio} | {row.target} "
            f"| {met} | {row.note} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite; exit 1 when a row could not run at all."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tiny smoke version of each row")
    parser.add_argument(
        "--skip-postgres-if-unavailable",
        action="store_true",
        help="skip the PostgreSQL rows (with a note) when no server answers",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated rows to run (ack, ingest, digest, fanout, dms); default: all",
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    postgres = pg_available()
    if not postgres and not args.skip_postgres_if_unavailable:
        print("no PostgreSQL server at 127.0.0.1:5432; its rows are skipped", file=sys.stderr)
    began = time.perf_counter()
    rows: list[Row] = []
    timings: dict[str, float] = {}
    with temp_dir() as scratch:
        steps: list[tuple[str, Callable[[], list[Row]]]] = [
            ("ack", lambda: acknowledgement(scratch, sizes.requests)),
            ("ingest", lambda: ingest(scratch, sizes.events, postgres)),
            (
                "digest",
                lambda: digest_rows(
                    scratch, sizes.digest_week, sizes.digest_total, postgres, sizes.repeats
                ),
            ),
            (
                "fanout",
                lambda: fan_out(
                    scratch, sizes.forums, sizes.workspaces, sizes.budget, sizes.fanout_timeout
                ),
            ),
            ("dms", lambda: dms_row(scratch, args.quick)),
        ]
        chosen = {name.strip() for name in args.only.split(",") if name.strip()}
        unknown = chosen - {name for name, _ in steps}
        if unknown:
            parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
        for name, step in steps:
            if chosen and name not in chosen:
                continue
            started = time.perf_counter()
            print(f"running {name} …", file=sys.stderr, flush=True)
            rows += step()
            timings[name] = time.perf_counter() - started
    total = time.perf_counter() - began
    print(table(rows))
    print(f"\n{machine()}; {'quick' if args.quick else 'full'} run in {total:.0f} s")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "quick": args.quick,
        "machine": machine(),
        "seconds": total,
        "step_seconds": timings,
        "sizes": asdict(sizes),
        "rows": [asdict(row) for row in rows],
    }
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
