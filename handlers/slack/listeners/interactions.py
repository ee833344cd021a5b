"""Buttons, shortcuts and form submissions."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.dialogue import FORGET_CONFIRM
from bot.i18n import t
from bot.posts import SHARE_OPEN, SHARE_UNDO
from bot.services import cycles, forums
from bot.services.contributions import ContributionError, validate_text
from handlers.slack.listeners.context import Deps, team_of
from handlers.slack.views import (
    HOME_EDIT,
    HOME_SUBSCRIBE,
    HOME_UNSUBSCRIBE,
    SAVE_SHORTCUT,
    SHARE_FORM,
    SHARE_SHORTCUT,
    THEME_FORM,
    json_object,
    read_share,
    read_theme,
    share_modal,
    theme_modal,
)

RECORDED_ACTIONS = re.compile(
    "^("
    + "|".join(map(re.escape, (SHARE_UNDO, FORGET_CONFIRM, HOME_SUBSCRIBE, HOME_UNSUBSCRIBE)))
    + ")$"
)
HOME_EDIT_ACTION = re.compile(rf"^{HOME_EDIT}:\d+$")


def channel_of(body: dict[str, Any]) -> str:
    """The channel an interaction happened in ("" for the Home tab and global shortcuts)."""
    return str((body.get("channel") or {}).get("id") or "")


def register(app: App, deps: Deps) -> None:
    """Connect buttons, shortcuts and forms."""

    def record(body: dict[str, Any], kind: str) -> None:
        deps.record(team_of(body), f"{kind}:{body.get('trigger_id')}", kind, body)

    def open_share_form(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        channel = channel_of(body)
        client.views_open(
            trigger_id=body["trigger_id"], view=share_modal(deps.language(body, channel), channel)
        )

    app.action(SHARE_OPEN)(open_share_form)
    app.shortcut(SHARE_SHORTCUT)(open_share_form)

    @app.action(RECORDED_ACTIONS)
    def on_button(ack: Ack, body: dict[str, Any]) -> None:
        record(body, "action")
        ack()

    @app.shortcut(SAVE_SHORTCUT)
    def on_save_message(ack: Ack, body: dict[str, Any]) -> None:
        record(body, "shortcut")
        ack()

    @app.action(HOME_EDIT_ACTION)
    def on_edit_theme(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        target = json_object(action.get("value"))
        month, forum_id = target.get("month"), target.get("forum")
        if not (isinstance(month, int) and 1 <= month <= 12 and isinstance(forum_id, int)):
            return
        with deps.dialogue.db.transaction() as session:
            forum = forums.get(session, forum_id)
            theme = cycles.for_forum(session, forum).theme_for(month) if forum else None
        if forum is not None:
            view = theme_modal(deps.language(body), forum.id, month, theme)
            client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(SHARE_FORM)
    def on_share_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = read_share(view)
        try:
            validate_text(form.text)
        except ContributionError as problem:
            lang = deps.language(body, form.channel_id)
            ack(response_action="errors", errors={"text": t(lang, problem.key, **problem.params)})
            return
        deps.record(team_of(body), f"submission:{view.get('id')}", "submission", body)
        ack()

    @app.view(THEME_FORM)
    def on_theme_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = read_theme(view, deps.language(body))
        if form.errors:
            ack(response_action="errors", errors=form.errors)
            return
        deps.record(
            team_of(body), f"submission:{view.get('id')}:{view.get('hash')}", "submission", body
        )
        ack()
