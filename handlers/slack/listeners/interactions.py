"""Buttons, shortcuts and form submissions."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import inbound
from bot.dialogue import FORGET_CONFIRM
from bot.forum_admin import SETTINGS_OPEN, form_errors
from bot.i18n import t
from bot.posts import SHARE_OPEN, SHARE_UNDO
from bot.services.contributions import ContributionError, validate_text
from bot.services.logbook import LOGBOOK_SHARE
from handlers.slack.delivery import open_form
from handlers.slack.listeners.context import Deps, actor_of, team_of
from handlers.slack.process import place_in
from handlers.slack.views import (
    CYCLE_CHOICE,
    HOME_EDIT,
    HOME_SUBSCRIBE,
    HOME_UNSUBSCRIBE,
    SAVE_SHORTCUT,
    SETTINGS_FORM,
    SHARE_FORM,
    SHARE_SHORTCUT,
    THEME_FORM,
    json_object,
    read_settings,
    read_share,
    read_theme,
    share_modal,
)

RECORDED_ACTIONS = re.compile(
    "^("
    + "|".join(
        map(
            re.escape,
            (SHARE_UNDO, FORGET_CONFIRM, HOME_SUBSCRIBE, HOME_UNSUBSCRIBE, LOGBOOK_SHARE),
        )
    )
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
        forum_id = target.get("forum")
        chosen = inbound.FormSubmitted(
            deps.actor(body),
            place_in(team_of(body), ""),
            inbound.MONTH_FORM,
            {inbound.MONTH: target.get("month")},
            forum_ref=forum_id if isinstance(forum_id, int) else 0,
        )
        opened = deps.handler.handle(chosen).form  # the month's theme form, for an organiser
        if opened is not None:
            open_form(client, opened, body["trigger_id"])

    @app.action(SETTINGS_OPEN)
    def on_open_settings(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        pressed = inbound.ButtonPressed(
            deps.actor(body),
            place_in(team_of(body), channel_of(body)),
            SETTINGS_OPEN,
            forum_ref=str(action.get("value") or ""),
        )
        opened = deps.handler.handle(pressed).form  # the forum's settings, for an organiser
        if opened is not None:
            open_form(client, opened, body["trigger_id"])

    @app.view(SETTINGS_FORM)
    def on_settings_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        # Checked here for the person's sake (errors beside the fields), and again when stored.
        errors = form_errors(read_settings(view).values, deps.language(body))
        if errors:
            ack(response_action="errors", errors=errors)
            return
        deps.record(
            team_of(body), f"submission:{view.get('id')}:{view.get('hash')}", "submission", body
        )
        ack()

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
        lang = deps.language(body)
        form = read_theme(view, lang)
        if form.shared and not deps.dialogue.may_edit_shared(actor_of(body)):
            form.errors.setdefault(CYCLE_CHOICE, t(lang, "cycle.edit.shared_denied"))
        if form.errors:
            ack(response_action="errors", errors=form.errors)
            return
        deps.record(
            team_of(body), f"submission:{view.get('id')}:{view.get('hash')}", "submission", body
        )
        ack()
