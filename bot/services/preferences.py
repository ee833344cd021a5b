"""A person's own choices: the language of private answers."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import Language, is_language
from bot.services.sql import insert_ignore
from bot.storage.models import UserPreference

Person = tuple[str, str, str]  # platform, workspace, user id


def language_of(
    session: Session, platform: str, workspace_id: str, user_id: str
) -> Language | None:
    """The language a person chose, if any."""
    person = (platform, workspace_id, user_id)
    return languages_of(session, {person}).get(person)


def languages_of(session: Session, people: Iterable[Person]) -> dict[Person, Language]:
    """The language each of *people* chose (those who chose one), one query per workspace."""
    by_workspace: dict[tuple[str, str], list[str]] = {}
    for platform, workspace, user in people:
        by_workspace.setdefault((platform, workspace), []).append(user)
    found: dict[Person, Language] = {}
    for (platform, workspace), users in by_workspace.items():
        rows = session.execute(
            select(UserPreference.user_id, UserPreference.language).where(
                UserPreference.platform == platform,
                UserPreference.workspace_id == workspace,
                UserPreference.user_id.in_(users),
            )
        )
        for user, language in rows:
            if language and is_language(language):
                found[platform, workspace, user] = language
    return found


def set_language(
    session: Session, platform: str, workspace_id: str, user_id: str, language: Language
) -> None:
    """Remember a person's language for private answers."""
    keys = {"platform": platform, "workspace_id": workspace_id, "user_id": user_id}
    if not insert_ignore(session, UserPreference, {**keys, "language": language}, list(keys)):
        row = session.scalars(select(UserPreference).filter_by(**keys)).one()
        row.language = language
