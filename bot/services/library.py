"""The library of good practices: every example of a forum across years, searched and filtered.

Search is full-text on the backend's own index (migration 0004):

- PostgreSQL matches the Swedish and English vectors of the text, written exactly as the GIN index
  ``ix_contributions_search`` is, so the index answers. A query word matches its stem in either
  language (``websearch_to_tsquery``) and, as a prefix, longer words that start with it or with
  its stem (``to_tsquery('…', 'ord:*')``): "medarbetarsamtal" finds "medarbetarsamtalen".
  Ranked by ``ts_rank``.
- SQLite matches the FTS5 table ``contributions_fts`` (tokenizer ``unicode61 remove_diacritics
  0``: å, ä and ö stay letters of their own, case is folded). Each word is quoted and given a
  prefix ``*``, so no FTS5 syntax of the person's (quotes, ``NEAR``, ``AND``, column filters,
  ``^``) reaches the engine. Ranked by ``bm25``. There is no stemming: a word finds the words it
  begins ("gåmöte" finds "gåmöten", not the other way round).

Neither index finds a word inside a compound ("samtal" in "medarbetarsamtal"). When the index
gives fewer than asked for, words of at least :data:`MIN_INFIX_CHARS` letters are also looked
for inside the forum's texts (``lower(text) LIKE '%ord%'``, a scan of that forum's rows only);
those examples come after every index match, newest first, with rank 0.

Words are letters and digits; a query keeps at most :data:`MAX_TERMS` of them from its first
:data:`MAX_QUERY_CHARS` characters. :func:`check` says (as a translation key) what is wrong with a
query a person typed; :func:`search` itself never raises on a query, it finds nothing instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from bot.domain import Bilingual
from bot.storage.models import Contribution
from bot.timing import Period

MAX_QUERY_CHARS = 200
MAX_TERMS = 10
MIN_INFIX_CHARS = 4
DEFAULT_LIMIT = 50

# Letters and digits of any script; everything else (quotes, operators, "_", "-") separates.
_TERM = re.compile(r"[^\W_]+")

# Must be the expression of the GIN index (migration 0004's PG_VECTOR), or PostgreSQL scans.
_PG_VECTOR = (
    "(to_tsvector('swedish', contributions.text) || to_tsvector('english', contributions.text))"
)
_PG_CONFIGS = ("swedish", "english")
_FTS = table("contributions_fts", column("rowid"))


class SearchError(ValueError):
    """A query that cannot be searched; ``key`` is the translated message to show."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Found:
    """One good practice of the library, as a search or a listing gives it.

    ``author_name`` is None when it was shared anonymously; ``rank`` is higher for a better
    match (0 for listings and for matches inside compounds).
    """

    id: int
    forum_id: int
    period: Period
    theme_key: str | None
    theme_title: Bilingual | None
    author_name: str | None
    text: str
    permalink: str | None
    created_at: datetime
    rank: float = 0.0
    kind: str = "practice"  # or "trend": a shared link (bot.services.trends), shown apart
    url: str | None = None  # a trend's link and its title
    url_title: str | None = None


def as_dict(item: Found) -> dict[str, Any]:
    """A found example as plain JSON-ready values (the command line's ``--format json``)."""
    return {
        "id": item.id,
        "forum_id": item.forum_id,
        "period": item.period.key,
        "theme_key": item.theme_key,
        "theme_sv": item.theme_title.sv if item.theme_title else None,
        "theme_en": item.theme_title.en if item.theme_title else None,
        "author": item.author_name,
        "anonymous": item.author_name is None,
        "text": item.text,
        "permalink": item.permalink,
        "created_at": item.created_at.isoformat(),
        "rank": round(item.rank, 6),
    }


def _normalised(query: str) -> str:
    return unicodedata.normalize("NFC", query or "").strip()


def terms(query: str) -> list[str]:
    """The words searched for: lower case, each once, at most :data:`MAX_TERMS`."""
    words: list[str] = []
    for word in _TERM.findall(_normalised(query)[:MAX_QUERY_CHARS].lower()):
        if word not in words:
            words.append(word)
    return words[:MAX_TERMS]


