"""Commands written to the bot in its messages tab (a DM) are answered there, over signed HTTP."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.domain import Source
from fakes.slack.signing import message_event
from handlers.slack.oauth import BOT_SCOPES
from tests.slack.conftest import Served

MANIFEST = Path(__file__).resolve().parents[2] / "handlers" / "slack" / "manifest.yml"
DM = "DU1"  # the fake's direct-message channel of U1 with the bot


def test_the_manifest_opens_the_messages_tab_and_subscribes_to_direct_messages() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    home = manifest["features"]["app_home"]
    assert home["messages_tab_enabled"] is True
    assert home["messages_tab_read_only_enabled"] is False
    assert "message.im" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert "im:history" in manifest["oauth_config"]["scopes"]["bot"]  # what message.im needs
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)  # OAuth installs too


def test_a_command_in_a_direct_message_is_answered_there(served: Served) -> None:
    event = message_event("tema", user="U1", channel=DM)
    assert event["channel_type"] == "im"
    assert served.send_event(event).status_code == 200
    served.idle()
    [answer] = served.slack.posted_messages(DM)
    assert "Månadens tema" in answer["text"]
    assert answer["blocks"][0]["type"] == "header"


def test_a_share_in_a_direct_message_is_stored_for_the_persons_forum(served: Served) -> None:
    served.send_event(message_event("dela Vi testade gåmöten", user="U1", channel=DM))
    served.idle()
    [stored] = served.contributions()
    assert (stored.text, stored.author_id, stored.source) == (
        "Vi testade gåmöten",
        "U1",
        Source.SHARE_COMMAND.value,
    )
    assert served.slack.posted_messages(DM)  # the thank-you, in the same conversation


def test_the_bots_own_direct_messages_are_not_commands(served: Served) -> None:
    event = message_event("tema", user="UBOT", channel=DM)
    event["bot_id"] = "B1"
    served.send_event(event)
    served.idle()
    assert served.slack.posted_messages(DM) == []
