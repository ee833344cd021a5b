"""Every limit and fixed rule of a yearly-cycle file, in one place.

The numbers here are the ones ``docs/cycle-file.md`` gives organisers (a test holds the two equal):
text lengths, how many questions and links a theme has, the file's size, plus the allowed keys,
month names and CSV columns.
"""

from __future__ import annotations

from bot.domain import MAX_QUESTIONS as MAX_QUESTIONS
from bot.domain import MIN_QUESTIONS as MIN_QUESTIONS
from bot.domain import THEME_KEY_MAX as THEME_KEY_MAX

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
MAX_FOLLOWS = 10

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

TOP_KEYS = ("version", "name", "months", "meetings")
THEME_KEYS = ("title", "why_now", "questions", "delivery", "links", "key", "follows")
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
    "key",
    "follows",
)
CSV_REQUIRED_COLUMNS: tuple[str, ...] = (
    "month",
    "title_sv",
    "title_en",
    "why_now_sv",
    "why_now_en",
    *(f"question{i}_{lang}" for i in range(1, MIN_QUESTIONS + 1) for lang in LANGUAGE_KEYS),
)
