"""The yearly-cycle file: the shipped default, the formats, line numbers and hostile input."""

from __future__ import annotations

import csv
import io
import json
import re
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import cycle_file
from bot.cycle_file import (
    CycleFileError,
    Problem,
    default_cycle_path,
    dump_cycle_csv,
    dump_cycle_json,
    dump_cycle_yaml,
    load_cycle,
    load_cycle_csv,
    load_cycle_json,
    load_cycle_yaml,
    load_default_cycle,
    validate_theme,
)
from bot.domain import Bilingual, CycleDocument, Language, Link, ThemeContent
from bot.i18n import LOCALES_DIR, catalog

FORMATS = {
    "yaml": (dump_cycle_yaml, load_cycle_yaml),
    "csv": (dump_cycle_csv, load_cycle_csv),
    "json": (dump_cycle_json, load_cycle_json),
}

GOOD_THEME = """\
    title:
      sv: Titel
      en: Title
    why_now:
      sv: Därför nu
      en: Why now
    questions:
      - sv: Fråga ett?
        en: Question one?
      - sv: Fråga två?
        en: Question two?
"""


def cycle(*months: str) -> str:
    """A YAML cycle whose months are *months* (each "name:" plus an indented body)."""
    return "version: 1\nname: Test\nmonths:\n" + "".join(months)


def theme(month: str, body: str = GOOD_THEME) -> str:
    return f"  {month}:\n{body}"


def problems_of(
    text: str, loader: Callable[[str], CycleDocument] = load_cycle_yaml
) -> list[Problem]:
    with pytest.raises(CycleFileError) as caught:
        loader(text)
    assert caught.value.problems, "a CycleFileError always names its problems"
    return caught.value.problems


