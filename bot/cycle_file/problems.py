"""What is wrong with a cycle file: the problem type, the error that lists them, and the collector.

A problem carries its file line and a translatable message key (``cycle.error.*`` in
``bot/locales/*/cycle_file.po``); ``ledarforum schedule validate`` shows each as
``FILE:LINE: message``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.cycle_file.limits import MAX_PROBLEMS
from bot.domain import Language
from bot.i18n import t

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
    "cycle.error.bad_theme_key",
    "cycle.error.duplicate_theme_key",
    "cycle.error.too_many_follows",
)
"""Every message key a :class:`Problem` of this package can carry (a test checks the catalogs)."""

_T = TypeVar("_T")


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


class TooManyProblems(Exception):
    """Stop collecting, enough has been said."""


class Problems:
    """Collects problems, up to :data:`~bot.cycle_file.limits.MAX_PROBLEMS`."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, line: int, message_key: str, /, **params: object) -> None:
        """Note a problem on *line*; raises :class:`TooManyProblems` once the list is full."""
        if len(self.items) >= MAX_PROBLEMS:
            raise TooManyProblems
        self.items.append(
            Problem(line, message_key, {name: str(value) for name, value in params.items()})
        )

    def fail(self) -> CycleFileError:
        """The error listing every problem collected."""
        return CycleFileError(self.items)


def collected(read: Callable[[Problems], _T]) -> _T:
    """What *read* makes of a file, given a fresh collector; when it finds too many problems, the
    error lists those it found and says it stopped."""
    out = Problems()
    try:
        return read(out)
    except TooManyProblems:
        out.items.append(Problem(0, "cycle.error.too_many_problems", {"limit": str(MAX_PROBLEMS)}))
        raise out.fail() from None


def shortened(text: str, width: int) -> str:
    """*text* cut to *width* characters (ending in "...") to be shown in a message."""
    return text if len(text) <= width else text[: width - 3] + "..."
