"""The slow half of every Slack request: what an inbox worker does with a recorded item.

Each kind of stored Slack payload becomes a neutral :mod:`bot.inbound` event for the core's
:class:`bot.inbound_handler.InboundHandler`, whose reply goes to
:class:`handlers.slack.delivery.Responder`. What only Slack has stays here: the App Home, message
links, names and locales from ``users.info``, and fetching a message someone reacted to.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import inbound
from bot.core import Core
from bot.dialogue import Actor
from bot.domain import Platform, Source
from bot.inbound_handler import InboundHandler
from bot.messages import Reply
from bot.places import adopt_all
from bot.reply_batch import store_batch
from bot.services.inbox import Item
from handlers.slack import home
from handlers.slack.delivery import Recipient, Responder
from handlers.slack.poster import SlackClients, SlackPoster, ask_permalink, gate_of
from handlers.slack.render import unescape
from handlers.slack.views import (
    json_object,
    read_logbook,
    read_meeting,
    read_settings,
    read_share,
    theme_values,
)

log = logging.getLogger(__name__)

NAME_TTL = 3600.0
# Thank-yous of a stored batch in flight at once (shared by the worker threads): a few suffice
# to overlap Slack's round trips; the workspace gate still holds them all on a Retry-After.
THANKS_THREADS = 4
Payload = dict[str, Any]


def message_time(ts: str) -> datetime:
    """The moment of a Slack message id (``"1732351200.000100"``)."""
    return datetime.fromtimestamp(float(ts), UTC)


def unfurled(message: Payload) -> tuple[tuple[str, str], ...]:
    """(url, title) of each link preview Slack attached to *message* (a trend's title)."""
    found = []
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        url = attachment.get("original_url") or attachment.get("from_url")
        title = attachment.get("title")
        if isinstance(url, str) and isinstance(title, str) and title.strip():
            found.append((unescape(url), unescape(title)))
    return tuple(found)


def place_in(team: str, channel: str, *, direct: bool = False) -> inbound.Place:
    """A Slack channel (or the bot's messages tab, *direct*) as the core knows places."""
    return inbound.Place(Platform.SLACK, team, channel, direct=direct)


def _is_message(item: Item) -> bool:
    """True for a recorded ``message`` event (a thread reply, when it is one)."""
    event = item.payload.get("event") if item.kind == "event" else None
    return isinstance(event, dict) and event.get("type") == "message"


def _failure(exc: BaseException) -> str:
    """An item's error as the inbox keeps it."""
    return f"{type(exc).__name__}: {exc}"


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
    """Handles one inbox item by its kind: the payload as a neutral event, the answer delivered."""

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
        self.handler = InboundHandler(core.dialogue)
        self.clients = clients
        self.poster = poster
        self.single_workspace = single_workspace
        self.links = Permalinks()
        # Forums are seeded without a team only at start; adopting them once per team suffices
        # (the handler still adopts a straggler channel by channel).
        self._adopted: set[str] = set()
        self.people = People()
        self._pool: ThreadPoolExecutor | None = None  # thank-yous, made on first use
        self._pool_lock = threading.Lock()
        self._kinds: dict[str, Callable[[str, Payload], None]] = {
            "event": self._event,
            "command": self._command,
            "action": self._action,
            "shortcut": self._shortcut,
            "submission": self._submission,
        }

    def __call__(self, item: Item) -> None:
        """Do the work of *item* (raises to have it retried later)."""
        self._adopt(item.workspace_id)
        self._kinds[item.kind](item.workspace_id, item.payload)

    def _adopt(self, team: str) -> None:
        if self.single_workspace and team not in self._adopted:
            adopt_all(self.core.db, Platform.SLACK, team)
            self._adopted.add(team)

    # -- a batch: thread replies stored together --------------------------------------------

    def _thanks(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(THANKS_THREADS, thread_name_prefix="slack-thanks")
            return self._pool

    def close(self) -> None:
        """Let the thank-yous in flight finish and their threads end (a later batch makes a
        new pool)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def handle_batch(
        self, items: list[Item], *, may_start: Callable[[], bool] | None = None
    ) -> list[tuple[Item, str | None]]:
        """Do the work of a claimed batch; each handled item with None (done) or its error.

        Thread replies are stored together (:func:`bot.reply_batch.store_replies`: one
        transaction), then thanked concurrently while the other items take the one-by-one path
        (:meth:`__call__`), each only when *may_start* allows; an item left out of the outcomes
        was not started. A reply whose thank-you could not be sent is reported failed: its retry
        stores nothing again (the source message is unique) and says it is stored already.
        """
        outcomes: dict[int, str | None] = {}
        replies: list[tuple[int, inbound.ThreadReplied, Recipient]] = []
        others: list[int] = []
        for index, item in enumerate(items):
            if not _is_message(item):
                others.append(index)
                continue
            try:
                self._adopt(item.workspace_id)
                built = self._thread_reply(item.workspace_id, item.payload.get("event") or {})
            except Exception as exc:  # this item's payload or profile failed: only it retries
                outcomes[index] = _failure(exc)
                continue
            if built is None:
                others.append(index)  # an edit, a deletion, a DM: the one-by-one path
            else:
                replies.append((index, *built))
        sending = self._store_replies(items, replies, outcomes)
        for index in others:
            if may_start is not None and not may_start():
                break  # not started: handed back by the worker
            try:
                self(items[index])
            except Exception as exc:
                outcomes[index] = _failure(exc)
            else:
                outcomes[index] = None
        for index, sent in sending:
            try:
                sent.result()
            except Exception as exc:  # stored, not thanked: the retry tells it is stored
                outcomes[index] = _failure(exc)
            else:
                outcomes[index] = None
        return [(items[index], outcomes[index]) for index in sorted(outcomes)]

    def _store_replies(
        self,
        items: list[Item],
        replies: list[tuple[int, inbound.ThreadReplied, Recipient]],
        outcomes: dict[int, str | None],
    ) -> list[tuple[int, Future[None]]]:
        """Store *replies* in one transaction (each on its own if the batch fails), then start
        sending their thank-yous; the sends in flight by item index."""
        if not replies:
            return []
        answers: list[tuple[int, Reply, Recipient]] = []
        try:
            stored = store_batch(self.handler, [event for _, event, _ in replies])
        except Exception as exc:  # one poisoned reply must not hold back the others
            log.warning("reply batch of %d failed (%s): one by one", len(replies), _failure(exc))
            stored = [None] * len(replies)  # nothing was stored or handled
        for (index, event, to), reply in zip(replies, stored, strict=True):
            if reply is not None:
                answers.append((index, reply, to))
                continue
            try:  # not for a batch, or the batch failed: this reply on its own
                answers.append((index, self.handler.handle(event), to))
            except Exception as each:
                outcomes[index] = _failure(each)
        return [
            (index, self._thanks().submit(self._thank, items[index].workspace_id, reply, to))
            for index, reply, to in answers
        ]

    def _thank(self, team: str, reply: Reply, to: Recipient) -> None:
        """Deliver one stored reply's answer within the workspace's budget: the workspace gate
        holds every call of the workspace while Slack's ``Retry-After`` lasts."""
        if reply == Reply():
            return  # nothing to say (not a theme's thread, a sticker)
        client = self.clients.for_team(team)
        gate = gate_of(client)
        if gate is not None:
            gate.acquire()
        Responder(client, self.poster).deliver(reply, to)

    # -- helpers -------------------------------------------------------------------------------

    def _actor(self, client: WebClient, team: str, user_id: str) -> Actor:
        found = self.people.profile(client, user_id)
        return Actor(Platform.SLACK, team, user_id, found.name, found.locale)

    def _answer(self, client: WebClient, event: inbound.InboundEvent, to: Recipient) -> None:
        """Let the core handle *event*, and deliver its answer to *to*."""
        Responder(client, self.poster).deliver(self.handler.handle(event), to)

    def _message_ref(
        self, client: WebClient, team: str, channel: str, ts: str, thread_ts: object
    ) -> inbound.MessageRef:
        thread = thread_ts if isinstance(thread_ts, str) else None
        link = self.links.link(client, team, channel, ts, thread) if ts else None
        return inbound.MessageRef(ts, thread, message_time(ts) if ts else None, link)

    # -- events --------------------------------------------------------------------------------

    def _event(self, team: str, body: Payload) -> None:
        event = body.get("event") or {}
        kind = event.get("type")
        if kind == "message":
            self._message(team, event)
        elif kind == "reaction_added":
            self._reaction(team, event)
        elif kind == "reaction_removed":
            self._reacted(team, event, added=False)
        elif kind == "app_home_opened" and event.get("tab", "home") == "home":
            home.publish(self.clients.for_team(team), self.dialogue, team, str(event["user"]))

    def _message(self, team: str, event: Payload) -> None:
        channel = str(event.get("channel") or "")
        place = place_in(team, channel, direct=event.get("channel_type") == "im")
        client = self.clients.for_team(team)
        text = unescape(str(event.get("text") or ""))
        if place.direct:  # a command written in the bot's messages tab: answered there
            actor = self._actor(client, team, str(event["user"]))
            command = inbound.CommandGiven(actor, place, text, f"dm:{event.get('ts')}")
            self._answer(client, command, Recipient(actor.user_id, channel))
            return
        subtype = event.get("subtype")
        if subtype == "message_changed":
            changed = event.get("message") or {}
            if changed.get("bot_id") or not changed.get("ts"):
                return
            edited = unescape(str(changed.get("text") or ""))
            self.handler.handle(inbound.MessageEdited(place, str(changed["ts"]), edited))
            return
        if subtype == "message_deleted":
            self.handler.handle(inbound.MessageDeleted(place, str(event.get("deleted_ts"))))
            return
        built = self._thread_reply(team, event)
        if built is not None:
            self._answer(client, *built)

    def _thread_reply(
        self, team: str, event: Payload
    ) -> tuple[inbound.ThreadReplied, Recipient] | None:
        """A person's reply in a channel's thread as the core's event, and where to answer it;
        None for any other message event (a DM, an edit, a deletion, a post, a bot's)."""
        channel = str(event.get("channel") or "")
        subtype = event.get("subtype")
        if event.get("channel_type") == "im" or subtype in ("message_changed", "message_deleted"):
            return None
        ts, thread_ts = str(event["ts"]), event.get("thread_ts")
        if not isinstance(thread_ts, str) or thread_ts == ts or not event.get("user"):
            return None  # not a person's reply in a thread (the listener records no other message)
        client = self.clients.for_team(team)
        text = unescape(str(event.get("text") or ""))
        actor = self._actor(client, team, str(event["user"]))
        message = self._message_ref(client, team, channel, ts, thread_ts)
        place = replace(place_in(team, channel), thread_id=thread_ts)
        reply = inbound.ThreadReplied(actor, place, message, text)
        return reply, Recipient(actor.user_id, channel, thread_ts=thread_ts)

    def _reaction(self, team: str, event: Payload) -> None:
        item = event.get("item") or {}
        channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
        by = str(event.get("user") or "")
        if item.get("type") != "message" or not ts or not by:
            return
        client = self.clients.for_team(team)

        def load() -> inbound.SavedMessage | None:
            message = self._fetch(client, channel, ts)
            if message is None or message.get("bot_id") or not message.get("user"):
                return None
            return self._saved(client, team, channel, message, by)

        reaction = str(event.get("reaction") or "").split("::")[0]  # without a skin tone
        saved = inbound.MessageSaved(place_in(team, channel), Source.REACTION, load, reaction)
        self._answer(client, saved, Recipient(by, channel))
        # After the save (which may have stored the example): every reaction is appreciation.
        self._reacted(team, event, added=True)

    def _reacted(self, team: str, event: Payload, *, added: bool) -> None:
        """A reaction added or taken back, counted on a stored example (no Slack call)."""
        item = event.get("item")
        if not isinstance(item, dict):
            return
        channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
        by = str(event.get("user") or "")
        if item.get("type") != "message" or not ts or not by:
            return
        actor = Actor(Platform.SLACK, team, by, by)  # only the id counts: no users.info call
        reaction = str(event.get("reaction") or "").split("::")[0]  # a skin tone is one emoji
        self.handler.handle(inbound.Reacted(actor, place_in(team, channel), ts, reaction, added))

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

    def _saved(
        self, client: WebClient, team: str, channel: str, message: Payload, by: str
    ) -> inbound.SavedMessage:
        """Someone's existing *message*, saved by *by*, as the core wants it."""
        author = str(message["user"])
        return inbound.SavedMessage(
            self._actor(client, team, by),
            self._message_ref(
                client, team, channel, str(message.get("ts") or ""), message.get("thread_ts")
            ),
            author,
            self.people.name(client, author),
            unescape(str(message.get("text") or "")),
            unfurled(message),
        )

    # -- commands, shortcuts, buttons and forms --------------------------------------------------

    def _command(self, team: str, body: Payload) -> None:
        client = self.clients.for_team(team)
        actor = self._actor(client, team, str(body["user_id"]))
        channel = str(body.get("channel_id") or "")
        text = unescape(str(body.get("text") or ""))
        place = place_in(team, channel)
        command = inbound.CommandGiven(actor, place, text, f"command:{body.get('trigger_id')}")
        # Forms normally open before the ack; the trigger may still be valid.
        trigger = str(body.get("trigger_id") or "")
        to = Recipient(actor.user_id, channel, str(body.get("response_url") or ""), trigger=trigger)
        self._answer(client, command, to)

    def _shortcut(self, team: str, body: Payload) -> None:
        client = self.clients.for_team(team)
        user = str((body.get("user") or {}).get("id"))
        channel = str((body.get("channel") or {}).get("id") or "")
        message = body.get("message") or {}
        if message.get("bot_id") or not message.get("user"):
            message = {**message, "text": ""}  # a bot's post is not a leader's good practice
        message = {**message, "user": message.get("user") or user}
        saved = inbound.MessageSaved(
            place_in(team, channel),
            Source.MESSAGE_SHORTCUT,
            lambda: self._saved(client, team, channel, message, user),
        )
        self._answer(client, saved, Recipient(user, channel, str(body.get("response_url") or "")))

    def _action(self, team: str, body: Payload) -> None:
        client = self.clients.for_team(team)
        action = (body.get("actions") or [{}])[0]
        actor = self._actor(client, team, str(body["user"]["id"]))
        channel = str((body.get("channel") or {}).get("id") or "")
        pressed = inbound.ButtonPressed(
            actor,
            place_in(team, channel),
            str(action.get("action_id")),
            str(action.get("value") or ""),
        )
        to = Recipient(
            actor.user_id,
            channel,
            str(body.get("response_url") or ""),
            replace=True,
            trigger=str(body.get("trigger_id") or ""),  # a button's form may still open
        )
        self._answer(client, pressed, to)
        if not channel:  # a button outside any channel is in the Home tab: it shows the change
            home.publish(client, self.dialogue, team, actor.user_id)

    def _submission(self, team: str, body: Payload) -> None:
        client = self.clients.for_team(team)
        view = body.get("view") or {}
        actor = self._actor(client, team, str(body["user"]["id"]))
        callback = view.get("callback_id")
        if callback == inbound.SHARE_FORM:
            share = read_share(view)
            values = {
                "text": share.text,
                "anonymous": share.anonymous,
                inbound.SHARE_KIND: share.kind,
                inbound.SHARE_URL: share.url,
            }
            place = place_in(team, share.channel_id)
            submitted = str(view.get("id"))
            event = inbound.FormSubmitted(actor, place, inbound.SHARE_FORM, values, submitted)
            reply = self.handler.handle(event)
            channel = reply.forum.channel_id if reply.forum else ""
            Responder(client, self.poster).deliver(reply, Recipient(actor.user_id, channel))
        elif callback == inbound.SETTINGS_FORM:
            settings = read_settings(view)
            event = inbound.FormSubmitted(
                actor,
                place_in(team, ""),
                inbound.SETTINGS_FORM,
                settings.values,
                forum_ref=settings.forum_id,
            )
            self._answer(client, event, Recipient(actor.user_id))  # a direct message: a record
        elif callback == inbound.THEME_FORM:
            forum_id = json_object(view.get("private_metadata")).get("forum")
            event = inbound.FormSubmitted(
                actor,
                place_in(team, ""),
                inbound.THEME_FORM,
                theme_values(view),
                forum_ref=forum_id if isinstance(forum_id, int) else 0,
            )
            # The modal has answered already (its errors before the ack): the Home tab shows it.
            self.handler.handle(event)
            home.publish(client, self.dialogue, actor.workspace_id, actor.user_id)
        elif callback == inbound.MEETING_FORM:
            meeting = read_meeting(view)
            event = inbound.FormSubmitted(
                actor,
                place_in(team, ""),
                inbound.MEETING_FORM,
                meeting.values,
                str(view.get("id")),
                forum_ref=meeting.forum_id,
            )
            self._answer(client, event, Recipient(actor.user_id))  # a direct message: a record
        elif callback == inbound.LOGBOOK_FORM:
            entry = read_logbook(view)
            event = inbound.FormSubmitted(
                actor,
                place_in(team, entry.channel_id),
                inbound.LOGBOOK_FORM,
                {"text": entry.text},
                str(view.get("id")),  # one entry per opened form, however often it is retried
            )
            self._answer(client, event, Recipient(actor.user_id))  # private: the person's DM
