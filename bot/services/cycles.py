"""Yearly cycles in the database, and "which theme is current for this forum at this moment"."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import Bilingual, CycleDocument, ForumInfo, Link, ThemeContent
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
    row = _cycle_row(session, key)
    before = document_snapshot(_to_document(row)) if row else None
    if row is None:
        row = Cycle(key=key, name=doc.name)
        session.add(row)
    row.name = doc.name
    row.updated_at = utcnow()
    row.themes.clear()
    session.flush()
    for theme in sorted(doc.themes.values(), key=lambda item: item.month):
        row.themes.append(Theme(**theme_to_row(theme)))
    if key.startswith("forum:"):
        forum = session.get(Forum, int(key.split(":", 1)[1]))
        if forum is not None:
            forum.cycle_id = row.id
    audit.record(
        session,
        actor=actor,
        action="cycle.replace",
        target=key,
        before=before,
        after=document_snapshot(doc),
    )
    session.flush()


def key_for(session: Session, forum: ForumInfo) -> str:
    """The key of the cycle a forum follows: its own if it has one, else the default."""
    own = _cycle_row(session, forum_key(forum.id))
    return own.key if own else DEFAULT_KEY


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


def for_forum(session: Session, forum: ForumInfo) -> CycleDocument:
    """The cycle a forum follows (an empty one if nothing was ever stored).

    Read on every reply and command, so it costs one small query when the cycle is unchanged.
    """
    own, default = forum_key(forum.id), DEFAULT_KEY
    found = {
        key: (row_id, updated_at, name)
        for key, row_id, updated_at, name in session.execute(
            select(Cycle.key, Cycle.id, Cycle.updated_at, Cycle.name).where(
                Cycle.key.in_((own, default))
            )
        )
    }
    chosen = found.get(own) or found.get(default)
    if chosen is None:
        return CycleDocument(name="")
    return _documents.get(session, *chosen)


@dataclass(frozen=True)
class EditTarget:
    """The cycle an edit from a forum changes, as the theme form names it."""

    key: str
    shared: bool  # the shared default cycle, followed by every forum without its own
    exists: bool  # False: the forum's own cycle is made, as a copy of the default, on saving
    followers: int  # how many active forums follow this cycle (the forum itself, once it is own)


def followers(session: Session, key: str) -> int:
    """How many active forums follow the cycle *key* (a forum follows its own, else the default)."""
    active = set(session.scalars(select(Forum.id).where(Forum.active.is_(True))))
    if key != DEFAULT_KEY:
        return int(key.removeprefix("forum:") in {str(forum_id) for forum_id in active})
    own = set(session.scalars(select(Cycle.key).where(Cycle.key.like("forum:%"))))
    return sum(1 for forum_id in active if forum_key(forum_id) not in own)


def edit_target(session: Session, forum: ForumInfo, *, shared: bool) -> EditTarget:
    """The cycle an edit from *forum* changes: the shared default, or the forum's own.

    A forum's own cycle counts as followed by the forum even before its first edit makes it.
    """
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
) -> EditTarget:
    """Change one month's theme (None: no theme that month), audit-logged; the cycle changed.

    An edit from a forum changes that forum's own cycle, made as a copy of the default on the
    first edit, so no other forum sees it. ``shared=True`` edits the default cycle that every
    forum without its own follows: callers allow that to configured organisers only.
    """
    row = _cycle_row(session, DEFAULT_KEY) if shared else _own_cycle(session, forum, actor=actor)
    if row is None:
        row = Cycle(key=DEFAULT_KEY, name="")
        session.add(row)
        session.flush()
    existing = next((t for t in row.themes if t.month == month), None)
    before = theme_to_row(theme_from_row(existing)) if existing else None
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
    return edit_target(session, forum, shared=shared)


@dataclass(frozen=True)
class CurrentTheme:
    """The theme period current at a moment and its theme (None: a themeless month)."""

    period: Period
    theme: ThemeContent | None


def current(session: Session, forum: ForumInfo, at: datetime) -> CurrentTheme:
    """Which theme is current for *forum* at *at*, in the forum's own time zone."""
    period = period_at(at, moments(forum))
    return CurrentTheme(period, for_forum(session, forum).theme_for(period.month))
