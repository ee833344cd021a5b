"""A person's own choices: the language of private answers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import Language, is_language
from bot.services.sql import insert_ignore
from bot.storage.models import UserPreference


def language_of(
    session: Session, platform: str, workspace_id: str, user_id: str
) -> Language | None:
    """The language a person chose, if any."""
    value = session.scalar(
        select(UserPreference.language).where(
            UserPreference.platform == platform,
            UserPreference.workspace_id == workspace_id,
            UserPreference.user_id == user_id,
        )
    )
    return value if value and is_language(value) else None


def set_language(
    session: Session, platform: str, workspace_id: str, user_id: str, language: Language
) -> None:
    """Remember a person's language for private answers."""
    keys = {"platform": platform, "workspace_id": workspace_id, "user_id": user_id}
    if not insert_ignore(session, UserPreference, {**keys, "language": language}, list(keys)):
        row = session.scalars(select(UserPreference).filter_by(**keys)).one()
        row.language = language
