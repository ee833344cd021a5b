"""The slow half of every Slack request: what an inbox worker does with a recorded item.

Each handler turns a stored Slack payload into a call on the core's :class:`bot.dialogue.Dialogue`
(or a service), and hands the neutral reply to :class:`handlers.slack.delivery.Responder`. All of
it may run twice for one item (a crash between the work and marking it done): contributions are
unique on their source message, edits and deletions are idempotent.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commands import parse
from bot.core import Core
from bot.dialogue import FORGET_CONFIRM, Actor
from bot.domain import ForumInfo, Platform, Source
from bot.forum_admin import submit_form
from bot.messages import Reply
from bot.posts import SHARE_UNDO, error
from bot.services import contributions, cycles, forums, subscriptions
from bot.services.contributions import clean_text
from bot.services.publishing import period_of_post
from bot.timing import Period
from handlers.slack import home
from handlers.slack.delivery import Recipient, Responder
from handlers.slack.forums import adopt_all, resolve
from handlers.slack.inbox import Pending
from handlers.slack.poster import SlackClients, SlackPoster, ask_permalink
from handlers.slack.render import unescape
from handlers.slack.views import (
    HOME_SUBSCRIBE,
    HOME_UNSUBSCRIBE,
    SETTINGS_FORM,
    SHARE_FORM,
    THEME_FORM,
    read_settings,
    read_share,
    read_theme,
    share_modal,
)

log = logging.getLogger(__name__)

NAME_TTL = 3600.0
Payload = dict[str, Any]


def message_time(ts: str) -> datetime:
    """The moment of a Slack message id (``"1732351200.000100"``)."""
    return datetime.fromtimestamp(float(ts), UTC)


_CHANNEL_ID = re.compile(r"[A-Z0-9]{2,30}")
_MESSAGE_TS = re.compile(r"[0-9]{1,12}\.[0-9]{1,9}")


class Permalinks:
    """Links to messages, made from the workspace's URL the way ``chat.getPermalink`` makes them.

    Asking Slack for each stored reply's link would add a Web API call (and a rate limit) to
    every contribution; the workspace URL (``auth.test``) is read once per workspace instead.
    When it cannot be read, or an id looks unusual, Slack is asked as before.
    """

    def __init__(self) -> None:
        self._bases: dict[str, str] = {}
        self._lock = threading.Lock()

    def link(
        self, client: WebClient, team: str, channel: str, ts: str, thread_ts: object = None
    ) -> str | None:
        """The permalink of message *ts* in *channel* (a reply in thread *thread_ts*)."""
        base = self._base(client, team)
        if base is None or not _CHANNEL_ID.fullmatch(channel) or not _MESSAGE_TS.fullmatch(ts):
            return ask_permalink(client, channel, ts)
        link = f"{base}archives/{channel}/p{ts.replace('.', '')}"
        if isinstance(thread_ts, str) and thread_ts != ts and _MESSAGE_TS.fullmatch(thread_ts):
            link += f"?thread_ts={thread_ts}&cid={channel}"
        return link

    def _base(self, client: WebClient, team: str) -> str | None:
        with self._lock:
            known = self._bases.get(team)
        if known is not None:
            return known
        try:
            url = client.auth_test().get("url")
        except SlackApiError:
            return None
        if not isinstance(url, str) or not url.startswith("https://"):
            return None
        base = url if url.endswith("/") else f"{url}/"
        with self._lock:
            self._bases[team] = base
        return base


@dataclass(frozen=True)
class Profile:
    """What ``users.info`` tells about a person: a name to show and their locale ("en-US")."""

    name: str
    locale: str | None = None


class People:
    """Names and locales from ``users.info``, cached (Slack tier 4; they rarely change)."""

    def __init__(self, ttl: float = NAME_TTL) -> None:
        self.ttl = ttl
        self._profiles: dict[str, tuple[float, Profile]] = {}
        self._lock = threading.Lock()

    def profile(self, client: WebClient, user_id: str) -> Profile:
        """The person's display name (else real name, else id) and locale; one call an hour."""
        now = time.monotonic()
        with self._lock:
            cached = self._profiles.get(user_id)
        if cached and cached[0] > now:
            return cached[1]
        try:
            user = client.users_info(user=user_id, include_locale=True)["user"]
        except SlackApiError:
            return Profile(user_id)
        profile = user.get("profile") or {}
        name = str(
            profile.get("display_name") or profile.get("real_name") or user.get("name") or user_id
        )
        locale = user.get("locale")
        found = Profile(name, str(locale) if locale else None)
        with self._lock:
            self._profiles[user_id] = (now + self.ttl, found)
        return found

    def name(self, client: WebClient, user_id: str) -> str:
        """The person's display name, else real name, else their id."""
        return self.profile(client, user_id).name

    def known(self, user_id: str) -> Profile | None:
        """The cached profile, without asking Slack (for answers that cannot wait)."""
        with self._lock:
            cached = self._profiles.get(user_id)
        return cached[1] if cached and cached[0] > time.monotonic() else None


