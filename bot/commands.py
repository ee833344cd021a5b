"""The one command parser every adapter uses: Swedish and English words, case-insensitive.

A command also tells the language of the word it was written with, when that word belongs to one
language only, so an answer can be given in the language the person just used.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

from bot.domain import Language


class Verb(enum.StrEnum):
    """What a person asked for."""

    HELP = "help"
    THEME = "theme"
    YEAR = "year"
    SHARE = "share"
    DIGEST = "digest"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    LANGUAGE = "language"
    MY_DATA = "my-data"
    FORGET_ME = "forget-me"
    SEARCH = "search"
    LOGBOOK = "logbook"
    TREND = "trend"
    ADMIN = "admin"


class AdminVerb(enum.StrEnum):
    """What an organiser asked for after ``admin``."""

    HELP = "help"
    SETUP = "setup"
    POST_THEME = "post-theme"
    DIGEST = "digest"
    SCHEDULE = "schedule"
    STATS = "stats"
    ORGANISERS = "organisers"
    SETTINGS = "settings"
    LOG = "log"
    MEETING = "meeting"


# Each word in Swedish, English and the spellings people type without å, ä, ö.
_VERBS: dict[str, Verb] = {
    "hjälp": Verb.HELP,
    "hjalp": Verb.HELP,
    "help": Verb.HELP,
    "?": Verb.HELP,
    "tema": Verb.THEME,
    "theme": Verb.THEME,
    "årscykel": Verb.YEAR,
    "arscykel": Verb.YEAR,
    "year": Verb.YEAR,
    "dela": Verb.SHARE,
    "share": Verb.SHARE,
    "sammanfattning": Verb.DIGEST,
    "digest": Verb.DIGEST,
    "prenumerera": Verb.SUBSCRIBE,
    "subscribe": Verb.SUBSCRIBE,
    "avsluta": Verb.UNSUBSCRIBE,
    "unsubscribe": Verb.UNSUBSCRIBE,
    "språk": Verb.LANGUAGE,
    "sprak": Verb.LANGUAGE,
    "language": Verb.LANGUAGE,
    "mina-data": Verb.MY_DATA,
    "my-data": Verb.MY_DATA,
    "glöm-mig": Verb.FORGET_ME,
    "glom-mig": Verb.FORGET_ME,
    "forget-me": Verb.FORGET_ME,
    "sök": Verb.SEARCH,
    "sok": Verb.SEARCH,
    "search": Verb.SEARCH,
    # The personal logbook; "admin logg" (below) is the audit log and stays so.
    "logg": Verb.LOGBOOK,
    "loggbok": Verb.LOGBOOK,
    "log": Verb.LOGBOOK,
    "logbook": Verb.LOGBOOK,
    # A shared link from environmental scanning: the same word in both languages.
    "trend": Verb.TREND,
    "admin": Verb.ADMIN,
}

_ADMIN_VERBS: dict[str, AdminVerb] = {
    "hjälp": AdminVerb.HELP,
    "hjalp": AdminVerb.HELP,
    "help": AdminVerb.HELP,
    "setup": AdminVerb.SETUP,
    "starta": AdminVerb.SETUP,
    "post-theme": AdminVerb.POST_THEME,
    "posta-tema": AdminVerb.POST_THEME,
    "digest": AdminVerb.DIGEST,
    "sammanfattning": AdminVerb.DIGEST,
    "schedule": AdminVerb.SCHEDULE,
    "årscykel": AdminVerb.SCHEDULE,
    "arscykel": AdminVerb.SCHEDULE,
    "stats": AdminVerb.STATS,
    "statistik": AdminVerb.STATS,
    "organisers": AdminVerb.ORGANISERS,
    "organizers": AdminVerb.ORGANISERS,
    "organisatörer": AdminVerb.ORGANISERS,
    "organisatorer": AdminVerb.ORGANISERS,
    "settings": AdminVerb.SETTINGS,
    "inställningar": AdminVerb.SETTINGS,
    "installningar": AdminVerb.SETTINGS,
    "log": AdminVerb.LOG,
    "logg": AdminVerb.LOG,
    "möte": AdminVerb.MEETING,
    "mote": AdminVerb.MEETING,
    "möten": AdminVerb.MEETING,
    "moten": AdminVerb.MEETING,
    "meeting": AdminVerb.MEETING,
    "meetings": AdminVerb.MEETING,
}

# The words of one language only; the others ("admin", "?") say nothing about the language.
_SWEDISH = frozenset(
    {
        "hjälp",
        "hjalp",
        "tema",
        "årscykel",
        "arscykel",
        "dela",
        "sammanfattning",
        "prenumerera",
        "avsluta",
        "språk",
        "sprak",
        "mina-data",
        "glöm-mig",
        "glom-mig",
        "sök",
        "sok",
        "logg",
        "loggbok",
    }
)
_ENGLISH = frozenset(
    {
        "help",
        "theme",
        "year",
        "share",
        "digest",
        "subscribe",
        "unsubscribe",
        "language",
        "my-data",
        "forget-me",
        "search",
        "log",
        "logbook",
    }
)
# After "admin": the Swedish texts show setup, post-theme, digest, schedule, stats and organisers
# as they are, so those words are both languages'.
_SWEDISH_ADMIN = frozenset(
    {
        "hjälp",
        "hjalp",
        "starta",
        "posta-tema",
        "sammanfattning",
        "årscykel",
        "arscykel",
        "statistik",
        "organisatörer",
        "organisatorer",
        "inställningar",
        "installningar",
        "logg",
        "möte",
        "mote",
        "möten",
        "moten",
    }
)
_ENGLISH_ADMIN = frozenset({"help", "organizers", "settings", "log", "meeting", "meetings"})

MAX_COMMAND_CHARS = 12_000


@dataclass(frozen=True)
class Command:
    """A parsed command. ``unknown`` holds the word we did not recognise (answered with help).

    ``language`` is the language of the word the person used, or None when the word is the same
    in both (``admin``, ``?``) or there was none.
    """

    verb: Verb
    rest: str = ""
    admin: AdminVerb | None = None
    unknown: str | None = None
    language: Language | None = None


_DROPPED = ("Cc", "Cs")  # control characters and lone surrogates (not encodable)


def _clean(text: str) -> str:
    # NFC so "å" typed as a + ring matches; drop control characters except newlines and tabs.
    # Format characters stay (as in contributions.clean_text): a zero-width joiner holds an
    # emoji sequence together, and right-to-left marks are part of the text people wrote.
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _DROPPED)


def _split(text: str) -> tuple[str, str]:
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0].casefold(), parts[1].strip() if len(parts) > 1 else ""


def _language(word: str, swedish: frozenset[str], english: frozenset[str]) -> Language | None:
    if word in swedish:
        return "sv"
    return "en" if word in english else None


def parse(text: str) -> Command:
    """Parse what follows ``/ledarforum`` (or an @mention): never raises."""
    text = _clean(text or "")[:MAX_COMMAND_CHARS]
    word, rest = _split(text)
    if word.startswith("/"):  # the console and Teams may include the command itself
        word, rest = _split(rest)
    if not word:
        return Command(Verb.HELP)
    verb = _VERBS.get(word)
    if verb is None:
        return Command(Verb.HELP, unknown=word[:50])
    if verb is not Verb.ADMIN:
        return Command(verb, rest, language=_language(word, _SWEDISH, _ENGLISH))
    sub, sub_rest = _split(rest)
    if not sub:
        return Command(Verb.ADMIN, admin=AdminVerb.HELP)
    admin = _ADMIN_VERBS.get(sub)
    if admin is None:
        return Command(Verb.ADMIN, rest=sub_rest, admin=AdminVerb.HELP, unknown=sub[:50])
    language = _language(sub, _SWEDISH_ADMIN, _ENGLISH_ADMIN)
    return Command(Verb.ADMIN, rest=sub_rest, admin=admin, language=language)
