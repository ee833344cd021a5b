"""Yearly-cycle files: read, check and write a forum's cycle of monthly themes.

A yearly cycle (*årscykel*) is a plain YAML file that organisers can edit in any text editor. The
shipped default is ``schedules/default_cycle.yaml``::

    # Ledarforum yearly cycle
    version: 1
    name: "Invented University — leaders' yearly cycle"
    months:
      january:                # English or Swedish month name (januari), or a number 1-12
        title: {sv: "Verksamhetsplanering och mål", en: "Operational planning and goals"}
        why_now: {sv: "...", en: "..."}
        questions:            # 2-5 questions, each in both languages
          - sv: "..."
            en: "..."
          - sv: "..."
            en: "..."
        delivery: {sv: "...", en: "..."}   # optional: the delivery it leads up to
        links:                              # optional
          - title: {sv: "...", en: "..."}
            url: "https://..."
      july: null              # a month with no theme (or leave it out): no post that month

Rules
-----
* ``version`` is optional and must be ``1``; ``name`` is the cycle's name (at most 200 characters,
  one line); ``months`` is required and must hold at least one theme.
* A theme needs ``title``, ``why_now`` and ``questions``; ``delivery`` and ``links`` are optional.
  Every text is given in Swedish (``sv``) and English (``en``) and must not be empty.
* 2–5 questions per theme. A link has a ``title`` (both languages, without ``|``, ``;`` or line
  breaks) and an ``http://`` or ``https://`` ``url``; at most 10 links per theme.
* Limits: title 150 characters, why_now 2000, each question 500, delivery 500, link title 150,
  url 2000. Titles fit on one line; other texts may span several lines (use ``|`` block style).
  Other control characters are not allowed. Leading and trailing blanks are removed.
* Unknown keys are errors (they are usually typos), and so are months given twice (``january`` and
  ``1``). A number, date or yes/no where a text belongs is an error: put such a text in quotes.
* Indent with spaces, never with tabs.

Every problem in a file is reported at once, each with its line number, in Swedish or English.

The same cycle can be kept as JSON (the same shape as the YAML) or as CSV for spreadsheets, one row
per month, with the header::

    month,title_sv,title_en,why_now_sv,why_now_en,question1_sv,question1_en,...,question5_sv,
    question5_en,delivery_sv,delivery_en,links

``links`` holds ``title_sv|title_en|url`` items separated by `` ; `` (blanks around the ``;``) or
line breaks. A row with
only the month filled in is a month without a theme; a row whose month cell is ``name`` gives the
cycle's name in the ``title_sv`` column. Files saved by a spreadsheet with ``;`` as separator are
read too.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.resources
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.domain import (
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    Bilingual,
    CycleDocument,
    Language,
    Link,
    ThemeContent,
)
from bot.i18n import t

FORMAT_VERSION = 1
MAX_FILE_CHARS = 500_000
MAX_PROBLEMS = 100

TITLE_MAX = 150
WHY_NOW_MAX = 2000
QUESTION_MAX = 500
DELIVERY_MAX = 500
LINK_TITLE_MAX = 150
URL_MAX = 2000
MAX_LINKS = 10
NAME_MAX = 200

MONTHS_EN: tuple[str, ...] = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
MONTHS_SV: tuple[str, ...] = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)
_MONTH_BY_NAME: dict[str, int] = {
    **{name: number for number, name in enumerate(MONTHS_SV, 1)},
    **{name: number for number, name in enumerate(MONTHS_EN, 1)},
}

TOP_KEYS = ("version", "name", "months")
THEME_KEYS = ("title", "why_now", "questions", "delivery", "links")
LINK_KEYS = ("title", "url")
LANGUAGE_KEYS = ("sv", "en")

CSV_COLUMNS: tuple[str, ...] = (
    "month",
    "title_sv",
    "title_en",
    "why_now_sv",
    "why_now_en",
    *(f"question{i}_{lang}" for i in range(1, MAX_QUESTIONS + 1) for lang in LANGUAGE_KEYS),
    "delivery_sv",
    "delivery_en",
    "links",
)
CSV_REQUIRED_COLUMNS: tuple[str, ...] = (
    "month",
    "title_sv",
    "title_en",
    "why_now_sv",
    "why_now_en",
    *(f"question{i}_{lang}" for i in range(1, MIN_QUESTIONS + 1) for lang in LANGUAGE_KEYS),
)
_CSV_NAME_ROW = ("name", "namn")
_CSV_LINK_SPLIT = re.compile(r"\s*\n\s*|\s+;\s+")

_TAG_STR = "tag:yaml.org,2002:str"
_TAG_NULL = "tag:yaml.org,2002:null"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_FLOAT = "tag:yaml.org,2002:float"
_TAG_BOOL = "tag:yaml.org,2002:bool"

MESSAGE_KEYS: tuple[str, ...] = (
    "cycle.error.too_large",
    "cycle.error.empty_file",
    "cycle.error.syntax",
    "cycle.error.syntax_tab",
    "cycle.error.syntax_colon",
    "cycle.error.syntax_indent",
    "cycle.error.syntax_quote",
    "cycle.error.syntax_documents",
    "cycle.error.syntax_alias",
    "cycle.error.bad_character",
    "cycle.error.too_deep",
    "cycle.error.too_many_problems",
    "cycle.error.top_not_mapping",
    "cycle.error.months_not_mapping",
    "cycle.error.missing_months",
    "cycle.error.no_themes",
    "cycle.error.missing_key",
    "cycle.error.unknown_key",
    "cycle.error.duplicate_key",
    "cycle.error.bad_version",
    "cycle.error.bad_month",
    "cycle.error.duplicate_month",
    "cycle.error.theme_not_mapping",
    "cycle.error.not_text",
    "cycle.error.not_bilingual",
    "cycle.error.not_list",
    "cycle.error.not_mapping",
    "cycle.error.missing_text",
    "cycle.error.too_long",
    "cycle.error.control_char",
    "cycle.error.multiline",
    "cycle.error.question_count",
    "cycle.error.too_many_links",
    "cycle.error.too_many_links",
    "cycle.error.bad_url",
    "cycle.error.link_title_chars",
    "cycle.error.json_syntax",
    "cycle.error.csv_syntax",
    "cycle.error.csv_missing_column",
    "cycle.error.csv_unknown_column",
    "cycle.error.csv_duplicate_column",
    "cycle.error.csv_extra_cells",
    "cycle.error.csv_bad_link",
    "cycle.error.csv_name_row",
)
"""Every message key a :class:`Problem` of this module can carry (a test checks the catalogs)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a cycle file: where it is and what is wrong, as a translatable key."""

    line: int
    key: str
    params: dict[str, str] = field(default_factory=dict)

    def message(self, lang: Language = "en") -> str:
        """The problem in words, in *lang*."""
        return t(lang, self.key, **self.params)


class CycleFileError(Exception):
    """A cycle file that cannot be used; :attr:`problems` lists everything that is wrong with it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(problems, key=lambda problem: problem.line)
        super().__init__("\n".join(f"{p.line}: {p.message('en')}" for p in self.problems))


