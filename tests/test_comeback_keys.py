"""Theme keys in the cycle file: ``key`` and ``follows`` read, checked, written back and stored;
the key made from a title; an edit in the chat form keeps them; old examples get their key."""

from __future__ import annotations

from dataclasses import replace

import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.core import Core
from bot.cycle_file import (
    CycleFileError,
    dump_cycle_csv,
    dump_cycle_json,
    dump_cycle_yaml,
    load_cycle,
    load_cycle_csv,
    load_cycle_json,
    load_cycle_yaml,
    validate_theme,
)
from bot.domain import CycleDocument, theme_slug
from bot.services import cycles
from bot.storage.db import alembic_config, make_engine, upgrade
from bot.theme_form import initial, read
from tests.test_forum_twins_migration import _contribution, _forum

THEME_BODY = """\
    title: {sv: "Utvecklingssamtal", en: "Development talks"}
    why_now: {sv: "Samtalen bokas nu.", en: "The talks are booked now."}
    questions:
      - {sv: "Hur förbereder du dig?", en: "How do you prepare?"}
      - {sv: "Vad gör du efteråt?", en: "What do you do afterwards?"}
"""


def cycle(*months: str) -> str:
    return "version: 1\nname: Test\nmonths:\n" + "".join(months)


def month(name: str, *extra: str, title: str = "Utvecklingssamtal") -> str:
    body = THEME_BODY.replace("Utvecklingssamtal", title)
    return f"  {name}:\n" + "".join(f"    {line}\n" for line in extra) + body


KEYED = cycle(
    month("march", "key: utvecklingssamtal", "follows: [medarbetarsamtal, samtal-2025]"),
    month("april", title="Lönesamtal"),
)


def problems(load: object, source: str) -> list[tuple[int, str, str, str]]:
    assert callable(load)
    with pytest.raises(CycleFileError) as caught:
        load(source)
    return [(p.line, p.key, p.message("sv"), p.message("en")) for p in caught.value.problems]


# --------------------------------------------------------------------------------------------------
# The key made from a title


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Medarbetarsamtal", "medarbetarsamtal"),
        ("Årets första möte", "arets-forsta-mote"),
        ("  Medarbetarsamtal & lön!  ", "medarbetarsamtal-lon"),
        ("Ökad trygghet — på riktigt", "okad-trygghet-pa-riktigt"),
        ("???", ""),
        ("A" * 70, "a" * 64),
        ("a" * 63 + " b", "a" * 63),  # cut at 64 without a trailing hyphen
    ],
)
def test_the_slug_of_a_title(title: str, key: str) -> None:
    assert theme_slug(title) == key


def test_the_key_is_the_explicit_one_else_the_slug_of_the_swedish_title() -> None:
    doc = load_cycle_yaml(KEYED)
    assert doc.themes[3].key == "utvecklingssamtal"
    assert doc.themes[3].explicit_key == "utvecklingssamtal"
    assert doc.themes[3].follows == ("medarbetarsamtal", "samtal-2025")
    assert doc.themes[4].explicit_key is None and doc.themes[4].follows == ()
    assert doc.themes[4].key == "lonesamtal"


# --------------------------------------------------------------------------------------------------
# Every form reads and writes them


@pytest.mark.parametrize(
    ("dump", "load"),
    [
        (dump_cycle_yaml, load_cycle_yaml),
        (dump_cycle_json, load_cycle_json),
        (dump_cycle_csv, load_cycle_csv),
    ],
)
def test_key_and_follows_round_trip_in_every_form(dump: object, load: object) -> None:
    assert callable(dump) and callable(load)
    doc = load_cycle_yaml(KEYED)
    written = dump(doc)
    assert load(written) == doc
    assert dump(load(written)) == written
    # A theme without a key is written without one, so it keeps following its title.
    assert written.count("utvecklingssamtal") == 1


def test_the_csv_form_has_key_and_follows_columns() -> None:
    written = dump_cycle_csv(load_cycle_yaml(KEYED))
    header, *rows = written.splitlines()
    assert header.endswith(",links,key,follows")
    march = next(row for row in rows if row.startswith("march,"))
    assert march.endswith(",utvecklingssamtal,medarbetarsamtal;samtal-2025")


