"""A person's own data: everything stored about them, exportable and erasable by them.

:func:`forget` erases a person's text and ids from every table that can hold them, the stored
inbound payloads (of any status) and the audit log's before/after values included. What stays
after it (organiser roles and the audit entries of admin actions, for accountability) is listed
in docs/privacy.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, delete, select, update
from sqlalchemy.orm import Session

from bot.domain import Language
from bot.i18n import date_time, month_year, t
from bot.services import audit, logbook, review
from bot.services.inbox import payloads as inbox_payloads
from bot.storage.models import (
    AuditEntry,
    Contribution,
    DigestDelivery,
    Forum,
    Organiser,
    Subscription,
    UserPreference,
)
from bot.timing import Period

# Shorter texts are only erased where a value is exactly the text: "ok" must not be cut out of
# everyone else's words.
_MIN_QUOTED = 12
ERASED = "[erased]"
_BATCH = 500


def _examples(
    session: Session, platform: str, workspace_id: str, *where: ColumnElement[bool]
) -> Sequence[Row[Contribution, Forum]]:
    """A workspace's good examples matching *where*, each with its forum, oldest first."""
    return session.execute(
        select(Contribution, Forum)
        .join(Forum, Forum.id == Contribution.forum_id)
        .where(Contribution.platform == platform, Contribution.workspace_id == workspace_id, *where)
        .order_by(Contribution.created_at, Contribution.id)
    ).all()


def collect(session: Session, platform: str, workspace_id: str, user_id: str) -> dict[str, Any]:
    """Everything stored about a person, as JSON-ready data (times in each forum's zone)."""
    rows = _examples(session, platform, workspace_id, Contribution.author_id == user_id)
    saved = _examples(
        session,
        platform,
        workspace_id,
        Contribution.saved_by_id == user_id,
        Contribution.author_id != user_id,
    )
    subs = session.execute(
        select(Subscription, Forum)
        .join(Forum, Forum.id == Subscription.forum_id)
        .where(
            Forum.platform == platform,
            Forum.workspace_id == workspace_id,
            Subscription.user_id == user_id,
        )
        .order_by(Subscription.created_at)
    ).all()
    pref = session.scalars(
        select(UserPreference).where(
            UserPreference.platform == platform,
            UserPreference.workspace_id == workspace_id,
            UserPreference.user_id == user_id,
        )
    ).first()
    roles = session.scalars(
        select(Organiser.scope).where(
            Organiser.platform == platform,
            Organiser.workspace_id == workspace_id,
            Organiser.user_id == user_id,
        )
    )
    return {
        "user": {"platform": platform, "workspace_id": workspace_id, "user_id": user_id},
        "contributions": [
            {
                "id": c.id,
                "forum_id": c.forum_id,
                "forum": _forum_name(forum),
                "period": c.period,
                "theme_sv": c.theme_title_sv,
                "theme_en": c.theme_title_en,
                "text": c.text,
                "source": c.source,
                "anonymous": c.anonymous,
                "created_at": _local(c.created_at, forum),
                "edited_at": _local(c.edited_at, forum) if c.edited_at else None,
                "permalink": c.permalink,
                "author_name": c.author_name,
            }
            for c, forum in rows
        ],
        "saved_for_others": [
            {
                "id": c.id,
                "forum": _forum_name(forum),
                "author_name": c.author_name,
                "created_at": _local(c.created_at, forum),
            }
            for c, forum in saved
        ],
        "subscriptions": [
            {
                "forum": _forum_name(forum),
                "channel_id": forum.channel_id,
                "since": _local(sub.created_at, forum),
            }
            for sub, forum in subs
        ],
        "preferences": {
            "language": pref.language if pref else None,
            "logbook_prompts": bool(pref and pref.logbook_prompts),
        },
        "organiser_of": sorted(roles),
        # The private logbook: only here, in the writer's own export (bot.services.logbook).
        "logbook": logbook.export(session, platform, workspace_id, user_id),
    }


def _forum_name(forum: Forum) -> str:
    return forum.name or forum.channel_id


def _local(moment: datetime, forum: Forum) -> str:
    """ISO 8601 with the forum's offset: machine-readable, and the same clock the person saw."""
    return moment.astimezone(ZoneInfo(forum.timezone)).isoformat(timespec="minutes")


