"""What every listener needs: the core's dialogue and the inbox to record into.

Listeners are coroutines on the server's event loop: recording goes through the group-commit
:class:`~bot.services.inbox.recorder.Recorder` (awaited, never blocking the loop), and the few
steps that read the database or call Slack synchronously run in a worker thread (:func:`blocking`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ParamSpec, TypeVar

from slack_sdk import WebClient

from bot.dialogue import Actor, Dialogue
from bot.domain import ForumInfo, Language, Platform
from bot.inbound import Place
from bot.inbound_handler import InboundHandler
from bot.places import forum_at, forum_by_id
from bot.services.inbox import Inbox
from bot.services.inbox.recorder import Recorder
from handlers.slack.process import People

P = ParamSpec("P")
R = TypeVar("R")


async def blocking(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a synchronous step (a database read, a sync Web API call) off the event loop."""
    return await asyncio.to_thread(function, *args, **kwargs)


@dataclass(frozen=True)
class Deps:
    """The listeners' collaborators."""

    dialogue: Dialogue
    inbox: Inbox
    recorder: Recorder
    wake: Callable[[], None]
    client_for: Callable[[str], WebClient]  # a workspace's synchronous client (in threads)
    # Notes each arriving request for a worker in this process (None: the workers run in
    # processes of their own and need no notice).
    arrived: Callable[[], None] | None = None
    people: People = field(default_factory=People)  # the inbox worker's, to share its cache

    async def record(self, team_id: str, item_id: str, kind: str, body: dict[str, Any]) -> None:
        """Store the request durably (raises on a database error: no ack, Slack retries)."""
        if await self.recorder.record(Platform.SLACK, team_id, item_id, kind, body):
            self.wake()

    def language(
        self, body: dict[str, Any], channel_id: str = "", word: Language | None = None
    ) -> Language:
        """The language to answer in at once, by the dialogue's rule (*word*: the command's).

        Within Slack's three seconds the person's locale is only known if it is cached already.
        """
        actor = self.actor(body)
        forum = self.forum_here(actor, channel_id) or self.dialogue.forum_for(actor, "")
        return self.dialogue.language_for(actor, forum, word)

    def forum_here(self, actor: Actor, channel_id: str) -> ForumInfo | None:
        """The forum of a channel, by the core's rule (a configured one is adopted)."""
        return forum_at(self.dialogue.db, Place(Platform.SLACK, actor.workspace_id, channel_id))

    def forum(self, forum_id: object) -> ForumInfo | None:
        """The forum a button or form names by its id."""
        return forum_by_id(self.dialogue.db, forum_id)

    @property
    def handler(self) -> InboundHandler:
        """The core's handler of what people do (it keeps no state of its own)."""
        return InboundHandler(self.dialogue)

    def actor(self, body: dict[str, Any]) -> Actor:
        """The person, with their locale when the cache of ``users.info`` answers has it."""
        actor = actor_of(body)
        known = self.people.known(actor.user_id)
        return replace(actor, locale=known.locale) if known else actor


def team_of(body: dict[str, Any]) -> str:
    """The workspace a request comes from (events, commands and interactions differ)."""
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    if not team:
        team = (body.get("user") or {}).get("team_id") if isinstance(body.get("user"), dict) else ""
    return str(team or "")


def user_of(body: dict[str, Any]) -> str:
    """The person behind a command or an interaction."""
    user = body.get("user")
    return str(user.get("id") if isinstance(user, dict) else body.get("user_id") or "")


def actor_of(body: dict[str, Any]) -> Actor:
    """The person as the dialogue knows them (names are looked up later, off the ack path)."""
    user = user_of(body)
    return Actor(Platform.SLACK, team_of(body), user, user)
