"""Translations: gettext catalogs (``bot/locales/<lang>/*.po``) read with Babel, dates with Babel.

Message ids are stable keys (``"help.title"``); the Swedish and English catalogs hold the texts,
with ``{name}`` placeholders filled by :func:`t`. Several ``.po`` files per language are merged, so
each part of the code keeps its texts next to the others of its kind.

A text with a number of things in it is a gettext plural entry (``msgid`` and ``msgid_plural``
both the key, ``msgstr[0]`` the singular, ``msgstr[1]`` the plural); ``t(lang, key, count=n)``
picks the form with the plural rule Babel knows for the locale, through the standard
:mod:`gettext` machinery.
"""

from __future__ import annotations

import functools
import gettext
import io
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.domain import LANGUAGES, Language

LOCALES_DIR = Path(__file__).parent / "locales"
_BABEL_LOCALE = {"sv": "sv_SE", "en": "en_GB"}
# Babel has the names; the clock is written as each language's style guide has it
# (Språkrådet: "kl. 14.00"), which CLDR's Swedish data ("14:00") does not follow.
_CLOCK = {"sv": "HH.mm", "en": "HH:mm"}

Text = str | tuple[str, ...]
"""A catalog message: its text, or a plural message's forms (``msgstr[0]``, ``msgstr[1]`` …)."""


@functools.cache
def _merged(lang: Language) -> Catalog:
    # A fresh catalog of the locale carries Babel's plural rule for it (Plural-Forms).
    merged = Catalog(locale=_BABEL_LOCALE[lang])
    for path in sorted((LOCALES_DIR / lang).glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=_BABEL_LOCALE[lang]):
                if message.id:
                    merged[message.id] = message
    return merged


@functools.cache
def catalog(lang: Language) -> dict[str, Text]:
    """All messages of *lang*, merged from every ``.po`` file of that language."""
    out: dict[str, Text] = {}
    for message in _merged(lang):
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key and message.string:
            string = message.string
            out[key] = string if isinstance(string, str) else tuple(string)
    return out


@functools.cache
def _translations(lang: Language) -> gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, _merged(lang))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def plural_forms(lang: Language) -> int:
    """How many plural forms *lang* has (Babel's rule for the locale)."""
    return int(_merged(lang).num_plurals)


def _text(lang: Language, key: str, count: object) -> str | None:
    message = catalog(lang).get(key)
    if not isinstance(message, tuple):
        return message
    # A stored problem (bot.cycle_file) keeps its numbers as text.
    number = int(count) if isinstance(count, int | str) and str(count).isdigit() else None
    if number is None:
        raise ValueError(f"{key} needs count=<a whole number>")
    return _translations(lang).ngettext(key, key, number)


def t(lang: Language, key: str, /, **params: object) -> str:
    """The text *key* in *lang* with *params* filled in.

    A missing key falls back to the other language and then to the key itself, so a gap never
    crashes a handler (a test makes sure there are no gaps). A plural message picks its form
    by ``count``.
    """
    other: Language = "en" if lang == "sv" else "sv"
    count = params.get("count")
    text = _text(lang, key, count) or _text(other, key, count) or key
    return text.format(**params) if params else text


def both(key: str, /, **params: object) -> dict[Language, str]:
    """The text *key* in every language."""
    return {lang: t(lang, key, **params) for lang in LANGUAGES}


def month_name(lang: Language, month: int) -> str:
    """The month's name in the locale's words ("november")."""
    return format_date(date(2000, month, 1), "LLLL", locale=_BABEL_LOCALE[lang])


def month_year(lang: Language, year: int, month: int) -> str:
    """A month of a year in the locale's words ("november 2026")."""
    return format_date(date(year, month, 1), "LLLL y", locale=_BABEL_LOCALE[lang])


def long_date(lang: Language, when: date | datetime) -> str:
    """A date in the locale's words ("fredag 27 november 2026")."""
    return _long_date(lang, when.date() if isinstance(when, datetime) else when)


@functools.lru_cache(maxsize=4096)
def _long_date(lang: Language, day: date) -> str:
    # A digest names the same few days thousands of times; Babel formatting is not cheap.
    return format_date(day, "full", locale=_BABEL_LOCALE[lang])


def date_time(lang: Language, when: datetime, zone: str | None = None) -> str:
    """A moment in the locale's words ("fredag 27 november kl. 14.00"), in *zone* when given.

    *when* must know its time zone; without *zone* it is shown in that one.
    """
    local = when.astimezone(ZoneInfo(zone)) if zone else when
    day = format_datetime(local, "EEEE d MMMM", tzinfo=local.tzinfo, locale=_BABEL_LOCALE[lang])
    clock = format_datetime(local, _CLOCK[lang], tzinfo=local.tzinfo, locale=_BABEL_LOCALE[lang])
    return t(lang, "time.moment", day=day, clock=clock)