def as_json(data: dict[str, Any], lang: Language) -> str:
    """The export as indented JSON: stable keys, readable values in the reader's language."""
    shown = {
        "title": t(lang, "data.title"),
        "language": lang,
        "user": data["user"],
        "contributions": [
            {
                "id": item["id"],
                "forum": item["forum"],
                "period": item["period"],
                "theme": _theme(item, lang),
                "text": item["text"],
                "source": _source(item["source"], lang),
                "anonymous": item["anonymous"],
                "created_at": item["created_at"],
                "edited_at": item["edited_at"],
                "permalink": item["permalink"],
                "author_name": item["author_name"],
            }
            for item in data["contributions"]
        ],
        "saved_for_others": data["saved_for_others"],
        "subscriptions": data["subscriptions"],
        "preferences": data["preferences"],
        "organiser_of": data["organiser_of"],
        "logbook": [
            {
                "id": item["id"],
                "period": item["period"],
                "theme": _theme(item, lang),
                "text": item["text"],
                "created_at": item["created_at"],
                "shared_contribution_id": item["shared_contribution_id"],
            }
            for item in data.get("logbook", [])
        ],
    }
    return json.dumps(shown, ensure_ascii=False, indent=2) + "\n"


def as_text(data: dict[str, Any], lang: Language) -> str:
    """The export as readable text in the reader's language, every moment in local time."""
    user = data["user"]
    platform = t(lang, f"data.platform.{user['platform']}")
    lines = [
        t(lang, "data.title"),
        t(lang, "data.text.person", user=user["user_id"], platform=platform),
    ]
    items = data["contributions"]
    lines += ["", t(lang, "data.text.contributions", count=len(items))]
    year = 0
    for item in items:
        lines.append("")
        # The moments name no year (date_time); a heading per year keeps a long history clear.
        if (made := datetime.fromisoformat(item["created_at"])).year != year:
            year = made.year
            lines += [str(year), ""]
        lines.append(
            t(
                lang,
                "data.text.item",
                when=_when(item["created_at"], lang),
                forum=item["forum"],
                theme=_theme(item, lang),
            )
        )
        notes = [_source(item["source"], lang)]
        if item["anonymous"]:
            notes.append(t(lang, "data.text.anonymous"))
        if item["edited_at"]:
            notes.append(t(lang, "data.text.edited", when=_when(item["edited_at"], lang)))
        lines.append("  " + "; ".join(notes))
        lines += ["  " + line for line in item["text"].splitlines() or [""]]
        if item["permalink"]:
            lines.append("  " + item["permalink"])
    if data["saved_for_others"]:
        lines += ["", t(lang, "data.text.saved", count=len(data["saved_for_others"]))]
        for item in data["saved_for_others"]:
            when = _when(item["created_at"], lang)
            lines.append(f"- {when}, {item['forum']}: {item['author_name']}")
    lines.append("")
    subs = [
        t(lang, "data.text.subscription", forum=s["forum"], when=_when(s["since"], lang))
        for s in data["subscriptions"]
    ]
    lines.append(t(lang, "data.text.subscriptions", items="; ".join(subs) or t(lang, "data.none")))
    chosen = data["preferences"]["language"]
    language = t(lang, f"data.language.{chosen}") if chosen else t(lang, "data.text.no_choice")
    lines.append(t(lang, "data.text.language", language=language))
    roles = [
        t(lang, "data.text.every_forum")
        if scope == "*"
        else f"{t(lang, 'data.text.forum')} {scope}"
        for scope in data["organiser_of"]
    ]
    lines.append(t(lang, "data.text.organiser", forums=", ".join(roles) or t(lang, "data.none")))
    entries = data.get("logbook", [])
    prompts = data["preferences"].get("logbook_prompts")
    lines += ["", t(lang, "logbook.data.header", count=len(entries))]
    lines.append(t(lang, "logbook.data.prompts_on" if prompts else "logbook.data.prompts_off"))
    for entry in entries:
        lines += ["", f"{_when(entry['created_at'], lang)} · {_theme(entry, lang)}"]
        lines += ["  " + line for line in entry["text"].splitlines() or [""]]
    return "\n".join(lines) + "\n"


