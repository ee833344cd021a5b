"""The meeting form, the logbook form and the share form's trend choice in Slack, over real HTTP.

Signed requests to the running app; the fake Web API records ``views.open`` and the answers.
The listeners register one checked ``app.view`` per key of ``views.FORM_CHECKS`` and open
``views.FORM_BUTTONS`` at once; the checks and the inbox worker's part are proven directly too
(``Processor._submission``), so this file shows each half on its own.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.commands import parse
from bot.storage.models import Contribution, LogbookEntry, Meeting
from fakes.slack.signing import block_actions_payload, view_submission_payload
from handlers.slack import views
from handlers.slack.process import Processor
from handlers.slack.views import FORM_CHECKS, LOGBOOK_FORM, LOGBOOK_WRITE, MEETING_FORM, SHARE_FORM
from tests.slack.conftest import CHANNEL, ORGANISER, Served

GOOD = {"date": "2030-02-11", "time": "13:00", "place": "Aulan", "link": "", "agenda": "Loggbok"}
NOTE = "Jag prövade att börja med en runda om veckan som gått."


def _meetings(served: Served) -> list[Meeting]:
    with served.core.db.transaction() as session:
        rows = list(session.scalars(select(Meeting)))
        session.expunge_all()
    return rows


def _entries(served: Served) -> list[LogbookEntry]:
    with served.core.db.transaction() as session:
        rows = list(session.scalars(select(LogbookEntry)))
        session.expunge_all()
    return rows


def _meeting_state(typed: dict[str, str]) -> dict[str, Any]:
    """The meeting modal's state as Slack sends it: date and time pickers, then texts."""
    state: dict[str, Any] = {
        "date": {"date": {"type": "datepicker", "selected_date": typed["date"] or None}},
        "time": {"time": {"type": "timepicker", "selected_time": typed["time"] or None}},
    }
    for name in ("place", "link", "agenda"):
        state[name] = {name: {"type": "plain_text_input", "value": typed[name] or None}}
    return state


def _meeting_view(served: Served, typed: dict[str, str], user: str = ORGANISER) -> dict[str, Any]:
    meta = json.dumps({"forum": served.forum().id})
    payload = view_submission_payload(
        MEETING_FORM, _meeting_state(typed), private_metadata=meta, user_id=user
    )
    return payload


def _processor(served: Served) -> Processor:
    """The inbox worker's handler: what runs a recorded item."""
    assert served.adapter.worker is not None
    handle = served.adapter.worker.handle
    assert isinstance(handle, Processor)
    return handle


def _told(served: Served) -> str:
    """Everything said to people outside the channel (direct messages and responses)."""
    direct = [m for m in served.slack.posted_messages() if m["channel"] != CHANNEL]
    said = [r.payload for r in served.slack.responses]
    return json.dumps([*direct, *said], ensure_ascii=False)


# -- the meeting form ------------------------------------------------------------------------------


def test_an_organisers_meeting_add_opens_the_form(served: Served) -> None:
    trigger = served.slack.new_trigger_id()
    assert served.command("admin meeting add", user=ORGANISER, trigger=trigger).status_code == 200
    [opened] = served.slack.views("views.open")
    view = opened["view"]
    assert (opened["trigger_id"], view["callback_id"]) == (trigger, MEETING_FORM)
    assert json.loads(view["private_metadata"]) == {"forum": served.forum().id}
    blocks = {block["block_id"]: block for block in view["blocks"] if block["type"] == "input"}
    assert list(blocks) == ["date", "time", "place", "link", "agenda"]
    assert blocks["date"]["element"]["type"] == "datepicker"
    assert "New forum meeting" in json.dumps(view)  # the command word was English


def test_a_leader_gets_no_meeting_form(served: Served) -> None:
    response = served.command("admin möte lägg till", user="U1", trigger="1.2.no")
    served.idle()
    assert served.slack.views("views.open") == []
    assert "organisatör" in response.text + _told(served)  # the ack's text, or a later answer