def check(query: str) -> list[str]:
    """The words of a query a person typed, or :class:`SearchError` saying what is wrong."""
    text = _normalised(query)
    if len(text) > MAX_QUERY_CHARS:
        raise SearchError("search.error.too_long", limit=MAX_QUERY_CHARS)
    words = terms(text)
    if not words:
        raise SearchError("search.error.empty")
    if len(set(_TERM.findall(text.lower()))) > MAX_TERMS:
        raise SearchError("search.error.too_many", limit=MAX_TERMS)
    return words


def _found(row: Contribution, rank: float = 0.0) -> Found:
    title = (
        Bilingual(row.theme_title_sv or "", row.theme_title_en or "")
        if row.theme_title_sv or row.theme_title_en
        else None
    )
    return Found(
        id=row.id,
        forum_id=row.forum_id,
        period=Period.parse(row.period),
        theme_key=row.theme_key,
        theme_title=title,
        author_name=None if row.anonymous else row.author_name,
        text=row.text,
        permalink=row.permalink,
        created_at=row.created_at,
        rank=rank,
        kind=row.kind,
        url=row.url,
        url_title=row.url_title,
    )


def _in_year(query: Select[Any], year: int | None) -> Select[Any]:
    if year is None:
        return query
    # Periods are "YYYY-MM": a range on the text keeps it one comparison each side.
    return query.where(
        Contribution.period >= f"{year:04d}-01", Contribution.period <= f"{year:04d}-12"
    )


def _pg_query(words: Sequence[str]) -> Any:
    """The tsquery of *words*: their stems in either language, or a word they begin."""
    # Each word quoted for websearch_to_tsquery, so "or" and "-" are words, not operators.
    phrase = " ".join(f'"{word}"' for word in words)
    stems = [func.websearch_to_tsquery(literal_column(f"'{c}'"), phrase) for c in _PG_CONFIGS]
    # A prefix of the word as typed or of its stem; words hold only letters and digits.
    prefix = " & ".join(f"{word}:*" for word in words)
    prefixes = [func.to_tsquery(literal_column(f"'{c}'"), prefix) for c in _PG_CONFIGS]
    combined: ColumnElement[Any] = stems[0]
    for part in (*stems[1:], *prefixes):
        combined = combined.op("||")(part)
    return combined


def pg_match(words: Sequence[str]) -> ColumnElement[bool]:
    """PostgreSQL's condition for *words*, in the form the GIN index answers."""
    vector: ColumnElement[Any] = literal_column(_PG_VECTOR)
    return vector.bool_op("@@")(_pg_query(words))


def ranked_query(
    dialect: str, forum_id: int, words: Sequence[str], *, year: int | None = None
) -> Select[Any] | None:
    """The index query of *words* for a backend: (Contribution, rank) rows, best first.

    None for a backend without a full-text index here (only the scan inside texts answers).
    Public so a test can ask PostgreSQL to EXPLAIN exactly this statement.
    """
    if dialect == "postgresql":
        vector: ColumnElement[Any] = literal_column(_PG_VECTOR)
        rank = func.ts_rank(vector, _pg_query(words))
        query = select(Contribution, rank).where(Contribution.forum_id == forum_id, pg_match(words))
        order = rank.desc()
    elif dialect == "sqlite":
        match = " ".join(f'"{word}"*' for word in words)
        # bm25 is lower for a better match: negated, so a higher rank is better everywhere.
        score: ColumnElement[float] = literal_column("bm25(contributions_fts)", Float())
        query = (
            select(Contribution, -score)
            .join(_FTS, _FTS.c.rowid == Contribution.id)
            .where(
                Contribution.forum_id == forum_id,
                literal_column("contributions_fts").op("MATCH")(match),
            )
        )
        order = score.asc()
    else:
        return None
    return _in_year(query, year).order_by(
        order, Contribution.created_at.desc(), Contribution.id.desc()
    )


def _ranked(
    session: Session, forum_id: int, words: Sequence[str], year: int | None, limit: int
) -> list[Found]:
    query = ranked_query(session.get_bind().dialect.name, forum_id, words, year=year)
    if query is None:
        return []
    return [_found(row, float(rank or 0.0)) for row, rank in session.execute(query.limit(limit))]


