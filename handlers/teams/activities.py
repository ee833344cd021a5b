"""Teams activities turned into the core's commands and shares, and the answers sent back.

Everything here is synchronous and runs in a worker thread (never on the SDK's event loop): it
reads and writes the database and posts through :class:`~handlers.teams.poster.TeamsPoster`.

Identities: a person is their Entra object id (``from.aadObjectId``, what ``LEDARFORUM_ORGANISERS``
lists), a forum's workspace is its tenant id, and its channel is the channel's conversation id
(``19:…@thread.tacv2``). Private answers go to the person's 1:1 chat with the bot.

What a message means:

* a submitted card (``value`` with an ``action``): the share form, the share button, undo, forget;
* in the 1:1 chat: a command;
* in a channel, mentioning the bot: a command when it starts with a command word, otherwise (in
  a theme post's thread) a good practice;
* a reply in a theme post's thread (``conversation.id`` = ``<channel>;messageid=<root>``, which
  arrives without a mention thanks to the ``ChannelMessage.Read.Group`` permission): a good
  practice of that theme's period. Other channel messages are ignored.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from microsoft_teams.api import ActivityBase, ConversationUpdateActivity
from microsoft_teams.api.activities.install_update import InstalledActivity
from microsoft_teams.api.activities.message import (
    MessageActivity,
    MessageDeleteActivity,
    MessageUpdateActivity,
)
from microsoft_teams.api.activities.utils import StripMentionsTextOptions

from bot.commands import AdminVerb, Command, Verb, parse
from bot.core import Core
from bot.dialogue import FORGET_CONFIRM, Actor
from bot.domain import ForumInfo, Language, Platform, Source
from bot.forum_admin import SETTINGS_OPEN, settings_form, submit_form
from bot.i18n import t
from bot.messages import Header, Message, Paragraph, Reply
from bot.posts import SHARE_OPEN, SHARE_UNDO, error, info
from bot.services import contributions, forums
from bot.services.publishing import period_of_post
from bot.services.settings import KEYS
from bot.timing import Period
from handlers.teams import render, themes
from handlers.teams.inbox import TeamsInbox
from handlers.teams.poster import Person, TeamsPoster
from handlers.teams.refs import ConversationRef, message_link, split_thread
from handlers.teams.sender import RETRY_STATUSES, SendFailed

log = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<\s*(br\s*/?|/p|/div|/li)\s*>", re.IGNORECASE)
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_NONCE = re.compile(r"[0-9A-Za-z_-]{1,64}")
MAX_ROW_ID = 2**31 - 1  # ids a card may name (forums, contributions): within an INTEGER column
MAX_LINK_CHARS = 1000  # what contributions.permalink holds


@dataclass(frozen=True)
class Where:
    """Where an activity happened."""

    service_url: str
    tenant_id: str
    conversation_id: str
    channel_id: str  # the conversation without its thread suffix
    thread_root: str | None
    kind: str  # "channel", "personal" or "groupChat"
    team_id: str | None = None
    group_id: str | None = None
    channel_name: str | None = None

    @property
    def in_channel(self) -> bool:
        """True in a team's channel (where forums live)."""
        return self.kind == "channel"

    @property
    def ref(self) -> ConversationRef:
        """The channel's conversation reference, as a forum stores it."""
        return ConversationRef(
            self.service_url, self.tenant_id, self.channel_id, self.team_id, self.group_id
        )


def where_of(activity: ActivityBase) -> Where:
    """The place of *activity*, from its conversation and Teams channel data."""
    data = activity.channel_data
    tenant = activity.conversation.tenant_id or (
        data.tenant.id if data and data.tenant and data.tenant.id else ""
    )
    channel, root = split_thread(activity.conversation.id)
    if data and data.channel and data.channel.id:
        channel = data.channel.id
    team = data.team if data else None
    kind = activity.conversation.conversation_type or ("channel" if team else "personal")
    return Where(
        service_url=(activity.service_url or "").rstrip("/") + "/",
        tenant_id=tenant or "",
        conversation_id=activity.conversation.id,
        channel_id=channel,
        thread_root=root,
        kind=str(kind),
        team_id=team.id if team else None,
        group_id=team.aad_group_id if team else None,
        channel_name=data.channel.name if data and data.channel else None,
    )


