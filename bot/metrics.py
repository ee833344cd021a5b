"""Prometheus metrics, one registry per process (served at ``/metrics``).

A registry per :class:`Metrics` object rather than the library's global one keeps tests and
several cores in one process apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

# One process's counts: (family, sample name, sorted labels) → value.
Snapshot = dict[tuple[str, str, tuple[tuple[str, str], ...]], float]


class Metrics:
    """The counters operators watch."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events_received = Counter(
            "ledarforum_events_received_total",
            "Inbound platform events and submissions received",
            ["platform"],
            registry=self.registry,
        )
        self.events_deduplicated = Counter(
            "ledarforum_events_deduplicated_total",
            "Inbound deliveries recognised as repeats and ignored",
            ["platform"],
            registry=self.registry,
        )
        self.contributions_stored = Counter(
            "ledarforum_contributions_stored_total",
            "Good examples stored",
            ["source"],
            registry=self.registry,
        )
        self.posts_sent = Counter(
            "ledarforum_posts_sent_total",
            "Theme posts and digests sent",
            ["kind", "status"],
            registry=self.registry,
        )
        self.retries = Counter(
            "ledarforum_platform_retries_total",
            "Platform calls retried after a failure",
            ["platform", "reason"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "ledarforum_platform_rate_limited_total",
            "HTTP 429 answers from a platform",
            ["platform"],
            registry=self.registry,
        )
        self.digest_build_seconds = Histogram(
            "ledarforum_digest_build_seconds",
            "Time to read and build a digest",
            registry=self.registry,
            buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )

    def snapshot(self) -> Snapshot:
        """This process's counts, to be added to another process's exposition."""
        found: Snapshot = {}
        for family in self.registry.collect():
            for sample in family.samples:
                if not sample.name.endswith("_created"):
                    found[(family.name, sample.name, tuple(sorted(sample.labels.items())))] = (
                        sample.value
                    )
        return found

    def exposition(self, others: Iterable[Snapshot] = ()) -> bytes:
        """The metrics in Prometheus' text format, with *others* (the worker processes' counts)
        added in, so one scrape of the server sees the whole bot."""
        more = list(others)
        if not more:
            return generate_latest(self.registry)
        merged = CollectorRegistry(auto_describe=False)
        merged.register(_Summed(self.registry, more))
        return generate_latest(merged)


class _Summed(Collector):
    """A registry's families with other processes' samples added, sample by sample."""

    def __init__(self, registry: CollectorRegistry, others: list[Snapshot]) -> None:
        self.registry = registry
        self.others = others

    def collect(self) -> Iterator[Metric]:
        for family in self.registry.collect():
            extra = _family_totals(family.name, self.others)
            summed = Metric(family.name, family.documentation, family.type, family.unit)
            seen = set()
            for sample in family.samples:
                key = (sample.name, tuple(sorted(sample.labels.items())))
                seen.add(key)
                value = sample.value + extra.get(key, 0.0)
                summed.add_sample(sample.name, sample.labels, value)
            for (name, labels), value in extra.items():
                if (name, labels) not in seen:  # a label set only a worker has counted
                    summed.add_sample(name, dict(labels), value)
            yield summed


def _family_totals(
    family: str, others: list[Snapshot]
) -> Mapping[tuple[str, tuple[tuple[str, str], ...]], float]:
    totals: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for snapshot in others:
        for (name, sample, labels), value in snapshot.items():
            if name == family:
                totals[(sample, labels)] = totals.get((sample, labels), 0.0) + value
    return totals
