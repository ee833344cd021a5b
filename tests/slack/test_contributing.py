"""Every way of contributing, over real HTTP: thread replies, the command, the form, the message
shortcut and the reaction; edits and deletions follow; retries and bot messages add nothing."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.domain import Source
from bot.posts import SHARE_OPEN, SHARE_UNDO
from bot.timing import utcnow
from fakes.slack.signing import (
    block_actions_payload,
    message_event,
    view_submission_payload,
)
from handlers.slack.views import SAVE_SHORTCUT, SHARE_FORM, SHARE_SHORTCUT
from tests.slack.conftest import CHANNEL, TEAM, Served


def theme_ts(served: Served) -> str:
    """Post this month's theme and return its message ts."""
    result = served.core.publisher.post_theme(served.forum(), utcnow())
    assert result.status == "posted", result
    assert result.message_id is not None
    return result.message_id


def test_theme_post_has_blocks_button_and_metadata(served: Served) -> None:
    ts = theme_ts(served)
    [post] = served.slack.posted_messages(CHANNEL)
    assert post["ts"] == ts
    assert post["text"]
    assert post["blocks"][0]["type"] == "header"
    buttons = next(b for b in post["blocks"] if b["type"] == "actions")["elements"]
    assert buttons[0]["action_id"] == SHARE_OPEN
    assert post["metadata"]["event_type"] == "ledarforum_theme_post"
    assert post["metadata"]["event_payload"]["marker"].startswith("theme:")


def test_thread_reply_is_stored_once_with_a_private_thank_you(served: Served) -> None:
    ts = theme_ts(served)
    said = served.slack.add_message(CHANNEL, "Vi testade gåmöten", user="U1", thread_ts=ts)
    event = message_event("Vi testade gåmöten", user="U1", channel=CHANNEL, ts=said, thread_ts=ts)
    first = served.send_event(event, event_id="EvREPLY1")
    assert first.status_code == 200
    again = served.send_event(event, event_id="EvREPLY1", retry=1)
    assert again.status_code == 200
    served.idle()
    [stored] = served.contributions()
    assert (stored.text, stored.author_name, stored.source) == (
        "Vi testade gåmöten",
        "Kim Lind",
        Source.THREAD_REPLY.value,
    )
    # Built from the workspace URL (auth.test) as Slack builds it: no chat.getPermalink per reply.
    compact = said.replace(".", "")
    assert stored.permalink == (
        f"https://t1.fake.slack.test/archives/{CHANNEL}/p{compact}?thread_ts={ts}&cid={CHANNEL}"
    )
    asked = [call.params.get("message_ts") for call in served.slack.calls_to("chat.getPermalink")]
    assert said not in asked
    [thanks] = served.slack.ephemeral_messages(CHANNEL)
    assert thanks["user"] == "U1" and thanks["thread_ts"] == ts
    undo = next(b for b in thanks["blocks"] if b["type"] == "actions")["elements"][0]
    assert undo["action_id"] == SHARE_UNDO


def test_a_retry_with_a_new_event_id_still_adds_nothing(served: Served) -> None:
    ts = theme_ts(served)
    event = message_event("Samma meddelande", user="U1", channel=CHANNEL, thread_ts=ts)
    served.send_event(event, event_id="EvFIRST01")
    served.send_event(event, event_id="EvSECOND1", retry=1)
    served.idle()
    assert served.count() == 1


def test_bot_messages_and_top_level_messages_are_ignored(served: Served) -> None:
    ts = theme_ts(served)
    bot = message_event("Jag är en bot", user="UOTHER", channel=CHANNEL, thread_ts=ts)
    bot["bot_id"] = "BOTHER"
    served.send_event(bot)
    subtype = message_event("Bot-inlägg", channel=CHANNEL, thread_ts=ts)
    subtype["subtype"] = "bot_message"
    served.send_event(subtype)
    served.send_event(message_event("Inte i tråden", user="U1", channel=CHANNEL))
    served.send_event(message_event("Annan tråd", user="U1", channel=CHANNEL, thread_ts="1.000001"))
    served.idle()
    assert served.count() == 0


def test_edit_and_delete_follow_the_source_message(served: Served) -> None:
    ts = theme_ts(served)
    reply = message_event("Första versionen", user="U1", channel=CHANNEL, thread_ts=ts)
    served.send_event(reply)
    served.idle()
    changed = {
        "type": "message",
        "subtype": "message_changed",
        "channel": CHANNEL,
        "channel_type": "channel",
        "hidden": True,
        "ts": "1.1",
        "message": {**reply, "text": "Andra versionen", "edited": {"user": "U1", "ts": "1.2"}},
    }
    served.send_event(changed)
    served.idle()
    assert [c.text for c in served.contributions()] == ["Andra versionen"]
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": CHANNEL,
        "channel_type": "channel",
        "hidden": True,
        "ts": "1.3",
        "deleted_ts": reply["ts"],
    }
    served.send_event(deleted)
    served.idle()
    assert served.count() == 0


def test_share_command_stores_once_and_answers_privately(served: Served) -> None:
    response = served.command("dela Vi har stående 1:1 varannan vecka", trigger="1.2.abc")
    assert response.status_code == 200
    served.idle()
    [stored] = served.contributions()
    assert stored.source == Source.SHARE_COMMAND.value
    assert stored.text == "Vi har stående 1:1 varannan vecka"
    [answer] = served.slack.responses
    assert answer.payload["response_type"] == "ephemeral"
    assert "Tack" in answer.payload["text"]


