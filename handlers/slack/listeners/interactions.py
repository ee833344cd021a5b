"""Buttons, shortcuts and form submissions."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import inbound
from bot.dialogue import FORGET_CONFIRM
from bot.forum_admin import SETTINGS_OPEN, form_errors
from bot.i18n import t
from bot.posts import SHARE_OPEN, SHARE_UNDO
from bot.services.logbook import LOGBOOK_SHARE
from handlers.slack.delivery import open_form
from handlers.slack.listeners.context import Deps, actor_of, blocking, team_of
from handlers.slack.process import place_in
from handlers.slack.views import (
    CYCLE_CHOICE,
    FORM_BUTTONS,
    FORM_CHECKS,
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
    share_errors,
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


def register(app: AsyncApp, deps: Deps) -> None:
    """Connect buttons, shortcuts and forms."""

    async def record(body: dict[str, Any], kind: str) -> None:
        await deps.record(team_of(body), f"{kind}:{body.get('trigger_id')}", kind, body)

    async def record_submission(body: dict[str, Any], view: dict[str, Any]) -> None:
        # A form sent again unchanged (same view and hash) is the same submission.
        item = f"submission:{view.get('id')}:{view.get('hash')}"
        await deps.record(team_of(body), item, "submission", body)

    async def open_share_form(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        channel = channel_of(body)
        lang = await blocking(deps.language, body, channel)
        await client.views_open(trigger_id=body["trigger_id"], view=share_modal(lang, channel))

    def open_answer_form(body: dict[str, Any], event: inbound.InboundEvent) -> None:
        opened = deps.handler.handle(event).form  # a form only for an organiser
        if opened is not None:
            open_form(deps.client_for(team_of(body)), opened, body["trigger_id"])

    app.action(SHARE_OPEN)(open_share_form)
    app.shortcut(SHARE_SHORTCUT)(open_share_form)

    @app.action(RECORDED_ACTIONS)
    async def on_button(ack: AsyncAck, body: dict[str, Any]) -> None:
        await record(body, "action")
        await ack()

    @app.shortcut(SAVE_SHORTCUT)
    async def on_save_message(ack: AsyncAck, body: dict[str, Any]) -> None:
        await record(body, "shortcut")
        await ack()

    @app.action(HOME_EDIT_ACTION)
    async def on_edit_theme(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        target = json_object(action.get("value"))
        forum_id = target.get("forum")
        chosen = inbound.FormSubmitted(
            deps.actor(body),
            place_in(team_of(body), ""),
            inbound.MONTH_FORM,
            {inbound.MONTH: target.get("month")},
            forum_ref=forum_id if isinstance(forum_id, int) else 0,
        )
        await blocking(open_answer_form, body, chosen)  # the month's theme form

    @app.action(SETTINGS_OPEN)
    async def on_open_settings(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        pressed = inbound.ButtonPressed(
            deps.actor(body),
            place_in(team_of(body), channel_of(body)),
            SETTINGS_OPEN,
            forum_ref=str(action.get("value") or ""),
        )
        await blocking(open_answer_form, body, pressed)  # the forum's settings

    @app.view(SETTINGS_FORM)
    async def on_settings_form(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        # Checked here for the person's sake (errors beside the fields), and again when stored.
        lang = await blocking(deps.language, body)
        errors = form_errors(read_settings(view).values, lang)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await record_submission(body, view)
        await ack()

    @app.view(SHARE_FORM)
    async def on_share_form(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        lang = await blocking(deps.language, body, read_share(view).channel_id)
        errors = share_errors(view, lang)  # a good example's text, or a trend's link
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await deps.record(team_of(body), f"submission:{view.get('id')}", "submission", body)
        await ack()

    def theme_errors(body: dict[str, Any], view: dict[str, Any]) -> dict[str, str]:
        lang = deps.language(body)
        form = read_theme(view, lang)
        if form.shared and not deps.dialogue.may_edit_shared(actor_of(body)):
            form.errors.setdefault(CYCLE_CHOICE, t(lang, "cycle.edit.shared_denied"))
        return form.errors

    @app.view(THEME_FORM)
    async def on_theme_form(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        errors = await blocking(theme_errors, body, view)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await record_submission(body, view)
        await ack()

    def checked(callback: str) -> None:
        check = FORM_CHECKS[callback]

        async def on_checked_form(
            ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
        ) -> None:
            lang = await blocking(deps.language, body)
            errors = check(view, lang)
            if errors:
                await ack(response_action="errors", errors=errors)
                return
            await record_submission(body, view)
            await ack()

        app.view(callback)(on_checked_form)

    for callback in FORM_CHECKS:
        checked(callback)

    def form_button(action_id: str) -> None:
        view_of = FORM_BUTTONS[action_id]

        async def on_form_button(
            ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
        ) -> None:
            await ack()
            lang = await blocking(deps.language, body, channel_of(body))
            await client.views_open(trigger_id=body["trigger_id"], view=view_of(lang, body))

        app.action(action_id)(on_form_button)

    for action_id in FORM_BUTTONS:
        form_button(action_id)
