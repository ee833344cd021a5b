"""A person's own data: everything stored about them, exportable and erasable by them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.services import audit
from bot.storage.models import Contribution, Forum, Organiser, Subscription, UserPreference


def collect(session: Session, platform: str, workspace_id: str, user_id: str) -> dict[str, Any]:
    """Everything stored about a person, as JSON-ready data."""
    contributions = session.scalars(
        select(Contribution)
        .where(
            Contribution.platform == platform,
            Contribution.workspace_id == workspace_id,
            Contribution.author_id == user_id,
        )
        .order_by(Contribution.created_at)
    )
    subs = session.execute(
        select(Forum.channel_id, Subscription.created_at)
        .join(Forum, Forum.id == Subscription.forum_id)
        .where(
            Forum.platform == platform,
            Forum.workspace_id == workspace_id,
            Subscription.user_id == user_id,
        )
    )
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
                "period": c.period,
                "theme": c.theme_title_sv,
                "text": c.text,
                "source": c.source,
                "anonymous": c.anonymous,
                "created_at": c.created_at.isoformat(),
                "edited_at": c.edited_at.isoformat() if c.edited_at else None,
                "permalink": c.permalink,
                "author_name": c.author_name,
            }
            for c in contributions
        ],
        "subscriptions": [
            {"channel_id": channel, "since": since.isoformat()} for channel, since in subs
        ],
        "preferences": {"language": pref.language if pref else None},
        "organiser_of": sorted(roles),
    }


def as_json(data: dict[str, Any]) -> str:
    """The export as indented JSON."""
    return json.dumps(data, ensure_ascii=False, indent=2)


def as_text(data: dict[str, Any]) -> str:
    """The export as readable text."""
    lines = [f"Ledarforum — {data['user']['user_id']}", ""]
    for item in data["contributions"]:
        lines.append(f"[{item['created_at']}] {item['theme'] or item['period']}")
        lines.append(item["text"])
        lines.append("")
    lines.append("subscriptions: " + ", ".join(s["channel_id"] for s in data["subscriptions"]))
    lines.append(f"language: {data['preferences']['language'] or '-'}")
    return "\n".join(lines)


def forget(session: Session, platform: str, workspace_id: str, user_id: str) -> dict[str, int]:
    """Erase a person's contributions, subscriptions and preferences; counts of what went."""
    forum_ids = select(Forum.id).where(
        Forum.platform == platform, Forum.workspace_id == workspace_id
    )
    removed = {
        "contributions": _count(
            session.execute(
                delete(Contribution).where(
                    Contribution.platform == platform,
                    Contribution.workspace_id == workspace_id,
                    Contribution.author_id == user_id,
                )
            )
        ),
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
    # The audit log keeps only that an erasure happened and how much, never who.
    audit.record(session, actor="privacy", action="user.forget", target="-", after=removed)
    return removed


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