def _when(iso: str, lang: Language) -> str:
    return date_time(lang, datetime.fromisoformat(iso))


def _theme(item: dict[str, Any], lang: Language) -> str:
    title = item["theme_sv"] if lang == "sv" else item["theme_en"]
    period = Period.parse(item["period"])
    month = month_year(lang, period.year, period.month)
    return f"{title} ({month})" if title else t(lang, "data.text.no_theme", month=month)


def _source(kind: str, lang: Language) -> str:
    return t(lang, f"data.source.{kind}")


# -- erasure ----------------------------------------------------------------------------------


def forget(session: Session, platform: str, workspace_id: str, user_id: str) -> dict[str, int]:
    """Erase everything a person wrote and every trace of their id; counts of what went."""
    mine = (
        Contribution.platform == platform,
        Contribution.workspace_id == workspace_id,
        Contribution.author_id == user_id,
    )
    texts = set(session.scalars(select(Contribution.text).where(*mine)))
    # Logbook texts may be in stored inbound payloads too (a slash command's text).
    texts |= logbook.texts(session, platform, workspace_id, user_id)
    forum_ids = select(Forum.id).where(
        Forum.platform == platform, Forum.workspace_id == workspace_id
    )
    review.forget(session, platform, workspace_id, user_id)  # their reactions on examples
    removed = {
        "contributions": _count(session.execute(delete(Contribution).where(*mine))),
        "logbook_entries": logbook.erase(session, platform, workspace_id, user_id),
        "subscriptions": _count(
            session.execute(
                delete(Subscription).where(
                    Subscription.user_id == user_id, Subscription.forum_id.in_(forum_ids)
                )
            )
        ),
        "preferences": _count(
            session.execute(
                delete(UserPreference).where(
                    UserPreference.platform == platform,
                    UserPreference.workspace_id == workspace_id,
                    UserPreference.user_id == user_id,
                )
            )
        ),
    }
    # Examples they saved for someone else stay the author's; only the saver's name goes.
    session.execute(
        update(Contribution)
        .where(
            Contribution.platform == platform,
            Contribution.workspace_id == workspace_id,
            Contribution.saved_by_id == user_id,
        )
        .values(saved_by_id=None, saved_by_name=None)
    )
    session.execute(
        delete(DigestDelivery).where(
            DigestDelivery.user_id == user_id, DigestDelivery.forum_id.in_(forum_ids)
        )
    )
    removed["inbound_events"] = inbox_payloads.forget(
        session, platform, workspace_id, user_id, lambda payload: _erase(payload, user_id, texts)
    )
    _redact_audit(session, user_id, texts)
    # The audit log keeps only that an erasure happened and how much, never who.
    audit.record(session, actor="privacy", action="user.forget", target="-", after=removed)
    return removed


def _redact_audit(session: Session, user_id: str, texts: set[str]) -> None:
    """Erase the person's text and id from audit values; who did an admin action stays."""
    rows = session.execute(select(AuditEntry.id, AuditEntry.before, AuditEntry.after)).yield_per(
        _BATCH
    )
    edited: dict[int, tuple[Any, Any]] = {}
    for row_id, before, after in rows:
        new_before, new_after = _erase(before, user_id, texts), _erase(after, user_id, texts)
        if (new_before, new_after) != (before, after):
            edited[row_id] = (new_before, new_after)
    for row_id, (before, after) in edited.items():
        session.execute(
            update(AuditEntry).where(AuditEntry.id == row_id).values(before=before, after=after)
        )


def _erase(value: Any, user_id: str, texts: set[str]) -> Any:
    """*value* with the person's id and text replaced by :data:`ERASED` wherever they occur."""
    if isinstance(value, dict):
        return {key: _erase(item, user_id, texts) for key, item in value.items()}
    if isinstance(value, list):
        return [_erase(item, user_id, texts) for item in value]
    if not isinstance(value, str):
        return value
    if value in texts:
        return ERASED
    for text in texts:
        if len(text) >= _MIN_QUOTED and text in value:
            value = value.replace(text, ERASED)
    if user_id not in value:
        return value
    # Whole ids only: erasing "U1" must leave "U12" alone.
    return re.sub(rf"(?<![A-Za-z0-9]){re.escape(user_id)}(?![A-Za-z0-9])", ERASED, value)


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
