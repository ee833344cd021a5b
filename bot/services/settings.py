"""A forum's settings as organisers change them: one parser and validator for every surface.

The Slack modal, the Teams card, ``admin settings KEY=VALUE`` in any chat and ``ledarforum forum
set`` all hand text values to :func:`parse`, which checks every one and raises
:class:`SettingsError` naming each bad key and its allowed values, so nothing is changed when one
value is wrong. :func:`apply` stores the changed values through :func:`bot.services.forums.update`,
which writes them to the audit log with before and after.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import get_day_names, get_month_names
from sqlalchemy.orm import Session

from bot.domain import LANGUAGES, ForumInfo, Language
from bot.i18n import t
from bot.services import forums
from bot.timing import parse_clock, supported_countries

# The settings organisers change, in the order forms show them.
KEYS: tuple[str, ...] = forums.SETTINGS
MAX_THEME_DAY = 20  # every month has at least 20 working days in most countries (else its last)
MAX_THRESHOLD = 1000
MAX_REMINDER_DAYS = 60
MAX_PREVIEW_DAYS = 28
MAX_RETENTION_YEARS = 50
MAX_VALUE_CHARS = 100

_OFF_WORDS = frozenset({"", "off", "av", "none", "ingen", "never", "aldrig", "-"})
_ON = frozenset({"on", "på", "pa", "yes", "ja", "true", "1"})
_OFF = frozenset({"off", "av", "no", "nej", "false", "0"})
_REACTION = re.compile(r"[a-z0-9_+'\-]{1,64}")
_BABEL_LOCALE = {"sv": "sv_SE", "en": "en_GB"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with what was given: a bad value, an unknown key, or no ``=``."""

    kind: str  # "value", "unknown", "pair" or "order" (a cohort that ends before it starts)
    key: str
    value: str = ""

    def message(self, lang: Language) -> str:
        """One sentence in *lang* naming the key and what it allows."""
        if self.kind == "order":
            start, _, end = self.value.partition("/")
            return t(lang, "cohorts.error.order", start=start, end=end)
        if self.kind == "unknown":
            return t(lang, "settings.error.unknown", key=self.key, keys=", ".join(KEYS))
        if self.kind == "pair":
            return t(lang, "settings.error.pair", text=self.value)
        return t(
            lang,
            "settings.error.value",
            key=self.key,
            value=self.value,
            allowed=allowed(self.key, lang),
        )


class SettingsError(ValueError):
    """Values that cannot be stored; nothing was changed."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(", ".join(problem.key for problem in self.problems))

    def message(self, lang: Language) -> str:
        """Every problem, one sentence each."""
        return " ".join(problem.message(lang) for problem in self.problems)


def allowed(key: str, lang: Language) -> str:
    """What *key* takes, in *lang*."""
    return t(
        lang,
        f"settings.allowed.{key}",
        high={
            "theme_day": MAX_THEME_DAY,
            "reminder_threshold": MAX_THRESHOLD,
            "reminder_after_days": MAX_REMINDER_DAYS,
            "preview_days": MAX_PREVIEW_DAYS,
            "retention_years": MAX_RETENTION_YEARS,
        }.get(key, 0),
    )


def label(key: str, lang: Language) -> str:
    """The setting's name for people, in *lang*."""
    return t(lang, f"settings.label.{key}")


# -- reading values ---------------------------------------------------------------------------


@functools.cache
def _zones() -> dict[str, str]:
    return {name.casefold(): name for name in zoneinfo.available_timezones()}


@functools.cache
def _weekdays() -> dict[str, int]:
    names: dict[str, int] = {}
    for lang in LANGUAGES:
        for width in ("wide", "abbreviated"):
            for index, name in get_day_names(width, locale=_BABEL_LOCALE[lang]).items():
                names[str(name).casefold().rstrip(".")] = int(index)
    return names


def _number(text: str, low: int, high: int) -> int:
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ValueError(text)
    return int(text)


def _clock(text: str) -> str:
    clock = parse_clock(text.replace(".", ":"))  # "8.30" is how Swedes write 08:30
    return clock.strftime("%H:%M")


def _weekday(text: str) -> int:
    if text.isascii() and text.isdigit():
        return _number(text, 1, 7) - 1  # 1 is Monday, as in ISO 8601
    day = _weekdays().get(text.casefold().rstrip("."))
    if day is None:
        raise ValueError(text)
    return day


