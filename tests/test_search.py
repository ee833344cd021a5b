"""Search in the library of good practices, on SQLite (FTS5) and PostgreSQL (full-text, GIN).

The service (:mod:`bot.services.library`), the chat command ``sök``/``search`` through the core
handler, and ``ledarforum search`` in process.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select, insert, select, text, update
from sqlalchemy.orm import Session

from bot import cli
from bot.config import Settings
from bot.core import Core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Platform, Source
from bot.inbound import CommandGiven, Place
from bot.inbound_handler import InboundHandler
from bot.messages import Entry, Message, Paragraph, plain_text
from bot.services import contributions, forums, library, privacy
from bot.services.contributions import NewContribution
from bot.storage.db import Database
from bot.storage.models import Contribution
from bot.timing import Period
from handlers.slack.render import blocks_of

WORKSPACE = "T1"
KIM = Actor(Platform.SLACK, WORKSPACE, "U1", "Kim", "sv-SE")
ALEX = Actor(Platform.SLACK, WORKSPACE, "U2", "Alex", "en-GB")
HERE = Place(Platform.SLACK, WORKSPACE, "C1")

# Last spring (the test clock is November 2026) and the year before.
SPRING = [
    (
        "s1",
        Period(2026, 3),
        "U1",
        "Kim",
        "Inför medarbetarsamtalen skickade jag frågorna i förväg.",
    ),
    (
        "s2",
        Period(2026, 4),
        "U2",
        "Alex",
        "Medarbetarsamtal i par: medarbetarsamtal med två i taget gav medarbetarsamtalen lugn.",
    ),
    (
        "s3",
        Period(2026, 5),
        "U3",
        "Robin",
        "Vi har gåmöten varje fredag; ett Gåmöte tar 20 minuter.",
    ),
    ("s4", Period(2026, 5), "U1", "Kim", "Årshjulet hänger i personalrummet, alla ser det."),
    ("s5", Period(2025, 4), "U2", "Alex", "Förra året: medarbetarsamtal utomhus i skolträdgården."),
    (
        "s6",
        Period(2026, 4),
        "U3",
        "Robin",
        "En lång text om budget, schema, vikarier, lokaler, elevhälsa, föräldramöten, rastvakter, "
        "lärarlag, utvecklingssamtal och till sist ett medarbetarsamtal.",
    ),
]


def _forum(core: Core, channel: str = "C1", workspace: str = WORKSPACE) -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, workspace, channel, language="sv", timezone="Europe/Stockholm"
        )
    return forum


def _add(
    db: Database,
    forum: ForumInfo,
    message_id: str,
    period: Period,
    author_id: str,
    author: str,
    said: str,
    *,
    anonymous: bool = False,
) -> int:
    written = datetime(period.year, period.month, 10, 9, 0, tzinfo=UTC)
    with db.transaction() as session:
        recorded = contributions.record(
            session,
            forum,
            NewContribution(
                author_id=author_id,
                author_name=author,
                text=said,
                source=Source.THREAD_REPLY,
                channel_id=forum.channel_id,
                source_message_id=message_id,
                created_at=written,
                permalink=f"https://chat.test/{forum.channel_id}/{message_id}",
                anonymous=anonymous,
                period=period,
            ),
            now=written,
        )
    return recorded.id


def _library(core: Core, forum: ForumInfo | None = None) -> dict[str, int]:
    forum = forum or _forum(core)
    return {row[0]: _add(core.db, forum, *row) for row in SPRING}


def _search(core: Core, forum: ForumInfo, query: str, **kwargs: object) -> list[library.Found]:
    with core.db.transaction() as session:
        return library.search(session, forum.id, query, **kwargs)  # type: ignore[arg-type]


def _ids(found: list[library.Found]) -> list[int]:
    return [item.id for item in found]


# -- the service --------------------------------------------------------------------------------


def test_medarbetarsamtal_finds_last_springs_examples_best_first(core: Core) -> None:
    forum = _forum(core)
    ids = _library(core, forum)

    found = _search(core, forum, "medarbetarsamtal")

    # Every form (Medarbetarsamtal, medarbetarsamtalen) is found; the others are not.
    assert set(_ids(found)) == {ids["s1"], ids["s2"], ids["s5"], ids["s6"]}
    assert found[0].id == ids["s2"]  # three mentions in a short text beat one in a long text
    assert _ids(found).index(ids["s2"]) < _ids(found).index(ids["s6"])
    assert [item.rank for item in found] == sorted((item.rank for item in found), reverse=True)
    assert all(item.rank > 0 for item in found)
    best = found[0]
    assert best.period == Period(2026, 4) and best.forum_id == forum.id
    assert best.permalink == "https://chat.test/C1/s2" and best.author_name == "Alex"
    # Last spring only: the year of the theme period.
    spring = _search(core, forum, "Medarbetarsamtal", year=2026)
    assert set(_ids(spring)) == {ids["s1"], ids["s2"], ids["s6"]}
    assert _ids(_search(core, forum, "medarbetarsamtal", year=2025)) == [ids["s5"]]
    assert _search(core, forum, "medarbetarsamtal", year=2024) == []
    # Every word must be found, in any order.
    assert _ids(_search(core, forum, "förväg medarbetarsamtal")) == [ids["s1"]]
    assert len(_search(core, forum, "medarbetarsamtal", limit=2)) == 2


def test_a_word_inside_a_compound_comes_after_the_index_matches(core: Core) -> None:
    forum = _forum(core)
    ids = _library(core, forum)

    found = _search(core, forum, "samtal")

    # "samtal" starts no word here: every example is found inside a compound, newest first.
    assert set(_ids(found)) == {ids["s1"], ids["s2"], ids["s5"], ids["s6"]}
    assert all(item.rank == 0 for item in found)
    assert [item.created_at for item in found] == sorted(
        (item.created_at for item in found), reverse=True
    )
    # Short words are not looked for inside others ("tal" is in too many).
    assert _search(core, forum, "tal") == []


ÅÄÖ = [
    ("gåmöten", {"s3"}),
    ("Gåmöte", {"s3"}),
    ("GÅMÖTEN", {"s3"}),
    ("årshjul", {"s4"}),
    ("ÅRSHJULET", {"s4"}),
    ("förväg", {"s1"}),
    ("gamoten", set()),  # å, ä and ö are letters of their own, not a and o
    ("arshjul", set()),
    ("forvag", set()),
]


def test_å_ä_and_ö_are_found_as_typed_in_any_case(core: Core) -> None:
    forum = _forum(core)
    ids = _library(core, forum)
    for query, expected in ÅÄÖ:
        assert set(_ids(_search(core, forum, query))) == {ids[key] for key in expected}, query


AROUND = [
    '"medarbetarsamtal',
    "medarbetarsamtal*",
    "^medarbetarsamtal",
    "+medarbetarsamtal",
    "(medarbetarsamtal",
    "medarbetarsamtal:*",
    "medarbetarsamtal & !",
    "medarbetarsamtal'",
    "medarbetarsamtal\\",
    "medarbetarsamtal\x00",
]


def test_search_syntax_around_a_word_is_harmless(core: Core) -> None:
    forum = _forum(core)
    ids = _library(core, forum)
    expected = {ids["s1"], ids["s2"], ids["s5"], ids["s6"]}
    for query in AROUND:
        assert set(_ids(_search(core, forum, query))) == expected, query


HOSTILE = [
    "",
    "   ",
    '"',
    '""',
    "*",
    "^",
    "%",
    "_",
    ":*",
    "&|!<->",
    "(((",
    "NEAR(medarbetarsamtal gåmöten)",
    "text:gåmöten",
    "medarbetarsamtal NOT gåmöten",
    "medarbetarsamtal AND OR gåmöten",
    "-medarbetarsamtal gåmöten",
    "'; DROP TABLE contributions; --",
    "x" * 100_000,
    " ".join(f"ord{n}" for n in range(500)),
    "½ ² ③ 🙂",
]


def test_hostile_queries_find_nothing_and_break_nothing(core: Core) -> None:
    forum = _forum(core)
    _library(core, forum)
    # No operator reaches the engine: NOT, AND, OR, NEAR, "-" and column names are plain words
    # that must all be found, and no example has them all.
    for query in HOSTILE:
        assert _search(core, forum, query) == [], query[:50]
    assert len(_search(core, forum, "medarbetarsamtal")) == 4  # the table is still there


def test_check_says_what_is_wrong_with_a_typed_query() -> None:
    assert library.check("  Medarbetarsamtal  i våras ") == ["medarbetarsamtal", "i", "våras"]
    for query, key in (
        ("", "search.error.empty"),
        (" \t", "search.error.empty"),
        ('"*^"', "search.error.empty"),
        ("x" * 201, "search.error.too_long"),
        (" ".join(f"ord{n}" for n in range(11)), "search.error.too_many"),
    ):
        with pytest.raises(library.SearchError) as raised:
            library.check(query)
        assert raised.value.key == key
    # The same word twice is one word; eleven repeats are fine.
    assert library.check("möte " * 11) == ["möte"]
    assert len(library.terms(" ".join(f"ord{n}" for n in range(50)))) == library.MAX_TERMS


def test_another_forums_examples_are_never_found(core: Core) -> None:
    mine, theirs = _forum(core, "C1"), _forum(core, "C2", workspace="T2")
    _library(core, theirs)
    assert _search(core, mine, "medarbetarsamtal") == []
    assert _search(core, mine, "samtal") == []  # nor inside compounds
    ids = _library(core, mine)
    found = _search(core, mine, "medarbetarsamtal")
    assert {item.forum_id for item in found} == {mine.id}
    assert set(_ids(found)) == {ids["s1"], ids["s2"], ids["s5"], ids["s6"]}
    with core.db.transaction() as session:
        assert library.years(session, mine.id) == [2026, 2025]
        assert len(library.examples(session, mine.id)) == len(SPRING)
        assert {item.forum_id for item in library.examples(session, theirs.id)} == {theirs.id}


def test_an_edited_example_is_found_by_its_new_words_only(core: Core) -> None:
    forum = _forum(core)
    ids = _library(core, forum)
    with core.db.transaction() as session:
        assert contributions.edit(
            session,
            forum.id,
            "s4",
            "Skuggning: vi följer varandra en förmiddag.",
            datetime(2026, 5, 11, tzinfo=UTC),
        )
    assert _search(core, forum, "årshjulet") == []
    assert _search(core, forum, "personalrummet") == []
    assert _ids(_search(core, forum, "skuggning")) == [ids["s4"]]
    assert _ids(_search(core, forum, "förmiddag")) == [ids["s4"]]


def test_deleted_undone_and_forgotten_examples_are_not_found(core: Core) -> None:
    forum = _forum(core)
    ids = _library(core, forum)
    with core.db.transaction() as session:
        assert contributions.delete_by_source(session, forum.id, "s1")  # message deleted
        assert contributions.undo(session, ids["s6"], "slack", WORKSPACE, "U3") == "U3"
        privacy.forget(session, "slack", WORKSPACE, "U2")  # Alex: glöm-mig
    assert _search(core, forum, "medarbetarsamtal") == []
    assert _search(core, forum, "samtal") == []
    assert _search(core, forum, "förväg") == []
    assert _ids(_search(core, forum, "gåmöten")) == [ids["s3"]]


def test_a_listing_by_year_theme_and_the_themes_and_years_it_has(core: Core) -> None:
    forum = _forum(core)
    ids = _library(core, forum)
    with core.db.transaction() as session:
        # Keys set by hand (recording may give one from the cycle): two themes, four without.
        session.execute(update(Contribution).values(theme_key=None))
        session.execute(
            update(Contribution)
            .where(Contribution.id.in_([ids["s2"], ids["s5"]]))
            .values(theme_key="medarbetarsamtal", theme_title_sv="Samtal", theme_title_en="Talks")
        )
        session.execute(
            update(Contribution)
            .where(Contribution.id == ids["s1"])
            .values(theme_key="forberedelse", theme_title_sv="Förberedelse", theme_title_en="Prep")
        )
    with core.db.transaction() as session:
        newest = library.examples(session, forum.id)
        keyed = library.examples(session, forum.id, theme_key="medarbetarsamtal")
        spring = library.examples(session, forum.id, year=2026, limit=2)
        known = library.themes(session, forum.id)
    assert [item.created_at for item in newest] == sorted(
        (item.created_at for item in newest), reverse=True
    )
    assert _ids(keyed) == [ids["s2"], ids["s5"]]
    assert keyed[0].theme_title is not None and keyed[0].theme_title.get("en") == "Talks"
    assert [item.period.year for item in spring] == [2026, 2026] and spring[0].rank == 0
    assert [(key, title.sv) for key, title in known] == [
        ("forberedelse", "Förberedelse"),  # March before April: the order of the year
        ("medarbetarsamtal", "Samtal"),
    ]


def test_an_anonymous_example_has_no_author(core: Core) -> None:
    forum = _forum(core)
    _add(core.db, forum, "a1", Period(2026, 4), "U9", "Sam", "Anonymt gåmöte", anonymous=True)
    [found] = _search(core, forum, "gåmöte anonymt")
    assert found.author_name is None
    assert library.as_dict(found)["author"] is None and library.as_dict(found)["anonymous"]


def _explained(session: Session, statement: Select[Any]) -> str:
    sql = str(
        statement.compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
    )
    return "\n".join(row[0] for row in session.execute(text(f"EXPLAIN {sql}")))


@pytest.mark.postgres
def test_the_postgres_condition_is_the_gin_index_expression(core: Core, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    with core.db.transaction() as session:
        # Few rows make a scan cheaper: forbidding it shows the index *can* answer, that is,
        # the condition is written exactly as the index is (else only a scan could).
        session.execute(text("SET LOCAL enable_seqscan = off"))
        matching = select(Contribution.id).where(library.pg_match(["medarbetarsamtal", "vår"]))
        plan = _explained(session, matching)
    assert "Bitmap Index Scan on ix_contributions_search" in plan, plan


@pytest.mark.slow  # 20,000 rows
@pytest.mark.postgres
def test_postgres_picks_the_gin_index_for_a_search(core: Core, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    first, second = _forum(core, "C1"), _forum(core, "C2")
    words = ["vi", "har", "testat", "korta", "möten", "ledare", "skola", "rektor", "plan", "budget"]
    written = datetime(2026, 4, 1, tzinfo=UTC)
    rows = [
        {
            "forum_id": (first, second)[n % 2].id,
            "platform": "slack",
            "workspace_id": WORKSPACE,
            "period": f"{2024 + n % 3}-{1 + n % 12:02d}",
            "author_id": f"U{n % 40}",
            "author_name": "Kim",
            "text": " ".join(words[(n * k) % len(words)] for k in range(1, 13)),
            "source": "thread_reply",
            "channel_id": "C1",
            "source_message_id": f"m{n}",
            "created_at": written,
            "recorded_at": written,
        }
        for n in range(20_000)
    ]
    with core.db.transaction() as session:
        session.execute(insert(Contribution), rows)
    _library(core, first)
    with core.db.transaction() as session:
        session.execute(text("ANALYZE contributions"))
        statement = library.ranked_query("postgresql", first.id, ["medarbetarsamtal"], year=2026)
        assert statement is not None
        plan = _explained(session, statement)
        found = library.search(session, first.id, "medarbetarsamtal")
    assert "ix_contributions_search" in plan, plan
    assert len(found) == 4


# -- the chat command ------------------------------------------------------------------------------


def _asked(core: Core, actor: Actor, said: str) -> list[Message]:
    reply = InboundHandler(core.dialogue).handle(CommandGiven(actor, HERE, said, "c1"))
    assert reply.public == [] and reply.notify == []  # only the asker sees it
    return reply.private


def test_sök_answers_privately_with_the_best_examples_in_swedish(core: Core) -> None:
    forum = _forum(core)
    _library(core, forum)
    _add(core.db, forum, "a1", Period(2026, 4), "U9", "Sam", "Medarbetarsamtal", anonymous=True)
    _add(
        core.db, forum, "a2", Period(2026, 5), "U8", "Ali", "Medarbetarsamtal, kort", anonymous=True
    )

    [answer] = _asked(core, KIM, "sök medarbetarsamtal")

    assert answer.kind == "search"
    assert isinstance(answer.elements[0], Paragraph) and answer.elements[0].user
    assert "”medarbetarsamtal”" in answer.elements[0].text
    entries = [element for element in answer.elements if isinstance(element, Entry)]
    assert len(entries) == 5  # the best five of six, and a word about the others
    assert "Lägg till ett ord" in plain_text(answer)
    assert {entry.author for entry in entries} >= {"Alex", "Anonym"}
    assert "Sam" not in plain_text(answer) and "Ali" not in plain_text(answer)
    alex = next(entry for entry in entries if entry.author == "Alex")
    assert alex.link == "https://chat.test/C1/s2"
    assert alex.when and alex.when.endswith("april 2026")
    assert len(entries[0].text) <= 300


def test_search_answers_in_english_and_says_when_nothing_was_found(core: Core) -> None:
    forum = _forum(core)
    _library(core, forum)

    [answer] = _asked(core, ALEX, "search gåmöten")
    assert answer.kind == "search" and "Good examples about “gåmöten”" in plain_text(answer)
    [entry] = [element for element in answer.elements if isinstance(element, Entry)]
    assert entry.author == "Robin" and entry.when and entry.when.endswith("May 2026")

    [none] = _asked(core, ALEX, "search budgetmöte rektor")
    assert "Try fewer words" in plain_text(none)
    [inget] = _asked(core, KIM, "sok budgetmöte rektor")  # typed without ö
    assert "Prova med färre ord" in plain_text(inget)
    # As the console and Teams pass it on: with the command in front.
    [typed] = _asked(core, KIM, "/ledarforum SÖK gåmöten")
    assert typed.kind == "search" and "Goda exempel om ”gåmöten”" in plain_text(typed)
    [empty] = _asked(core, KIM, "sök")
    assert empty.kind == "error" and "Skriv vad du letar efter" in plain_text(empty)
    [long] = _asked(core, ALEX, "search " + "x" * 300)
    assert long.kind == "error" and "at most 200 characters" in plain_text(long)


def test_help_names_the_search_in_both_languages(core: Core) -> None:
    _forum(core)
    assert "sök <ord>" in plain_text(_asked(core, KIM, "hjälp")[0])
    assert "search <words>" in plain_text(_asked(core, ALEX, "help")[0])


def test_an_example_or_query_that_mentions_people_pings_no_one(core: Core) -> None:
    forum = _forum(core)
    _add(
        core.db,
        forum,
        "m1",
        Period(2026, 4),
        "U1",
        "Kim <!channel>",
        "Gåmöte med <@U777> och <!here>, @channel och @here fick veta",
    )
    [answer] = _asked(core, KIM, "sök gåmöte <@U888> @everyone")
    assert answer.kind == "info"  # the query's words are not all in the example
    [answer] = _asked(core, KIM, "sök gåmöte")
    rendered = json.dumps(blocks_of(answer), ensure_ascii=False)
    for mention in ("<@U777>", "<!here>", "<!channel>", "@channel", "@here"):
        assert mention not in rendered
    assert "&lt;@U777&gt;" in rendered  # shown, as text
    [asked] = _asked(core, KIM, "sök <@U888> @everyone")
    rendered = json.dumps(blocks_of(asked), ensure_ascii=False)
    assert "<@U888>" not in rendered and "@everyone" not in rendered


def test_search_without_a_forum_says_so(core: Core) -> None:
    [answer] = _asked(core, KIM, "sök medarbetarsamtal")  # no forum in this workspace yet
    assert answer.kind == "error"


# -- the command line ------------------------------------------------------------------------------


class _Adapters:
    """The composition root of ``ledarforum`` in process: the test's core, nothing to serve."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def open(self, settings: Settings, *, console: bool = False) -> Core:
        return self.core

    def run(self, core: Core) -> int:
        raise AssertionError("not used")

    def console(self, core: Core, stdin: object, stdout: object) -> int:
        raise AssertionError("not used")

    def teams_package(self, settings: Settings, path: str) -> str:
        raise AssertionError("not used")