class Processor:
    """Handles one inbox item by its kind."""

    def __init__(
        self,
        core: Core,
        clients: SlackClients,
        poster: SlackPoster,
        *,
        single_workspace: bool,
    ) -> None:
        self.core = core
        self.dialogue = core.dialogue
        self.clients = clients
        self.poster = poster
        self.single_workspace = single_workspace
        self.links = Permalinks()
        # Forums are seeded without a team only at start; adopting them once per team suffices
        # (resolve() still adopts a straggler channel by channel).
        self._adopted: set[str] = set()
        self.people = People()
        self._kinds: dict[str, Callable[[str, Payload], None]] = {
            "event": self._event,
            "command": self._command,
            "action": self._action,
            "shortcut": self._shortcut,
            "submission": self._submission,
        }

    def __call__(self, item: Pending) -> None:
        """Do the work of *item* (raises to have it retried later)."""
        if self.single_workspace and item.workspace_id not in self._adopted:
            adopt_all(self.core.db, item.workspace_id)
            self._adopted.add(item.workspace_id)
        self._kinds[item.kind](item.workspace_id, item.payload)

    # -- helpers -------------------------------------------------------------------------------

    def _actor(self, client: WebClient, team: str, user_id: str) -> Actor:
        found = self.people.profile(client, user_id)
        return Actor(Platform.SLACK, team, user_id, found.name, found.locale)

    def _respond(self, client: WebClient, reply: Reply, to: Recipient) -> None:
        Responder(client, self.poster).deliver(reply, to)

    def _period(self, forum: ForumInfo, thread_ts: str | None, ts: str) -> Period | None:
        if not thread_ts or thread_ts == ts:
            return None
        with self.core.db.transaction() as session:
            return period_of_post(session, forum.id, thread_ts)

    def _permalink(
        self, client: WebClient, team: str, channel: str, ts: str, thread_ts: object = None
    ) -> str | None:
        return self.links.link(client, team, channel, ts, thread_ts)

    # -- events --------------------------------------------------------------------------------

    def _event(self, team: str, body: Payload) -> None:
        event = body.get("event") or {}
        kind = event.get("type")
        if kind == "message":
            self._message(team, event)
        elif kind == "reaction_added":
            self._reaction(team, event)
        elif kind == "app_home_opened" and event.get("tab", "home") == "home":
            home.publish(self.clients.for_team(team), self.dialogue, team, str(event["user"]))

    def _message(self, team: str, event: Payload) -> None:
        if event.get("channel_type") == "im":
            self._direct(team, event)
            return
        channel = str(event.get("channel") or "")
        subtype = event.get("subtype")
        forum = resolve(self.core.db, team, channel)
        if forum is None:
            return
        if subtype == "message_changed":
            changed = event.get("message") or {}
            if changed.get("bot_id") or not changed.get("ts"):
                return
            with self.core.db.transaction() as session:
                contributions.edit(
                    session,
                    forum.id,
                    str(changed["ts"]),
                    unescape(str(changed.get("text") or "")),
                    self.dialogue.clock(),
                )
            return
        if subtype == "message_deleted":
            with self.core.db.transaction() as session:
                contributions.delete_by_source(session, forum.id, str(event.get("deleted_ts")))
            return
        ts, text = str(event["ts"]), unescape(str(event.get("text") or ""))
        thread_ts = event.get("thread_ts")
        period = self._period(forum, thread_ts, ts)
        if period is None or not clean_text(text):  # not an answer under one of our theme posts
            return
        client = self.clients.for_team(team)
        actor = self._actor(client, team, str(event["user"]))
        reply = self.dialogue.share(
            actor,
            forum,
            text,
            Source.THREAD_REPLY,
            message_id=ts,
            created_at=message_time(ts),
            permalink=self._permalink(client, team, channel, ts, thread_ts),
            period=period,
            channel_id=channel,
        )
        self._respond(client, reply, Recipient(actor.user_id, channel, thread_ts=thread_ts))

    def _reaction(self, team: str, event: Payload) -> None:
        item = event.get("item") or {}
        channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
        if item.get("type") != "message" or not ts:
            return
        forum = resolve(self.core.db, team, channel)
        reaction = str(event.get("reaction") or "").split("::")[0]  # without a skin tone
        if forum is None or reaction != forum.reaction:
            return
        client = self.clients.for_team(team)
        message = self._fetch(client, channel, ts)
        if message is None or message.get("bot_id") or not message.get("user"):
            return
        self._save_message(
            client,
            team,
            forum,
            message,
            str(event["user"]),
            Source.REACTION,
            Recipient(str(event["user"]), channel),
        )

    def _fetch(self, client: WebClient, channel: str, ts: str) -> Payload | None:
        """One message by its ts: from the channel's history, else from a thread."""
        found = client.conversations_history(
            channel=channel, oldest=ts, latest=ts, inclusive=True, limit=1
        ).get("messages")
        if not found:
            found = client.conversations_replies(
                channel=channel, ts=ts, oldest=ts, latest=ts, inclusive=True, limit=200
            ).get("messages")
        return next((dict(m) for m in found or [] if m.get("ts") == ts), None)

    def _save_message(
        self,
        client: WebClient,
        team: str,
        forum: ForumInfo,
        message: Payload,
        by: str,
        source: Source,
        to: Recipient,
    ) -> None:
        """Store someone's existing message as a good practice, credited to its author."""
        actor = self._actor(client, team, by)
        text, ts = unescape(str(message.get("text") or "")), str(message["ts"])
        author = str(message["user"])
        if not clean_text(text):
            lang = self.dialogue.language_for(actor, forum)
            self._respond(client, Reply([error(lang, "shortcut.empty")]), to)
            return
        reply = self.dialogue.share(
            actor,
            forum,
            text,
            source,
            message_id=ts,
            created_at=message_time(ts),
            permalink=self._permalink(client, team, forum.channel_id, ts, message.get("thread_ts")),
            period=self._period(forum, message.get("thread_ts"), ts),
            author_id=author,
            author_name=self.people.name(client, author),
            channel_id=forum.channel_id,
        )
        self._respond(client, reply, to)

    # -- commands, shortcuts, buttons and forms --------------------------------------------------

    def _command(self, team: str, body: Payload) -> None:
        client = self.clients.for_team(team)
        actor = self._actor(client, team, str(body["user_id"]))
        channel = str(body.get("channel_id") or "")
        resolve(self.core.db, team, channel)  # adopt a configured forum before the dialogue looks
        command = parse(unescape(str(body.get("text") or "")))
        reply = self.dialogue.handle(
            actor, channel, command, message_id=f"command:{body.get('trigger_id')}"
        )
        if reply.open_form:  # normally opened before the ack; the trigger may still be valid
            lang = self.dialogue.language_for(actor, None, command.language)
            try:
                client.views_open(
                    trigger_id=body.get("trigger_id"), view=share_modal(lang, channel)
                )
            except SlackApiError:
                reply.private.append(error(lang, "share.error.empty"))
        to = Recipient(actor.user_id, channel, str(body.get("response_url") or ""))
        self._respond(client, reply, to)

    def _direct(self, team: str, event: Payload) -> None:
        """A command written to the bot in its messages tab: answered in that direct message."""
        client = self.clients.for_team(team)
        actor = self._actor(client, team, str(event["user"]))
        channel = str(event.get("channel") or "")
        command = parse(unescape(str(event.get("text") or "")))
        reply = self.dialogue.handle(actor, channel, command, message_id=f"dm:{event.get('ts')}")
        if reply.open_form:  # a message brings no trigger id, so no form can open
            lang = self.dialogue.language_for(actor, None, command.language)
            reply.private.append(error(lang, "share.error.empty"))
        self._respond(client, reply, Recipient(actor.user_id, channel))

    def _shortcut(self, team: str, body: Payload) -> None:
        client = self.clients.for_team(team)
        user = str((body.get("user") or {}).get("id"))
        channel = str((body.get("channel") or {}).get("id") or "")
        to = Recipient(user, channel, str(body.get("response_url") or ""))
        forum = resolve(self.core.db, team, channel)
        message = body.get("message") or {}
        if forum is None:
            actor = self._actor(client, team, user)
            lang = self.dialogue.language_for(actor, None)
            self._respond(client, Reply([error(lang, "shortcut.not_forum")]), to)
            return
        if message.get("bot_id") or not message.get("user"):
            message = {**message, "text": ""}  # a bot's post is not a leader's good practice
        self._save_message(
            client,
            team,
            forum,
            {**message, "user": message.get("user") or user},
            user,
            Source.MESSAGE_SHORTCUT,
            to,
        )

    def _action(self, team: str, body: Payload) -> None:
        client = self.clients.for_team(team)
        action = (body.get("actions") or [{}])[0]
        action_id, value = str(action.get("action_id")), str(action.get("value") or "")
        actor = self._actor(client, team, str(body["user"]["id"]))
        channel = str((body.get("channel") or {}).get("id") or "")
        to = Recipient(actor.user_id, channel, str(body.get("response_url") or ""), replace=True)
        if action_id == SHARE_UNDO and value.isdigit():
            self._respond(client, self.dialogue.undo(actor, int(value)), to)
        elif action_id == FORGET_CONFIRM:
            lang = self.dialogue.language_for(actor, None)
            self._respond(client, self.dialogue.forget_me(actor, lang, confirmed=True), to)
        elif action_id in (HOME_SUBSCRIBE, HOME_UNSUBSCRIBE) and value.isdigit():
            with self.core.db.transaction() as session:
                if action_id == HOME_SUBSCRIBE:
                    subscriptions.subscribe(session, int(value), actor.user_id)
                else:
                    subscriptions.unsubscribe(session, int(value), actor.user_id)
            home.publish(client, self.dialogue, team, actor.user_id)

    def _submission(self, team: str, body: Payload) -> None:
        client = self.clients.for_team(team)
        view = body.get("view") or {}
        actor = self._actor(client, team, str(body["user"]["id"]))
        if view.get("callback_id") == SHARE_FORM:
            self._share_form(client, actor, view)
        elif view.get("callback_id") == THEME_FORM:
            self._theme_form(client, actor, view)
        elif view.get("callback_id") == SETTINGS_FORM:
            form = read_settings(view)
            reply = submit_form(self.dialogue, actor, form.forum_id, form.values)
            self._respond(client, reply, Recipient(actor.user_id))  # a direct message: a record

    def _share_form(self, client: WebClient, actor: Actor, view: Payload) -> None:
        form = read_share(view)
        forum = resolve(self.core.db, actor.workspace_id, form.channel_id)
        forum = forum or self.dialogue.forum_for(actor, form.channel_id)
        if forum is None:
            lang = self.dialogue.language_for(actor, None)
            self._respond(client, Reply([error(lang, "forum.none")]), Recipient(actor.user_id))
            return
        reply = self.dialogue.share(
            actor,
            forum,
            form.text,
            Source.FORM,
            message_id=f"form:{view.get('id')}",
            created_at=self.dialogue.clock(),
            anonymous=form.anonymous,
        )
        self._respond(client, reply, Recipient(actor.user_id, forum.channel_id))

    def _theme_form(self, client: WebClient, actor: Actor, view: Payload) -> None:
        lang = self.dialogue.language_for(actor, None)
        form = read_theme(view, lang)
        with self.core.db.transaction() as session:
            forum = forums.get(session, form.forum_id)
            keep = cycles.for_forum(session, forum).theme_for(form.month) if forum else None
        theme = read_theme(view, lang, keep).theme  # the links are not in the form: kept
        edited = None
        if forum is not None and not form.errors:
            edited = self.dialogue.edit_theme(actor, forum, form.month, theme, shared=form.shared)
        if edited is None:
            log.info("theme form of %s refused", actor.ref)
            return
        home.publish(client, self.dialogue, actor.workspace_id, actor.user_id)
