"""How many worker processes ``ledarforum run`` starts, and the metrics of several processes
added up on one ``/metrics``."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings, load_settings, parse_workers, worker_processes
from bot.metrics import Metrics

SQLITE = Settings(database_url="sqlite:///x.db")
POSTGRES = Settings(database_url="postgresql+psycopg://u@h/db")


@pytest.mark.parametrize(
    ("settings", "cpus", "expected"),
    [
        (SQLITE, 8, 1),  # one writer: more processes would only queue
        (SQLITE, 1, 1),
        (POSTGRES, 2, 1),
        (POSTGRES, 4, 3),
        (POSTGRES, 32, 4),
        (POSTGRES, None, 1),
        (Settings(database_url="sqlite:///x.db", workers=0), 8, 0),
        (Settings(database_url="sqlite:///x.db", workers=3), 8, 3),
    ],
)
def test_workers_by_core_count(settings: Settings, cpus: int | None, expected: int) -> None:
    assert worker_processes(settings, cpus) == expected


def test_workers_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("LEDARFORUM_WORKERS", "2")
    assert load_settings("/nonexistent/.env").workers == 2
    monkeypatch.setenv("LEDARFORUM_WORKERS", "many")
    with pytest.raises(ConfigError, match="LEDARFORUM_WORKERS"):
        load_settings("/nonexistent/.env")


@pytest.mark.parametrize("raw", ["-1", "17", "two", ""])
def test_bad_worker_counts_are_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="--workers"):
        parse_workers(raw)


def test_metrics_of_worker_processes_are_added() -> None:
    server, worker, other = Metrics(), Metrics(), Metrics()
    server.events_received.labels("slack").inc(5)
    worker.contributions_stored.labels("thread").inc(3)
    worker.posts_sent.labels("theme", "ok").inc()
    other.contributions_stored.labels("thread").inc(2)
    other.digest_build_seconds.observe(0.2)
    text = server.exposition([worker.snapshot(), other.snapshot()]).decode()
    assert 'ledarforum_events_received_total{platform="slack"} 5.0' in text
    assert 'ledarforum_contributions_stored_total{source="thread"} 5.0' in text
    assert 'ledarforum_posts_sent_total{kind="theme",status="ok"} 1.0' in text
    assert "ledarforum_digest_build_seconds_count 1.0" in text
    assert text.count("# TYPE ledarforum_contributions_stored_total counter") == 1
    # Without other processes, the exposition is the process's own, unchanged.
    assert server.exposition() == server.exposition([])