def _cli(core: Core, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv), _Adapters(core))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def _quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("LEDARFORUM_LANGUAGE", "sv")


@pytest.mark.usefixtures("_quiet_env")
def test_cli_search_prints_text_and_json(core: Core, capsys: pytest.CaptureFixture[str]) -> None:
    forum = _forum(core)
    ids = _library(core, forum)

    code, out, err = _cli(core, capsys, "search", "medarbetarsamtal", "--forum", "C1")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"forum {forum.id} #{ids['s2']} 2026-04 ")
    assert "Alex · https://chat.test/C1/s2" in lines[0]
    assert lines[1].startswith("  Medarbetarsamtal i par")
    assert len(lines) == 8  # four examples, two lines each

    code, out, err = _cli(
        core, capsys, "search", "medarbetarsamtal", "--year", "2025", "--format", "json"
    )
    assert code == 0, err
    [item] = json.loads(out)
    assert item["id"] == ids["s5"] and item["period"] == "2025-04" and item["author"] == "Alex"
    assert item["permalink"] == "https://chat.test/C1/s5" and item["rank"] > 0

    code, out, _ = _cli(core, capsys, "search", "budgetmöte", "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = _cli(core, capsys, "search", "budgetmöte")
    assert code == 0 and out.startswith("No good practices found")


@pytest.mark.usefixtures("_quiet_env")
def test_cli_search_bad_input_exits_2(core: Core, capsys: pytest.CaptureFixture[str]) -> None:
    _forum(core)
    for argv, said in (
        (["search", ""], "Say what you are looking for"),
        (["search", '"*"'], "Say what you are looking for"),
        (["search", "x" * 201], "at most 200 characters"),
        (["search", "möte", "--year", "tjugo"], "--year"),
        (["search", "möte", "--year", "26"], "--year"),
        (["search", "möte", "--forum", "C404"], "no such forum"),
        (["search", "möte", "--format", "xml"], "--format"),
        (["search"], "query"),
    ):
        code, out, err = _cli(core, capsys, *argv)
        assert code == 2 and out == "", argv
        [line] = err.strip().splitlines()
        assert line.startswith("ledarforum: ") and said in line, line
