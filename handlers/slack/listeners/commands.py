"""The ``/ledarforum`` slash command."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import AdminVerb, Verb, parse
from bot.inbound import CommandGiven
from handlers.slack.delivery import open_form
from handlers.slack.listeners.context import Deps, team_of
from handlers.slack.process import place_in
from handlers.slack.views import share_modal

COMMAND = "/ledarforum"


def register(app: App, deps: Deps) -> None:
    """Connect the slash command."""

    @app.command(COMMAND)
    def on_command(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        command = parse(str(body.get("text") or ""))
        if command.verb is Verb.SHARE and not command.rest:
            # The form must open with the trigger id within Slack's 3 seconds: now, not later.
            channel = str(body.get("channel_id") or "")
            view = share_modal(deps.language(body, channel, command.language), channel)
            client.views_open(trigger_id=body["trigger_id"], view=view)
            ack()
            return
        if command.verb is Verb.ADMIN and command.admin is AdminVerb.SETTINGS and not command.rest:
            # Past the organiser gate: the settings form opens at once, like the share form.
            place = place_in(team_of(body), str(body.get("channel_id") or ""))
            given = CommandGiven(deps.actor(body), place, str(body.get("text") or ""))
            form = deps.handler.handle(given).form  # only an organiser's answer is a form
            if form is not None and open_form(client, form, body["trigger_id"]):
                ack()
                return
        deps.record(team_of(body), f"command:{body.get('trigger_id')}", "command", body)
        ack()
