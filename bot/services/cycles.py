"""Yearly cycles in the database, and "which theme is current for this forum at this moment".

Which cycle a forum shows for a calendar year, most specific first: the forum's cycle for that
year (``forum:{id}@{year}``, made by copying a year forward or by a year's upload), the forum's
own cycle (``forum:{id}``), then the shared default. The theme of period ``YYYY-MM`` comes from
the cycle shown for ``YYYY``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from bot.domain import Bilingual, CycleDocument, ForumInfo, Language, Link, ThemeContent
from bot.i18n import t
from bot.services import audit
from bot.services.forums import moments
from bot.services.sql import insert_ignore
from bot.storage.models import Cycle, Forum, Theme
from bot.timing import Period, period_at, utcnow

DEFAULT_KEY = "default"
_CACHE_SIZE = 256


def forum_key(forum_id: int) -> str:
    """The cycle key of a forum's own cycle."""
    return f"forum:{forum_id}"


def year_key(forum_id: int, year: int) -> str:
    """The cycle key of a forum's cycle for one calendar year."""
    return f"forum:{forum_id}@{year}"


def year_of(key: str) -> int | None:
    """The year of a ``forum:{id}@{year}`` key; None for any other key."""
    _, at, year = key.partition("@")
    return int(year) if at and year.isdigit() else None


def _forum_id_of(key: str) -> int | None:
    """The forum a ``forum:{id}`` or ``forum:{id}@{year}`` key belongs to; None for the default."""
    if not key.startswith("forum:"):
        return None
    number = key.removeprefix("forum:").partition("@")[0]
    return int(number) if number.isdigit() else None


class CycleError(Exception):
    """A cycle change refused; :meth:`message` says why in the reader's language."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(t("en", key, **params))

    def message(self, lang: Language) -> str:
        """Why, in *lang*."""
        return t(lang, self.key, **self.params)


def theme_to_row(theme: ThemeContent) -> dict[str, Any]:
    """Column values of a theme."""
    return {
        "month": theme.month,
        "title_sv": theme.title.sv,
        "title_en": theme.title.en,
        "why_now_sv": theme.why_now.sv,
        "why_now_en": theme.why_now.en,
        "questions": [{"sv": q.sv, "en": q.en} for q in theme.questions],
        "delivery_sv": theme.delivery.sv if theme.delivery else None,
        "delivery_en": theme.delivery.en if theme.delivery else None,
        "links": [
            {"title": {"sv": link.title.sv, "en": link.title.en}, "url": link.url}
            for link in theme.links
        ],
        # Only a key given by an organiser is stored; None means "the slug of the title".
        "key": theme.explicit_key,
        "follows": list(theme.follows) or None,
    }


def theme_from_row(row: Theme) -> ThemeContent:
    """The domain theme of a row."""
    delivery = None
    if row.delivery_sv or row.delivery_en:
        delivery = Bilingual(row.delivery_sv or "", row.delivery_en or "")
    return ThemeContent(
        month=row.month,
        title=Bilingual(row.title_sv, row.title_en),
        why_now=Bilingual(row.why_now_sv, row.why_now_en),
        questions=tuple(Bilingual(q.get("sv", ""), q.get("en", "")) for q in row.questions),
        delivery=delivery,
        links=tuple(
            Link(Bilingual(link["title"]["sv"], link["title"]["en"]), link["url"])
            for link in row.links
        ),
        explicit_key=row.key,
        follows=tuple(row.follows or ()),
    )


def document_snapshot(doc: CycleDocument) -> dict[str, Any]:
    """A JSON-ready picture of a cycle, for the audit log."""
    return {"name": doc.name, "themes": {m: theme_to_row(t) for m, t in sorted(doc.themes.items())}}


def _cycle_row(session: Session, key: str) -> Cycle | None:
    return session.scalars(select(Cycle).where(Cycle.key == key)).first()


def _to_document(row: Cycle) -> CycleDocument:
    return CycleDocument(name=row.name, themes={t.month: theme_from_row(t) for t in row.themes})


def load(session: Session, key: str) -> CycleDocument | None:
    """The cycle stored under *key*."""
    row = _cycle_row(session, key)
    return _to_document(row) if row else None


def ensure_default(session: Session, doc: CycleDocument) -> bool:
    """Store *doc* as the default cycle unless one exists; True when it was stored now."""
    if not insert_ignore(
        session, Cycle, {"key": DEFAULT_KEY, "name": doc.name, "updated_at": utcnow()}, ["key"]
    ):
        return False
    row = _cycle_row(session, DEFAULT_KEY)
    assert row is not None
    for theme in doc.themes.values():
        session.add(Theme(cycle_id=row.id, **theme_to_row(theme)))
    session.flush()
    return True


def replace(session: Session, key: str, doc: CycleDocument, *, actor: str) -> None:
    """Replace a whole cycle in the caller's transaction (atomic: all of it or nothing)."""
    _store(session, key, doc, actor=actor, action="cycle.replace")


