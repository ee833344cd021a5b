"""Rate limits and fault injection: the knobs tests turn (:meth:`FaultInjection.rate_limit`,
:meth:`FaultInjection.inject_faults`) and the answers an injected fault produces."""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from fakes.slack.limits import _RateLimits
from fakes.slack.records import Call, Fault, _html, _Reply
from fakes.slack.state import SlackState


class FaultInjection(SlackState):
    """Slack-like rate limits and injected faults, both off until asked for."""

    # -- configuration -------------------------------------------------------------------------

    def rate_limit(
        self,
        per_channel_per_second: float | None = 1.0,
        per_team_per_minute: int | None = None,
        retry_after: int | None = 1,
        *,
        burst: int = 1,
        per_method_per_minute: Mapping[str, int] | None = None,
        team_window: float = 60.0,
        teams: Iterable[str] | None = None,
    ) -> None:
        """Enforce Slack-like limits (off by default).

        ``chat.postMessage`` is limited per channel by a token bucket (``burst`` messages, refilled
        at ``per_channel_per_second``; the default allows 1 message in any 1-second window) and,
        optionally, per team per sliding minute (or per ``team_window`` seconds: then
        ``per_team_per_minute`` posts in any such window; only in ``teams`` when given).
        ``per_method_per_minute`` limits any method per team (e.g. ``{"users.info": 100}``).
        Refusals are HTTP 429 + ``Retry-After`` (the given seconds, or the real wait rounded up
        when ``retry_after`` is None) and go to :attr:`rejected`, not :attr:`calls`.
        """
        with self._lock:
            self._limits = _RateLimits(
                per_channel_per_second=per_channel_per_second,
                burst=max(1, burst),
                per_team_per_minute=per_team_per_minute,
                per_method_per_minute=dict(per_method_per_minute or {}),
                retry_after=retry_after,
                team_window=team_window,
                teams=None if teams is None else frozenset(teams),
            )

    def clear_rate_limits(self) -> None:
        with self._lock:
            self._limits = None

    def inject_faults(self, method: str, faults: Iterable[Fault]) -> None:
        """Queue failures for the next calls to ``method`` (``"*"``: any method). See ``Fault``."""
        with self._lock:
            queue = self._faults.setdefault(method, deque())
            for fault in faults:
                if isinstance(fault, str) and fault not in ("timeout", "slow", "reset"):
                    raise ValueError(f"unknown fault {fault!r}")
                queue.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- internals -----------------------------------------------------------------------------

    def _take_fault(self, method: str) -> Fault | None:
        for key in (method, "*"):
            queue = self._faults.get(key)
            if queue:
                return queue.popleft()
        return None

    def _fault_reply(
        self,
        method: str,
        params: dict[str, Any],
        token: str | None,
        http_method: str,
        mime: str,
        fault: Fault,
    ) -> _Reply:
        team = None
        with self._lock:
            tok = self._tokens.get(token) if token else None
            team = tok.team_id if tok else None
        if isinstance(fault, dict):
            reply = _Reply(200, json.dumps(fault).encode())
            status, response = 200, dict(fault)
        elif fault == "reset":
            reply, status, response = _Reply(reset=True), 0, None
        elif fault == "timeout":
            status, response = 504, None
            reply = _Reply(
                504, _html(504, "Gateway Timeout"), "text/html", delay=self.timeout_delay
            )
        elif isinstance(fault, int) and fault == 429:
            response = {"ok": False, "error": "ratelimited"}
            status = 429
            reply = _Reply(
                429,
                json.dumps(response).encode(),
                headers={"Retry-After": str(self.fault_retry_after)},
            )
        elif isinstance(fault, int):
            status, response = fault, None
            reply = _Reply(fault, _html(fault, "Server Error"), "text/html; charset=utf-8")
        else:  # pragma: no cover - rejected by inject_faults
            raise ValueError(fault)
        call = Call(method, params, token, team, time.time(), http_method, mime, status, response)
        with self._lock:
            self._faulted.append((call, fault))
            self._changed.notify_all()
        return reply