class _TooManyProblems(Exception):
    """Internal: stop collecting, enough has been said."""


class _Problems:
    """Collects problems, up to :data:`MAX_PROBLEMS`."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, line: int, message_key: str, /, **params: object) -> None:
        if len(self.items) >= MAX_PROBLEMS:
            raise _TooManyProblems
        self.items.append(
            Problem(line, message_key, {name: str(value) for name, value in params.items()})
        )

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem.line, problem.key, **problem.params)

    def fail(self) -> CycleFileError:
        return CycleFileError(self.items)


# --------------------------------------------------------------------------------------------------
# Theme rules (shared by every format and by the chat edit forms)


def _bad_character(text: str, *, allow_newline: bool = True) -> str | None:
    """The first character not allowed in a text, as ``U+XXXX``, or None."""
    for char in text:
        if char == "\t" or (char == "\n" and allow_newline):
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
            return f"U+{ord(char):04X}"
    return None


def _check_text(
    out: _Problems, line: int, where: str, text: str, limit: int, *, single_line: bool = False
) -> None:
    if not text.strip():
        out.add(line, "cycle.error.missing_text", where=where)
        return
    if len(text) > limit:
        out.add(line, "cycle.error.too_long", where=where, limit=limit, length=len(text))
    code = _bad_character(text)
    if code is not None:
        out.add(line, "cycle.error.control_char", where=where, code=code)
    elif single_line and "\n" in text:
        out.add(line, "cycle.error.multiline", where=where)


def _check_url(out: _Problems, line: int, where: str, url: str) -> None:
    if not url.strip():
        out.add(line, "cycle.error.missing_text", where=where)
        return
    if len(url) > URL_MAX:
        out.add(line, "cycle.error.too_long", where=where, limit=URL_MAX, length=len(url))
        return
    shown = url if len(url) <= 80 else url[:77] + "..."
    try:
        parts = urlsplit(url)
    except ValueError:
        out.add(line, "cycle.error.bad_url", where=where, value=shown)
        return
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(char.isspace() or char == "|" for char in url)
        or _bad_character(url, allow_newline=False) is not None
    ):
        out.add(line, "cycle.error.bad_url", where=where, value=shown)


def _check_theme(
    out: _Problems,
    theme: ThemeContent,
    lines: Mapping[str, int] | None = None,
    skip: Iterable[str] = (),
) -> None:
    """Apply the theme rules; *lines* maps paths ("title.sv") to file lines, *skip* silences paths
    that already have a structural problem."""
    skipped = tuple(skip)
    known_lines = lines or {}
    if not 1 <= theme.month <= 12:
        out.add(known_lines.get("", 0), "cycle.error.bad_month", value=theme.month)
        label = str(theme.month)
    else:
        label = MONTHS_EN[theme.month - 1]

    def line_of(path: str) -> int:
        while path:
            if path in known_lines:
                return known_lines[path]
            path = path.rpartition(".")[0]
        return known_lines.get("", 0)

    def is_skipped(path: str) -> bool:
        return any(path == s or path.startswith(s + ".") for s in skipped)

    def text(path: str, value: str, limit: int, *, single_line: bool = False) -> None:
        if not is_skipped(path):
            _check_text(
                out, line_of(path), f"{label}.{path}", value, limit, single_line=single_line
            )

    def bilingual(path: str, value: Bilingual, limit: int, *, single_line: bool = False) -> None:
        text(f"{path}.sv", value.sv, limit, single_line=single_line)
        text(f"{path}.en", value.en, limit, single_line=single_line)

    bilingual("title", theme.title, TITLE_MAX, single_line=True)
    bilingual("why_now", theme.why_now, WHY_NOW_MAX)
    if not is_skipped("questions") and not MIN_QUESTIONS <= len(theme.questions) <= MAX_QUESTIONS:
        out.add(
            line_of("questions"),
            "cycle.error.question_count",
            where=f"{label}.questions",
            count=len(theme.questions),
            min=MIN_QUESTIONS,
            max=MAX_QUESTIONS,
        )
    for number, question in enumerate(theme.questions, 1):
        bilingual(f"questions.{number}", question, QUESTION_MAX)
    if theme.delivery is not None:
        bilingual("delivery", theme.delivery, DELIVERY_MAX)
    if len(theme.links) > MAX_LINKS and not is_skipped("links"):
        out.add(
            line_of("links"),
            "cycle.error.too_many_links",
            where=f"{label}.links",
            count=len(theme.links),
            max=MAX_LINKS,
        )
    for number, link in enumerate(theme.links, 1):
        path = f"links.{number}"
        bilingual(f"{path}.title", link.title, LINK_TITLE_MAX, single_line=True)
        for lang, value in (("sv", link.title.sv), ("en", link.title.en)):
            sub = f"{path}.title.{lang}"
            if not is_skipped(sub) and any(char in value for char in "|;"):
                out.add(line_of(sub), "cycle.error.link_title_chars", where=f"{label}.{sub}")
        if not is_skipped(f"{path}.url"):
            _check_url(out, line_of(f"{path}.url"), f"{label}.{path}.url", link.url)


def validate_theme(theme: ThemeContent) -> list[Problem]:
    """The problems of one theme by the file rules (all with line 0); empty when it is fine."""
    out = _Problems()
    with contextlib.suppress(_TooManyProblems):
        _check_theme(out, theme)
    return out.items


def _check_name(out: _Problems, line: int, name: str) -> None:
    if name:
        _check_text(out, line, "name", name, NAME_MAX, single_line=True)


# --------------------------------------------------------------------------------------------------
# Reading YAML (and JSON) through PyYAML's composer, so every node knows its line


def _line(node: yaml.Node | None) -> int:
    mark = getattr(node, "start_mark", None)
    return int(mark.line) + 1 if mark is not None else 0


def _shown(node: yaml.Node) -> str:
    """A short picture of a node for messages."""
    if isinstance(node, yaml.ScalarNode):
        value = str(node.value)
        return value if len(value) <= 40 else value[:37] + "..."
    if isinstance(node, yaml.SequenceNode):
        return "[...]"
    return "{...}"


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _TAG_NULL


def _month_number(text: str) -> int | None:
    cleaned = text.strip().lower()
    if cleaned.isascii() and cleaned.isdigit():
        number = int(cleaned)
        return number if 1 <= number <= 12 else None
    return _MONTH_BY_NAME.get(cleaned)


_Fields = dict[str, tuple[yaml.Node, yaml.Node]]


class _NodeReader:
    """Turns a composed YAML node tree into a :class:`CycleDocument`, collecting problems."""

    def __init__(self, out: _Problems) -> None:
        self.out = out

    def mapping(self, node: yaml.MappingNode, allowed: tuple[str, ...]) -> _Fields:
        fields: _Fields = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else _shown(key_node)
            if key not in allowed:
                self.out.add(
                    _line(key_node), "cycle.error.unknown_key", name=key, allowed=", ".join(allowed)
                )
            elif key in fields:
                self.out.add(
                    _line(key_node),
                    "cycle.error.duplicate_key",
                    name=key,
                    first_line=_line(fields[key][0]),
                )
            else:
                fields[key] = (key_node, value_node)
        return fields

    def text(self, node: yaml.Node, where: str) -> str | None:
        """The text of a scalar (stripped), "" for null, None after reporting a wrong type."""
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _TAG_STR:
                return str(node.value).strip()
            if node.tag == _TAG_NULL:
                return ""
        self.out.add(_line(node), "cycle.error.not_text", where=where, value=_shown(node))
        return None

    def document(self, root: yaml.Node | None) -> CycleDocument:
        if root is None:
            self.out.add(1, "cycle.error.empty_file")
            raise self.out.fail()
        if not isinstance(root, yaml.MappingNode):
            self.out.add(_line(root), "cycle.error.top_not_mapping")
            raise self.out.fail()
        fields = self.mapping(root, TOP_KEYS)
        if "version" in fields:
            version = fields["version"][1]
            if not (
                isinstance(version, yaml.ScalarNode)
                and version.tag == _TAG_INT
                and str(version.value).strip() == str(FORMAT_VERSION)
            ):
                self.out.add(_line(version), "cycle.error.bad_version", value=_shown(version))
        name = ""
        if "name" in fields:
            name_key, name_node = fields["name"]
            name = self.text(name_node, "name") or ""
            _check_name(self.out, _line(name_key), name)
        themes: dict[int, ThemeContent] = {}
        if "months" not in fields:
            self.out.add(_line(root), "cycle.error.missing_months")
        else:
            months_key, months = fields["months"]
            if isinstance(months, yaml.MappingNode):
                themes = self.months(months)
            elif not _is_null(months):
                self.out.add(_line(months_key), "cycle.error.months_not_mapping")
            if not themes and not self.out.items:
                self.out.add(_line(months_key), "cycle.error.no_themes")
        if self.out.items:
            raise self.out.fail()
        return CycleDocument(name=name, themes=themes)

    def months(self, node: yaml.MappingNode) -> dict[int, ThemeContent]:
        themes: dict[int, ThemeContent] = {}
        seen: dict[int, int] = {}
        for key_node, value_node in node.value:
            line = _line(key_node)
            month = (
                _month_number(str(key_node.value))
                if isinstance(key_node, yaml.ScalarNode)
                else None
            )
            if month is None:
                self.out.add(line, "cycle.error.bad_month", value=_shown(key_node))
                continue
            if month in seen:
                self.out.add(
                    line,
                    "cycle.error.duplicate_month",
                    value=_shown(key_node),
                    month=MONTHS_EN[month - 1],
                    first_line=seen[month],
                )
                continue
            seen[month] = line
            if _is_null(value_node):
                continue
            if not isinstance(value_node, yaml.MappingNode):
                self.out.add(
                    _line(value_node), "cycle.error.theme_not_mapping", month=MONTHS_EN[month - 1]
                )
                continue
            themes[month] = self.theme(month, line, value_node)
        return themes

    def theme(self, month: int, line: int, node: yaml.MappingNode) -> ThemeContent:
        label = MONTHS_EN[month - 1]
        fields = self.mapping(node, THEME_KEYS)
        lines: dict[str, int] = {"": line}
        skip: set[str] = set()

        def required_bilingual(name: str) -> Bilingual:
            if name not in fields:
                self.out.add(line, "cycle.error.missing_key", name=name, where=label)
                skip.add(name)
                return Bilingual("", "")
            key_node, value_node = fields[name]
            lines[name] = _line(key_node)
            return self.bilingual(value_node, f"{label}.{name}", name, lines, skip)

        title = required_bilingual("title")
        why_now = required_bilingual("why_now")

        questions: list[Bilingual] = []
        if "questions" not in fields:
            self.out.add(line, "cycle.error.missing_key", name="questions", where=label)
            skip.add("questions")
        else:
            key_node, value_node = fields["questions"]
            lines["questions"] = _line(key_node)
            for number, item in self.sequence(value_node, f"{label}.questions", skip, "questions"):
                path = f"questions.{number}"
                lines[path] = _line(item)
                questions.append(self.bilingual(item, f"{label}.{path}", path, lines, skip))

        delivery: Bilingual | None = None
        if "delivery" in fields and not _is_null(fields["delivery"][1]):
            key_node, value_node = fields["delivery"]
            lines["delivery"] = _line(key_node)
            delivery = self.bilingual(value_node, f"{label}.delivery", "delivery", lines, skip)

        links: list[Link] = []
        if "links" in fields:
            key_node, value_node = fields["links"]
            lines["links"] = _line(key_node)
            for number, item in self.sequence(value_node, f"{label}.links", skip, "links"):
                links.append(self.link(item, label, f"links.{number}", lines, skip))

        theme = ThemeContent(
            month=month,
            title=title,
            why_now=why_now,
            questions=tuple(questions),
            delivery=delivery,
            links=tuple(links),
        )
        _check_theme(self.out, theme, lines, skip)
        return theme

    def sequence(
        self, node: yaml.Node, where: str, skip: set[str], path: str
    ) -> list[tuple[int, yaml.Node]]:
        if _is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.out.add(_line(node), "cycle.error.not_list", where=where)
            skip.add(path)
            return []
        return list(enumerate(node.value, 1))

    def bilingual(
        self, node: yaml.Node, where: str, path: str, lines: dict[str, int], skip: set[str]
    ) -> Bilingual:
        owner_line = lines.get(path, _line(node))
        if not isinstance(node, yaml.MappingNode):
            self.out.add(_line(node) or owner_line, "cycle.error.not_bilingual", where=where)
            skip.add(path)
            return Bilingual("", "")
        fields = self.mapping(node, LANGUAGE_KEYS)
        texts: dict[str, str] = {}
        for lang in LANGUAGE_KEYS:
            lang_path = f"{path}.{lang}"
            if lang not in fields:
                lines[lang_path] = owner_line
                texts[lang] = ""
                continue
            key_node, value_node = fields[lang]
            lines[lang_path] = _line(key_node)
            value = self.text(value_node, f"{where}.{lang}")
            if value is None:
                skip.add(lang_path)
            texts[lang] = value or ""
        return Bilingual(sv=texts["sv"], en=texts["en"])

    def link(
        self, node: yaml.Node, label: str, path: str, lines: dict[str, int], skip: set[str]
    ) -> Link:
        lines[path] = _line(node)
        if not isinstance(node, yaml.MappingNode):
            self.out.add(_line(node), "cycle.error.not_mapping", where=f"{label}.{path}")
            skip.add(path)
            return Link(Bilingual("", ""), "")
        fields = self.mapping(node, LINK_KEYS)
        if "title" in fields:
            key_node, value_node = fields["title"]
            lines[f"{path}.title"] = _line(key_node)
            title = self.bilingual(
                value_node, f"{label}.{path}.title", f"{path}.title", lines, skip
            )
        else:
            self.out.add(
                _line(node), "cycle.error.missing_key", name="title", where=f"{label}.{path}"
            )
            skip.add(f"{path}.title")
            title = Bilingual("", "")
        url = ""
        if "url" in fields:
            key_node, value_node = fields["url"]
            lines[f"{path}.url"] = _line(key_node)
            value = self.text(value_node, f"{label}.{path}.url")
            if value is None:
                skip.add(f"{path}.url")
            url = value or ""
        else:
            self.out.add(
                _line(node), "cycle.error.missing_key", name="url", where=f"{label}.{path}"
            )
            skip.add(f"{path}.url")
        return Link(title=title, url=url)


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[1:] if text.startswith("\ufeff") else text


def _check_size(text: str) -> None:
    if len(text) > MAX_FILE_CHARS:
        raise CycleFileError([Problem(1, "cycle.error.too_large", {"limit": str(MAX_FILE_CHARS)})])


def _syntax_problem(text: str, error: yaml.YAMLError) -> Problem:
    """A PyYAML error as a problem with a line and a short translated description."""
    if isinstance(error, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(0, int(error.position))) + 1
        return Problem(line, "cycle.error.bad_character", {"code": f"U+{int(error.character):04X}"})
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        problem = str(error.problem or "")
        context = str(error.context or "")
        if "'\\t'" in problem or "tab" in problem:
            return Problem(line, "cycle.error.syntax_tab")
        if "mapping values are not allowed" in problem:
            return Problem(line, "cycle.error.syntax_colon")
        if "quoted scalar" in context:
            start = error.context_mark or mark
            return Problem(int(start.line) + 1 if start else line, "cycle.error.syntax_quote")
        if "single document" in context:
            return Problem(line, "cycle.error.syntax_documents")
        if "alias" in problem or "anchor" in problem or "anchor" in context:
            return Problem(line, "cycle.error.syntax_alias", {"detail": problem})
        if "expected <block end>" in problem or "could not find expected ':'" in problem:
            return Problem(line, "cycle.error.syntax_indent")
        detail = "; ".join(part for part in (context, problem) if part) or type(error).__name__
        return Problem(line, "cycle.error.syntax", {"detail": detail})
    return Problem(1, "cycle.error.syntax", {"detail": str(error)[:200]})


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise CycleFileError([_syntax_problem(text, error)]) from None
    except RecursionError:
        raise CycleFileError([Problem(1, "cycle.error.too_deep")]) from None


def _read_nodes(root: yaml.Node | None) -> CycleDocument:
    out = _Problems()
    try:
        return _NodeReader(out).document(root)
    except _TooManyProblems:
        out.items.append(Problem(0, "cycle.error.too_many_problems", {"limit": str(MAX_PROBLEMS)}))
        raise out.fail() from None


def load_cycle_yaml(text: str) -> CycleDocument:
    """Read a YAML cycle; raises :class:`CycleFileError` listing every problem found."""
    text = _normalise(text)
    _check_size(text)
    return _read_nodes(_compose(text))


# --------------------------------------------------------------------------------------------------
# JSON: checked by the json module, then composed by PyYAML (JSON is YAML) to know the lines

_JSON_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")


def _json_retag(root: yaml.Node) -> None:
    """Give PyYAML's nodes JSON's types (a bare scalar is a number, true/false or null) and join
    surrogate pairs of ``\\u`` escapes, so the tree means exactly what the JSON means."""
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.ScalarNode):
            value = str(node.value)
            if node.style:
                node.tag = _TAG_STR
                node.value = value.encode("utf-16", "surrogatepass").decode(
                    "utf-16", "surrogatepass"
                )
            elif value in ("true", "false"):
                node.tag = _TAG_BOOL
            elif value == "null":
                node.tag = _TAG_NULL
            else:
                node.tag = _TAG_INT if _JSON_INT.match(value) else _TAG_FLOAT


def _python_node(value: Any) -> yaml.Node:
    """A node (without a line) for a value decoded by the json module."""
    if isinstance(value, _JsonObject):
        pairs = [(yaml.ScalarNode(_TAG_STR, key), _python_node(item)) for key, item in value.pairs]
        return yaml.MappingNode("tag:yaml.org,2002:map", pairs)
    if isinstance(value, list):
        return yaml.SequenceNode("tag:yaml.org,2002:seq", [_python_node(item) for item in value])
    if value is None:
        return yaml.ScalarNode(_TAG_NULL, "null")
    if isinstance(value, bool):
        return yaml.ScalarNode(_TAG_BOOL, str(value).lower())
    if isinstance(value, int):
        return yaml.ScalarNode(_TAG_INT, str(value))
    if isinstance(value, float):
        return yaml.ScalarNode(_TAG_FLOAT, repr(value))
    return yaml.ScalarNode(_TAG_STR, str(value))


@dataclass
class _JsonObject:
    pairs: list[tuple[str, Any]]


def load_cycle_json(text: str) -> CycleDocument:
    """Read a JSON cycle (the same shape as the YAML); raises :class:`CycleFileError`."""
    text = _normalise(text)
    _check_size(text)
    if not text.strip():
        raise CycleFileError([Problem(1, "cycle.error.empty_file")])
    constants: list[str] = []

    def constant(name: str) -> float:
        constants.append(name)
        return float(name.replace("Infinity", "inf"))

    try:
        decoded = json.loads(text, object_pairs_hook=_JsonObject, parse_constant=constant)
    except json.JSONDecodeError as error:
        problem = Problem(error.lineno, "cycle.error.json_syntax", {"detail": error.msg})
        raise CycleFileError([problem]) from None
    except RecursionError:
        raise CycleFileError([Problem(1, "cycle.error.too_deep")]) from None
    root: yaml.Node | None = None
    if not constants:
        try:
            root = yaml.compose(text.replace("\t", " "), Loader=yaml.SafeLoader)
            if root is not None:
                _json_retag(root)
        except (yaml.YAMLError, RecursionError):
            root = None
    if root is None:  # valid JSON that PyYAML reads differently: check it without lines
        try:
            root = _python_node(decoded)
        except RecursionError:
            raise CycleFileError([Problem(1, "cycle.error.too_deep")]) from None
    return _read_nodes(root)


# --------------------------------------------------------------------------------------------------
# CSV


def _csv_rows(text: str, out: _Problems) -> list[tuple[int, list[str]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as error:
        out.add(max(reader.line_num, start), "cycle.error.csv_syntax", detail=str(error))
        raise out.fail() from None
    return rows


def _csv_links(
    out: _Problems, line: int, label: str, cell: str
) -> tuple[list[Link], dict[str, int]]:
    links: list[Link] = []
    lines: dict[str, int] = {}
    for item in _CSV_LINK_SPLIT.split(cell.strip()):
        if not item.strip():
            continue
        parts = [part.strip() for part in item.split("|")]
        number = len(links) + 1
        lines[f"links.{number}"] = line
        if len(parts) != 3:
            shown = item if len(item) <= 80 else item[:77] + "..."
            out.add(line, "cycle.error.csv_bad_link", where=f"{label}.links.{number}", value=shown)
            continue
        links.append(Link(title=Bilingual(sv=parts[0], en=parts[1]), url=parts[2]))
    return links, lines


def load_cycle_csv(text: str) -> CycleDocument:
    """Read a CSV cycle (one row per month); raises :class:`CycleFileError` with every problem."""
    text = _normalise(text)
    _check_size(text)
    out = _Problems()
    try:
        return _read_csv(text, out)
    except _TooManyProblems:
        out.items.append(Problem(0, "cycle.error.too_many_problems", {"limit": str(MAX_PROBLEMS)}))
        raise out.fail() from None


def _read_csv(text: str, out: _Problems) -> CycleDocument:
    rows = [(line, row) for line, row in _csv_rows(text, out) if any(cell.strip() for cell in row)]
    if not rows:
        out.add(1, "cycle.error.empty_file")
        raise out.fail()
    header_line, header_row = rows[0]
    header = [cell.strip().lower() for cell in header_row]
    for column in header:
        if column not in CSV_COLUMNS:
            out.add(
                header_line,
                "cycle.error.csv_unknown_column",
                column=column,
                allowed=", ".join(CSV_COLUMNS),
            )
    for column in sorted(set(header), key=header.index):
        if header.count(column) > 1:
            out.add(header_line, "cycle.error.csv_duplicate_column", column=column)
    for column in CSV_REQUIRED_COLUMNS:
        if column not in header:
            out.add(header_line, "cycle.error.csv_missing_column", column=column)
    if out.items:
        raise out.fail()

    name = ""
    themes: dict[int, ThemeContent] = {}
    seen: dict[int, int] = {}
    for line, row in rows[1:]:
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            out.add(line, "cycle.error.csv_extra_cells", count=len(row), columns=len(header))
        cells = {column: (row[i] if i < len(row) else "") for i, column in enumerate(header)}

        def cell(column: str, cells: dict[str, str] = cells) -> str:
            return cells.get(column, "").strip()

        month_cell = cell("month")
        others = [column for column in header if column != "month" and cell(column)]
        if month_cell.lower() in _CSV_NAME_ROW:
            if any(column != "title_sv" for column in others):
                out.add(line, "cycle.error.csv_name_row")
            name = cell("title_sv")
            _check_name(out, line, name)
            continue
        month = _month_number(month_cell)
        if month is None:
            shown = month_cell if len(month_cell) <= 40 else month_cell[:37] + "..."
            out.add(line, "cycle.error.bad_month", value=shown)
            continue
        if month in seen:
            out.add(
                line,
                "cycle.error.duplicate_month",
                value=month_cell,
                month=MONTHS_EN[month - 1],
                first_line=seen[month],
            )
            continue
        seen[month] = line
        if not others:
            continue  # a month without a theme
        label = MONTHS_EN[month - 1]
        questions = tuple(
            Bilingual(sv=cell(f"question{i}_sv"), en=cell(f"question{i}_en"))
            for i in range(1, MAX_QUESTIONS + 1)
            if cell(f"question{i}_sv") or cell(f"question{i}_en")
        )
        delivery = None
        if cell("delivery_sv") or cell("delivery_en"):
            delivery = Bilingual(sv=cell("delivery_sv"), en=cell("delivery_en"))
        links, lines = _csv_links(out, line, label, cells.get("links", ""))
        lines[""] = line
        theme = ThemeContent(
            month=month,
            title=Bilingual(sv=cell("title_sv"), en=cell("title_en")),
            why_now=Bilingual(sv=cell("why_now_sv"), en=cell("why_now_en")),
            questions=questions,
            delivery=delivery,
            links=tuple(links),
        )
        _check_theme(out, theme, lines)
        themes[month] = theme
    if not themes and not out.items:
        out.add(header_line, "cycle.error.no_themes")
    if out.items:
        raise out.fail()
    return CycleDocument(name=name, themes=themes)


def load_cycle(text: str, filename: str) -> CycleDocument:
    """Read a cycle in the format its file name says: ``.csv``, ``.json``, otherwise YAML."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return load_cycle_csv(text)
    if suffix == ".json":
        return load_cycle_json(text)
    return load_cycle_yaml(text)