def test_a_spreadsheet_file_with_key_and_follows_loads() -> None:
    source = (
        "month;title_sv;title_en;why_now_sv;why_now_en;question1_sv;question1_en;"
        "question2_sv;question2_en;key;follows\n"
        "mars;Utvecklingssamtal;Development talks;Nu.;Now.;Ett?;One?;Två?;Two?;"
        "utvecklingssamtal; medarbetarsamtal ; samtal-2025 \n"
    )
    # The separator is ";" here: the follows cell must be quoted in a real file.
    source = source.replace(
        "; medarbetarsamtal ; samtal-2025 ", ';" medarbetarsamtal ; samtal-2025 "'
    )
    doc = load_cycle(source, "cycle.csv")
    assert doc.themes[3].explicit_key == "utvecklingssamtal"
    assert doc.themes[3].follows == ("medarbetarsamtal", "samtal-2025")


def test_keys_are_stored_with_the_cycle_and_read_back(core: Core) -> None:
    doc = load_cycle_yaml(KEYED)
    with core.db.transaction() as session:
        cycles.replace(session, "forum:99", doc, actor="test")
    with core.db.transaction() as session:
        stored = cycles.load(session, "forum:99")
    assert stored == doc
    assert stored is not None and stored.themes[4].explicit_key is None


# --------------------------------------------------------------------------------------------------
# Problems, with their lines, in both languages


def test_a_duplicate_key_is_a_problem_on_its_line() -> None:
    source = cycle(
        month("march", "key: samtal"),
        month("september", "key: samtal", title="Höstens samtal"),
    )
    found = problems(load_cycle_yaml, source)
    assert len(found) == 1
    line, key, sv, en = found[0]
    assert key == "cycle.error.duplicate_theme_key"
    assert source.splitlines()[line - 1].strip() == "key: samtal"
    assert line == source.splitlines().index("    key: samtal", 5) + 1  # september's
    assert 'temanyckeln "samtal" har redan temat i march (rad 5)' in sv
    assert 'the theme key "samtal" already belongs to the theme of march (line 5)' in en


def test_a_key_that_repeats_another_themes_title_key_is_a_problem() -> None:
    source = cycle(
        month("march", title="Medarbetarsamtal"),
        month("april", "key: medarbetarsamtal", title="Lönesamtal"),
    )
    found = problems(load_cycle_yaml, source)
    line = source.splitlines().index("    key: medarbetarsamtal") + 1
    assert [(item[0], item[1]) for item in found] == [(line, "cycle.error.duplicate_theme_key")]
    assert "march (line 4)" in found[0][3]


def test_two_titles_with_the_same_key_are_still_allowed() -> None:
    # Files written before keys existed keep loading.
    doc = load_cycle_yaml(cycle(month("march"), month("april")))
    assert doc.themes[3].key == doc.themes[4].key == "utvecklingssamtal"


def test_a_duplicate_key_in_csv_is_a_problem_on_its_row() -> None:
    header = "month,title_sv,title_en,why_now_sv,why_now_en,question1_sv,question1_en,"
    header += "question2_sv,question2_en,key\n"
    row = "{m},T{m},T,N,N,A?,A?,B?,B?,samtal\n"
    source = header + row.format(m="march") + "\n" + row.format(m="may")
    found = problems(load_cycle_csv, source)
    assert [(item[0], item[1]) for item in found] == [(4, "cycle.error.duplicate_theme_key")]
    assert "(rad 2)" in found[0][2] and "(line 2)" in found[0][3]


@pytest.mark.parametrize(
    "bad", ["Medarbetarsamtal", "med arbetar", "-samtal", "samtal-", "a--b", "möte", "a" * 65]
)
def test_a_key_that_is_not_a_slug_is_a_problem(bad: str) -> None:
    source = cycle(month("march", f'key: "{bad}"'))
    found = problems(load_cycle_yaml, source)
    assert [(item[0], item[1]) for item in found] == [(5, "cycle.error.bad_theme_key")]
    assert "march.key" in found[0][3] and "temanyckel" in found[0][2]