def test_bad_meeting_values_are_answered_beside_the_fields_and_nothing_is_stored(
    served: Served,
) -> None:
    bad = {**GOOD, "time": "", "place": "", "link": "video.example"}
    response = served.interact(_meeting_view(served, bad))
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"time", "link"}
    assert "http" in answer["errors"]["link"]
    served.idle()
    assert _meetings(served) == []


def test_a_good_meeting_is_stored_once(served: Served) -> None:
    payload = _meeting_view(served, GOOD)
    for _ in range(2):  # Slack retrying the same submission
        assert served.interact(payload).status_code == 200
    served.idle()
    [row] = _meetings(served)
    assert (row.forum_id, row.place, row.agenda) == (served.forum().id, "Aulan", "Loggbok")
    assert "Mötet är tillagt" in _told(served)


def test_a_leaders_forged_meeting_form_stores_nothing(served: Served) -> None:
    served.interact(_meeting_view(served, GOOD, user="U1"))
    served.idle()
    assert _meetings(served) == []


def test_the_meeting_check_and_the_worker_directly(served: Served) -> None:
    # The check the listener runs before the ack, and the worker's part, without the listener.
    body = _meeting_view(served, {**GOOD, "date": "2030-13-40"})
    assert set(FORM_CHECKS[MEETING_FORM](body["view"], "en")) == {"date"}
    assert FORM_CHECKS[MEETING_FORM](_meeting_view(served, GOOD)["view"], "sv") == {}
    processor = _processor(served)
    processor._submission("T1", _meeting_view(served, GOOD))
    processor._submission("T1", _meeting_view(served, GOOD, user="U1"))  # refused: no organiser
    [row] = _meetings(served)
    assert row.created_by == f"slack:T1:{ORGANISER}"
    processor._submission("T1", _meeting_view(served, GOOD))  # the time is booked now
    assert len(_meetings(served)) == 1
    assert "finns redan" in _told(served)  # said privately: the modal has closed


def test_opens_form_at_once_names_the_forms_that_need_the_trigger() -> None:
    at_once = [
        text
        for text in ("admin settings", "admin meeting add", "admin möte lägg till", "admin möte")
        if views.opens_form_at_once(parse(text))
    ]
    assert at_once == ["admin settings", "admin meeting add", "admin möte lägg till"]
    assert not views.opens_form_at_once(parse("admin meeting add 2030-02-11 13:00 Aulan"))


# -- the logbook form ------------------------------------------------------------------------------


def _logbook_view(text: str, user: str = "U1", view_id: str = "VL1") -> dict[str, Any]:
    values = {"text": {"text": {"type": "plain_text_input", "value": text}}}
    meta = json.dumps({"channel": CHANNEL})
    return view_submission_payload(
        LOGBOOK_FORM, values, private_metadata=meta, user_id=user, view_id=view_id
    )


def test_the_write_button_opens_the_logbook_form(served: Served) -> None:
    trigger = served.slack.new_trigger_id()
    click = block_actions_payload(LOGBOOK_WRITE, "", user_id="U1", trigger_id=trigger)
    assert served.interact(click).status_code == 200
    served.idle()
    [opened] = served.slack.views("views.open")
    assert (opened["trigger_id"], opened["view"]["callback_id"]) == (trigger, LOGBOOK_FORM)


def test_the_listing_and_the_home_tab_offer_the_write_button(served: Served) -> None:
    served.command("logg", trigger="1.2.list")
    served.idle()
    assert LOGBOOK_WRITE in json.dumps(served.slack.responses[-1].payload)
    served.send_event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    served.idle()
    home = json.dumps(served.slack.home_view("U1"), ensure_ascii=False)
    assert LOGBOOK_WRITE in home and "Min loggbok" in home


