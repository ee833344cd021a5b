"""The book of good practices: a year's examples by theme in cycle order, authors or "anonymous",
and a Markdown document that people's texts cannot break or use to notify anyone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import Core
from bot.domain import ForumInfo
from bot.services.book import book, book_markdown, markdown_quote, markdown_text
from tests.test_comeback import make_forum, theme, use_cycle
from tests.test_services import share

JANUARY = theme(1, "Årets start", key="arets-start")
MARCH = theme(3, "Medarbetarsamtal", key="medarbetarsamtal")
SEPTEMBER = theme(9, "Arbetsmiljö")


def day(month: int, day_of_month: int, year: int = 2026) -> datetime:
    return datetime(year, month, day_of_month, 9, 0, tzinfo=UTC)


def _year_of_examples(core: Core) -> ForumInfo:
    forum = make_forum(core)
    use_cycle(core, forum, JANUARY, MARCH, SEPTEMBER)
    # Saved out of order: the book orders by the cycle, and by date within a theme.
    share(core, forum, "s1", day(9, 15), "Skyddsrond med hela gruppen", author="U3")
    share(core, forum, "m2", day(3, 20), "Andra samtalet", author="U2", anonymous=True)
    share(core, forum, "m1", day(3, 5), "Första samtalet", author="U1")
    share(core, forum, "j1", day(1, 12), "Vi satte mål tillsammans", author="U1")
    share(core, forum, "x1", day(7, 1), "Sommarexempel", author="U4")  # no theme in July
    share(core, forum, "old", day(3, 5, 2025), "Förra årets", author="U1")
    other = make_forum(core, "C2")
    use_cycle(core, other, MARCH)
    share(core, other, "o1", day(3, 6), "Annat forums exempel", author="U9")
    return forum


def test_the_book_groups_the_years_examples_by_theme_in_cycle_order(core: Core) -> None:
    forum = _year_of_examples(core)
    with core.db.transaction() as session:
        made = book(session, forum, 2026, "sv")
    assert made.title == "Goda exempel 2026"
    assert [(c.month, c.key, c.title) for c in made.chapters] == [
        (1, "arets-start", "Årets start"),
        (3, "medarbetarsamtal", "Medarbetarsamtal"),
        (7, None, "Utan tema"),
        (9, "arbetsmiljo", "Arbetsmiljö"),
    ]
    march = made.chapters[1]
    assert march.month_name == "mars"
    assert [e.text for e in march.examples] == ["Första samtalet", "Andra samtalet"]
    assert [(e.author, e.byline) for e in march.examples] == [
        ("Person U1", "Person U1"),
        (None, "Anonym"),
    ]
    assert march.examples[0].day == date(2026, 3, 5)
    assert march.examples[0].day_text == "torsdag 5 mars 2026"
    assert made.count == 5
    every_text = {e.text for c in made.chapters for e in c.examples}
    assert "Förra årets" not in every_text and "Annat forums exempel" not in every_text


def test_the_book_in_english(core: Core) -> None:
    forum = _year_of_examples(core)
    with core.db.transaction() as session:
        made = book(session, forum, 2026, "en")
    assert made.title == "Good examples 2026"
    assert [c.title for c in made.chapters] == [
        "Årets start (en)",
        "Medarbetarsamtal (en)",
        "No theme",
        "Arbetsmiljö (en)",
    ]
    assert made.chapters[1].examples[1].byline == "Anonymous"
    assert made.title_page == "C1: 5 good examples from 2026, collected by Ledarforum."


def test_the_markdown_book_has_a_section_per_theme_and_keeps_anonymity(core: Core) -> None:
    forum = _year_of_examples(core)
    with core.db.transaction() as session:
        text = book_markdown(book(session, forum, 2026, "sv"))
    lines = text.splitlines()
    assert lines[0] == "# Goda exempel 2026"
    assert lines[2] == "C1: 5 goda exempel från 2026, samlade av Ledarforum."
    assert [line for line in lines if line.startswith("## ")] == [
        "## Januari: Årets start",
        "## Mars: Medarbetarsamtal",
        "## Juli: Utan tema",
        "## September: Arbetsmiljö",
    ]
    assert "> Första samtalet\n>\n> — **Person U1**, torsdag 5 mars 2026" in text
    assert "> — **Anonym**, fredag 20 mars 2026" in text
    assert "Person U2" not in text  # the anonymous author


def test_an_empty_year_says_so(core: Core) -> None:
    forum = make_forum(core)
    with core.db.transaction() as session:
        made = book(session, forum, 2031, "sv")
    assert made.chapters == () and made.count == 0
    assert book_markdown(made) == "# Goda exempel 2031\n\nInga goda exempel sparades under 2031.\n"


HOSTILE = (
    "# Inte en rubrik\n"
    "## Inte heller\n"
    "- ingen lista\n"
    "1. ingen numrering\n"
    "    ingen kod\n"
    "```\n"
    "---\n"
    "===\n"
    "> inget citat\n"
    "<script>alert(1)</script> <img src=x onerror=alert(1)>\n"
    "[klicka](javascript:alert(1)) ![bild](https://evil.test/x.png)\n"
    "**fet** _kursiv_ `kod` ~~struken~~ | a | b |\n"
    "&lt; &amp; \\*\n"
    "@here @channel @everyone <!here> <@U123> hej@exempel.se\n"
)


def test_hostile_text_stays_text_in_the_markdown(core: Core) -> None:
    forum = make_forum(core)
    use_cycle(core, forum, MARCH)
    share(core, forum, "h1", day(3, 5), HOSTILE, author="U1")
    with core.db.transaction() as session:
        text = book_markdown(book(session, forum, 2026, "sv"))
    body = text.split("## Mars: Medarbetarsamtal\n\n", 1)[1]
    quote = body.split("\n\n", 1)[0].splitlines()
    # Every line of the example is inside the one quote, and none starts a block of its own.
    assert all(line.startswith(">") for line in quote)
    assert len(quote) == HOSTILE.count("\n") + 2  # the text's lines, a blank quote line, byline
    assert [line for line in text.splitlines() if line.startswith("#")] == [
        "# Goda exempel 2026",
        "## Mars: Medarbetarsamtal",
    ]
    for line in quote[:-2]:
        content = line.removeprefix("> ")
        assert not re.match(r"(?:[#>=+-]|\d+[.)]|```|\s)", content), line
        # No unescaped character that opens HTML, a link, an emphasis, code or a table cell.
        assert not re.search(r"(?<!\\)[<>\[\]*_`|~&]", content.replace("\\\\", "")), line
    # Mentions and broadcasts notify nobody; an e-mail address is left alone.
    for word in ("@here", "@channel", "@everyone"):
        assert word not in text
        assert word.replace("@", "@\u2060") in text
    assert "hej@exempel.se" in text


def _unescaped(text: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text).replace("\u2060", "")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_markdown_text_shows_exactly_the_characters_typed(typed: str) -> None:
    shown = markdown_text(typed)
    assert "\n" not in shown
    assert _unescaped(shown) == " ".join(typed.split())
    assert not re.search(r"(?<!\\)[<>\[\]*_`|~&]", shown.replace("\\\\", ""))


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("# rubrik", "\\# rubrik"),
        ("- punkt", "\\- punkt"),
        ("12. punkt", "12\\. punkt"),
        ("a_b*c", "a\\_b\\*c"),
        ("<b>", "\\<b\\>"),
        ("@anna", "@\u2060anna"),
        ("mejla anna@exempel.se", "mejla anna@exempel.se"),
        ("Vanlig text, med komma.", "Vanlig text, med komma."),
    ],
)
def test_markdown_text_escapes_only_what_markdown_would_read(typed: str, shown: str) -> None:
    assert markdown_text(typed) == shown


def test_a_quote_keeps_paragraphs_inside_it() -> None:
    assert markdown_quote("Ett\n\nTvå") == "> Ett\n>\n> Två"


def test_trends_are_not_in_the_book(core: Core) -> None:
    from bot.domain import Source
    from bot.services import trends

    forum = _year_of_examples(core)
    with core.db.transaction() as session:
        trends.record(
            session,
            forum,
            trends.NewTrend(
                author_id="U5",
                author_name="Person U5",
                url="https://example.org/rapport",
                comment="En rapport om distansledarskap",
                source=Source.SHARE_COMMAND,
                channel_id="C1",
                source_message_id="t1",
                created_at=day(3, 7),
                title="Distansledarskap 2026",
            ),
            now=day(3, 7),
        )
        made = book(session, forum, 2026, "sv")
    assert made.count == 5
    assert "distansledarskap" not in book_markdown(made).casefold()
