"""Translations: gettext catalogs (``bot/locales/<lang>/*.po``) read with Babel, dates with Babel.

Message ids are stable keys (``"help.title"``); the Swedish and English catalogs hold the texts,
with ``{name}`` placeholders filled by :func:`t`. Several ``.po`` files per language are merged, so
each part of the code keeps its texts next to the others of its kind.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po

from bot.domain import LANGUAGES, Language

LOCALES_DIR = Path(__file__).parent / "locales"
_BABEL_LOCALE = {"sv": "sv_SE", "en": "en_GB"}


@functools.cache
def catalog(lang: Language) -> dict[str, str]:
    """All messages of *lang*, merged from every ``.po`` file of that language."""
    merged: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=_BABEL_LOCALE[lang]):
                if message.id and isinstance(message.id, str) and isinstance(message.string, str):
                    merged[message.id] = message.string
    return merged


def t(lang: Language, key: str, /, **params: object) -> str:
    """The text *key* in *lang* with *params* filled in.

    A missing key falls back to the other language and then to the key itself, so a gap never
    crashes a handler (a test makes sure there are no gaps). With ``count=1`` the singular form
    ``<key>.one`` is used where the catalog has one.
    """
    if params.get("count") == 1 and f"{key}.one" in catalog(lang):
        key = f"{key}.one"
    text = catalog(lang).get(key)
    if not text:
        other: Language = "en" if lang == "sv" else "sv"
        text = catalog(other).get(key) or key
    return text.format(**params) if params else text


def both(key: str, /, **params: object) -> dict[Language, str]:
    """The text *key* in every language."""
    return {lang: t(lang, key, **params) for lang in LANGUAGES}


def month_name(lang: Language, month: int) -> str:
    """The month's name in the locale's words ("november")."""
    return format_date(date(2000, month, 1), "LLLL", locale=_BABEL_LOCALE[lang])


def long_date(lang: Language, when: date | datetime) -> str:
    """A date in the locale's words ("fredag 27 november 2026")."""
    return _long_date(lang, when.date() if isinstance(when, datetime) else when)


@functools.lru_cache(maxsize=4096)
def _long_date(lang: Language, day: date) -> str:
    # A digest names the same few days thousands of times; Babel formatting is not cheap.
    return format_date(day, "full", locale=_BABEL_LOCALE[lang])


def date_time(lang: Language, when: datetime) -> str:
    """A local moment in the locale's words, without seconds."""
    return format_datetime(when, "d MMMM y HH:mm", tzinfo=when.tzinfo, locale=_BABEL_LOCALE[lang])