def test_an_empty_entry_is_answered_beside_the_field(served: Served) -> None:
    answer = served.interact(_logbook_view("   ")).json()
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {"text"}
    served.idle()
    assert _entries(served) == []


def test_a_submitted_entry_is_stored_once_and_privately(served: Served) -> None:
    payload = _logbook_view(NOTE)
    for _ in range(2):
        assert served.interact(payload).status_code == 200
    served.idle()
    [entry] = _entries(served)
    assert (entry.user_id, entry.text, entry.forum_id) == ("U1", NOTE, served.forum().id)
    assert not any(NOTE in json.dumps(m) for m in served.slack.posted_messages(CHANNEL))
    assert served.count() == 0  # a private entry, not a good example


def test_the_logbook_check_and_the_worker_directly(served: Served) -> None:
    assert FORM_CHECKS[LOGBOOK_FORM](_logbook_view("")["view"], "sv") != {}
    assert FORM_CHECKS[LOGBOOK_FORM](_logbook_view(NOTE)["view"], "sv") == {}
    _processor(served)._submission("T1", _logbook_view(NOTE, view_id="VL7"))
    _processor(served)._submission("T1", _logbook_view(NOTE, view_id="VL7"))
    [entry] = _entries(served)
    assert entry.user_id == "U1" and entry.period is not None
    view = views.FORM_BUTTONS[LOGBOOK_WRITE]("en", {"channel": {"id": CHANNEL}})
    assert view["callback_id"] == LOGBOOK_FORM and "Write in my logbook" in json.dumps(view)


# -- the share form's trend choice ---------------------------------------------------------------


def _share_view(kind: str, text: str, url: str, view_id: str = "VS1") -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": {"kind": {"type": "radio_buttons", "selected_option": {"value": kind}}},
        "text": {"text": {"type": "plain_text_input", "value": text or None}},
        "url": {"url": {"type": "plain_text_input", "value": url or None}},
        "options": {"options": {"type": "checkboxes", "selected_options": []}},
    }
    meta = json.dumps({"channel": CHANNEL})
    return view_submission_payload(SHARE_FORM, values, private_metadata=meta, view_id=view_id)


def test_the_share_form_offers_the_trend_choice(served: Served) -> None:
    served.command("dela", trigger=served.slack.new_trigger_id())
    [opened] = served.slack.views("views.open")
    shown = json.dumps(opened["view"], ensure_ascii=False)
    assert "En trend (en länk)" in shown and '"block_id": "url"' in shown


def test_a_trend_from_the_share_form_is_stored_as_a_trend(served: Served) -> None:
    served.core.dialogue.fetch_title = lambda url: "Framtidens arbetsliv"
    payload = _share_view("trend", "Läs kapitel 2", "https://rapport.example/a")
    assert served.interact(payload).status_code == 200
    served.idle()
    [row] = served.contributions()
    assert (row.kind, row.url, row.text) == ("trend", "https://rapport.example/a", "Läs kapitel 2")
    assert row.url_title == "Framtidens arbetsliv"


def test_a_trend_without_a_whole_link_is_answered_beside_the_field(served: Served) -> None:
    payload = _share_view("trend", "", "rapport.example")
    assert views.share_errors(payload["view"], "sv").keys() == {"url"}
    assert views.share_errors(_share_view("practice", "", "")["view"], "en").keys() == {"text"}
    answer = served.interact(payload).json()
    assert answer["response_action"] == "errors" and set(answer["errors"]) == {"url"}
    served.idle()
    assert served.count() == 0


def test_a_trend_with_only_a_link_is_stored(served: Served) -> None:
    served.core.dialogue.fetch_title = lambda url: None
    served.interact(_share_view("trend", "", "https://rapport.example/b", view_id="VS2"))
    served.idle()
    [row] = served.contributions()
    assert (row.kind, row.text) == ("trend", "")
    with served.core.db.transaction() as session:
        assert session.scalars(select(Contribution.kind)).all() == ["trend"]
