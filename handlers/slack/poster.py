"""Posting to Slack: Web API clients that retry, a per-channel pace, and the core's ``Poster``.

Every client retries rate limits (429 with ``Retry-After``), server errors and broken connections;
on top of that :class:`ChannelPacer` keeps to about one message per second per channel, so a long
digest or many DMs never run into Slack's ``chat.postMessage`` limit in the first place.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryHandler,
    RetryState,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.oauth.installation_store import InstallationStore

from bot.domain import ForumInfo
from bot.messages import Message
from bot.metrics import Metrics
from bot.ports import PostRef, RecipientGone
from bot.ratelimit import TokenBucket, retry_after_seconds
from handlers.slack import render

log = logging.getLogger(__name__)

HISTORY_PAGES = 5
# Slack's answers to conversations.open or chat.postMessage in a DM that no retry will change:
# the person is deactivated, deleted, hidden from the bot or a bot, or their DM is gone.
RECIPIENT_GONE = frozenset(
    {
        "user_disabled",
        "account_inactive",
        "cannot_dm_bot",
        "user_not_found",
        "user_not_visible",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
    }
)
# Slack allows about one message per second per channel; the margin absorbs network jitter.
CHANNEL_INTERVAL = 1.1


# A workspace gate never limits by itself; it only holds every caller during a Retry-After.
GATE_RATE = 1000.0


class WorkspaceRateLimitRetry(RateLimitErrorRetryHandler):
    """On a 429, pause every call to the workspace for ``Retry-After``, not only this one.

    Slack's limits are per workspace as well as per channel: when one post is refused, the
    others in flight would be refused too, and each retrying on its own wastes the budget.
    """

    def __init__(self, gate: TokenBucket, max_retry_count: int = 12) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.gate = gate

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("rate-limit retry without a response")
        state.next_attempt_requested = True
        header = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        value = header[0] if isinstance(header, list) and header else header
        self.gate.defer(retry_after_seconds(value if isinstance(value, str) else None))
        self.gate.acquire()
        state.increment_current_attempt()


class CountedRetry(RetryHandler):
    """Another retry handler, unchanged, whose every retry is counted in ``/metrics``."""

    def __init__(self, inner: RetryHandler, metrics: Metrics, reason: str) -> None:
        super().__init__(max_retry_count=inner.max_retry_count)
        self.inner = inner
        self.metrics = metrics
        self.reason = reason

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return self.inner.can_retry(state=state, request=request, response=response, error=error)

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self.metrics.retries.labels("slack", self.reason).inc()
        if response is not None and response.status_code == 429:
            self.metrics.rate_limited.labels("slack").inc()
        self.inner.prepare_for_next_attempt(
            state=state, request=request, response=response, error=error
        )


def retry_handlers(
    gate: TokenBucket | None = None, metrics: Metrics | None = None
) -> list[RetryHandler]:
    """Retries for every Web API call: connection errors, rate limits, server errors."""
    # slack_sdk counts attempts once per call across all handlers: a 429 and a 503 before a
    # reset use up two of the connection handler's retries too, hence three each.
    handlers: list[tuple[RetryHandler, str]] = [
        (ConnectionErrorRetryHandler(max_retry_count=3), "connection"),
        (WorkspaceRateLimitRetry(gate or TokenBucket(GATE_RATE, GATE_RATE)), "rate_limited"),
        (ServerErrorRetryHandler(max_retry_count=3), "server_error"),
    ]
    if metrics is None:
        return [handler for handler, _ in handlers]
    return [CountedRetry(handler, metrics, reason) for handler, reason in handlers]


def web_client(
    base_url: str,
    token: str | None = None,
    gate: TokenBucket | None = None,
    metrics: Metrics | None = None,
) -> WebClient:
    """A Web API client for *base_url* (Slack, GovSlack or a test fake) that retries."""
    return WebClient(
        token=token, base_url=base_url, timeout=15, retry_handlers=retry_handlers(gate, metrics)
    )


def gate_of(client: WebClient) -> TokenBucket | None:
    """The workspace gate of a client made by :func:`web_client`."""
    for handler in client.retry_handlers or []:
        inner = handler.inner if isinstance(handler, CountedRetry) else handler
        if isinstance(inner, WorkspaceRateLimitRetry):
            return inner.gate
    return None


def ask_permalink(client: WebClient, channel: str, ts: str) -> str | None:
    """Slack's permalink of a message, or None when Slack will not give one."""
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError:  # a missing link must not fail a made post or a stored example
        return None


class ChannelPacer:
    """Keeps posts to one channel at least *interval* seconds apart (Slack: ~1/s per channel)."""

    def __init__(
        self,
        interval: float = CHANNEL_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, channel: str) -> None:
        """Block until a message may go to *channel*, and book the slot."""
        with self._lock:
            now = self._clock()
            ready = max(now, self._next.get(channel, now))
            self._next[channel] = ready + self.interval
        if ready > now:
            self._sleep(ready - now)


