"""The rate limiter behind :meth:`FakeSlackAPI.rate_limit`: a token bucket per channel for
``chat.postMessage`` and sliding windows per team (one minute unless told) and per method."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class _RateLimits:
    per_channel_per_second: float | None
    burst: int
    per_team_per_minute: int | None
    per_method_per_minute: dict[str, int]
    retry_after: int | None
    team_window: float = 60.0  # seconds of the per-team window (``per_team_per_minute`` per it)
    teams: frozenset[str] | None = None  # the teams the per-team window limits (None: all)
    buckets: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    team_windows: dict[str, deque[float]] = field(default_factory=dict)
    method_windows: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def check(self, method: str, team_id: str, channel: str | None, now: float) -> float | None:
        """Seconds to wait if the call must be refused; otherwise charge it and return None."""
        waits: list[float] = []
        bucket_key = (team_id, channel or "")
        tokens = 0.0
        posting = method == "chat.postMessage"
        if posting and self.per_channel_per_second:
            rate = self.per_channel_per_second
            tokens, last = self.buckets.get(bucket_key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * rate)
            if tokens < 1.0:
                waits.append((1.0 - tokens) / rate)
        windows: list[tuple[deque[float], int, float]] = []
        if (
            posting
            and self.per_team_per_minute is not None
            and (self.teams is None or team_id in self.teams)
        ):
            windows.append(
                (
                    self.team_windows.setdefault(team_id, deque()),
                    self.per_team_per_minute,
                    self.team_window,
                )
            )
        method_limit = self.per_method_per_minute.get(method)
        if method_limit is not None:
            windows.append(
                (self.method_windows.setdefault((team_id, method), deque()), method_limit, 60.0)
            )
        for window, limit, span in windows:
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= limit:
                waits.append(window[0] + span - now if window else span)
        if waits:
            return max(waits)
        if posting and self.per_channel_per_second:
            self.buckets[bucket_key] = (tokens - 1.0, now)
        for window, _, _ in windows:
            window.append(now)
        return None
