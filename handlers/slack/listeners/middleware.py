"""The organiser check, once for every organiser-only request (commands, theme and settings forms).

The dialogue checks again when it runs an admin command; this gate answers a refusal before
anything is recorded, so a non-organiser's request leaves no trace but a polite "no".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncAck

from bot.commands import AdminVerb, Verb, parse
from bot.dialogue import Actor
from bot.domain import ForumInfo, Language
from bot.forum_admin import SETTINGS_OPEN
from bot.i18n import t
from handlers.slack.listeners.context import Deps, actor_of, blocking, team_of
from handlers.slack.views import HOME_EDIT, ORGANISER_FORMS, json_object

log = logging.getLogger(__name__)

Middleware = Callable[..., Awaitable[BoltResponse | None]]


def organiser_gate(deps: Deps) -> Middleware:
    """A Bolt middleware refusing organiser-only requests from everyone else.

    Only requests that name an organiser-only action read the database (in a worker thread); a
    thread reply or an everyday command passes straight through.
    """

    def command_forum(actor: Actor, body: dict[str, Any]) -> tuple[bool, ForumInfo | None]:
        """(is this organiser-only, the forum it concerns), as the dialogue decides it."""
        command = parse(str(body.get("text") or ""))
        if command.verb is not Verb.ADMIN:
            return False, None
        channel = str(body.get("channel_id") or "")
        here = deps.forum_here(actor, channel)
        if command.admin is AdminVerb.SETUP:
            return True, here
        return True, here or deps.dialogue.forum_for(actor, channel)

    def target(body: dict[str, Any]) -> tuple[bool, ForumInfo | None]:
        kind = body.get("type")
        callback = (body.get("view") or {}).get("callback_id")
        if kind == "view_submission" and callback in ORGANISER_FORMS:
            meta = json_object(body["view"].get("private_metadata"))
            return True, deps.forum(meta.get("forum"))
        if kind == "block_actions":
            action = (body.get("actions") or [{}])[0]
            if str(action.get("action_id", "")).startswith(f"{HOME_EDIT}:"):
                return True, deps.forum(json_object(action.get("value")).get("forum"))
            if action.get("action_id") == SETTINGS_OPEN:
                return True, deps.forum(str(action.get("value") or ""))
        return False, None

    def guarded(body: dict[str, Any]) -> bool:
        """Whether the request may be organiser-only at all (no database read)."""
        if body.get("command"):
            return parse(str(body.get("text") or "")).verb is Verb.ADMIN
        kind = body.get("type")
        if kind == "view_submission":
            return (body.get("view") or {}).get("callback_id") in ORGANISER_FORMS
        if kind == "block_actions":
            action = str((body.get("actions") or [{}])[0].get("action_id", ""))
            return action.startswith(f"{HOME_EDIT}:") or action == SETTINGS_OPEN
        return False

    def refusal_language(body: dict[str, Any], actor: Actor, forum: ForumInfo | None) -> Language:
        # A refusal records nothing and waits for nothing else: the locale may be asked for now
        # (once an hour per person at most); a Slack that does not answer leaves it unknown.
        try:
            client = deps.client_for(team_of(body))
            actor = replace(actor, locale=deps.people.profile(client, actor.user_id).locale)
        except (OSError, LookupError):
            log.info("no locale of %s for a refusal", actor.ref)
        word = parse(str(body.get("text") or "")).language if body.get("command") else None
        return deps.dialogue.language_for(actor, forum, word)

    def refusal(body: dict[str, Any]) -> str | None:
        """The translated refusal when the person may not do this; None when they may."""
        actor = actor_of(body)
        if body.get("command"):
            organiser_only, forum = command_forum(actor, body)
        else:
            organiser_only, forum = target(body)
        if not organiser_only or deps.dialogue.is_organiser(actor, forum):
            return None
        log.info("organiser-only request refused for %s", actor.ref)
        return t(refusal_language(body, actor, forum), "admin.denied")

    async def gate(
        body: dict[str, Any], ack: AsyncAck, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        denied = await blocking(refusal, body) if guarded(body) else None
        if denied is None:
            await next()
            return None
        if body.get("command"):
            return await ack(text=denied)
        if body.get("type") == "view_submission":
            # The refusal shows at the form's first field.
            field = ORGANISER_FORMS[str((body.get("view") or {}).get("callback_id"))]
            return await ack(response_action="errors", errors={field: denied})
        return await ack()

    return gate