def keys(problems: list[Problem]) -> list[str]:
    return [problem.key for problem in problems]


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line of *text* containing *fragment*."""
    for number, line in enumerate(text.splitlines(), 1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


# --------------------------------------------------------------------------------------------------
# The shipped default cycle


def test_default_cycle_loads_with_eleven_themes_and_no_july() -> None:
    doc = load_default_cycle()
    assert len(doc.themes) == 11
    assert doc.theme_for(7) is None
    assert sorted(doc.themes) == [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12]
    assert doc.name
    for month, content in doc.themes.items():
        assert content.month == month
        assert validate_theme(content) == []
        assert 3 <= len(content.questions) <= 4
        assert content.delivery is not None
        for link in content.links:
            assert link.url.startswith("https://intranat.example.se/")


def test_default_cycle_follows_the_yearly_cycle() -> None:
    doc = load_default_cycle()
    expected = {
        1: "Verksamhetsplanering",
        2: "Medarbetarsamtal",
        3: "Kompetensförsörjning",
        4: "arbetsmiljöarbete",
        5: "Lönerevision",
        6: "Reflektion",
        8: "Terminsstart",
        9: "Digital kompetens",
        10: "Budget",
        11: "Jämställdhet",
        12: "lärdomar",
    }
    for month, word in expected.items():
        assert word in doc.themes[month].title.sv


def test_default_cycle_path_is_the_shipped_file() -> None:
    path = default_cycle_path()
    assert path.is_file()
    assert path.name == "default_cycle.yaml"
    assert path.parent.name == "schedules"
    assert (path.parent / "__init__.py").is_file()


def test_default_cycle_keeps_swedish_characters_readable_when_dumped() -> None:
    text = dump_cycle_yaml(load_default_cycle())
    assert "Kompetensförsörjning" in text
    assert "\\u" not in text
    assert "\\x" not in text
    assert "  july: null\n" in text
    assert text.startswith("#")
    order = [text.index(f"\n  {name}:") for name in cycle_file.MONTHS_EN]
    assert order == sorted(order)


# --------------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_round_trip_of_the_default_cycle_is_exact(fmt: str) -> None:
    dump, load = FORMATS[fmt]
    doc = load_default_cycle()
    text = dump(doc)
    again = load(text)
    assert again == doc
    assert dump(again) == text
    assert load_cycle(text, f"cycle.{fmt}") == doc


def _texts(
    *, single_line: bool = False, forbidden: str = "", max_size: int = 40
) -> st.SearchStrategy[str]:
    alphabet = st.characters(
        blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=forbidden
    )
    if not single_line:
        alphabet = alphabet | st.sampled_from("\n\t ")
    return st.text(alphabet, min_size=1, max_size=max_size).map(str.strip).filter(bool)


def _bilingual(*, single_line: bool = False, forbidden: str = "") -> st.SearchStrategy[Bilingual]:
    texts = _texts(single_line=single_line, forbidden=forbidden)
    return st.builds(Bilingual, sv=texts, en=texts)


_URLS = st.builds(
    lambda scheme, host, rest: f"{scheme}://{host}.example.se/{rest}",
    st.sampled_from(["http", "https"]),
    st.text(string.ascii_lowercase, min_size=1, max_size=10),
    st.text(string.ascii_letters + string.digits + "-_/.%;?=&#", max_size=30),
)
_LINKS = st.builds(Link, title=_bilingual(single_line=True, forbidden="|;"), url=_URLS)


@st.composite
def _documents(draw: st.DrawFn) -> CycleDocument:
    months = draw(st.sets(st.integers(1, 12), min_size=1, max_size=4))
    themes = {
        month: ThemeContent(
            month=month,
            title=draw(_bilingual(single_line=True)),
            why_now=draw(_bilingual()),
            questions=tuple(draw(st.lists(_bilingual(), min_size=2, max_size=5))),
            delivery=draw(st.none() | _bilingual()),
            links=tuple(draw(st.lists(_LINKS, max_size=2))),
        )
        for month in sorted(months)
    }
    name = draw(st.just("") | _texts(single_line=True))
    return CycleDocument(name=name, themes=themes)


@pytest.mark.slow  # 150 generated cycles in each format
@pytest.mark.parametrize("fmt", sorted(FORMATS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=_documents())
def test_round_trip_of_any_valid_cycle_is_exact(fmt: str, doc: CycleDocument) -> None:
    for content in doc.themes.values():
        assert validate_theme(content) == []
    dump, load = FORMATS[fmt]
    text = dump(doc)
    again = load(text)
    assert again == doc
    assert dump(again) == text


def test_multi_line_texts_are_written_as_blocks() -> None:
    doc = load_cycle_yaml(
        cycle(
            theme(
                "march",
                GOOD_THEME.replace(
                    "      sv: Därför nu\n", "      sv: |\n        Rad ett.\n\n        Rad två.\n"
                ),
            )
        )
    )
    assert doc.themes[3].why_now.sv == "Rad ett.\n\nRad två."
    text = dump_cycle_yaml(doc)
    assert "sv: |-\n" in text
    assert load_cycle_yaml(text) == doc


# --------------------------------------------------------------------------------------------------
# Month names and null months


def test_month_names_in_both_languages_and_numbers() -> None:
    doc = load_cycle_yaml(cycle(theme("januari"), theme("February"), theme("3"), "  juli: null\n"))
    assert sorted(doc.themes) == [1, 2, 3]
    assert doc.themes[2].title == Bilingual(sv="Titel", en="Title")
    assert doc.themes[1].questions[1] == Bilingual(sv="Fråga två?", en="Question two?")


def test_flow_style_from_the_documentation_is_accepted() -> None:
    text = cycle(
        "  october:\n"
        '    title: {sv: "Budget", en: "Budget"}\n'
        '    why_now: {sv: "Nu", en: "Now"}\n'
        '    questions: [{sv: "A?", en: "A?"}, {sv: "B?", en: "B?"}]\n'
        '    delivery: {sv: "Plan: in", en: "Plan: in"}\n'
        "    links:\n"
        '      - title: {sv: "Länk", en: "Link"}\n'
        '        url: "https://intranat.example.se/budget"\n'
    )
    doc = load_cycle_yaml(text)
    assert doc.themes[10].delivery == Bilingual(sv="Plan: in", en="Plan: in")
    assert doc.themes[10].links[0].url == "https://intranat.example.se/budget"


# --------------------------------------------------------------------------------------------------
# Line numbers


def test_wrong_month_is_reported_on_its_line() -> None:
    text = cycle(theme("september"), theme("octember"))
    problems = problems_of(text)
    assert keys(problems) == ["cycle.error.bad_month"]
    assert problems[0].line == line_of(text, "octember:")
    assert problems[0].params["value"] == "octember"
    assert "octember" in problems[0].message("en")
    assert "Okänd månad" in problems[0].message("sv")


def test_missing_swedish_title_is_reported_on_the_title_line() -> None:
    text = cycle(theme("january"), theme("may", GOOD_THEME.replace("      sv: Titel\n", "", 1)))
    problems = problems_of(text)
    assert keys(problems) == ["cycle.error.missing_text"]
    assert problems[0].params["where"] == "may.title.sv"
    title_lines = [n for n, line in enumerate(text.splitlines(), 1) if line == "    title:"]
    assert problems[0].line == title_lines[1]


def test_tab_indentation_is_reported_on_its_line_with_a_clear_message() -> None:
    text = "version: 1\nmonths:\n  january:\n\ttitle:\n      sv: x\n"
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].key == "cycle.error.syntax_tab"
    assert problems[0].line == 4
    assert "tab" in problems[0].message("en").lower()
    assert "tabb" in problems[0].message("sv").lower()
    with pytest.raises(CycleFileError, match=r"^4: "):
        load_cycle_yaml(text)


def test_every_content_problem_is_reported_at_once() -> None:
    bad_february = (
        GOOD_THEME.replace("      en: Title\n", "      en: ''\n")
        .replace("    why_now:\n", "    whynow:\n")
        .replace("      - sv: Fråga två?\n        en: Question two?\n", "")
    )
    text = cycle(
        theme("january"),
        theme("february", bad_february),
        theme(
            "march",
            GOOD_THEME
            + "    links:\n      - title: {sv: Länk, en: Link}\n        url: ftp://example.se/x\n",
        ),
        theme("smarch"),
        theme("1"),
    )
    problems = problems_of(text)
    by_key = {problem.key: problem for problem in problems}
    assert set(by_key) == {
        "cycle.error.missing_text",
        "cycle.error.unknown_key",
        "cycle.error.missing_key",
        "cycle.error.question_count",
        "cycle.error.bad_url",
        "cycle.error.bad_month",
        "cycle.error.duplicate_month",
    }
    assert by_key["cycle.error.unknown_key"].line == line_of(text, "whynow:")
    assert by_key["cycle.error.missing_key"].params == {"name": "why_now", "where": "february"}
    assert by_key["cycle.error.bad_url"].line == line_of(text, "url: ftp://")
    assert by_key["cycle.error.bad_month"].line == line_of(text, "smarch:")
    assert by_key["cycle.error.duplicate_month"].params["first_line"] == str(
        line_of(text, "january:")
    )
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    message = str(CycleFileError(problems))
    assert len(message.splitlines()) == len(problems)
    assert all(re.match(r"^\d+: \S", line) for line in message.splitlines())


# --------------------------------------------------------------------------------------------------
# Content rules


@pytest.mark.parametrize("count", [0, 1, 6])
def test_wrong_number_of_questions_is_rejected(count: int) -> None:
    questions = "".join(f"      - sv: F{i}?\n        en: Q{i}?\n" for i in range(count))
    body = GOOD_THEME.split("    questions:\n")[0] + "    questions:\n" + questions
    if count == 0:
        body = body.replace("    questions:\n", "    questions: []\n")
    problems = problems_of(cycle(theme("april", body)))
    assert keys(problems) == ["cycle.error.question_count"]
    assert problems[0].params["count"] == str(count)


@pytest.mark.parametrize("count", [2, 5])
def test_two_to_five_questions_are_fine(count: int) -> None:
    questions = "".join(f"      - sv: F{i}?\n        en: Q{i}?\n" for i in range(count))
    body = GOOD_THEME.split("    questions:\n")[0] + "    questions:\n" + questions
    assert len(load_cycle_yaml(cycle(theme("april", body))).themes[4].questions) == count


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (cycle(theme("may", GOOD_THEME + "    deliverry: {sv: a, en: b}\n")), "unknown_key"),
        (cycle(theme("may")) + "colour: blue\n", "unknown_key"),
        (cycle(theme("may", GOOD_THEME.replace("      en: Title\n", "      fr: Titre\n"))), None),
        (cycle(theme("may"), theme("5")), "duplicate_month"),
        (cycle(theme("maj"), theme("May")), "duplicate_month"),
        (cycle(theme("may"), theme("may")), "duplicate_month"),
        (cycle(theme("may", GOOD_THEME + "    title: {sv: a, en: b}\n")), "duplicate_key"),
        (cycle(theme("may")).replace("name: Test\n", "name: Test\nname: Again\n"), "duplicate_key"),
    ],
)
def test_structure_problems(text: str, key: str | None) -> None:
    problems = problems_of(text)
    if key is None:  # an unknown language key and the missing English text it leaves
        assert keys(problems) == ["cycle.error.missing_text", "cycle.error.unknown_key"]
        assert problems[0].line < problems[1].line  # the title line, then the "fr:" line
    else:
        assert keys(problems) == [f"cycle.error.{key}"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.se/file",
        "javascript:alert(1)",
        "intranat.example.se/x",
        "https://",
        "https://a b.se",
    ],
)
def test_non_http_links_are_rejected(url: str) -> None:
    body = (
        GOOD_THEME
        + f"    links:\n      - title: {{sv: L, en: L}}\n        url: {json.dumps(url)}\n"
    )
    text = cycle(theme("june", body))
    problems = problems_of(text)
    assert keys(problems) == ["cycle.error.bad_url"]
    assert problems[0].line == line_of(text, "url:")


@pytest.mark.parametrize("char", ["\\a", "\\0", "\\e", "\\x7f", "\\u200b\\u2028", "\\x1b[31m"])
def test_control_characters_in_texts_are_rejected(char: str) -> None:
    text = cycle(theme("june", GOOD_THEME.replace("sv: Därför nu", f'sv: "Därför{char} nu"')))
    problems = problems_of(text)
    assert keys(problems) == ["cycle.error.control_char"]
    assert problems[0].params["where"] == "june.why_now.sv"
    assert problems[0].line == line_of(text, "Därför")


def test_raw_control_characters_in_the_file_are_rejected() -> None:
    text = cycle(theme("june", GOOD_THEME.replace("Därför nu", "Därför\x01 nu")))
    problems = problems_of(text)
    assert keys(problems) == ["cycle.error.bad_character"]
    assert problems[0].line == line_of(text, "Därför")


def test_newlines_and_tabs_inside_texts_are_allowed_but_not_in_titles() -> None:
    ok = cycle(theme("june", GOOD_THEME.replace("sv: Därför nu", 'sv: "Därför\\n\\tnu"')))
    assert load_cycle_yaml(ok).themes[6].why_now.sv == "Därför\n\tnu"
    bad = cycle(theme("june", GOOD_THEME.replace("sv: Titel", 'sv: "Tit\\nel"')))
    assert keys(problems_of(bad)) == ["cycle.error.multiline"]


@pytest.mark.parametrize(
    ("replacement", "where"),
    [
        ("      sv: 2024\n", "june.title.sv"),
        ("      sv: yes\n", "june.title.sv"),
        ("      sv: 2024-06-01\n", "june.title.sv"),
        ("      sv: [a, b]\n", "june.title.sv"),
        ("      sv: {a: b}\n", "june.title.sv"),
    ],
)
def test_wrong_types_where_a_text_belongs_are_rejected(replacement: str, where: str) -> None:
    text = cycle(theme("june", GOOD_THEME.replace("      sv: Titel\n", replacement)))
    problems = problems_of(text)
    assert keys(problems) == ["cycle.error.not_text"]
    assert problems[0].params["where"] == where
    assert "quotes" in problems[0].message("en")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            cycle(
                theme("june", GOOD_THEME.replace("    why_now:\n", "    why_now: hej\n    x:\n"))
            ),
            None,
        ),
        (cycle(theme("june", "    title: {sv: Titel, en: Title}\n")), "missing_key"),
        (cycle("  june: 3\n"), "theme_not_mapping"),
        (cycle("  june: [a]\n"), "theme_not_mapping"),
        ("version: 1\nmonths: [january]\n", "months_not_mapping"),
        ("version: 2\nmonths:\n" + theme("may"), "bad_version"),
        ("version: one\nmonths:\n" + theme("may"), "bad_version"),
        ("name: [x]\nmonths:\n" + theme("may"), "not_text"),
        ("name: Test\n", "missing_months"),
        ("months:\n  july: null\n", "no_themes"),
        ("months:\n", "no_themes"),
        ("- january\n- february\n", "top_not_mapping"),
        ("just a sentence\n", "top_not_mapping"),
        ("42\n", "top_not_mapping"),
        ("", "empty_file"),
        ("# only a comment\n", "empty_file"),
        ("a: 1\n---\nb: 2\n", "syntax_documents"),
        ('months:\n  january:\n    title: {sv: "x, en: y}\n', "syntax_quote"),
        ("months:\n  january:\n    title: x: y\n", "syntax_colon"),
        ("months: *nothing\n", "syntax_alias"),
        (
            cycle(
                theme("june", GOOD_THEME.replace("    questions:\n", "    questions: {}\n    q:\n"))
            ),
            None,
        ),
    ],
)
def test_wrong_shapes_are_rejected(text: str, key: str | None) -> None:
    problems = problems_of(text)
    if key is not None:
        assert f"cycle.error.{key}" in keys(problems)
    for problem in problems:
        assert problem.line >= 1
        assert problem.message("en") != problem.key
        assert problem.message("sv") != problem.key


def test_wrong_types_for_lists_and_bilingual_texts() -> None:
    text = cycle(
        theme(
            "june",
            GOOD_THEME.replace(
                "    title:\n      sv: Titel\n      en: Title\n", "    title: Titel\n"
            )
            + "    links: https://intranat.example.se\n",
        ),
        theme("july", GOOD_THEME.replace("    questions:\n", "    questions: 3\n    old:\n")),
    )
    problems = problems_of(text)
    assert "cycle.error.not_bilingual" in keys(problems)
    assert "cycle.error.not_list" in keys(problems)
    not_list = [p for p in problems if p.key == "cycle.error.not_list"]
    assert {p.params["where"] for p in not_list} == {"june.links", "july.questions"}


def test_text_limits_protect_the_chat_renderers() -> None:
    long_title = GOOD_THEME.replace("sv: Titel", "sv: " + "x" * 151)
    problems = problems_of(cycle(theme("may", long_title)))
    assert keys(problems) == ["cycle.error.too_long"]
    assert problems[0].params["limit"] == "150"
    assert load_cycle_yaml(cycle(theme("may", GOOD_THEME.replace("sv: Titel", "sv: " + "x" * 150))))
    long_why = GOOD_THEME.replace("sv: Därför nu", "sv: " + "y" * 2001)
    assert keys(problems_of(cycle(theme("may", long_why)))) == ["cycle.error.too_long"]


def test_validate_theme_checks_a_theme_from_a_form() -> None:
    good = load_default_cycle().themes[1]
    assert validate_theme(good) == []
    bad = ThemeContent(
        month=13,
        title=Bilingual(sv="  ", en="Title"),
        why_now=Bilingual(sv="Nu", en="x" * 2001),
        questions=(Bilingual(sv="F?", en="Q\x00?"),),
        delivery=Bilingual(sv="Leverans", en=""),
        links=(Link(title=Bilingual(sv="a|b", en="L"), url="mailto:someone@example.se"),),
    )
    problems = validate_theme(bad)
    assert {p.line for p in problems} == {0}
    assert set(keys(problems)) == {
        "cycle.error.bad_month",
        "cycle.error.missing_text",
        "cycle.error.too_long",
        "cycle.error.question_count",
        "cycle.error.control_char",
        "cycle.error.link_title_chars",
        "cycle.error.bad_url",
    }
    assert len([p for p in problems if p.key == "cycle.error.missing_text"]) == 2


# --------------------------------------------------------------------------------------------------
# CSV and JSON


def test_csv_with_semicolons_and_line_numbers() -> None:
    header = ",".join(cycle_file.CSV_REQUIRED_COLUMNS) + ",links"
    good = (
        "januari,Titel,Title,Nu,Now,F1?,Q1?,F2?,Q2?,"
        "Länk|Link|https://intranat.example.se/a;x ; B|B|https://example.se/b"
    )
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([header.split(","), good.split(",")])
    semicolons = buffer.getvalue()
    assert '"Länk|Link|https://intranat.example.se/a;x ; B|B|https://example.se/b"' in semicolons
    loaded = load_cycle_csv(semicolons)
    assert loaded.themes[1].links[1] == Link(Bilingual("B", "B"), "https://example.se/b")
    assert loaded.themes[1].links[0].url == "https://intranat.example.se/a;x"
    bad = (
        header
        + "\n"
        + good
        + "\n\nmarch,Titel,,Nu,Now,F1?,Q1?,,,\n"
        + "octember,T,T,N,N,F,Q,F,Q,\n"
        + "april,T,T,N,N,F,Q,F,Q,not a link\n"
        + "1,T,T,N,N,F,Q,F,Q,\n"
    )
    problems = problems_of(bad, load_cycle_csv)
    found = {(p.key, p.line) for p in problems}
    assert found == {
        ("cycle.error.missing_text", 4),
        ("cycle.error.question_count", 4),
        ("cycle.error.bad_month", 5),
        ("cycle.error.csv_bad_link", 6),
        ("cycle.error.duplicate_month", 7),
    }


def test_csv_multi_line_cells_keep_line_numbers() -> None:
    header = ",".join(cycle_file.CSV_REQUIRED_COLUMNS)
    text = header + '\nmay,T,T,"Rad ett\nrad två",Now,F,Q,F,Q\njune,T,T,N,N,F,Q,,\n'
    problems = problems_of(text, load_cycle_csv)
    assert [(p.key, p.line) for p in problems] == [("cycle.error.question_count", 4)]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("month,title_sv\nmay,T\n", "csv_missing_column"),
        (",".join(cycle_file.CSV_COLUMNS) + ",colour\n", "csv_unknown_column"),
        (",".join(cycle_file.CSV_COLUMNS) + ",links\n", "csv_duplicate_column"),
        (",".join(cycle_file.CSV_COLUMNS) + "\n", "no_themes"),
        ("\n\n", "empty_file"),
        (",".join(cycle_file.CSV_COLUMNS) + "\nname,Test,x\n", "csv_name_row"),
        (",".join(cycle_file.CSV_COLUMNS) + '\nmay,"unclosed\n', "csv_syntax"),
        (",".join(cycle_file.CSV_COLUMNS) + "\nmay" + "," * 20 + "extra\n", "csv_extra_cells"),
    ],
)
def test_csv_problems(text: str, key: str) -> None:
    assert f"cycle.error.{key}" in keys(problems_of(text, load_cycle_csv))


def test_json_problems_carry_lines() -> None:
    doc = load_default_cycle()
    text = dump_cycle_json(doc)
    broken = text.replace('"title": {', '"title": {,', 1)
    problems = problems_of(broken, load_cycle_json)
    assert keys(problems) == ["cycle.error.json_syntax"]
    assert problems[0].line == line_of(text, '"title": {')

    data = json.loads(text)
    data["months"]["may"]["title"]["sv"] = 2024
    data["months"]["may"]["questions"] = data["months"]["may"]["questions"][:1]
    numbered = json.dumps(data, ensure_ascii=True, indent=2)
    problems = problems_of(numbered, load_cycle_json)
    assert keys(problems) == ["cycle.error.not_text", "cycle.error.question_count"]
    assert problems[0].line == line_of(numbered, '"sv": 2024')


def test_json_accepts_escapes_tabs_and_rejects_duplicates() -> None:
    doc = CycleDocument(
        name="Emoji 😀 åäö",
        themes={1: load_default_cycle().themes[1]},
    )
    escaped = json.dumps(json.loads(dump_cycle_json(doc)), ensure_ascii=True, indent="\t")
    assert "\\ud83d" in escaped
    assert "\t" in escaped
    assert load_cycle_json(escaped) == doc
    duplicated = '{"name": "a",\n "name": "b", "months": {"january": null, "1": null}}'
    problems = problems_of(duplicated, load_cycle_json)
    assert [(p.key, p.line) for p in problems] == [
        ("cycle.error.duplicate_key", 2),
        ("cycle.error.duplicate_month", 2),
    ]
    assert "cycle.error.not_text" in keys(
        problems_of('{"name": NaN, "months": {}}', load_cycle_json)
    )


def test_load_cycle_chooses_the_format_by_extension() -> None:
    doc = load_default_cycle()
    assert load_cycle(dump_cycle_csv(doc), "Cycle.CSV") == doc
    assert load_cycle(dump_cycle_json(doc), "cycle.json") == doc
    assert load_cycle(dump_cycle_yaml(doc), "cycle.yml") == doc
    assert load_cycle(dump_cycle_yaml(doc), "cycle") == doc
    with pytest.raises(CycleFileError):
        load_cycle(dump_cycle_yaml(doc), "cycle.json")


# --------------------------------------------------------------------------------------------------
# Hostile input


def _never_crashes(text: str) -> None:
    for loader in (load_cycle_yaml, load_cycle_csv, load_cycle_json):
        try:
            loader(text)
        except CycleFileError as error:
            problems, message = error.problems, str(error)
        else:
            continue
        assert problems
        assert message
        assert all(isinstance(p.line, int) and p.line >= 0 for p in problems)
        assert all(p.message("sv") for p in problems)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_a_cycle_or_a_cycle_file_error(text: str) -> None:
    _never_crashes(text)


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_any_bytes_give_a_cycle_or_a_cycle_file_error(data: bytes) -> None:
    _never_crashes(data.decode("utf-8", errors="replace"))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}[]:,-&*!|>?'\"#\n\t 1aé")), max_size=200))
def test_yaml_like_garbage_gives_a_cycle_file_error(text: str) -> None:
    _never_crashes(text)


@pytest.mark.slow  # generated files by the hundred
@settings(max_examples=50, deadline=None)
@given(doc=_documents(), data=st.data())
def test_mangled_valid_files_never_crash(doc: CycleDocument, data: st.DataObject) -> None:
    for dump, _ in FORMATS.values():
        text = dump(doc)
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 20)))
        insert = data.draw(st.text(max_size=5))
        _never_crashes(text[:start] + insert + text[end:])


@pytest.mark.parametrize(
    "text",
    [
        "x" * 40_000,
        "months:\n  january:\n    title: " + "x" * 40_000 + "\n",
        "[" * 40_000 + "]" * 40_000,
        "{a: " * 40_000,
        '{"a": ' * 40_000 + "1" + "}" * 40_000,
        "- " * 40_000 + "x",
        "a: &a [1]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nmonths: &m {x: *c}\n",
        "months:\n" + "".join(f"  m{i}: &a{i} {{}}\n" for i in range(500)),
        "months:\n  january: &t\n    title: &x {sv: a, en: b, "
        + ", ".join(f"k{i}: 1" for i in range(300))
        + "}\n"
        + "".join(f"  {m}: *t\n" for m in ("february", "march", "april")),
        "\x00\x01\x02",
        "\ufeff",
        "\ud800",
        "%YAML 1.1\n%TAG ! tag:example.com,2000:\n--- !foo\n"
        "months: !!python/object/apply:os.system [echo]\n",
        "months: !!binary aGVsbG8=\n",
        "months:\n  ? [a, b]\n  : 1\n",
        "months:\n  <<: {january: null}\n",
    ],
)
def test_hostile_inputs_give_a_cycle_file_error(text: str) -> None:
    for loader in (load_cycle_yaml, load_cycle_csv, load_cycle_json):
        with pytest.raises(CycleFileError):
            loader(text)


def test_too_large_files_are_refused_quickly() -> None:
    problems = problems_of("# " + "x" * (cycle_file.MAX_FILE_CHARS + 1))
    assert keys(problems) == ["cycle.error.too_large"]


def test_the_number_of_reported_problems_is_capped() -> None:
    text = cycle(*(f"  bad{i}: null\n" for i in range(500)))
    problems = problems_of(text)
    assert len(problems) == cycle_file.MAX_PROBLEMS + 1
    assert problems[0].key == "cycle.error.too_many_problems"


# --------------------------------------------------------------------------------------------------
# Messages


def _po_messages(lang: Language) -> dict[str, str]:
    path = LOCALES_DIR / lang / "cycle_file.po"
    assert path.is_file()
    # A plural message's forms are read as one text: they share their placeholders.
    return {
        key: " ".join(text) if isinstance(text, tuple) else text
        for key, text in catalog(lang).items()
        if key.startswith("cycle.")
    }


def test_every_problem_key_has_both_translations_with_the_same_placeholders() -> None:
    package = Path(cycle_file.__file__).parent
    source = "".join(path.read_text(encoding="utf-8") for path in package.glob("*.py"))
    used = set(re.findall(r'"(cycle\.error\.[a-z_]+)"', source))
    assert used == set(cycle_file.MESSAGE_KEYS)
    sv, en = _po_messages("sv"), _po_messages("en")
    for key in used:
        assert sv.get(key), f"{key} missing in sv"
        assert en.get(key), f"{key} missing in en"
        placeholders = set(re.findall(r"\{(\w+)\}", en[key]))
        assert placeholders == set(re.findall(r"\{(\w+)\}", sv[key])), key
        assert not placeholders & {"key", "lang"}, "t(lang, key, **params) owns these names"
        assert sv[key] != en[key], f"{key} is not translated"


def test_problem_messages_fill_their_placeholders() -> None:
    problem = Problem(
        3, "cycle.error.too_long", {"where": "may.title.sv", "limit": "150", "length": "151"}
    )
    assert (
        problem.message("en") == "The text may.title.sv is too long: 151 characters, at most 150."
    )
    assert problem.message("sv") == "Texten may.title.sv är för lång: 151 tecken, högst 150."
    assert problem.message() == problem.message("en")
    assert str(CycleFileError([problem])) == "3: " + problem.message("en")


def test_an_unclosed_quote_is_reported_where_it_starts() -> None:
    text = cycle(theme("may", GOOD_THEME.replace("sv: Därför nu", 'sv: "Därför nu')))
    problems = problems_of(text)
    assert keys(problems) == ["cycle.error.syntax_quote"]
    assert problems[0].line == line_of(text, '"Därför nu')


def test_too_many_links_are_rejected() -> None:
    link = "      - title: {sv: L, en: L}\n        url: https://intranat.example.se/x\n"
    text = cycle(theme("may", GOOD_THEME + "    links:\n" + link * (cycle_file.MAX_LINKS + 1)))
    problems = problems_of(text)
    assert keys(problems) == ["cycle.error.too_many_links"]
    assert problems[0].line == line_of(text, "links:")
    ok = cycle(theme("may", GOOD_THEME + "    links:\n" + link * cycle_file.MAX_LINKS))
    assert len(load_cycle_yaml(ok).themes[5].links) == cycle_file.MAX_LINKS
