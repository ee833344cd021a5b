"""The console has no forms: where Slack and Teams open the meeting or logbook form, the terminal
says how to do the same in one line, and that line works."""

from __future__ import annotations

import io

from sqlalchemy import select

from bot.core import Core
from bot.storage.models import LogbookEntry, Meeting
from handlers.console.forum import ConsoleForum


def _run(core: Core, script: str, user: str = "anna") -> str:
    out = io.StringIO()
    assert ConsoleForum(core, io.StringIO(script), out, user=user).run() == 0
    return out.getvalue()


def test_meeting_add_without_more_explains_the_line_and_the_line_adds_it(core: Core) -> None:
    output = _run(
        core,
        "/ledarforum admin möte lägg till\n"
        "/ledarforum admin möte lägg till 2027-02-10 13:00 Aulan | Ta med loggboken\n",
    )
    assert "Konsolen har inget formulär. Skriv till exempel:" in output
    assert "admin möte lägg till 2027-02-10 13:00 Aulan" in output
    assert "skriv ditt goda exempel" not in output  # not the share form's advice
    with core.db.transaction() as session:
        [meeting] = session.scalars(select(Meeting)).all()
        assert (meeting.place, meeting.agenda) == ("Aulan", "Ta med loggboken")


def test_the_logbook_listing_shows_no_write_button_in_a_terminal(core: Core) -> None:
    output = _run(core, "/ledarforum logg\n/ledarforum logg Jag lyssnade mer än jag talade.\n")
    assert "Skriv i loggboken" not in output  # the button's label: there are no buttons
    assert "logg" in output
    with core.db.transaction() as session:
        assert session.scalars(select(LogbookEntry.text)).all() == [
            "Jag lyssnade mer än jag talade."
        ]