def _inside(
    session: Session,
    forum_id: int,
    words: Sequence[str],
    year: int | None,
    limit: int,
    skip: Iterable[int],
) -> list[Found]:
    """Examples with every word somewhere in their text (compounds), newest first."""
    if any(len(word) < MIN_INFIX_CHARS for word in words) or limit <= 0:
        return []
    lowered = func.lower(Contribution.text)
    skipped = list(skip)
    query = select(Contribution).where(
        Contribution.forum_id == forum_id,
        and_(*(lowered.contains(word, autoescape=True) for word in words)),
    )
    if skipped:
        query = query.where(Contribution.id.not_in(skipped))
    query = _in_year(query, year).order_by(Contribution.created_at.desc(), Contribution.id.desc())
    return [_found(row) for row in session.scalars(query.limit(limit))]


def search(
    session: Session,
    forum_id: int,
    query: str,
    *,
    year: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[Found]:
    """A forum's examples that match *query*, best first; [] for a query without words."""
    words = terms(query)
    if not words or limit <= 0:
        return []
    found = _ranked(session, forum_id, words, year, limit)
    if len(found) < limit:
        seen = [item.id for item in found]
        found += _inside(session, forum_id, words, year, limit - len(found), seen)
    if len(found) < limit:
        seen = [item.id for item in found]
        found += _trend_titles(session, forum_id, words, year, limit - len(found), seen)
    return found


def _trend_titles(
    session: Session,
    forum_id: int,
    words: Sequence[str],
    year: int | None,
    limit: int,
    skip: Iterable[int],
) -> list[Found]:
    """Trends whose link title has every word (the index holds only the comment), newest first."""
    lowered = func.lower(func.coalesce(Contribution.url_title, ""))
    query = select(Contribution).where(
        Contribution.forum_id == forum_id,
        Contribution.kind == "trend",
        Contribution.id.not_in(list(skip)),
        and_(*(lowered.contains(word, autoescape=True) for word in words)),
    )
    query = _in_year(query, year).order_by(Contribution.created_at.desc(), Contribution.id.desc())
    return [_found(row) for row in session.scalars(query.limit(limit))]


def examples(
    session: Session,
    forum_id: int,
    *,
    year: int | None = None,
    theme_key: str | None = None,
    limit: int | None = None,
) -> list[Found]:
    """A forum's examples, newest first, optionally of one year and of one theme key."""
    query = select(Contribution).where(Contribution.forum_id == forum_id)
    if theme_key is not None:
        query = query.where(Contribution.theme_key == theme_key)
    query = _in_year(query, year).order_by(Contribution.created_at.desc(), Contribution.id.desc())
    if limit is not None:
        query = query.limit(max(limit, 0))
    return [_found(row) for row in session.scalars(query)]


def years(session: Session, forum_id: int) -> list[int]:
    """The years a forum has examples of (by theme period), newest first."""
    periods = session.scalars(
        select(func.substr(Contribution.period, 1, 4))
        .where(Contribution.forum_id == forum_id)
        .distinct()
    )
    return sorted({int(period) for period in periods if period and period.isdigit()}, reverse=True)


def themes(session: Session, forum_id: int) -> list[tuple[str, Bilingual]]:
    """The theme keys a forum has examples of, with their latest title, in month order."""
    rows = session.execute(
        select(
            Contribution.theme_key,
            Contribution.theme_title_sv,
            Contribution.theme_title_en,
            Contribution.period,
        )
        .where(Contribution.forum_id == forum_id, Contribution.theme_key.is_not(None))
        .group_by(
            Contribution.theme_key,
            Contribution.theme_title_sv,
            Contribution.theme_title_en,
            Contribution.period,
        )
        .order_by(Contribution.period)
    )
    latest: dict[str, tuple[Bilingual, int]] = {}
    for key, title_sv, title_en, period in rows:
        if key is None:  # filtered out above; for the type checker
            continue
        # Ordered by period: a later period's title (a theme renamed) replaces an earlier one.
        latest[key] = (Bilingual(title_sv or key, title_en or title_sv or key), int(period[5:7]))
    ordered = sorted(latest.items(), key=lambda item: (item[1][1], item[1][0].sv.casefold()))
    return [(key, title) for key, (title, _) in ordered]