def test_follows_is_checked_item_by_item_and_in_number() -> None:
    source = cycle(month("march", "follows:", "  - ok-key", "  - Not A Key", "  - 2027"))
    found = problems(load_cycle_yaml, source)
    assert [(item[0], item[1]) for item in found] == [
        (7, "cycle.error.bad_theme_key"),
        (8, "cycle.error.not_text"),
    ]
    many = cycle(month("march", "follows: [" + ", ".join(f"k{i}" for i in range(11)) + "]"))
    found = problems(load_cycle_yaml, many)
    assert [(item[0], item[1]) for item in found] == [(5, "cycle.error.too_many_follows")]
    assert "11 nycklar" in found[0][2] and "11 keys" in found[0][3]
    not_list = cycle(month("march", "follows: medarbetarsamtal"))
    assert [p[1] for p in problems(load_cycle_yaml, not_list)] == ["cycle.error.not_list"]


def test_a_bad_key_in_csv_names_its_row() -> None:
    header = "month,title_sv,title_en,why_now_sv,why_now_en,question1_sv,question1_en,"
    header += "question2_sv,question2_en,follows\n"
    source = header + "march,T,T,N,N,A?,A?,B?,B?,ok;Inte OK\n"
    found = problems(load_cycle_csv, source)
    assert [(item[0], item[1]) for item in found] == [(2, "cycle.error.bad_theme_key")]
    assert "march.follows.2" in found[0][3]


def test_validate_theme_checks_keys_too() -> None:
    base = load_cycle_yaml(cycle(month("march"))).themes[3]
    assert validate_theme(replace(base, explicit_key="ok-key", follows=("a", "b-2"))) == []
    assert [p.key for p in validate_theme(replace(base, explicit_key="Not ok"))] == [
        "cycle.error.bad_theme_key"
    ]


# --------------------------------------------------------------------------------------------------
# A property: any valid keys survive every form


_KEYS = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}", fullmatch=True)


@settings(max_examples=15, deadline=None)
@given(own=st.none() | _KEYS, follows=st.lists(_KEYS, max_size=4))
def test_any_valid_keys_round_trip(own: str | None, follows: list[str]) -> None:
    theme = load_cycle_yaml(cycle(month("march"))).themes[3]
    doc = CycleDocument("Test", {3: replace(theme, explicit_key=own, follows=tuple(follows))})
    for dump, load in (
        (dump_cycle_yaml, load_cycle_yaml),
        (dump_cycle_json, load_cycle_json),
        (dump_cycle_csv, load_cycle_csv),
    ):
        assert load(dump(doc)) == doc


# --------------------------------------------------------------------------------------------------
# The chat edit form keeps them


def test_an_edit_in_the_chat_form_keeps_key_and_follows() -> None:
    theme = load_cycle_yaml(KEYED).themes[3]
    values = initial(theme)
    values["title_sv"] = "Samtal om utveckling"
    edited = read(values, 3, "sv", keep=theme).theme
    assert edited.title.sv == "Samtal om utveckling"
    assert (edited.explicit_key, edited.follows) == (theme.explicit_key, theme.follows)
    new = read(values, 3, "sv").theme
    assert (new.explicit_key, new.follows) == (None, ())


# --------------------------------------------------------------------------------------------------
# Examples saved before keys existed get the key of their title (migration 0004)


def test_the_migration_gives_old_examples_the_key_of_their_title(unmigrated_url: str) -> None:
    engine = make_engine(unmigrated_url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0003")
        with engine.begin() as connection:
            _forum(connection, 1, "T1", "C1", 2)
            _contribution(connection, 1, "T1", "s1", "Ett gammalt exempel")
            _contribution(connection, 1, "T1", "s2", "Ett exempel utan tema")
            connection.execute(
                text(
                    "UPDATE contributions SET theme_title_sv = 'Medarbetarsamtal & lön'"
                    " WHERE source_message_id = 's1'"
                )
            )
        upgrade(engine)
        with engine.begin() as connection:
            rows = connection.execute(
                text("SELECT source_message_id, theme_key FROM contributions")
            )
            keys: dict[str, str | None] = {message: key for message, key in rows}
        assert keys == {"s1": "medarbetarsamtal-lon", "s2": None}
    finally:
        engine.dispose()