# --------------------------------------------------------------------------------------------------
# Writing

_YAML_HEADER = """\
# Ledarforum yearly cycle (årscykel)
# Months: january-december (or januari-december, or 1-12); "month: null" = no theme that month.
# A theme: title, why_now, questions (2-5), optional delivery and links; every text in sv and en.
# Indent with spaces, not tabs.
"""


class _CycleDumper(yaml.SafeDumper):
    """Block style, indented lists, multi-line texts as ``|`` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar(_TAG_STR, data, style=style)


_CycleDumper.add_representer(str, _represent_str)


def _bilingual_data(value: Bilingual) -> dict[str, str]:
    return {"sv": value.sv, "en": value.en}


def _theme_data(theme: ThemeContent) -> dict[str, object]:
    data: dict[str, object] = {
        "title": _bilingual_data(theme.title),
        "why_now": _bilingual_data(theme.why_now),
        "questions": [_bilingual_data(question) for question in theme.questions],
    }
    if theme.delivery is not None:
        data["delivery"] = _bilingual_data(theme.delivery)
    if theme.links:
        data["links"] = [
            {"title": _bilingual_data(link.title), "url": link.url} for link in theme.links
        ]
    return data


def _document_data(doc: CycleDocument) -> dict[str, object]:
    months: dict[str, object] = {}
    for number, month_name in enumerate(MONTHS_EN, 1):
        theme = doc.themes.get(number)
        months[month_name] = _theme_data(theme) if theme is not None else None
    return {"version": FORMAT_VERSION, "name": doc.name, "months": months}


def dump_cycle_yaml(doc: CycleDocument) -> str:
    """The cycle as canonical YAML: all twelve months in calendar order, with a header comment."""
    body = yaml.dump(
        _document_data(doc),
        Dumper=_CycleDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )
    return _YAML_HEADER + body


def dump_cycle_json(doc: CycleDocument) -> str:
    """The cycle as JSON of the same shape as the YAML."""
    return json.dumps(_document_data(doc), ensure_ascii=False, indent=2) + "\n"


def dump_cycle_csv(doc: CycleDocument) -> str:
    """The cycle as CSV, one row per month (a themeless month has only its name filled in)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    if doc.name:
        writer.writerow(["name", doc.name] + [""] * (len(CSV_COLUMNS) - 2))
    for number, month_name in enumerate(MONTHS_EN, 1):
        theme = doc.themes.get(number)
        if theme is None:
            writer.writerow([month_name] + [""] * (len(CSV_COLUMNS) - 1))
            continue
        cells: dict[str, str] = {
            "month": month_name,
            "title_sv": theme.title.sv,
            "title_en": theme.title.en,
            "why_now_sv": theme.why_now.sv,
            "why_now_en": theme.why_now.en,
            "links": " ; ".join(
                f"{link.title.sv}|{link.title.en}|{link.url}" for link in theme.links
            ),
        }
        for i, question in enumerate(theme.questions, 1):
            cells[f"question{i}_sv"] = question.sv
            cells[f"question{i}_en"] = question.en
        if theme.delivery is not None:
            cells["delivery_sv"] = theme.delivery.sv
            cells["delivery_en"] = theme.delivery.en
        writer.writerow([cells.get(column, "") for column in CSV_COLUMNS])
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# The shipped default cycle

DEFAULT_CYCLE_FILE = "default_cycle.yaml"


def default_cycle_path() -> Path:
    """Where the shipped default cycle lies (``schedules/default_cycle.yaml``)."""
    candidates = [Path(__file__).resolve().parent.parent / "schedules" / DEFAULT_CYCLE_FILE]
    try:
        resource = importlib.resources.files("schedules") / DEFAULT_CYCLE_FILE
    except (ModuleNotFoundError, TypeError):
        resource = None
    if isinstance(resource, Path):
        candidates.append(resource)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return candidates[0]


def load_default_cycle() -> CycleDocument:
    """The shipped default cycle."""
    return load_cycle_yaml(default_cycle_path().read_text(encoding="utf-8"))
