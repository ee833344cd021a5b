"""Teams activities turned into the core's neutral events, and the answers sent back.

Everything here is synchronous and runs in a worker thread (never on the SDK's event loop): it
reads and writes the database and posts through :class:`~handlers.teams.poster.TeamsPoster`.

Identities: a person is their Entra object id (``from.aadObjectId``, what ``LEDARFORUM_ORGANISERS``
lists), a forum's workspace is its tenant id, and its channel is the channel's conversation id
(``19:…@thread.tacv2``). Private answers go to the person's 1:1 chat with the bot.

Each activity becomes one :mod:`bot.inbound` event for :class:`bot.inbound_handler.InboundHandler`,
which decides what it means; Teams' own parts stay here (card refresh, conversation references,
installation). What a message is:

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
    MessageReactionActivity,
    MessageUpdateActivity,
)
from microsoft_teams.api.activities.utils import StripMentionsTextOptions

from bot.core import Core
from bot.dialogue import Actor
from bot.domain import Platform
from bot.forum_admin import SettingsForm
from bot.i18n import t
from bot.inbound import (
    LOGBOOK_FORM,
    MEETING_FORM,
    MONTH_FORM,
    SETTINGS_FORM,
    SHARE_FORM,
    THEME_FORM,
    ButtonPressed,
    CommandGiven,
    FormSubmitted,
    InboundEvent,
    LogbookForm,
    MeetingForm,
    MessageDeleted,
    MessageEdited,
    MessageRef,
    MonthPicker,
    Place,
    Reacted,
    ShareForm,
    ThemeForm,
    ThreadReplied,
)
from bot.inbound_handler import InboundHandler
from bot.messages import Header, Message, Paragraph, Reply
from bot.services import forums
from bot.services.inbox import Inbox
from handlers.teams import forms, render, themes
from handlers.teams.poster import Person, TeamsPoster
from handlers.teams.refs import ConversationRef, message_link, split_thread
from handlers.teams.sender import RETRY_STATUSES, SendFailed

log = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"<\s*(br\s*/?|/p|/div|/li)\s*>", re.IGNORECASE)
_NONCE = re.compile(r"[0-9A-Za-z_-]{1,64}")
# Link previews on a message: hero and thumbnail cards, a handful, a URL without spaces.
_PREVIEW_CARDS = frozenset(
    {"application/vnd.microsoft.card.hero", "application/vnd.microsoft.card.thumbnail"}
)
_PREVIEW_URL = re.compile(r"https?://\S{1,2000}", re.IGNORECASE)
_MAX_PREVIEWS = 10
_MAX_PREVIEW_TITLE = 1000  # the core cleans and shortens it further
# The cards' submit actions that are forms, as the core names them (the actions are kept: cards
# already sent name them).
_CARD_FORMS = {
    render.SHARE_SUBMIT: SHARE_FORM,
    render.SETTINGS_SUBMIT: SETTINGS_FORM,
    themes.THEME_OPEN: MONTH_FORM,
    themes.THEME_SUBMIT: THEME_FORM,
    forms.MEETING_SUBMIT: MEETING_FORM,
    forms.LOGBOOK_SUBMIT: LOGBOOK_FORM,
}


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


def previews_of(activity: MessageActivity) -> tuple[tuple[str, str], ...]:
    """(url, title) of each link preview card on *activity* (a trend's title, no page fetch).

    The shape Microsoft's link-unfurling samples give a preview: a hero or thumbnail card with a
    ``title``, naming the link in its ``tap`` (``openUrl``) or as its whole ``text``. Anything
    else (the ``text/html`` copy of the message, Adaptive Cards, odd values) is left out.
    """
    found: list[tuple[str, str]] = []
    for attachment in (activity.attachments or [])[:_MAX_PREVIEWS]:
        content = attachment.content
        if attachment.content_type not in _PREVIEW_CARDS or not isinstance(content, Mapping):
            continue
        title, tap, text = content.get("title"), content.get("tap"), content.get("text")
        opens = isinstance(tap, Mapping) and tap.get("type") == "openUrl"
        url = tap.get("value") if opens and isinstance(tap, Mapping) else text
        if not isinstance(title, str) or not isinstance(url, str):
            continue
        url = url.strip()
        if _PREVIEW_URL.fullmatch(url) and title.strip():
            found.append((url, title[:_MAX_PREVIEW_TITLE]))
    return tuple(found)


def place_of(where: Where) -> Place:
    """The neutral place of an activity; a channel's reference keeps its forum's up to date."""
    return Place(
        Platform.TEAMS,
        where.tenant_id,
        where.channel_id,
        where.thread_root,
        direct=not where.in_channel,
        ref=where.ref.as_dict() if where.in_channel else None,
        channel_name=where.channel_name,
    )


def card_event(
    activity: MessageActivity, actor: Actor, place: Place, value: Mapping[str, Any]
) -> ButtonPressed | FormSubmitted:
    """A submitted card: one of our forms (by its action), else a button of a message."""
    action = str(value["action"])
    raw = value.get("forum")
    forum_ref = raw if raw is None or isinstance(raw, str | int) else ""  # "": names no forum
    form_id = _CARD_FORMS.get(action)
    if form_id is None:
        pressed = value.get("value")
        button_value = pressed if isinstance(pressed, str | int) else None
        return ButtonPressed(actor, place, action, button_value, forum_ref)
    form = value.get("form")  # the share form's nonce: a second submission is the same one
    nonce = form if isinstance(form, str) and _NONCE.fullmatch(form) else activity.id
    return FormSubmitted(
        actor, place, form_id, dict(value), nonce, forum_ref, submitted_at=activity.timestamp
    )


class Activities:
    """Answers Teams activities through the core's inbound handler."""

    def __init__(self, core: Core, poster: TeamsPoster, inbox: Inbox) -> None:
        self.core = core
        self.dialogue = core.dialogue
        self.handler = InboundHandler(core.dialogue)
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

    def message_reaction(self, activity: MessageReactionActivity) -> None:
        """Likes added or taken back: a stored example counts the people who appreciated it."""
        where = where_of(activity)
        event = f"{activity.id}:reaction"
        self._once(activity, where, event, lambda: self._reacted(activity, where))

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
        # Raises Busy while a live process works on it: answered so that Teams delivers it again.
        claim = self.inbox.record_and_claim(
            Platform.TEAMS, where.tenant_id, f"{activity.type}:{event_id}", activity.type, payload
        )
        if claim is None:
            log.info("teams activity %s already handled", activity.type)
            return
        try:
            work()
        except SendFailed as exc:
            if not _refused_for_good(exc):
                self.inbox.settle(claim, type(exc).__name__)
                raise
            # Teams will not take the answer (an unknown person or conversation, no access):
            # a 500 would only bring the same activity back to fail again.
            log.warning("teams %s not answered: %s", activity.type, exc)
            self.inbox.settle(claim, f"{type(exc).__name__}: HTTP {exc.status}", retry=False)
            return
        except Exception as exc:
            self.inbox.settle(claim, type(exc).__name__)
            raise
        self.inbox.settle(claim)

    # -- messages, cards, edits and deletions: one call into the core each ---------------------

    def _message(self, activity: MessageActivity, where: Where) -> None:
        actor = actor_of(activity, where)
        person = Person(where.service_url, where.tenant_id, activity.from_.id)
        if where.kind == "personal":
            self.poster.remember_chat(person, where.conversation_id)
        place = place_of(where)
        value = activity.value
        event: InboundEvent
        if isinstance(value, Mapping) and isinstance(value.get("action"), str):
            event = card_event(activity, actor, place, value)
        elif not where.in_channel:
            previews = previews_of(activity)
            event = CommandGiven(actor, place, text_of(activity), activity.id, previews)
        else:
            link = message_link(where.ref, activity.id, where.thread_root)
            message = MessageRef(activity.id, where.thread_root, activity.timestamp, link)
            mentioned = activity.is_recipient_mentioned()
            event = ThreadReplied(
                actor,
                place,
                message,
                text_of(activity),
                addressed=mentioned,
                previews=previews_of(activity),
            )
        self._deliver(self.handler.handle(event), where, person)

    def _deliver(self, reply: Reply, where: Where, person: Person) -> None:
        """Private answers, files and forms to the 1:1 chat; public ones where it was said."""
        data = {"forum": reply.forum.id} if reply.forum else {}
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
        form = reply.form
        if isinstance(form, ShareForm) and form.forum_id is not None:
            nonce, period = uuid.uuid4().hex, form.period
            card = render.share_form(form.lang, forum_id=form.forum_id, period=period, nonce=nonce)
        elif isinstance(form, SettingsForm):
            card = render.settings_form(form)
        elif isinstance(form, MonthPicker):
            card = themes.month_picker(form.lang, form.forum)
        elif isinstance(form, ThemeForm):
            card = themes.theme_card(form.lang, form.editor, form.typed, form.errors)
        elif isinstance(form, MeetingForm):
            card = forms.meeting_card(form)
        elif isinstance(form, LogbookForm):
            card = forms.logbook_card(form, uuid.uuid4().hex)
        else:
            return
        self.poster.send_private_card(person, card)

    def _edited(self, activity: MessageUpdateActivity, where: Where) -> None:
        event = activity.channel_data.event_type if activity.channel_data else None
        if event != "editMessage" or not where.in_channel:
            return
        if "text" not in activity.model_fields_set:
            return  # no text at all says nothing about the message; an empty text empties it
        edited = MessageEdited(place_of(where), activity.id, text_of(activity), activity.timestamp)
        self.handler.handle(edited)

    def _deleted(self, activity: MessageDeleteActivity, where: Where) -> None:
        self.handler.handle(MessageDeleted(place_of(where), activity.id))

    def _reacted(self, activity: MessageReactionActivity, where: Where) -> None:
        # Teams tells the reacted message as replyToId; each like/heart… is counted by type.
        message = activity.reply_to_id
        if not where.in_channel or not message:
            return
        actor, place = actor_of(activity, where), place_of(where)
        for reactions, added in (
            (activity.reactions_added, True),
            (activity.reactions_removed, False),
        ):
            for reaction in reactions or []:
                self.handler.handle(Reacted(actor, place, message, str(reaction.type), added))

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
            hello = CommandGiven(actor, place_of(where), "")  # no words: the help
            self._deliver(self.handler.handle(hello), where, person)

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


def _digest(text: str | None) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:16]
