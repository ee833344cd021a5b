"""The private logbook through the one core handler (the console's and every adapter's path):
writing once per source, listing my own entries, the prompt switch, sharing an entry as a good
example, and ``admin logg`` still meaning the audit log."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from bot.commands import AdminVerb, Verb, parse
from bot.core import Core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Platform
from bot.inbound import ButtonPressed, CommandGiven, Place
from bot.inbound_handler import InboundHandler
from bot.messages import Actions, Reply, plain_text
from bot.services import contributions, forums, logbook
from bot.services.logbook import LOGBOOK_SHARE
from bot.storage.models import Contribution, LogbookEntry
from handlers.console.forum import ConsoleForum
from tests.support import FakeClock

WORKSPACE = "T1"
LEADER = Actor(Platform.CONSOLE, WORKSPACE, "U1", "Kim", "sv-SE")
OTHER = Actor(Platform.CONSOLE, WORKSPACE, "U2", "Alex", "en-GB")
HERE = Place(Platform.CONSOLE, WORKSPACE, "console")
SECRET = "Jag vågade äntligen lämna över mötet till Sara."


def make_console_forum(core: Core) -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session,
            Platform.CONSOLE,
            WORKSPACE,
            "console",
            language="sv",
            timezone="Europe/Stockholm",
        )
    return forum


def say(core: Core, actor: Actor, text: str, message_id: str | None = None) -> Reply:
    handler = InboundHandler(core.dialogue)
    return handler.handle(CommandGiven(actor, HERE, text, message_id))


def text_of(reply: Reply) -> str:
    return "\n".join(plain_text(message) for message in [*reply.private, *reply.public])


def share_values(reply: Reply) -> list[str]:
    return [
        button.value
        for message in reply.private
        for element in message.elements
        if isinstance(element, Actions)
        for button in element.buttons
        if button.action == LOGBOOK_SHARE
    ]


def entries(core: Core) -> list[tuple[str, str, str, str | None]]:
    with core.db.transaction() as session:
        rows = session.scalars(select(LogbookEntry).order_by(LogbookEntry.id))
        return [(row.user_id, row.text, row.period, row.theme_title_sv) for row in rows]


def test_the_words_are_the_logbook_and_admin_logg_is_still_the_audit_log() -> None:
    for word, lang in (("logg", "sv"), ("loggbok", "sv"), ("log", "en"), ("logbook", "en")):
        command = parse(f"{word} något jag lärde mig")
        assert command.verb is Verb.LOGBOOK and command.language == lang
        assert command.rest == "något jag lärde mig"
    assert parse("admin logg").admin is AdminVerb.LOG
    assert parse("admin log").admin is AdminVerb.LOG


def test_an_entry_is_stored_privately_under_the_current_theme_once_per_source(
    core: Core,
) -> None:
    make_console_forum(core)
    reply = say(core, LEADER, f"logg {SECRET}", "console:1")
    assert not reply.public and not reply.notify
    assert [m.kind for m in reply.private] == ["logbook_saved"]
    assert "loggbok" in text_of(reply) and SECRET not in text_of(reply)
    assert len(share_values(reply)) == 1
    again = say(core, LEADER, f"logg {SECRET}", "console:1")  # a retried command
    assert "redan" in text_of(again)
    stored = entries(core)
    assert len(stored) == 1
    user, text, period, title = stored[0]
    assert (user, text, period) == ("U1", SECRET, "2026-11")
    assert title  # the shipped cycle's November theme
    # Nothing became a good example, and nothing was posted.
    with core.db.transaction() as session:
        assert session.scalar(select(Contribution.id)) is None


def test_bad_text_changes_nothing(core: Core) -> None:
    make_console_forum(core)
    too_long = say(core, LEADER, "logg " + "x" * (contributions.MAX_TEXT_CHARS + 1))
    assert [m.kind for m in too_long.private] == ["error"]
    control = say(core, LEADER, "logg \x00\x01")  # nothing left once cleaned: the list instead
    assert [m.kind for m in control.private] == ["info"]
    assert entries(core) == []


def test_logg_without_text_shows_my_recent_entries_newest_first_and_only_mine(
    core: Core, clock: FakeClock
) -> None:
    make_console_forum(core)
    empty = say(core, LEADER, "logg")
    assert "tom" in text_of(empty)
    for n in range(7):
        say(core, LEADER, f"logg anteckning nummer {n}", f"console:{n}")
        clock.advance(timedelta(minutes=1))
    say(core, OTHER, "log the other person's secret", "console:other")
    mine = say(core, LEADER, "logg")
    shown = text_of(mine)
    assert [m.kind for m in mine.private] == ["logbook_recent"]
    assert "the other person's secret" not in shown
    assert "nummer 6" in shown and "nummer 2" in shown and "nummer 1" not in shown
    assert shown.index("nummer 6") < shown.index("nummer 5")
    assert len(share_values(mine)) == logbook.RECENT
    theirs = say(core, OTHER, "log")
    assert "nummer" not in text_of(theirs) and "secret" in text_of(theirs)


def test_remind_on_and_off_switch_the_preference(core: Core) -> None:
    where = (LEADER.platform.value, WORKSPACE, LEADER.user_id)
    with core.db.transaction() as session:
        assert logbook.prompts_on(session, *where) is False  # off by default
    assert "Klart" in text_of(say(core, LEADER, "logg påminn på"))
    with core.db.transaction() as session:
        assert logbook.prompts_on(session, *where) is True
    status = text_of(say(core, LEADER, "logg påminn"))
    assert "påminn av" in status
    say(core, LEADER, "log remind off")
    with core.db.transaction() as session:
        assert logbook.prompts_on(session, *where) is False
    assert entries(core) == []  # switching is no entry
    # A sentence that starts with the word is an entry, not a switch.
    say(core, LEADER, "logg påminn mig själv om att lyssna mer", "console:s")
    assert entries(core)[0][1] == "påminn mig själv om att lyssna mer"


def test_the_share_button_stores_a_good_example_once_and_the_entry_stays_private(
    core: Core,
) -> None:
    forum = make_console_forum(core)
    reply = say(core, LEADER, f"logg {SECRET}", "console:1")
    (value,) = share_values(reply)
    handler = InboundHandler(core.dialogue)
    shared = handler.handle(ButtonPressed(LEADER, HERE, LOGBOOK_SHARE, value))
    assert [m.kind for m in shared.private] == ["confirmation", "info"]
    again = handler.handle(ButtonPressed(LEADER, HERE, LOGBOOK_SHARE, value))
    assert "info" in [m.kind for m in again.private]
    with core.db.transaction() as session:
        examples = list(session.scalars(select(Contribution)))
        entry = session.scalars(select(LogbookEntry)).one()
        assert len(examples) == 1
        assert examples[0].text == SECRET and examples[0].forum_id == forum.id
        assert examples[0].author_id == "U1" and examples[0].period == entry.period
        assert entry.shared_contribution_id == examples[0].id
        assert entry.text == SECRET  # still in the logbook
    listed = say(core, LEADER, "logg")
    assert share_values(listed) == []  # shown as shared, no second button


def test_nobody_can_share_someone_elses_entry(core: Core) -> None:
    make_console_forum(core)
    (value,) = share_values(say(core, LEADER, f"logg {SECRET}", "console:1"))
    handler = InboundHandler(core.dialogue)
    for bad in (value, "0", "x", None, "99999"):
        pressed = handler.handle(ButtonPressed(OTHER, HERE, LOGBOOK_SHARE, bad))
        assert [m.kind for m in pressed.private] == ["error"]
    with core.db.transaction() as session:
        assert session.scalar(select(Contribution.id)) is None
        assert session.scalars(select(LogbookEntry)).one().shared_contribution_id is None


def test_without_a_forum_an_entry_is_kept_and_sharing_says_there_is_no_forum(
    core: Core,
) -> None:
    reply = say(core, LEADER, "logg innan forumet finns", "console:1")
    assert [m.kind for m in reply.private] == ["logbook_saved"]
    assert entries(core) == [("U1", "innan forumet finns", "2026-11", None)]
    (value,) = share_values(reply)
    pressed = InboundHandler(core.dialogue).handle(
        ButtonPressed(LEADER, HERE, LOGBOOK_SHARE, value)
    )
    assert [m.kind for m in pressed.private] == ["error"]


def test_help_names_the_logbook(core: Core) -> None:
    shown = text_of(say(core, OTHER, "help"))
    assert "log <text>" in shown


def test_logg_dela_shares_by_number_where_there_is_no_button(core: Core) -> None:
    make_console_forum(core)
    reply = say(core, LEADER, f"logg {SECRET}", "console:1")
    (value,) = share_values(reply)
    assert f"nr {value}" in text_of(reply)  # the number the console reader types
    assert [m.kind for m in say(core, OTHER, f"log share {value}").private] == ["error"]
    shared = say(core, LEADER, f"logg dela {value}")
    assert [m.kind for m in shared.private] == ["confirmation", "info"]
    with core.db.transaction() as session:
        assert session.scalars(select(Contribution.text)).all() == [SECRET]
    # "dela" with more words is an entry about sharing, not the command.
    say(core, LEADER, "logg dela mer med kollegorna", "console:2")
    assert entries(core)[-1][1] == "dela mer med kollegorna"


def test_the_console_forum_keeps_an_entry_and_lists_it(core: Core) -> None:
    out = io.StringIO()
    lines = io.StringIO(f"/ledarforum logg {SECRET}\n/ledarforum logg\n")
    ConsoleForum(core, lines, out, user="kim").run()
    shown = out.getvalue()
    assert "Sparat i din loggbok" in shown and SECRET in shown  # the list shows it back
    assert [e[1] for e in entries(core)] == [SECRET]
    with core.db.transaction() as session:
        assert session.scalar(select(Contribution.id)) is None  # a command, not a good example