def _store(
    session: Session,
    key: str,
    doc: CycleDocument,
    *,
    actor: str,
    action: str,
    source: str | None = None,
) -> None:
    row = _cycle_row(session, key)
    before: Any = document_snapshot(_to_document(row)) if row else None
    if source is not None:
        before = {"from": source, "replaced": before}
    if row is None:
        row = Cycle(key=key, name=doc.name)
        session.add(row)
    row.name = doc.name
    row.updated_at = utcnow()
    row.themes.clear()
    session.flush()
    for theme in sorted(doc.themes.values(), key=lambda item: item.month):
        row.themes.append(Theme(**theme_to_row(theme)))
    forum_id = _forum_id_of(key)
    # Forum.cycle_id names the forum's own cycle; a year's cycle is found by its key.
    if forum_id is not None and key == forum_key(forum_id):
        forum = session.get(Forum, forum_id)
        if forum is not None:
            forum.cycle_id = row.id
    audit.record(
        session,
        actor=actor,
        action=action,
        target=key,
        before=before,
        after=document_snapshot(doc),
        forum_id=forum_id,
    )
    session.flush()


_Row = tuple[str, int, datetime, str]  # key, id, updated_at, name


def _shown(session: Session, forum: ForumInfo, year: int | None) -> _Row | None:
    """The cycle a forum shows for *year*, in one query.

    A forum's cycle for a year holds from that year on, until a later year has its own: the
    latest one at or before *year*; else the forum's own cycle; else the default. Without
    *year*: its own or the default.
    """
    general = (forum_key(forum.id), DEFAULT_KEY)
    wanted: ColumnElement[bool] = Cycle.key.in_(general)
    if year is not None:
        wanted = or_(wanted, Cycle.key.like(f"forum:{forum.id}@%"))
    rows: list[_Row] = [
        (key, row_id, updated_at, name)
        for key, row_id, updated_at, name in session.execute(
            select(Cycle.key, Cycle.id, Cycle.updated_at, Cycle.name).where(wanted)
        )
    ]
    if year is not None:
        years = [(found, row) for row in rows if (found := year_of(row[0])) is not None]
        earlier = [(found, row) for found, row in years if found <= year]
        if earlier:
            return max(earlier)[1]
    by_key = {row[0]: row for row in rows}
    return next((by_key[key] for key in general if key in by_key), None)


def key_for(session: Session, forum: ForumInfo, year: int | None = None) -> str:
    """The key of the cycle a forum shows for *year* (see :func:`_shown`)."""
    shown = _shown(session, forum, year)
    return shown[0] if shown else DEFAULT_KEY


def cycle_stamp(stamps: Mapping[str, datetime], forum_id: int, years: range) -> datetime | None:
    """When anything a forum shows in *years* last changed, from ``{key: updated_at}``.

    A year's cycle holds on into later years, so every one up to the last of *years* counts.
    """
    shown = stamps.get(forum_key(forum_id), stamps.get(DEFAULT_KEY))
    prefix = f"forum:{forum_id}@"
    found = [
        stamp
        for key, stamp in stamps.items()
        if key.startswith(prefix) and (year := year_of(key)) is not None and year < years.stop
    ]
    return max((stamp for stamp in (shown, *found) if stamp is not None), default=None)