def _switch(text: str) -> bool:
    word = text.casefold()
    if word in _ON:
        return True
    if word in _OFF:
        return False
    raise ValueError(text)


def _language(text: str) -> str:
    code = text.casefold()
    if code not in LANGUAGES:
        raise ValueError(text)
    return code


def _timezone(text: str) -> str:
    return _zones()[text.casefold()]  # KeyError for anything but an IANA zone name


def _country(text: str) -> str:
    code = text.upper()
    if len(code) != 2 or code not in supported_countries():
        raise ValueError(text)
    return code


def _reaction(text: str) -> str:
    name = text.strip(":").casefold()
    if not _REACTION.fullmatch(name):
        raise ValueError(text)
    return name


def _month(text: str) -> int:
    """A month by number (1–12) or by name in either language ("juni", "June")."""
    if text.isascii() and text.isdigit():
        return _number(text, 1, 12)
    month = _months().get(text.casefold().rstrip("."))
    if month is None:
        raise ValueError(text)
    return month


@functools.cache
def _months() -> dict[str, int]:
    names: dict[str, int] = {}
    for lang in LANGUAGES:
        for width in ("wide", "abbreviated"):
            for index, name in get_month_names(width, locale=_BABEL_LOCALE[lang]).items():
                names[str(name).casefold().rstrip(".")] = int(index)
    return names


# -- a cohort's settings (bot.services.cohorts) --------------------------------------------------

ALUMNI_RHYTHMS = ("quarterly", "yearly", "monthly")
_RHYTHM_WORDS = {
    "quarterly": "quarterly",
    "kvartalsvis": "quarterly",
    "kvartal": "quarterly",
    "yearly": "yearly",
    "annually": "yearly",
    "årligen": "yearly",
    "årsvis": "yearly",
    "monthly": "monthly",
    "månadsvis": "monthly",
    "varje månad": "monthly",
}


def _cohort_name(text: str) -> str | None:
    return None if text.casefold() in _OFF_WORDS else text


def _iso_date(text: str) -> date | None:
    if text.casefold() in _OFF_WORDS:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)  # ISO 8601 only: "03/04/2026" is a different day to different people
    return date.fromisoformat(text)


def _rhythm(text: str) -> str:
    return _RHYTHM_WORDS[text.casefold()]  # KeyError for anything else


def _reunion_month(text: str) -> int | None:
    return None if text.casefold() in _OFF_WORDS else _month(text)


def _check_cohort(start: Any, end: Any) -> Problem | None:
    """A cohort ends after it starts (both days known)."""
    if isinstance(start, date) and isinstance(end, date) and end <= start:
        return Problem("order", "cohort_end", f"{start.isoformat()}/{end.isoformat()}")
    return None


def _trend_reaction(text: str) -> str | None:
    return None if text.casefold() in _OFF_WORDS else _reaction(text)


def _optional(low: int, high: int) -> Callable[[str], int | None]:
    def read(text: str) -> int | None:
        return None if text.casefold() in _OFF_WORDS else _number(text, low, high)

    return read


_READERS: dict[str, Callable[[str], Any]] = {
    "language": _language,
    "timezone": _timezone,
    "country": _country,
    "theme_day": lambda text: _number(text, 1, MAX_THEME_DAY),
    "theme_time": _clock,
    "digest_weekday": _weekday,
    "digest_time": _clock,
    "reaction": _reaction,
    "trend_reaction": _trend_reaction,
    "empty_digest_note": _switch,
    "reminder_threshold": _optional(1, MAX_THRESHOLD),
    "reminder_after_days": lambda text: _number(text, 1, MAX_REMINDER_DAYS),
    "preview_days": _optional(1, MAX_PREVIEW_DAYS),
    "retention_years": _optional(1, MAX_RETENTION_YEARS),
    "review_month": _month,
    "cohort_name": _cohort_name,
    "cohort_start": _iso_date,
    "cohort_end": _iso_date,
    "alumni_rhythm": _rhythm,
    "reunion_month": _reunion_month,
}


def _canonical(key: str) -> str:
    return key.strip().casefold().replace("-", "_")


