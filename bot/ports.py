"""The narrow boundary between the core and a platform: how a post goes out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.domain import ForumInfo
from bot.messages import Message


@dataclass(frozen=True)
class PostRef:
    """Where a post landed: its platform message id (the thread root) and a link, if known."""

    message_id: str
    permalink: str | None = None


class RecipientGone(Exception):
    """A private message cannot reach this person, for good (deactivated, left, blocked the bot).

    Raised by :meth:`Poster.send_direct` instead of a platform's own error, so the core can tell
    "skip this person" from a failure that a later attempt may get past (rate limits, outages).
    ``reason`` is the platform's short code (``user_disabled``, ``http_403``).
    """

    def __init__(self, user_id: str, reason: str) -> None:
        super().__init__(f"{user_id} cannot be reached: {reason}")
        self.user_id = user_id
        self.reason = reason


class Poster(Protocol):
    """What a platform adapter offers the core for proactive posts.

    Implementations retry transient failures themselves and raise only when a post could not be
    made; raising means "maybe not posted", so the caller will check :meth:`find_post` first.
    """

    def post(self, forum: ForumInfo, message: Message, *, thread_id: str | None = None) -> PostRef:
        """Post *message* in the forum's channel (or in the thread under *thread_id*)."""
        ...

    def find_post(self, forum: ForumInfo, marker: str, since: datetime) -> PostRef | None:
        """A post of ours tagged with *marker* made after *since*, if the platform can tell."""
        ...

    def split(self, message: Message) -> list[Message]:
        """*message* cut into parts that each fit the platform's limits (the digest)."""
        ...

    def send_direct(self, forum: ForumInfo, user_id: str, message: Message) -> None:
        """Send *message* privately to a person (subscriptions, previews).

        Raises :class:`RecipientGone` when the platform says the person cannot be reached at
        all; any other exception means "maybe later".
        """
        ...


@runtime_checkable
class MemberCounter(Protocol):
    """An optional capability of a poster: how many members the forum's channel has.

    Kept apart from :class:`Poster` so a platform that cannot tell (the console) need not say so.
    The core asks at most once a day per forum (:func:`bot.services.stats.member_count`).
    """

    def member_count(self, forum: ForumInfo) -> int | None:
        """The channel's member count, or None when the platform will not tell."""
        ...