class SlackClients:
    """The Web API client of a workspace: the one bot token, or the workspace's install (OAuth)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        installations: InstallationStore | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.base_url = base_url
        self.metrics = metrics
        self._token = token
        self._installations = installations
        self._cache: dict[str, WebClient] = {}
        self._lock = threading.Lock()

    def token_for(self, team_id: str) -> str | None:
        """The bot token of *team_id*: the installation's with OAuth, else the one token."""
        if self._installations is None:
            return self._token
        bot = self._installations.find_bot(enterprise_id=None, team_id=team_id or None)
        return bot.bot_token if bot is not None else None

    def for_team(self, team_id: str) -> WebClient:
        """The client for *team_id*; raises LookupError when the workspace has no token."""
        token = self.token_for(team_id)
        if not token:
            raise LookupError(f"no Slack token for workspace {team_id or '(unknown)'}")
        with self._lock:
            client = self._cache.get(token)
            if client is None:
                client = self._cache[token] = web_client(self.base_url, token, metrics=self.metrics)
            return client


class SlackPoster:
    """The core's :class:`bot.ports.Poster` for Slack forums."""

    def __init__(self, clients: SlackClients, pacer: ChannelPacer | None = None) -> None:
        self.clients = clients
        self.pacer = pacer or ChannelPacer()

    def post(self, forum: ForumInfo, message: Message, *, thread_id: str | None = None) -> PostRef:
        """Post in the forum's channel; a message too big for one post continues in its thread."""
        client = self.clients.for_team(forum.workspace_id)
        return self.post_in(client, forum.channel_id, message, thread_id=thread_id)

    def post_in(
        self, client: WebClient, channel: str, message: Message, *, thread_id: str | None = None
    ) -> PostRef:
        """Post *message* (split if needed) in *channel*; the reference is its first part."""
        first: PostRef | None = None
        for part in render.split(message):
            self.pacer.wait(channel)
            gate = gate_of(client)
            if gate is not None:
                gate.acquire()  # waits out a Retry-After another post of the workspace received
            response = client.chat_postMessage(
                channel=channel,
                text=render.fallback_text(part),
                blocks=render.blocks_of(part),
                metadata=part.metadata or None,
                thread_ts=thread_id or (first.message_id if first else None),
                unfurl_links=False,
                unfurl_media=False,
            )
            if first is None:
                ts = str(response["ts"])
                first = PostRef(ts, ask_permalink(client, str(response["channel"]), ts))
        assert first is not None  # split() always returns at least one part
        for file in message.files:  # a meeting's invitation: in the post's thread, once posted
            try:  # the post is out: a failed upload loses only the file, never repeats the post
                client.files_upload_v2(
                    channel=channel,
                    thread_ts=first.message_id,
                    filename=file.filename,
                    content=file.data,
                    title=file.title,
                )
            except SlackApiError as exc:
                log.warning("a file of a post was not uploaded: %s", exc.response.get("error"))
        return first

    def find_post(self, forum: ForumInfo, marker: str, since: datetime) -> PostRef | None:
        """Our post tagged *marker* since *since*, read from the channel's message metadata."""
        client = self.clients.for_team(forum.workspace_id)
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            response = client.conversations_history(
                channel=forum.channel_id,
                oldest=f"{since.timestamp():.6f}",
                include_all_metadata=True,
                limit=100,
                cursor=cursor,
            )
            for item in response.get("messages") or []:
                if _marker_of(item) == marker:
                    return PostRef(str(item["ts"]))
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return None

    def split(self, message: Message) -> list[Message]:
        """Parts that fit Slack's block limits (see :func:`handlers.slack.render.split`)."""
        return render.split(message)

    def send_direct(self, forum: ForumInfo, user_id: str, message: Message) -> None:
        """Send *message* to a person in their direct-message channel with the bot.

        Raises :class:`~bot.ports.RecipientGone` when Slack says the person cannot be written
        to at all (see :data:`RECIPIENT_GONE`).
        """
        client = self.clients.for_team(forum.workspace_id)
        try:
            self.send_direct_in(client, user_id, message)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            if error in RECIPIENT_GONE:
                raise RecipientGone(user_id, error) from exc
            raise

    def send_direct_in(self, client: WebClient, user_id: str, message: Message) -> None:
        """A direct message through *client*; each part is its own message."""
        channel = str(client.conversations_open(users=user_id)["channel"]["id"])
        for part in render.split(message):
            self.post_in(client, channel, part)

    def member_count(self, forum: ForumInfo) -> int | None:
        """The channel's ``num_members`` (:class:`bot.ports.MemberCounter`); None when Slack
        will not tell (no token, no access, an error): the share of members is then not shown."""
        try:
            client = self.clients.for_team(forum.workspace_id)
            info = client.conversations_info(channel=forum.channel_id, include_num_members=True)
        except (SlackApiError, LookupError) as exc:
            log.warning("conversations.info for %s failed: %s", forum.channel_id, exc)
            return None
        count = (info.get("channel") or {}).get("num_members")
        return count if isinstance(count, int) and count >= 0 else None


def _marker_of(item: dict[str, Any]) -> str | None:
    metadata = item.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    marker = payload.get("marker")
    return marker if isinstance(marker, str) else None
