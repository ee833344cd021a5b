"""The book of good practices: a forum's examples of one year, a chapter per theme.

:func:`book` gathers the examples (by theme period: the year's January to December themes) in
cycle order, each chapter under the theme's title as it was when the examples were saved, each
example with its author's name or "anonymous" and its date in the forum's time zone.
:func:`book_markdown` writes it as a Markdown document (``ledarforum`` web page
``/forums/{id}/book/{year}.md``); the print-ready HTML page renders the same :class:`Book`.

People's texts reach Markdown as text only: :func:`markdown_text` escapes whatever Markdown or
HTML would read as structure, and breaks mentions (``@here``, ``@anna``) so that a book pasted
into a chat notifies nobody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import ForumInfo, Language, theme_slug
from bot.i18n import long_date, month_name, t
from bot.storage.models import Contribution
from bot.timing import Period


@dataclass(frozen=True)
class BookExample:
    """One good practice in the book; ``author`` is None when it was shared anonymously."""

    id: int
    text: str
    author: str | None
    byline: str  # the author's name, or "Anonym"/"Anonymous" in the book's language
    day: date  # in the forum's time zone
    day_text: str  # the date in the book's language ("tisdag 10 mars 2026")
    permalink: str | None
    created_at: datetime


@dataclass(frozen=True)
class BookChapter:
    """A theme of the year and its examples, oldest first."""

    key: str | None  # None for examples saved in a month without a theme
    title: str  # in the book's language ("Utan tema" for a month without a theme)
    month: int
    month_name: str  # in the book's language, lower case as in running text ("mars")
    examples: tuple[BookExample, ...]


@dataclass(frozen=True)
class Book:
    """A forum's good practices of one year, in one language."""

    forum_id: int
    forum_name: str
    year: int
    lang: Language
    title: str  # "Goda exempel 2026"
    chapters: tuple[BookChapter, ...]

    @property
    def count(self) -> int:
        """How many examples the book holds."""
        return sum(len(chapter.examples) for chapter in self.chapters)

    @property
    def title_page(self) -> str:
        """The line under the title: the forum, how many examples, the year."""
        if not self.chapters:
            return t(self.lang, "book.empty", year=self.year)
        return t(
            self.lang, "book.title_page", forum=self.forum_name, count=self.count, year=self.year
        )


def book(session: Session, forum: ForumInfo, year: int, lang: Language) -> Book:
    """The book of *forum*'s good practices of *year* (by theme period), in *lang*.

    A chapter per theme key, in the order of the months of the cycle; a theme that came back in
    a later month of the same year keeps the chapter of its first month.
    """
    rows = session.scalars(
        select(Contribution)
        .where(
            Contribution.forum_id == forum.id,
            Contribution.period.between(f"{year:04d}-01", f"{year:04d}-12"),
            Contribution.kind == "practice",  # trends have their own place, not the book
        )
        .order_by(Contribution.period, Contribution.created_at, Contribution.id)
    )
    zone = ZoneInfo(forum.timezone)
    groups: dict[tuple[str, int], list[Contribution]] = {}
    for row in rows:
        key = row.theme_key or theme_slug(row.theme_title_sv or "")
        month = Period.parse(row.period).month
        # Examples of no theme are grouped by their month; a keyed theme once for the year.
        groups.setdefault((key, 0) if key else ("", month), []).append(row)
    chapters = [_chapter(group, lang, zone) for group in groups.values()]
    chapters.sort(key=lambda chapter: chapter.month)  # stable: first-seen order within a month
    return Book(
        forum_id=forum.id,
        forum_name=forum.name or forum.channel_id,
        year=year,
        lang=lang,
        title=t(lang, "book.title", year=year),
        chapters=tuple(chapters),
    )


def _chapter(rows: list[Contribution], lang: Language, zone: ZoneInfo) -> BookChapter:
    first, last = rows[0], rows[-1]
    month = Period.parse(first.period).month
    # The title the theme had when its latest example was saved (a renamed theme's new name).
    sv, en = last.theme_title_sv or "", last.theme_title_en or ""
    title = (sv if lang == "sv" else en) or en or sv or t(lang, "digest.no_theme")
    key = last.theme_key or theme_slug(sv) or None
    anonymous = t(lang, "digest.anonymous")
    examples = []
    for row in sorted(rows, key=lambda row: (row.created_at, row.id)):
        local = row.created_at.astimezone(zone)
        author = None if row.anonymous else row.author_name
        examples.append(
            BookExample(
                id=row.id,
                text=row.text,
                author=author,
                byline=author or anonymous,
                day=local.date(),
                day_text=long_date(lang, local),
                permalink=row.permalink,
                created_at=row.created_at,
            )
        )
    return BookChapter(key, title, month, month_name(lang, month), tuple(examples))


# ASCII characters Markdown (CommonMark, GitHub's extensions) or HTML read anywhere in a line.
_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
# What makes a line a heading, a list item, a rule or a setext underline where it starts.
_LINE_START = re.compile(r"^(?:([#+=-])|(\d{1,9})([.)]))")
# A mention or broadcast: "@" that starts a word (an e-mail address is left alone).
_MENTION = re.compile(r"(?<![^\W_])@(?=\w)")
_WORD_JOINER = "\u2060"


def markdown_text(text: str) -> str:
    """One line of a person's text as Markdown that shows exactly the characters typed.

    Line breaks become blanks; use :func:`markdown_quote` for a text of several lines.
    """
    line = " ".join(text.split())
    escaped = _INLINE.sub(r"\\\1", line)
    escaped = _LINE_START.sub(_escape_start, escaped)
    return _MENTION.sub("@" + _WORD_JOINER, escaped)


def _escape_start(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return f"{match.group(2)}\\{match.group(3)}"


def markdown_quote(text: str) -> str:
    """A person's text of any number of lines as a Markdown block quote, escaped line by line."""
    lines = [markdown_text(line) for line in text.splitlines()] or [""]
    return "\n".join(f"> {line}".rstrip() for line in lines)


def book_markdown(book: Book) -> str:
    """The book as a Markdown document: the title, a line about it, a section per theme with its
    examples as quotes signed by their author (or "anonymous") and date."""
    lines = [f"# {markdown_text(book.title)}", "", markdown_text(book.title_page), ""]
    for chapter in book.chapters:
        month = chapter.month_name[:1].upper() + chapter.month_name[1:]
        heading = t(book.lang, "book.section", month=month, title=chapter.title)
        lines += [f"## {markdown_text(heading)}", ""]
        for example in chapter.examples:
            byline = t(
                book.lang,
                "book.byline",
                author=f"**{markdown_text(example.byline)}**",
                date=markdown_text(example.day_text),
            )
            lines += [markdown_quote(example.text), ">", f"> — {byline}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
