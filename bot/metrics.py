"""Prometheus metrics, one registry per process (served at ``/metrics``).

A registry per :class:`Metrics` object rather than the library's global one keeps tests and
several cores in one process apart.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


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

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format."""
        return generate_latest(self.registry)