def test_share_command_without_text_opens_the_form_at_once(served: Served) -> None:
    trigger = served.slack.new_trigger_id()
    served.command("dela", trigger=trigger)
    [opened] = served.slack.views("views.open")
    assert opened["view"]["callback_id"] == SHARE_FORM
    assert served.count() == 0


def test_share_button_and_global_shortcut_open_the_form(served: Served) -> None:
    button = block_actions_payload(SHARE_OPEN, "2026-11", trigger_id=served.slack.new_trigger_id())
    assert served.interact(button).status_code == 200
    shortcut = {
        "type": "shortcut",
        "callback_id": SHARE_SHORTCUT,
        "trigger_id": served.slack.new_trigger_id(),
        "team": {"id": TEAM, "domain": "t1"},
        "user": {"id": "U1", "username": "u1", "team_id": TEAM},
        "action_ts": "1.2",
    }
    assert served.interact(shortcut).status_code == 200
    views = served.slack.views("views.open")
    assert [v["view"]["callback_id"] for v in views] == [SHARE_FORM, SHARE_FORM]
    assert json.loads(views[0]["view"]["private_metadata"])["channel"] == CHANNEL


def _form(text: str, *, anonymous: bool = False, view_id: str = "VSHARE1") -> dict[str, object]:
    chosen = [{"value": "anonymous"}] if anonymous else []
    return view_submission_payload(
        SHARE_FORM,
        {
            "text": {"text": {"type": "plain_text_input", "value": text}},
            "options": {"options": {"type": "checkboxes", "selected_options": chosen}},
        },
        private_metadata=json.dumps({"channel": CHANNEL}),
        view_id=view_id,
    )


def test_form_submission_is_stored_and_empty_text_is_refused(served: Served) -> None:
    empty = served.interact(_form("   "))
    assert empty.status_code == 200
    assert empty.json()["response_action"] == "errors"
    assert "text" in empty.json()["errors"]
    ok = served.interact(_form("Vi firar små framsteg på måndagar", anonymous=True))
    assert ok.status_code == 200 and not ok.content
    served.idle()
    [stored] = served.contributions()
    assert (stored.source, stored.anonymous) == (Source.FORM.value, True)


def test_message_shortcut_saves_someone_elses_message_credited_to_them(served: Served) -> None:
    ts = served.slack.add_message(CHANNEL, "Vi delar ut veckans tack-kort", user="U2")
    payload = {
        "type": "message_action",
        "callback_id": SAVE_SHORTCUT,
        "trigger_id": served.slack.new_trigger_id(),
        "response_url": served.slack.new_response_url(),
        "team": {"id": TEAM, "domain": "t1"},
        "channel": {"id": CHANNEL, "name": "ledarforum"},
        "user": {"id": "U1", "name": "u1"},
        "message_ts": ts,
        "message": {
            "type": "message",
            "user": "U2",
            "text": "Vi delar ut veckans tack-kort",
            "ts": ts,
        },
    }
    assert served.interact(payload).status_code == 200
    served.idle()
    [stored] = served.contributions()
    assert (stored.author_id, stored.author_name, stored.source) == (
        "U2",
        "Alex Berg",
        Source.MESSAGE_SHORTCUT.value,
    )


def test_good_practice_reaction_stores_the_message(served: Served) -> None:
    ts = served.slack.add_message(CHANNEL, "Vi har infört tyst fredag", user="U2")
    other = {
        "type": "reaction_added",
        "user": "U1",
        "reaction": "tada",
        "item": {"type": "message", "channel": CHANNEL, "ts": ts},
        "item_user": "U2",
    }
    served.send_event(other)
    bulb = {**other, "reaction": "bulb", "event_ts": "2.2"}
    served.send_event(bulb)
    served.idle()
    [stored] = served.contributions()
    assert (stored.text, stored.author_id, stored.source) == (
        "Vi har infört tyst fredag",
        "U2",
        Source.REACTION.value,
    )
    assert abs(stored.created_at - utcnow()) < timedelta(minutes=1)


def test_undo_button_removes_the_contribution(served: Served) -> None:
    served.command("dela Att ta bort")
    served.idle()
    [stored] = served.contributions()
    payload = block_actions_payload(
        SHARE_UNDO, str(stored.id), user_id="U1", response_url=served.slack.new_response_url()
    )
    assert served.interact(payload).status_code == 200
    served.idle()
    assert served.count() == 0


def test_without_the_workspace_url_slack_is_asked_for_the_link(served: Served) -> None:
    ts = theme_ts(served)
    assert served.command("hjälp").status_code == 200  # Bolt's own auth.test, done and cached
    served.idle()
    served.slack.inject_faults("auth.test", [500] * 4)  # more than the client retries
    said = served.slack.add_message(CHANNEL, "Ett exempel", user="U1", thread_ts=ts)
    event = message_event("Ett exempel", user="U1", channel=CHANNEL, ts=said, thread_ts=ts)
    assert served.send_event(event).status_code == 200
    served.idle()
    [stored] = served.contributions()
    assert stored.permalink is not None and stored.permalink.startswith("https://fake.slack.test/")
    assert [call.params["message_ts"] for call in served.slack.calls_to("chat.getPermalink")][
        -1
    ] == said
