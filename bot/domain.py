"""Platform-neutral domain types shared by services, adapters and the cycle file."""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal, TypeGuard, get_args

if TYPE_CHECKING:
    from bot.meeting_items import NewMeeting

Language = Literal["sv", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)


def is_language(value: str) -> TypeGuard[Language]:
    """True when *value* is a supported language code."""
    return value in LANGUAGES


class Platform(enum.StrEnum):
    """Where a forum lives."""

    CONSOLE = "console"
    SLACK = "slack"
    TEAMS = "teams"


class Source(enum.StrEnum):
    """How a good practice reached us."""

    THREAD_REPLY = "thread_reply"
    SHARE_COMMAND = "share_command"
    FORM = "form"
    REACTION = "reaction"
    MESSAGE_SHORTCUT = "message_shortcut"
    CONSOLE = "console"


@dataclass(frozen=True)
class Bilingual:
    """A text in Swedish and English."""

    sv: str
    en: str

    def get(self, lang: Language) -> str:
        """The text in *lang*, falling back to the other language if that one is empty."""
        primary = self.sv if lang == "sv" else self.en
        return primary or self.en or self.sv


@dataclass(frozen=True)
class Link:
    """A link shown with a theme."""

    title: Bilingual
    url: str


@dataclass(frozen=True)
class ThemeContent:
    """One month's theme of a yearly cycle (month 1 = January)."""

    month: int
    title: Bilingual
    why_now: Bilingual
    questions: tuple[Bilingual, ...]
    delivery: Bilingual | None = None
    links: tuple[Link, ...] = ()
    # A stable name across years (None: the slug of the Swedish title), and the keys of earlier
    # themes this one continues: how "when a theme comes back" finds last year's examples.
    explicit_key: str | None = None
    follows: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The theme's key: the explicit one, else the slug of the Swedish title."""
        return self.explicit_key or theme_slug(self.title.sv or self.title.en)


THEME_KEY_MAX = 64
_SLUG_RUN = re.compile(r"[^a-z0-9]+")


def theme_slug(title: str) -> str:
    """A theme key made from a title: lowercase, accents dropped (å ä ö -> a a o), every run of
    other characters one "-", at most 64 characters ("Medarbetarsamtal & lön" ->
    "medarbetarsamtal-lon"); "" when the title has no letter or digit."""
    decomposed = unicodedata.normalize("NFKD", title.lower())
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SLUG_RUN.sub("-", folded).strip("-")[:THEME_KEY_MAX].rstrip("-")


@dataclass(frozen=True)
class CycleDocument:
    """A whole yearly cycle: months without an entry have no theme (no post)."""

    name: str
    themes: dict[int, ThemeContent] = field(default_factory=dict)
    # The file's optional ``meetings:`` list (stored per forum, not with the cycle).
    meetings: tuple[NewMeeting, ...] = ()

    def theme_for(self, month: int) -> ThemeContent | None:
        """The theme of *month*, or None for a themeless month."""
        return self.themes.get(month)


MIN_QUESTIONS = 2
MAX_QUESTIONS = 5


@dataclass(frozen=True)
class ForumInfo:
    """A snapshot of a forum that services and adapters pass around (no database session)."""

    id: int
    platform: Platform
    workspace_id: str
    channel_id: str
    name: str
    language: Language
    timezone: str
    theme_time: str = "09:00"
    digest_weekday: int = 4
    digest_time: str = "14:00"
    reaction: str = "bulb"
    empty_digest_note: bool = False
    reminder_threshold: int | None = None
    reminder_after_days: int = 10
    preview_days: int | None = None
    retention_years: int | None = None
    conversation_ref: dict[str, object] | None = None
    country: str = "SE"  # whose public holidays are no posting days
    theme_day: int = 1  # the theme is posted on the month's n-th working day
    trend_reaction: str | None = None  # the reaction that stores a shared link as a trend
    cohort_name: str | None = None  # a programme's cohort: it goes on as alumni after its end
    cohort_start: date | None = None
    cohort_end: date | None = None
    alumni_rhythm: str = "quarterly"  # after the end: "quarterly", "yearly" or "monthly"
    reunion_month: int | None = None  # the yearly reunion reminder's month (alumni)
    review_month: int = 6  # the month the year in review is posted (end of the cycle)
