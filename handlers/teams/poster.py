"""Posting to Teams: the core's :class:`bot.ports.Poster` and the adapter's private messages.

Every message is an Adaptive Card (see :mod:`handlers.teams.render`) sent through the
:class:`~handlers.teams.sender.Sender`, so pacing and retries are the same for theme posts,
digests, thread replies and 1:1 chats. A theme post or a digest is a new top-level post in the
forum's channel (a message to the bare channel id: its id is the thread root); a part that follows
goes into that thread (``<channel>;messageid=<root>``). Private messages go to the person's 1:1
chat with the bot, which ``POST /v3/conversations`` creates or finds (it is idempotent in Teams).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from microsoft_teams.api.activities.message import MessageActivityInput
from microsoft_teams.api.clients.conversation import CreateConversationParams
from microsoft_teams.apps import App
from microsoft_teams.cards import AdaptiveCard

from bot.domain import ForumInfo
from bot.messages import Message
from bot.ports import PostRef, RecipientGone
from handlers.teams import render
from handlers.teams.refs import ConversationRef, NotConnected, in_thread, message_link
from handlers.teams.sender import Sender, SendFailed

log = logging.getLogger(__name__)

# Teams' answers about one person's 1:1 chat that no retry will change: 403 (the bot was removed
# or blocked, or the person's account is disabled) and 404 (not a member any more, chat gone).
RECIPIENT_GONE = frozenset({403, 404})
# A roster is read in pages of at most 500 (Teams' maximum); 40 pages is a team of 20 000.
MEMBER_PAGE_SIZE, MEMBER_PAGES = 500, 40


@dataclass(frozen=True)
class Person:
    """Someone the bot can write to privately: their Teams id (``29:…``) and where."""

    service_url: str
    tenant_id: str
    teams_id: str


class TeamsPoster:
    """Posts cards to forum channels and 1:1 chats; synchronous, safe from many threads.

    *connect* returns the initialised SDK ``App`` (starting the adapter's event loop on first
    use, so a one-shot CLI command can post without a server).
    """

    def __init__(self, connect: Callable[[], App], sender: Sender) -> None:
        self._connect = connect
        self.sender = sender
        self._chats: dict[tuple[str, str], str] = {}
        self._people: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    # -- the core's Poster ---------------------------------------------------------------------

    def post(self, forum: ForumInfo, message: Message, *, thread_id: str | None = None) -> PostRef:
        """Post *message* at the top of the forum's channel, or in the thread under *thread_id*.

        A message too big for one card continues in its own thread; the reference is its first
        part. Raises :class:`~handlers.teams.refs.NotConnected` for a forum never set up from Teams
        and :class:`~handlers.teams.sender.SendFailed` when Teams keeps refusing.
        """
        ref = ConversationRef.of(forum)
        first: PostRef | None = None
        for part in render.split(message):
            root = thread_id or (first.message_id if first else None)
            conversation = in_thread(ref.channel_id, root) if root else ref.channel_id
            card = render.card_of(part, data={"forum": forum.id})
            sent = self.send_card(ref.service_url, ref.tenant_id, conversation, card)
            if first is None:
                first = PostRef(sent, message_link(ref, sent, root))
        assert first is not None  # split() always returns at least one part
        return first

    def find_post(self, forum: ForumInfo, marker: str, since: datetime) -> PostRef | None:
        """Always None: the Bot Connector cannot list a channel's messages.

        Reading a channel back needs Microsoft Graph and an extra permission, so a claim that is
        resumed after a crash between "posted" and "recorded" posts again rather than risk losing
        the post; the window is a single HTTP round trip.
        """
        return None

    def split(self, message: Message) -> list[Message]:
        """Parts whose cards each stay under Teams' size limit (see :func:`render.split`)."""
        return render.split(message)

    def send_direct(self, forum: ForumInfo, user_id: str, message: Message) -> None:
        """Send *message* to a person of the forum (by Entra object id) in their 1:1 chat.

        Raises :class:`~bot.ports.RecipientGone` when Teams answers 403 or 404 for the person or
        their chat (they left the team, or removed or blocked the bot).
        """
        ref = ConversationRef.of(forum)
        person: Person | None = None
        try:
            person = self.person(ref, user_id)
            self.send_private(person, message, data={"forum": forum.id})
        except SendFailed as exc:
            if exc.status not in RECIPIENT_GONE:
                raise
            self._forget(ref.tenant_id, user_id, person)
            raise RecipientGone(user_id, f"http_{exc.status}") from exc

    def member_count(self, forum: ForumInfo) -> int | None:
        """The team's roster size (:class:`bot.ports.MemberCounter`): a standard channel has the
        team's members. Paged (``pagedMembers``), as Teams asks for large teams; None when the
        forum was never set up from Teams or Teams refuses (the share is then not shown)."""
        try:
            ref = ConversationRef.of(forum)
            app = self._connect()
            api = app.api.clone(service_url=ref.service_url).conversations
            where = ref.team_id or ref.channel_id
            count, token = 0, None
            for _ in range(MEMBER_PAGES):
                page = self.sender.call(
                    ref.tenant_id,
                    None,
                    partial(api.get_paged_members, where, MEMBER_PAGE_SIZE, token),
                    what="member count",
                )
                count += len(page.members or [])
                token = page.continuation_token
                if not token:
                    return count
        except (NotConnected, SendFailed) as exc:
            log.warning("member count of forum %s failed: %s", forum.id, exc)
            return None
        log.warning("member count of forum %s: more than %d pages", forum.id, MEMBER_PAGES)
        return None

    # -- private messages ----------------------------------------------------------------------

    def person(self, ref: ConversationRef, user_id: str) -> Person:
        """The person *user_id* (Entra object id or Teams id) is, looked up in the forum's team."""
        if user_id.startswith("29:"):
            return Person(ref.service_url, ref.tenant_id, user_id)
        key = (ref.tenant_id, user_id)
        with self._lock:
            known = self._people.get(key)
        if known is None:
            app = self._connect()
            api = app.api.clone(service_url=ref.service_url).conversations
            where = ref.team_id or ref.channel_id
            member = self.sender.call(
                ref.tenant_id,
                None,
                lambda: api.get_member_by_id(where, user_id),
                what="member lookup",
            )
            known = member.id
            with self._lock:
                self._people[key] = known
        return Person(ref.service_url, ref.tenant_id, known)

    def _forget(self, tenant_id: str, user_id: str, person: Person | None) -> None:
        # A chat or id Teams no longer accepts is looked up afresh if the person comes back.
        with self._lock:
            self._people.pop((tenant_id, user_id), None)
            if person is not None:
                self._chats.pop((person.tenant_id, person.teams_id), None)

    def remember_chat(self, person: Person, conversation_id: str) -> None:
        """Note the 1:1 chat a person just wrote from, so answers need no lookup."""
        with self._lock:
            self._chats[(person.tenant_id, person.teams_id)] = conversation_id

    def chat(self, person: Person) -> str:
        """The id of the 1:1 chat between the bot and *person*, created if needed."""
        key = (person.tenant_id, person.teams_id)
        with self._lock:
            known = self._chats.get(key)
        if known is not None:
            return known
        app = self._connect()
        api = app.api.clone(service_url=person.service_url).conversations
        # isGroup=false makes it a 1:1 chat; the SDK's model has no field for it.
        params = CreateConversationParams.model_validate(
            {"isGroup": False, "members": [{"id": person.teams_id}], "tenantId": person.tenant_id}
        )
        created = self.sender.call(
            person.tenant_id, None, lambda: api.create(params), what="chat creation"
        )
        with self._lock:
            self._chats[key] = created.id
        return created.id

    def send_private(
        self, person: Person, message: Message, *, data: Mapping[str, Any] | None = None
    ) -> None:
        """Send *message* (in as many cards as it needs) to *person*'s 1:1 chat."""
        chat = self.chat(person)
        for part in render.split(message):
            self.send_card(
                person.service_url, person.tenant_id, chat, render.card_of(part, data=data)
            )

    def send_private_card(self, person: Person, card: AdaptiveCard) -> None:
        """Send a ready-made card (the share form) to *person*'s 1:1 chat."""
        self.send_card(person.service_url, person.tenant_id, self.chat(person), card)

    def send_card(
        self, service_url: str, tenant_id: str, conversation_id: str, card: AdaptiveCard
    ) -> str:
        """Send one card to a conversation; returns the new message's id."""
        app = self._connect()
        sent = self.sender.call(
            tenant_id,
            conversation_id,
            lambda: app.send(
                conversation_id, MessageActivityInput().add_card(card), service_url=service_url
            ),
            what="message",
        )
        return sent.id