class _Documents:
    """Cycle documents already read, by (cycle id, ``updated_at``).

    Every change to a cycle's themes goes through this module and moves ``updated_at``, so one
    light query for the key tells whether a cached document is still the stored one; this holds
    across processes, because the key is read from the database each time.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._docs: dict[tuple[int, datetime], CycleDocument] = {}

    def get(self, session: Session, row_id: int, updated_at: datetime, name: str) -> CycleDocument:
        key = (row_id, updated_at)
        with self._lock:
            doc = self._docs.get(key)
        if doc is None:
            themes = session.scalars(
                select(Theme).where(Theme.cycle_id == row_id).order_by(Theme.month)
            )
            doc = CycleDocument(name=name, themes={t.month: theme_from_row(t) for t in themes})
            with self._lock:
                if len(self._docs) >= _CACHE_SIZE:
                    self._docs.clear()
                self._docs[key] = doc
        # A copy of the mapping: a caller changing it must not change what others read.
        return CycleDocument(name=doc.name, themes=dict(doc.themes))


_documents = _Documents()


def for_forum(session: Session, forum: ForumInfo, year: int | None = None) -> CycleDocument:
    """The cycle a forum shows for calendar *year* (an empty one if nothing was ever stored).

    See :func:`_shown` for which one. Read on every reply and command, so it costs one small
    query when the cycle is unchanged.
    """
    chosen = _shown(session, forum, year)
    if chosen is None:
        return CycleDocument(name="")
    _, row_id, updated_at, name = chosen
    return _documents.get(session, row_id, updated_at, name)


def theme_at(session: Session, forum: ForumInfo, period: Period) -> ThemeContent | None:
    """The theme of *period* for *forum* (from the cycle it shows for the period's year)."""
    return for_forum(session, forum, period.year).theme_for(period.month)


def has_year(session: Session, forum: ForumInfo, year: int) -> bool:
    """True when *forum* has a cycle of its own for calendar *year*."""
    return _cycle_row(session, year_key(forum.id, year)) is not None


def copy_to_next_year(
    session: Session, forum: ForumInfo, year: int, *, actor: str, replace: bool = False
) -> CycleDocument:
    """Copy what *forum* shows for *year* into its cycle for ``year + 1``, audit-logged.

    Refused with :class:`CycleError` when the next year already has its own cycle, unless
    *replace*: an organiser's plan for that year is not overwritten by accident.
    """
    target = year_key(forum.id, year + 1)
    if not replace and _cycle_row(session, target) is not None:
        raise CycleError("editor.error.year_exists", year=year + 1)
    source = key_for(session, forum, year)
    doc = for_forum(session, forum, year)
    _store(session, target, doc, actor=actor, action="cycle.copy_year", source=source)
    return doc


@dataclass(frozen=True)
class EditTarget:
    """The cycle an edit from a forum changes, as the theme form names it."""

    key: str
    shared: bool  # the shared default cycle, followed by every forum without its own
    exists: bool  # False: the forum's own cycle is made, as a copy of the default, on saving
    followers: int  # how many active forums follow this cycle (the forum itself, once it is own)


def followers(session: Session, key: str) -> int:
    """How many active forums follow the cycle *key* (a forum follows its own, else the default).

    A forum's cycle for one year counts as followed by that forum.
    """
    active = set(session.scalars(select(Forum.id).where(Forum.active.is_(True))))
    if key != DEFAULT_KEY:
        return int(_forum_id_of(key) in active)
    own = set(session.scalars(select(Cycle.key).where(Cycle.key.like("forum:%"))))
    return sum(1 for forum_id in active if forum_key(forum_id) not in own)


def _year_of_its_own(session: Session, forum: ForumInfo, year: int, this_year: int | None) -> bool:
    """True when an edit of *year* must go to a cycle of that year's own (made on saving).

    A later year than this one gets its own, so this year's posts stay as they are; so does a
    year that shows an earlier year's cycle, so that earlier year stays as it was.
    """
    if this_year is not None and year > this_year:
        return True
    return year_of(key_for(session, forum, year)) is not None


def edit_target(
    session: Session,
    forum: ForumInfo,
    *,
    shared: bool,
    year: int | None = None,
    this_year: int | None = None,
) -> EditTarget:
    """The cycle an edit from *forum* changes: the shared default; the forum's cycle for *year*
    (made on saving when a later year than *this_year*, or a year showing an earlier year's
    cycle, has none yet); else the forum's own.

    A forum's own cycle counts as followed by the forum even before its first edit makes it.
    """
    if not shared and year is not None:
        exists = has_year(session, forum, year)
        if exists or _year_of_its_own(session, forum, year, this_year):
            return EditTarget(year_key(forum.id, year), False, exists, 1)
    key = DEFAULT_KEY if shared else forum_key(forum.id)
    exists = _cycle_row(session, key) is not None
    count = followers(session, key) if shared else 1
    return EditTarget(key, shared, exists, count)


def _own_cycle(session: Session, forum: ForumInfo, *, actor: str) -> Cycle:
    """The forum's own cycle row; on first use a copy of the default (copy-on-write).

    The row is inserted unless it exists, so two first edits at once make one copy.
    """
    key = forum_key(forum.id)
    base = _cycle_row(session, DEFAULT_KEY)
    name = base.name if base else ""
    if insert_ignore(session, Cycle, {"key": key, "name": name, "updated_at": utcnow()}, ["key"]):
        row = _cycle_row(session, key)
        assert row is not None
        for theme in base.themes if base else ():
            row.themes.append(Theme(**theme_to_row(theme_from_row(theme))))
        stored = session.get(Forum, forum.id)
        if stored is not None:
            stored.cycle_id = row.id
        audit.record(
            session,
            actor=actor,
            action="cycle.copy",
            target=key,
            before={"from": DEFAULT_KEY},
            after=document_snapshot(_to_document(row)),
            forum_id=forum.id,
        )
        session.flush()
    row = _cycle_row(session, key)
    assert row is not None
    return row


def set_theme(
    session: Session,
    forum: ForumInfo,
    theme: ThemeContent | None,
    month: int,
    *,
    actor: str,
    shared: bool = False,
    year: int | None = None,
    this_year: int | None = None,
) -> EditTarget:
    """Change one month's theme (None: no theme that month), audit-logged; the cycle changed.

    An edit from a forum changes that forum's cycle for *year* (see :func:`edit_target`: a year
    after *this_year* gets one of its own on its first edit, copied from what it showed);
    otherwise the forum's own cycle, made as a copy of the default on the first edit, so no
    other forum sees it. ``shared=True`` edits the default cycle that every forum without its
    own follows: callers allow that to configured organisers only. A renamed theme keeps its
    key, so last year's examples on it are still found.
    """
    target = edit_target(session, forum, shared=shared, year=year, this_year=this_year)
    if not shared and year is not None and target.key == year_key(forum.id, year):
        if not target.exists:
            source = key_for(session, forum, year)
            doc = for_forum(session, forum, year)
            _store(session, target.key, doc, actor=actor, action="cycle.copy_year", source=source)
        row: Cycle | None = _cycle_row(session, target.key)
    elif shared:
        row = _cycle_row(session, DEFAULT_KEY)
    else:
        row = _own_cycle(session, forum, actor=actor)
    if row is None:
        row = Cycle(key=DEFAULT_KEY, name="")
        session.add(row)
        session.flush()
    existing = next((t for t in row.themes if t.month == month), None)
    before = theme_to_row(theme_from_row(existing)) if existing else None
    if theme is not None and existing is not None:
        theme = _keeping_key(theme, theme_from_row(existing))
    if existing is not None:
        row.themes.remove(existing)
        session.flush()
    if theme is not None:
        row.themes.append(Theme(**theme_to_row(theme)))
    row.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="theme.update",
        target=f"{row.key}#{month}",
        before=before,
        after=theme_to_row(theme) if theme else None,
        forum_id=forum.id,
    )
    session.flush()
    return edit_target(session, forum, shared=shared, year=year, this_year=this_year)


