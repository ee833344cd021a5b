"""Answers posted to a slash command's or an interaction's ``response_url``, over kept-alive
connections.

slack_sdk's ``WebhookClient`` opens a new connection (and, against Slack, a new TLS session) for
every answer; under a burst of commands that cost more than rendering the answer. One
``httpx.Client`` per process keeps a few connections to ``hooks.slack.com`` open instead. The
retry rule is the Web API's (:func:`handlers.slack.poster.retry_handlers`): a connection error or
a 5xx is tried again after a short pause, a 429 after its ``Retry-After``; a 4xx other than 429
(an expired or unknown URL) is final, and the caller falls back to an ephemeral message or a DM.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import httpx

from bot.ratelimit import retry_after_seconds

log = logging.getLogger(__name__)

TIMEOUT = 10.0
ATTEMPTS = 3
PAUSE = 0.5  # seconds before a retry after a connection error or 5xx, doubled each time
LONGEST_WAIT = 30.0  # a Retry-After beyond this is not waited for: the answer falls back

_lock = threading.Lock()
_client: tuple[int, httpx.Client] | None = None


def _shared() -> httpx.Client:
    """This process's client (a forked worker makes its own: sockets are never shared)."""
    global _client
    with _lock:
        if _client is None or _client[0] != os.getpid():
            limits = httpx.Limits(max_connections=16, max_keepalive_connections=8)
            _client = (os.getpid(), httpx.Client(timeout=TIMEOUT, limits=limits))
        return _client[1]


def respond(url: str, text: str, blocks: list[dict[str, Any]], *, replace: bool) -> bool:
    """Post an ephemeral answer to *url*; True when Slack took it."""
    body: dict[str, Any] = {"text": text, "blocks": blocks, "response_type": "ephemeral"}
    if replace:
        body["replace_original"] = True
    pause = PAUSE
    for attempt in range(1, ATTEMPTS + 1):
        last = attempt == ATTEMPTS
        try:
            answer = _shared().post(url, json=body)
        except httpx.HTTPError as exc:
            log.info("response_url unreachable (%s)", type(exc).__name__)
            if last:
                return False
            time.sleep(pause)
            pause *= 2
            continue
        if answer.status_code == 200:
            return True
        if answer.status_code == 429 and not last:
            wait = retry_after_seconds(answer.headers.get("Retry-After"))
            if wait <= LONGEST_WAIT:
                time.sleep(wait)
                continue
        elif answer.status_code >= 500 and not last:
            time.sleep(pause)
            pause *= 2
            continue
        log.info("response_url answered %d", answer.status_code)
        return False
    return False