def parse(values: Mapping[str, str]) -> dict[str, Any]:
    """The stored values of *values* (key → text); raises :class:`SettingsError` on any problem.

    Keys may be written with ``-`` for ``_`` and in any case. An optional number (reminders,
    previews, retention) is switched off with an empty value or ``off``/``av``.
    """
    changes: dict[str, Any] = {}
    problems: list[Problem] = []
    for raw_key, raw_value in values.items():
        key, text = _canonical(raw_key), raw_value.strip()
        if key not in _READERS:
            problems.append(Problem("unknown", raw_key.strip()[:MAX_VALUE_CHARS]))
            continue
        try:
            if len(text) > MAX_VALUE_CHARS:
                raise ValueError(text)
            changes[key] = _READERS[key](text)
        except (ValueError, KeyError):
            problems.append(Problem("value", key, text[:MAX_VALUE_CHARS]))
    order = _check_cohort(changes.get("cohort_start"), changes.get("cohort_end"))
    if order is not None:
        problems.append(order)
    if problems:
        raise SettingsError(problems)
    return changes


def parse_pairs(words: Iterable[str]) -> dict[str, Any]:
    """``KEY=VALUE`` words (a chat command's, the command line's) read by :func:`parse`."""
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for word in words:
        key, sign, value = word.partition("=")
        if not sign or not key.strip():
            problems.append(Problem("pair", "", word[:MAX_VALUE_CHARS]))
        else:
            values[key] = value
    try:
        changes = parse(values)
    except SettingsError as error:
        problems.extend(error.problems)
    if problems:
        raise SettingsError(problems)
    return changes


# -- showing values ---------------------------------------------------------------------------


def show(key: str, value: Any, lang: Language) -> str:
    """A stored value as people read and type it ("fredag", "av")."""
    if value is None:
        return t(lang, "settings.off")
    if key == "digest_weekday" and isinstance(value, int) and 0 <= value <= 6:
        return str(get_day_names("wide", locale=_BABEL_LOCALE[lang])[value])
    if key in ("review_month", "reunion_month") and isinstance(value, int) and 1 <= value <= 12:
        return str(get_month_names("wide", locale=_BABEL_LOCALE[lang])[value])
    if key == "empty_digest_note":
        return t(lang, "settings.on" if value else "settings.off")
    if key == "alumni_rhythm" and value in ALUMNI_RHYTHMS:
        return t(lang, f"cohorts.rhythm.{value}")
    return str(value)


def current(forum: ForumInfo) -> dict[str, Any]:
    """The forum's stored settings, in form order."""
    return {key: getattr(forum, key) for key in KEYS}


@dataclass(frozen=True)
class Field:
    """One setting as a form shows it."""

    key: str
    label: str
    value: str  # the current value, as it would be typed
    hint: str  # what it allows


def fields(forum: ForumInfo, lang: Language) -> list[Field]:
    """Every setting of *forum* for a form or a listing, in *lang*."""
    return [
        Field(key, label(key, lang), show(key, value, lang), allowed(key, lang))
        for key, value in current(forum).items()
    ]


# -- changing them ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One changed setting."""

    key: str
    before: Any
    after: Any

    def describe(self, lang: Language) -> str:
        """``Time zone: Europe/Stockholm → Europe/Oslo``."""
        return f"{label(self.key, lang)}: {show(self.key, self.before, lang)} → " + show(
            self.key, self.after, lang
        )


def apply(
    session: Session, forum_id: int, changes: Mapping[str, Any], *, actor: str
) -> tuple[ForumInfo, list[Change]]:
    """Store the values that differ from the forum's (audit-logged); the forum and what changed.

    Raises :class:`SettingsError` (nothing stored) when the result would be a cohort that ends
    before it starts.
    """
    forum = forums.get(session, forum_id)
    if forum is None:
        raise LookupError(forum_id)
    before = current(forum)
    # A cohort's end is checked against its stored start too (and the other way round).
    after = {**before, **changes}
    order = _check_cohort(after.get("cohort_start"), after.get("cohort_end"))
    if order is not None:
        raise SettingsError([order])
    changed = {key: value for key, value in changes.items() if before.get(key) != value}
    if not changed:
        return forum, []
    forum = forums.update(session, forum_id, actor=actor, **changed)
    return forum, [Change(key, before[key], value) for key, value in changed.items()]
