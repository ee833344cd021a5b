"""The organiser check, once for every organiser-only request (commands, theme and settings forms).

The dialogue checks again when it runs an admin command; this gate answers a refusal before
anything is recorded, so a non-organiser's request leaves no trace but a polite "no".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, BoltResponse
from slack_sdk import WebClient

from bot.commands import AdminVerb, Verb, parse
from bot.dialogue import Actor
from bot.domain import ForumInfo, Language
from bot.forum_admin import SETTINGS_OPEN
from bot.i18n import t
from bot.services.settings import KEYS
from handlers.slack.listeners.context import Deps, actor_of
from handlers.slack.views import HOME_EDIT, SETTINGS_FORM, THEME_FORM, json_object

log = logging.getLogger(__name__)

Middleware = Callable[..., BoltResponse | None]


def organiser_gate(deps: Deps) -> Middleware:
    """A Bolt middleware refusing organiser-only requests from everyone else."""

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
        if kind == "view_submission" and callback in (THEME_FORM, SETTINGS_FORM):
            meta = json_object(body["view"].get("private_metadata"))
            return True, deps.forum(meta.get("forum"))
        if kind == "block_actions":
            action = (body.get("actions") or [{}])[0]
            if str(action.get("action_id", "")).startswith(f"{HOME_EDIT}:"):
                return True, deps.forum(json_object(action.get("value")).get("forum"))
            if action.get("action_id") == SETTINGS_OPEN:
                return True, deps.forum(str(action.get("value") or ""))
        return False, None

    def refusal_language(
        body: dict[str, Any], client: WebClient, actor: Actor, forum: ForumInfo | None
    ) -> Language:
        # A refusal records nothing and waits for nothing else: the locale may be asked for now
        # (once an hour per person at most); a Slack that does not answer leaves it unknown.
        try:
            actor = replace(actor, locale=deps.people.profile(client, actor.user_id).locale)
        except OSError:
            log.info("no locale of %s for a refusal", actor.ref)
        word = parse(str(body.get("text") or "")).language if body.get("command") else None
        return deps.dialogue.language_for(actor, forum, word)

    def gate(
        body: dict[str, Any], ack: Ack, next: Callable[[], None], client: WebClient
    ) -> BoltResponse | None:
        actor = actor_of(body)
        if body.get("command"):
            guarded, forum = command_forum(actor, body)
        else:
            guarded, forum = target(body)
        if not guarded or deps.dialogue.is_organiser(actor, forum):
            next()
            return None
        log.info("organiser-only request refused for %s", actor.ref)
        denied = t(refusal_language(body, client, actor, forum), "admin.denied")
        if body.get("command"):
            return ack(text=denied)
        if body.get("type") == "view_submission":
            # The refusal shows at the form's first field.
            settings_form = (body.get("view") or {}).get("callback_id") == SETTINGS_FORM
            first = KEYS[0] if settings_form else "title_sv"
            return ack(response_action="errors", errors={first: denied})
        return ack()

    return gate
