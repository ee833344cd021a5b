"""Organisers change a forum's settings in a Slack modal: validated by the core, audit-logged;
a bad value or someone else's forged form changes nothing."""

from __future__ import annotations

import json
from typing import Any

from bot.forum_admin import SETTINGS_OPEN
from bot.services import audit
from fakes.slack.signing import block_actions_payload, view_submission_payload
from handlers.slack.views import SETTINGS_FORM
from tests.slack.conftest import CHANNEL, ORGANISER, Served


def _open_settings(served: Served, user: str = ORGANISER) -> dict[str, Any]:
    response = served.command(
        "admin inställningar", user=user, trigger=served.slack.new_trigger_id()
    )
    assert response.status_code == 200
    [opened] = served.slack.views("views.open")
    view: dict[str, Any] = opened["view"]
    assert view["callback_id"] == SETTINGS_FORM
    return view


def _typed(view: dict[str, Any]) -> dict[str, str]:
    """What the form shows in each field, as Slack would send it back untouched."""
    return {
        block["block_id"]: block["element"].get("initial_value", "")
        for block in view["blocks"]
        if block["type"] == "input"
    }


def _submit(
    served: Served, view: dict[str, Any], typed: dict[str, str], user: str = ORGANISER
) -> dict[str, Any]:
    values = {k: {k: {"type": "plain_text_input", "value": v}} for k, v in typed.items()}
    payload = view_submission_payload(
        SETTINGS_FORM, values, private_metadata=view["private_metadata"], user_id=user
    )
    response = served.interact(payload)
    assert response.status_code == 200
    return response.json() if response.content else {}


def _updates(served: Served) -> list[Any]:
    with served.core.db.transaction() as session:
        return [e for e in audit.recent(session) if e.action == "forum.update"]


def test_an_organiser_changes_settings_in_the_modal_and_it_is_audit_logged(
    served: Served,
) -> None:
    view = _open_settings(served)
    typed = _typed(view)
    assert typed["timezone"] == "Europe/Stockholm" and typed["digest_weekday"] == "fredag"
    assert typed["reminder_threshold"] == "av"

    typed.update(timezone="Europe/Oslo", theme_time="8.30", digest_weekday="torsdag", theme_day="2")
    assert _submit(served, view, typed) == {}
    served.idle()

    forum = served.forum()
    assert (forum.timezone, forum.theme_time, forum.digest_weekday, forum.theme_day) == (
        "Europe/Oslo",
        "08:30",
        3,
        2,
    )
    assert forum.reminder_threshold is None and forum.digest_time == "14:00"  # as shown: kept
    [entry] = _updates(served)
    assert entry.actor == f"slack:T1:{ORGANISER}" and entry.forum_id == forum.id
    assert entry.before == {
        "timezone": "Europe/Stockholm",
        "theme_day": 1,
        "theme_time": "09:00",
        "digest_weekday": 4,
    }
    assert entry.after == {
        "timezone": "Europe/Oslo",
        "theme_day": 2,
        "theme_time": "08:30",
        "digest_weekday": 3,
    }
    told = [m["text"] for m in served.slack.posted_messages() if m["channel"] != CHANNEL]
    assert any("Inställningarna är sparade" in text for text in told), told


def test_bad_values_are_refused_by_name_and_change_nothing(served: Served) -> None:
    view = _open_settings(served)
    typed = _typed(view)
    typed.update(timezone="Mars/Base", theme_time="25:00", digest_weekday="9", language="en")

    refused = _submit(served, view, typed)

    assert refused["response_action"] == "errors"
    errors = refused["errors"]
    assert set(errors) == {"timezone", "theme_time", "digest_weekday"}
    assert "timezone kan inte vara Mars/Base" in errors["timezone"]
    assert "Europe/Stockholm" in errors["timezone"]  # what it allows
    assert "23:59" in errors["theme_time"]
    assert "måndag" in errors["digest_weekday"]
    served.idle()
    forum = served.forum()
    assert (forum.timezone, forum.theme_time, forum.digest_weekday, forum.language) == (
        "Europe/Stockholm",
        "09:00",
        4,
        "sv",  # the good value in the same form is not stored either
    )
    assert _updates(served) == []


def test_a_non_organisers_forged_form_is_refused(served: Served) -> None:
    view = _open_settings(served)  # the organiser's form, copied by someone else
    typed = _typed(view)
    typed["timezone"] = "Europe/Oslo"

    refused = _submit(served, view, typed, user="U1")

    assert refused["response_action"] == "errors"
    assert "organisatör" in json.dumps(refused["errors"], ensure_ascii=False)
    served.idle()
    assert served.forum().timezone == "Europe/Stockholm"
    assert _updates(served) == []


def test_a_non_organiser_gets_no_form(served: Served) -> None:
    response = served.command("admin settings", user="U1", trigger=served.slack.new_trigger_id())
    assert response.status_code == 200
    assert served.slack.views("views.open") == []


def test_the_settings_button_opens_the_form_for_organisers_only(served: Served) -> None:
    forum_id = str(served.forum().id)
    for user in ("U1", ORGANISER):
        click = block_actions_payload(
            SETTINGS_OPEN, forum_id, user_id=user, trigger_id=served.slack.new_trigger_id()
        )
        assert served.interact(click).status_code == 200
    [opened] = served.slack.views("views.open")  # the organiser's click only
    assert opened["view"]["callback_id"] == SETTINGS_FORM
    assert json.loads(opened["view"]["private_metadata"]) == {"forum": served.forum().id}
