"""The rules every form of a cycle file shares, and the chat edit forms too: the file's size, month
names, texts, urls and what a theme holds. Each check adds its problems to a collector."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from bot.cycle_file.limits import (
    DELIVERY_MAX,
    LINK_TITLE_MAX,
    MAX_FILE_CHARS,
    MAX_FOLLOWS,
    MAX_LINKS,
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    MONTHS_EN,
    MONTHS_SV,
    NAME_MAX,
    QUESTION_MAX,
    THEME_KEY_MAX,
    TITLE_MAX,
    URL_MAX,
    WHY_NOW_MAX,
)
from bot.cycle_file.problems import (
    CycleFileError,
    Problem,
    Problems,
    TooManyProblems,
    shortened,
)
from bot.domain import Bilingual, ThemeContent

# A theme key: what a slug of a title looks like ("medarbetarsamtal", "arets-forsta-mote").
_THEME_KEY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")

_MONTH_BY_NAME: dict[str, int] = {
    **{name: number for number, name in enumerate(MONTHS_SV, 1)},
    **{name: number for number, name in enumerate(MONTHS_EN, 1)},
}


def prepared(text: str) -> str:
    """*text* with plain line breaks and no byte-order mark; raises :class:`CycleFileError` when it
    is larger than a cycle file may be."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text[1:] if text.startswith("\ufeff") else text
    if len(text) > MAX_FILE_CHARS:
        raise CycleFileError([Problem(1, "cycle.error.too_large", {"limit": str(MAX_FILE_CHARS)})])
    return text


def month_number(text: str) -> int | None:
    """The month (1-12) a month cell or key names, in English, Swedish or as a number, or None."""
    cleaned = text.strip().lower()
    if cleaned.isascii() and cleaned.isdigit():
        number = int(cleaned)
        return number if 1 <= number <= 12 else None
    return _MONTH_BY_NAME.get(cleaned)


def bad_character(text: str, *, allow_newline: bool = True) -> str | None:
    """The first character not allowed in a text, as ``U+XXXX``, or None."""
    for char in text:
        if char == "\t" or (char == "\n" and allow_newline):
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
            return f"U+{ord(char):04X}"
    return None


def check_text(
    out: Problems, line: int, where: str, text: str, limit: int, *, single_line: bool = False
) -> None:
    """A text must not be empty nor longer than *limit*, nor hold control characters (or, when
    *single_line*, line breaks)."""
    if not text.strip():
        out.add(line, "cycle.error.missing_text", where=where)
        return
    if len(text) > limit:
        out.add(line, "cycle.error.too_long", where=where, limit=limit, length=len(text))
    code = bad_character(text)
    if code is not None:
        out.add(line, "cycle.error.control_char", where=where, code=code)
    elif single_line and "\n" in text:
        out.add(line, "cycle.error.multiline", where=where)


def check_name(out: Problems, line: int, name: str) -> None:
    """The cycle's name, when it has one, is a one-line text."""
    if name:
        check_text(out, line, "name", name, NAME_MAX, single_line=True)


def _check_url(out: Problems, line: int, where: str, url: str) -> None:
    if not url.strip():
        out.add(line, "cycle.error.missing_text", where=where)
        return
    if len(url) > URL_MAX:
        out.add(line, "cycle.error.too_long", where=where, limit=URL_MAX, length=len(url))
        return
    shown = shortened(url, 80)
    try:
        parts = urlsplit(url)
    except ValueError:
        out.add(line, "cycle.error.bad_url", where=where, value=shown)
        return
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(char.isspace() or char == "|" for char in url)
        or bad_character(url, allow_newline=False) is not None
    ):
        out.add(line, "cycle.error.bad_url", where=where, value=shown)


def check_theme(
    out: Problems,
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
            check_text(out, line_of(path), f"{label}.{path}", value, limit, single_line=single_line)

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
    if theme.explicit_key is not None and not is_skipped("key"):
        _check_theme_key(out, line_of("key"), f"{label}.key", theme.explicit_key)
    if len(theme.follows) > MAX_FOLLOWS and not is_skipped("follows"):
        out.add(
            line_of("follows"),
            "cycle.error.too_many_follows",
            where=f"{label}.follows",
            count=len(theme.follows),
            max=MAX_FOLLOWS,
        )
    for number, followed in enumerate(theme.follows, 1):
        if not is_skipped(f"follows.{number}"):
            _check_theme_key(
                out, line_of(f"follows.{number}"), f"{label}.follows.{number}", followed
            )


def _check_theme_key(out: Problems, line: int, where: str, key: str) -> None:
    if len(key) > THEME_KEY_MAX or not _THEME_KEY.match(key):
        out.add(
            line,
            "cycle.error.bad_theme_key",
            where=where,
            value=shortened(key, 80),
            limit=THEME_KEY_MAX,
        )


def check_theme_keys(
    out: Problems, themes: Mapping[int, ThemeContent], lines: Mapping[int, int]
) -> None:
    """Each key given in the file names one theme of the cycle: no other theme may have it,
    whether given or made from its title (*lines*: month -> line of its ``key``)."""
    first: dict[str, int] = {}
    for month in sorted(themes):
        theme = themes[month]
        key = theme.key
        if not key:
            continue
        if key not in first:
            first[key] = month
            continue
        other = first[key]
        # Two themes whose titles make the same key are allowed (files older than keys);
        # a key written in the file must be unique.
        if theme.explicit_key is None and themes[other].explicit_key is None:
            continue
        # The problem is on the key written in the file (the later one when both are).
        at, before = (month, other) if theme.explicit_key is not None else (other, month)
        out.add(
            lines.get(at, 0),
            "cycle.error.duplicate_theme_key",
            where=f"{MONTHS_EN[at - 1]}.key",
            value=key,
            month=MONTHS_EN[before - 1],
            first_line=lines.get(before, 0),
        )


def validate_theme(theme: ThemeContent) -> list[Problem]:
    """The problems of one theme by the file rules (all with line 0); empty when it is fine."""
    out = Problems()
    with contextlib.suppress(TooManyProblems):
        check_theme(out, theme)
    return out.items
