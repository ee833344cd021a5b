"""The benchmark suite's smoke version runs and writes every row (how fast is not checked)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # every benchmark row at its smallest size: about a minute

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmarks_run_and_write_every_row(tmp_path: Path) -> None:
    output = tmp_path / "latest.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--skip-postgres-if-unavailable",
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(output.read_text())
    names = {row["name"] for row in report["rows"]}
    assert {"ack /ledarforum tema", "ack /ledarforum tema (vs sync Bolt)"} <= names
    assert {"footprint", "footprint (vs sync Bolt)"} <= names
    assert {"ingest sqlite", "ingest postgresql"} <= names
    assert {"digest sqlite", "digest postgresql"} <= names
    assert "fan-out" in names
    assert "| benchmark |" in done.stdout
    # Every row of ours is measured against the AsyncApp floor of the same run.
    acks = [row for row in report["rows"] if row["name"] == "ack /ledarforum tema"]
    assert len(acks) == 6 and all(row["reference"] for row in acks)
    assert {row["target"] for row in acks} >= {"≤1.5×", "≥0.7×"}
    footprint = {row["measure"]: row for row in report["rows"] if row["name"] == "footprint"}
    assert set(footprint) == {
        "start → /readyz 200",
        "idle RSS (process tree)",
        "restart → /readyz 200",
    }
    tree = footprint["idle RSS (process tree)"]
    assert tree["extra"]["processes"] >= 1
    assert tree["ours"] >= tree["extra"]["own_mib"] > 0
    ingested = [row for row in report["rows"] if row["name"] == "ingest sqlite"]
    assert ingested[0]["extra"]["stored"] == ingested[0]["extra"]["n"]
    assert ingested[0]["extra"]["thanked"] == ingested[0]["extra"]["n"]
    fan_out = next(row for row in report["rows"] if row["name"] == "fan-out")
    assert fan_out["extra"]["duplicates"] == 0
    assert fan_out["extra"]["lost"] == 0
