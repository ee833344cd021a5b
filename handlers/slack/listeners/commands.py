"""The ``/ledarforum`` slash command."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import Verb, parse
from bot.inbound import CommandGiven
from handlers.slack.delivery import open_form
from handlers.slack.listeners.context import Deps, blocking, team_of
from handlers.slack.process import place_in
from handlers.slack.views import opens_form_at_once, share_modal

COMMAND = "/ledarforum"


def register(app: AsyncApp, deps: Deps) -> None:
    """Connect the slash command."""

    def form_opened(body: dict[str, Any]) -> bool:
        # Past the organiser gate: a form such as the settings opens at once, like the share form.
        team = team_of(body)
        place = place_in(team, str(body.get("channel_id") or ""))
        given = CommandGiven(deps.actor(body), place, str(body.get("text") or ""))
        form = deps.handler.handle(given).form  # only an organiser's answer is such a form
        return form is not None and open_form(deps.client_for(team), form, body["trigger_id"])

    @app.command(COMMAND)
    async def on_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        command = parse(str(body.get("text") or ""))
        if command.verb is Verb.SHARE and not command.rest:
            # The form must open with the trigger id within Slack's 3 seconds: now, not later.
            channel = str(body.get("channel_id") or "")
            lang = await blocking(deps.language, body, channel, command.language)
            await client.views_open(trigger_id=body["trigger_id"], view=share_modal(lang, channel))
            await ack()
            return
        if opens_form_at_once(command) and await blocking(form_opened, body):
            await ack()
            return
        await deps.record(team_of(body), f"command:{body.get('trigger_id')}", "command", body)
        await ack()