def actor_of(activity: ActivityBase, where: Where) -> Actor:
    """The person who acted: their Entra object id in their tenant."""
    sender = activity.from_
    return Actor(
        Platform.TEAMS,
        where.tenant_id,
        sender.aad_object_id or sender.id,
        sender.name or "",
        activity.locale,  # the person's Teams language, e.g. "en-US"
    )


def text_of(activity: MessageActivity | MessageUpdateActivity) -> str:
    """What a person wrote: the bot's mention removed, other mentions kept as names, no HTML."""
    text = activity.text or ""
    if isinstance(activity, MessageActivity) and activity.is_recipient_mentioned():
        options = StripMentionsTextOptions(account_id=activity.recipient.id)
        text = activity.model_copy().strip_mentions_text(options).text
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text)).replace("\xa0", " ").strip()


def is_command(command: Command) -> bool:
    """True unless the first word was not a command word (a practice that mentions the bot)."""
    return not (command.verb is Verb.HELP and command.unknown is not None)


class Activities:
    """Answers Teams activities through the core's dialogue and services."""

    def __init__(self, core: Core, poster: TeamsPoster, inbox: TeamsInbox) -> None:
        self.core = core
        self.dialogue = core.dialogue
        self.db = core.db
        self.poster = poster
        self.inbox = inbox

    # -- entry points (one per activity kind) --------------------------------------------------

    def message(self, activity: MessageActivity) -> None:
        """A message: a card submission, a command or a good practice."""
        where = where_of(activity)
        self._once(activity, where, activity.id, lambda: self._message(activity, where))

    def message_update(self, activity: MessageUpdateActivity) -> None:
        """An edited message: a stored good practice follows the edit."""
        where = where_of(activity)
        stamp = activity.timestamp.isoformat() if activity.timestamp else _digest(activity.text)
        event = f"{activity.id}:edit:{stamp}"
        self._once(activity, where, event, lambda: self._edited(activity, where))

    def message_delete(self, activity: MessageDeleteActivity) -> None:
        """A deleted message: a stored good practice goes away with it."""
        where = where_of(activity)
        self._once(activity, where, f"{activity.id}:delete", lambda: self._deleted(activity, where))

    def conversation_update(self, activity: ConversationUpdateActivity) -> None:
        """The bot added to a team or a chat: keep the reference and say hello."""
        bot = activity.recipient.id
        if not any(member.id == bot for member in activity.members_added or []):
            return
        where = where_of(activity)
        self._once(
            activity, where, activity.id, lambda: self._installed(activity, where), keep_ref=True
        )

    def installed(self, activity: InstalledActivity) -> None:
        """The app installed (``installationUpdate``): keep the reference; no message."""
        where = where_of(activity)
        self._once(activity, where, activity.id, lambda: self._refresh_team(where), keep_ref=True)

    # -- the once-only wrapper -----------------------------------------------------------------

    def _once(
        self,
        activity: ActivityBase,
        where: Where,
        event_id: str,
        work: Callable[[], None],
        *,
        keep_ref: bool = False,
    ) -> None:
        payload: dict[str, Any] = {
            "type": activity.type,
            "conversation": where.conversation_id,
            "from": activity.from_.aad_object_id or activity.from_.id,
        }
        if keep_ref:  # an installation's reference outlives the request
            payload["reference"] = where.ref.as_dict()
        claim = self.inbox.begin(
            where.tenant_id, f"{activity.type}:{event_id}", activity.type, payload
        )
        if claim is None:
            log.info("teams activity %s already handled", activity.type)
            return
        try:
            work()
        except SendFailed as exc:
            if not _refused_for_good(exc):
                self.inbox.fail(claim, type(exc).__name__)
                raise
            # Teams will not take the answer (an unknown person or conversation, no access):
            # a 500 would only bring the same activity back to fail again.
            log.warning("teams %s not answered: %s", activity.type, exc)
            self.inbox.give_up(claim, f"{type(exc).__name__}: HTTP {exc.status}")
            return
        except Exception as exc:
            self.inbox.fail(claim, type(exc).__name__)
            raise
        self.inbox.finish(claim)

    # -- messages ------------------------------------------------------------------------------

    def _message(self, activity: MessageActivity, where: Where) -> None:
        actor = actor_of(activity, where)
        person = Person(where.service_url, where.tenant_id, activity.from_.id)
        if where.kind == "personal":
            self.poster.remember_chat(person, where.conversation_id)
        value = activity.value
        if isinstance(value, Mapping) and isinstance(value.get("action"), str):
            self._card_action(activity, where, actor, person, value)
            return
        text = text_of(activity)
        if not where.in_channel:
            self._command(where, actor, person, parse(text), activity.id)
            return
        command = parse(text)
        forum, period = self._thread_of(where)
        if activity.is_recipient_mentioned() and (is_command(command) or period is None):
            self._command(where, actor, person, command, activity.id)
        elif forum is not None and period is not None and contributions.clean_text(text):
            # An empty reply (a picture, a sticker) is not an example: ignored, as in Slack.
            created = activity.timestamp or self.dialogue.clock()
            link = message_link(where.ref, activity.id, where.thread_root)
            reply = self.dialogue.share(
                actor,
                forum,
                text,
                Source.THREAD_REPLY,
                message_id=activity.id,
                created_at=created,
                permalink=link if len(link) <= MAX_LINK_CHARS else None,
                period=period,
                channel_id=where.channel_id,
            )
            self._deliver(reply, where, actor, person, forum)

    def _thread_of(self, where: Where) -> tuple[ForumInfo | None, Period | None]:
        """The forum of the channel, and the theme period when this is a theme post's thread."""
        forum = self._forum_here(where)
        if forum is None or where.thread_root is None:
            return forum, None
        with self.db.transaction() as session:
            return forum, period_of_post(session, forum.id, where.thread_root)

    def _forum_here(self, where: Where) -> ForumInfo | None:
        """The channel's forum, its stored reference brought up to date (service URLs move)."""
        with self.db.transaction() as session:
            forum = forums.by_channel(session, Platform.TEAMS, where.tenant_id, where.channel_id)
            if forum is None:
                return None
            ref = where.ref.as_dict()
            changes: dict[str, Any] = {}
            if forum.conversation_ref != ref:
                changes["conversation_ref"] = ref
            if not forum.name and where.channel_name:
                changes["name"] = where.channel_name[:200]
            if changes:
                forum = forums.update(session, forum.id, actor="teams:conversation", **changes)
            return forum

    def _command(
        self, where: Where, actor: Actor, person: Person, command: Command, message_id: str
    ) -> None:
        if command.verb is Verb.ADMIN and command.admin is AdminVerb.SETUP and not where.in_channel:
            lang = self.dialogue.language_for(actor, None, command.language)
            self.poster.send_private(person, error(lang, "teams.setup.channel_only"))
            return
        if command.verb is Verb.ADMIN and command.admin is AdminVerb.SETTINGS and not command.rest:
            here = self._forum_here(where) if where.in_channel else None
            here = here or self.dialogue.forum_for(actor, where.channel_id)
            if self._send_settings(person, actor, here, command.language):
                return  # else the dialogue answers (not an organiser, no forum)
        reply = self.dialogue.handle(actor, where.channel_id, command, message_id=message_id)
        forum = self._forum_here(where) if where.in_channel else None
        if forum is None:
            forum = self.dialogue.forum_for(actor, where.channel_id)
        self._deliver(reply, where, actor, person, forum, command.language)
        schedule = command.verb is Verb.ADMIN and command.admin is AdminVerb.SCHEDULE
        if schedule and forum is not None and self.dialogue.is_organiser(actor, forum):
            lang = self.dialogue.language_for(actor, forum, command.language)
            self.poster.send_private_card(person, themes.month_picker(lang, forum))

    def _deliver(
        self,
        reply: Reply,
        where: Where,
        actor: Actor,
        person: Person,
        forum: ForumInfo | None,
        word: Language | None = None,
    ) -> None:
        """Private answers to the 1:1 chat, public ones to the channel, files and form privately."""
        data = {"forum": forum.id} if forum else {}
        for message in reply.private:
            self.poster.send_private(person, message, data=data)
        for message in reply.public:
            target = where.channel_id if where.in_channel else where.conversation_id
            for part in render.split(message):
                card = render.card_of(part, data=data)
                self.poster.send_card(where.service_url, where.tenant_id, target, card)
        for attachment in reply.files:
            for part in render.file_messages(attachment):
                self.poster.send_private(person, part)
        if reply.open_form and forum is not None:
            lang = self.dialogue.language_for(actor, forum, word)
            self._open_form(person, forum, lang, None)

    # -- cards ---------------------------------------------------------------------------------

    def _card_action(
        self,
        activity: MessageActivity,
        where: Where,
        actor: Actor,
        person: Person,
        value: Mapping[str, Any],
    ) -> None:
        action = value["action"]
        forum = self._forum_of(value, where)
        lang = self.dialogue.language_for(actor, forum)
        if action == SHARE_OPEN:
            if forum is None:
                self.poster.send_private(person, error(lang, "forum.none"))
                return
            period = _period(value.get("value"))
            self._open_form(person, forum, lang, period.key if period else None)
        elif action == render.SHARE_SUBMIT:
            self._submitted(activity, where, actor, person, forum, lang, value)
        elif action == SHARE_UNDO:
            contribution = _row_id(value.get("value"))
            reply = (
                self.dialogue.undo(actor, contribution, forum)
                if contribution is not None
                else Reply([info(lang, "share.undo_missing")])
            )
            self._deliver(reply, where, actor, person, forum)
        elif action == FORGET_CONFIRM:
            reply = self.dialogue.forget_me(actor, lang, confirmed=True)
            self._deliver(reply, where, actor, person, forum)
        elif action == SETTINGS_OPEN:
            if not self._send_settings(person, actor, forum):
                self.poster.send_private(person, error(lang, "admin.denied"))
        elif action == render.SETTINGS_SUBMIT:
            if forum is None:
                self.poster.send_private(person, error(lang, "admin.denied"))
                return
            typed = {key: text for key in KEYS if isinstance(text := value.get(key), str)}
            reply = submit_form(self.dialogue, actor, forum.id, typed)
            self._deliver(reply, where, actor, person, forum)
        elif action in themes.ACTIONS:
            answer = themes.answer(self.dialogue, actor, forum, lang, value)
            if answer.card is not None:
                self.poster.send_private_card(person, answer.card)
            if answer.message is not None:
                self.poster.send_private(person, answer.message)
        else:
            log.info("teams card action %r ignored", action[:40])

    def _forum_of(self, value: Mapping[str, Any], where: Where) -> ForumInfo | None:
        """The forum a card belongs to: its data names it; it must be in the person's tenant."""
        raw = value.get("forum")
        if raw is not None:
            forum_id = _row_id(raw)
            if forum_id is None:
                return None
            with self.db.transaction() as session:
                forum = forums.get(session, forum_id)
            if forum and forum.platform is Platform.TEAMS and forum.workspace_id == where.tenant_id:
                return forum
            return None
        return self._forum_here(where) if where.in_channel else None

    def _send_settings(
        self,
        person: Person,
        actor: Actor,
        forum: ForumInfo | None,
        word: Language | None = None,
    ) -> bool:
        """Send the settings card of *forum*; False when *actor* may not change its settings."""
        form = settings_form(self.dialogue, actor, forum, word)
        if form is not None:
            self.poster.send_private_card(person, render.settings_form(form))
        return form is not None

    def _open_form(
        self, person: Person, forum: ForumInfo, lang: Language, period: str | None
    ) -> None:
        form = render.share_form(lang, forum_id=forum.id, period=period, nonce=uuid.uuid4().hex)
        self.poster.send_private_card(person, form)

    def _submitted(
        self,
        activity: MessageActivity,
        where: Where,
        actor: Actor,
        person: Person,
        forum: ForumInfo | None,
        lang: Language,
        value: Mapping[str, Any],
    ) -> None:
        if forum is None:
            self.poster.send_private(person, error(lang, "forum.none"))
            return
        form = value.get("form")
        nonce = form if isinstance(form, str) and _NONCE.fullmatch(form) else activity.id
        text = value.get(render.FORM_TEXT)
        flag = value.get(render.FORM_ANONYMOUS)  # Input.Toggle sends "true" or "false"
        anonymous = flag is True or (isinstance(flag, str) and flag.lower() == "true")
        reply = self.dialogue.share(
            actor,
            forum,
            text if isinstance(text, str) else "",  # never a list or a number as text
            Source.FORM,
            message_id=f"form:{nonce}",
            created_at=activity.timestamp or self.dialogue.clock(),
            anonymous=anonymous,
            period=_period(value.get("period")),
        )
        self._deliver(reply, where, actor, person, forum)

    # -- edits and deletions -------------------------------------------------------------------

    def _edited(self, activity: MessageUpdateActivity, where: Where) -> None:
        event = activity.channel_data.event_type if activity.channel_data else None
        if event != "editMessage" or not where.in_channel:
            return
        if "text" not in activity.model_fields_set:
            return  # no text at all says nothing about the message; an empty text empties it
        forum = self._forum_here(where)
        if forum is None:
            return
        edited_at = activity.timestamp or self.dialogue.clock()
        with self.db.transaction() as session:
            contributions.edit(session, forum.id, activity.id, text_of(activity), edited_at)

    def _deleted(self, activity: MessageDeleteActivity, where: Where) -> None:
        if not where.in_channel:
            return
        forum = self._forum_here(where)
        if forum is None:
            return
        with self.db.transaction() as session:
            contributions.delete_by_source(session, forum.id, activity.id)

    # -- installation --------------------------------------------------------------------------

    def _installed(self, activity: ConversationUpdateActivity, where: Where) -> None:
        actor = actor_of(activity, where)
        lang = self.dialogue.language_for(actor, None)
        if where.in_channel:
            self._refresh_team(where)
            welcome = Message(
                "welcome",
                t(lang, "teams.welcome.header"),
                (Header(t(lang, "teams.welcome.header")), Paragraph(t(lang, "teams.welcome.team"))),
            )
            card = render.card_of(welcome)
            self.poster.send_card(where.service_url, where.tenant_id, where.channel_id, card)
        elif where.kind == "personal":
            person = Person(where.service_url, where.tenant_id, activity.from_.id)
            self.poster.remember_chat(person, where.conversation_id)
            reply = self.dialogue.handle(actor, where.channel_id, Command(Verb.HELP))
            self._deliver(reply, where, actor, person, None)

    def _refresh_team(self, where: Where) -> None:
        """Every forum of the team learns the (possibly new) service URL."""
        if not where.team_id:
            return
        with self.db.transaction() as session:
            for forum in forums.all_forums(session, Platform.TEAMS):
                ref = forum.conversation_ref or {}
                if forum.workspace_id != where.tenant_id or ref.get("team_id") != where.team_id:
                    continue
                if ref.get("service_url") != where.service_url:
                    forums.update(
                        session,
                        forum.id,
                        actor="teams:install",
                        conversation_ref={**ref, "service_url": where.service_url},
                    )


def _refused_for_good(exc: SendFailed) -> bool:
    """True when Teams refused a call with a status no retry changes (400, 403, 404, …)."""
    status = exc.status
    return status is not None and 400 <= status < 500 and status not in {429, *RETRY_STATUSES}


def _period(raw: object) -> Period | None:
    """The theme period a card names (``"2026-11"``), or None for anything else."""
    if isinstance(raw, str) and _PERIOD.fullmatch(raw):
        return Period.parse(raw)
    return None


def _row_id(raw: object) -> int | None:
    """A database id a card names (a number or its ASCII digits), or None for anything else."""
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 10:
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 < raw <= MAX_ROW_ID:
        return raw
    return None


def _digest(text: str | None) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:16]
