"""The ``/ledarforum`` slash command."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.commands import Verb, parse
from handlers.slack.listeners.context import Deps, team_of
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
            view = share_modal(deps.language(body, channel), channel)
            client.views_open(trigger_id=body["trigger_id"], view=view)
            ack()
            return
        deps.record(team_of(body), f"command:{body.get('trigger_id')}", "command", body)
        ack()