def _keeping_key(theme: ThemeContent, before: ThemeContent) -> ThemeContent:
    """*theme* with the key it had before, when only its title changed the key it would get."""
    if theme.explicit_key is not None or theme.key == before.key:
        return theme
    return dataclasses.replace(theme, explicit_key=before.key)


def edit_source(
    session: Session, forum: ForumInfo, year: int, this_year: int
) -> tuple[str, int | None]:
    """What an edit of *year* changes, as the editor tells it: ``year`` (its own cycle),
    ``future`` (a later year, which gets its own on saving), ``since`` (it shows the cycle of
    the year given, and gets its own on saving), ``own`` or ``default``."""
    key = key_for(session, forum, year)
    shown = year_of(key)
    if shown == year:
        return "year", year
    if year > this_year:
        return "future", shown
    if shown is not None:
        return "since", shown
    return ("own" if key == forum_key(forum.id) else "default"), None


@dataclass(frozen=True)
class CurrentTheme:
    """The theme period current at a moment and its theme (None: a themeless month)."""

    period: Period
    theme: ThemeContent | None


def current(session: Session, forum: ForumInfo, at: datetime) -> CurrentTheme:
    """Which theme is current for *forum* at *at*, in the forum's own time zone."""
    period = period_at(at, moments(forum))
    return CurrentTheme(period, theme_at(session, forum, period))


def coming_twelve(session: Session, forum: ForumInfo, at: datetime) -> CycleDocument:
    """Each month's theme as it comes next (this month's now, January's next year in December):
    the months a chat edit changes, as the organiser's list shows them."""
    period = period_at(at, moments(forum))
    this, following = for_forum(session, forum, period.year), None
    themes: dict[int, ThemeContent] = {}
    for month in range(1, 13):
        if month >= period.month:
            doc = this
        else:
            following = following or for_forum(session, forum, period.year + 1)
            doc = following
        theme = doc.theme_for(month)
        if theme is not None:
            themes[month] = theme
    return CycleDocument(name=this.name, themes=themes)


def coming_year(forum: ForumInfo, month: int, at: datetime) -> int:
    """The year of *month*'s theme that is current at *at* or comes next (what a chat edit of
    that month changes)."""
    period = period_at(at, moments(forum))
    return period.year if month >= period.month else period.year + 1
