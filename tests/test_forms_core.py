"""The meeting form, the logbook form and the share form's trend choice, through the core handler.

What every adapter relies on: who gets a form, what a submission stores (once), what a bad value
answers (the form again with translated errors beside the fields, nothing stored) and what a
terminal, which has no forms, answers instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import func, select

from bot import logbook_chat, meeting_form
from bot.core import Core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Platform
from bot.inbound import (
    LOGBOOK_FORM,
    MEETING_FORM,
    SHARE_FORM,
    ButtonPressed,
    CommandGiven,
    FormSubmitted,
    LogbookForm,
    MeetingForm,
    Place,
)
from bot.inbound_handler import InboundHandler
from bot.messages import Actions, Reply, plain_text
from bot.services import forums, meetings, organisers
from bot.storage.models import Contribution, LogbookEntry, Meeting

WORKSPACE = "T1"
ORGANISER = Actor(Platform.SLACK, WORKSPACE, "UORG", "Olle Org", "sv-SE")
KIM = Actor(Platform.SLACK, WORKSPACE, "U1", "Kim Lind", "sv-SE")
SAM = Actor(Platform.SLACK, WORKSPACE, "U3", "Sam Vik", "en-GB")
HERE = Place(Platform.SLACK, WORKSPACE, "C1")
GOOD = {"date": "2027-02-10", "time": "13:00", "place": "Aulan", "link": "", "agenda": "Loggbok"}


def _forum(core: Core) -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, WORKSPACE, "C1", language="sv", timezone="Europe/Stockholm"
        )
    return forum


def _meetings(core: Core) -> list[Meeting]:
    with core.db.transaction() as session:
        rows = list(session.scalars(select(Meeting)))
        session.expunge_all()
    return rows


def _entries(core: Core) -> list[LogbookEntry]:
    with core.db.transaction() as session:
        rows = list(session.scalars(select(LogbookEntry).order_by(LogbookEntry.id)))
        session.expunge_all()
    return rows


def _text(reply: Reply) -> str:
    return "\n".join(plain_text(m) for m in [*reply.private, *reply.public])


def _submit_meeting(
    core: Core, values: dict[str, str], actor: Actor = ORGANISER, forum: ForumInfo | None = None
) -> Reply:
    forum_id = (forum or _forum(core)).id
    place = Place(Platform.SLACK, WORKSPACE, "")
    event = FormSubmitted(actor, place, MEETING_FORM, values, "V1", forum_ref=forum_id)
    return InboundHandler(core.dialogue).handle(event)


# -- the meeting form ------------------------------------------------------------------------------


def test_an_organisers_meeting_add_without_more_is_a_form(core: Core) -> None:
    forum = _forum(core)
    handler = InboundHandler(core.dialogue)
    for text, lang in (("admin möte lägg till", "sv"), ("admin meeting add", "en")):
        reply = handler.handle(CommandGiven(ORGANISER, HERE, text))
        assert isinstance(reply.form, MeetingForm)
        assert (reply.form.forum.id, reply.form.lang, reply.private) == (forum.id, lang, [])


def test_a_leader_gets_no_meeting_form_but_the_refusal(core: Core) -> None:
    _forum(core)
    reply = InboundHandler(core.dialogue).handle(CommandGiven(KIM, HERE, "admin möte lägg till"))
    assert reply.form is None
    assert "organisatör" in _text(reply)


def test_the_console_explains_the_text_syntax_instead_of_a_form(core: Core) -> None:
    console = Actor(Platform.CONSOLE, "local", "anna", "anna")
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session,
            Platform.CONSOLE,
            "local",
            "console",
            language="sv",
            timezone="Europe/Stockholm",
        )
        organisers.add(session, "console", "local", "anna", forum.id, actor="test")
    place = Place(Platform.CONSOLE, "local", "console")
    reply = InboundHandler(core.dialogue).handle(CommandGiven(console, place, "admin meeting add"))
    assert reply.form is None
    shown = _text(reply)
    assert "admin meeting add YYYY-MM-DD HH:MM" in shown  # the syntax
    assert "/ledarforum admin meeting add 2027-02-10 13:00" in shown  # and an example
    # The settings have no form there either: the overview, not the share form's advice.
    settings = InboundHandler(core.dialogue).handle(CommandGiven(console, place, "admin settings"))
    assert settings.form is None and "timezone" in _text(settings)


def test_a_good_meeting_is_stored_once(core: Core) -> None:
    forum = _forum(core)
    reply = _submit_meeting(core, GOOD)
    [row] = _meetings(core)
    assert (row.forum_id, row.place, row.agenda, row.link) == (forum.id, "Aulan", "Loggbok", None)
    assert row.created_by == "slack:T1:UORG"
    assert "Mötet är tillagt" in _text(reply) and reply.form is None
    again = _submit_meeting(core, GOOD)  # the same form twice: the time is booked
    assert len(_meetings(core)) == 1
    assert isinstance(again.form, MeetingForm) and "finns redan" in again.form.errors["time"]


def test_a_video_link_instead_of_a_place_is_enough(core: Core) -> None:
    _submit_meeting(core, {**GOOD, "place": "", "link": "https://video.example/forum"})
    [row] = _meetings(core)
    assert (row.place, row.link) == ("", "https://video.example/forum")


def test_bad_values_come_back_beside_their_fields_and_nothing_is_stored(core: Core) -> None:
    bad = {"date": "10/2", "time": "25:00", "place": "", "link": "ftp://x", "agenda": "x" * 2001}
    reply = _submit_meeting(core, bad)
    assert isinstance(reply.form, MeetingForm)
    errors = reply.form.errors
    assert set(errors) == {"date", "time", "link", "agenda"}
    assert "10/2” är inget datum" in errors["date"] and "25:00" in errors["time"]
    assert reply.form.typed is not None and reply.form.typed["place"] == ""  # as typed
    no_where = _submit_meeting(core, {**GOOD, "place": " ", "link": ""})
    assert isinstance(no_where.form, MeetingForm) and set(no_where.form.errors) == {"place"}
    past = _submit_meeting(core, {**GOOD, "date": "2026-11-20"})  # the clock: 23 November 2026
    assert isinstance(past.form, MeetingForm) and "redan passerat" in past.form.errors["date"]
    assert _meetings(core) == []


def test_errors_are_in_english_for_an_english_speaker(core: Core) -> None:
    _forum(core)
    errors = meeting_form.field_errors({**GOOD, "date": "soon"}, "en")
    assert errors == {
        "date": "“soon” is not a date. Write the date as YYYY-MM-DD, for example 2027-02-10."
    }


def test_a_date_past_everywhere_is_refused_before_the_form_closes() -> None:
    values = {**GOOD, "date": "2027-02-08"}
    assert "date" in meeting_form.field_errors(values, "sv", date(2027, 2, 10))
    assert meeting_form.field_errors(values, "sv", date(2027, 2, 9)) == {}  # a zone ahead: later


def test_a_non_organisers_forged_meeting_is_refused(core: Core) -> None:
    reply = _submit_meeting(core, GOOD, actor=KIM)
    assert reply.form is None and "organisatör" in _text(reply)
    assert _meetings(core) == []


def test_the_form_uses_the_text_commands_rules() -> None:
    typed = meeting_form.typed({**GOOD, "link": "https://video.example/a", "agenda": 3})
    built = meeting_form.build(typed)
    assert built == meetings.parse_command("2027-02-10 13:00 Aulan https://video.example/a")
    assert meeting_form.wants_form("lägg  till") and not meeting_form.wants_form("add 2027-02-10")


# -- the logbook form ------------------------------------------------------------------------------


def test_the_write_button_opens_a_private_logbook_form(core: Core) -> None:
    forum = _forum(core)
    pressed = ButtonPressed(KIM, HERE, logbook_chat.LOGBOOK_WRITE, "")
    reply = InboundHandler(core.dialogue).handle(pressed)
    assert isinstance(reply.form, LogbookForm)
    assert (reply.form.forum_id, reply.form.lang, reply.public) == (forum.id, "sv", [])


def test_a_submitted_entry_is_private_tied_to_the_theme_and_stored_once(core: Core) -> None:
    forum = _forum(core)
    handler = InboundHandler(core.dialogue)
    text = "Jag prövade att låta gruppen leda mötet."
    for _ in range(2):  # the same submission twice (a retried item): one entry
        event = FormSubmitted(KIM, HERE, LOGBOOK_FORM, {"text": text}, "V9")
        reply = handler.handle(event)
    [entry] = _entries(core)
    assert (entry.user_id, entry.text, entry.forum_id, entry.period) == (
        "U1",
        text,
        forum.id,
        "2026-11",
    )
    assert reply.public == [] and reply.form is None
    with core.db.transaction() as session:
        assert session.scalar(select(func.count(Contribution.id))) == 0  # not a good example


def test_an_empty_entry_comes_back_with_its_error(core: Core) -> None:
    _forum(core)
    event = FormSubmitted(SAM, HERE, LOGBOOK_FORM, {"text": "  "}, "V10")
    reply = InboundHandler(core.dialogue).handle(event)
    assert isinstance(reply.form, LogbookForm) and set(reply.form.errors) == {"text"}
    assert reply.form.errors["text"] == "Write your reflection before saving."
    assert _entries(core) == []


def test_the_listing_offers_the_form_where_there_are_forms(core: Core) -> None:
    _forum(core)
    reply = InboundHandler(core.dialogue).handle(CommandGiven(KIM, HERE, "logg"))
    buttons = [
        b.action
        for m in reply.private
        for e in m.elements
        if isinstance(e, Actions)
        for b in e.buttons
    ]
    assert buttons == [logbook_chat.LOGBOOK_WRITE]
    console = Actor(Platform.CONSOLE, "local", "anna", "anna")
    answer = core.dialogue.handle_text(console, "console", "logg")
    assert not any(isinstance(e, Actions) for m in answer.private for e in m.elements)


# -- the share form's trend choice ---------------------------------------------------------------


def _share(core: Core, values: Mapping[str, object], submission: str) -> Reply:
    core.dialogue.fetch_title = lambda url: "Framtidens arbetsliv"
    event = FormSubmitted(KIM, HERE, SHARE_FORM, values, submission)
    return InboundHandler(core.dialogue).handle(event)


def test_a_trend_chosen_in_the_share_form_is_stored_as_a_trend(core: Core) -> None:
    _forum(core)
    values = {"kind": "trend", "url": "https://rapport.example/a", "text": "Läs kapitel 2"}
    for _ in range(2):
        reply = _share(core, values, "V20")
    with core.db.transaction() as session:
        [row] = session.scalars(select(Contribution)).all()
        assert (row.kind, row.url, row.text) == (
            "trend",
            "https://rapport.example/a",
            "Läs kapitel 2",
        )
        assert row.url_title == "Framtidens arbetsliv" and row.source == "form"
    assert "trend" in _text(reply)


def test_a_trend_without_a_whole_link_stores_nothing(core: Core) -> None:
    _forum(core)
    reply = _share(core, {"kind": "trend", "url": "rapport.example", "text": "x"}, "V21")
    assert "http" in _text(reply)
    practice = _share(core, {"kind": "practice", "text": "Vi gick och pratade."}, "V22")
    with core.db.transaction() as session:
        kinds = [row.kind for row in session.scalars(select(Contribution))]
    assert kinds == ["practice"] and practice.form is None
