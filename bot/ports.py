"""The narrow boundary between the core and a platform: how a post goes out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain import ForumInfo
from bot.messages import Message


@dataclass(frozen=True)
class PostRef:
    """Where a post landed: its platform message id (the thread root) and a link, if known."""

    message_id: str
    permalink: str | None = None


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
        """Send *message* privately to a person (subscriptions, previews)."""
        ...
