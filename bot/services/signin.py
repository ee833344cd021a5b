"""Signing in to the web pages: the key that signs cookies, one-time links, web identities.

The web key is ``LEDARFORUM_SECRET_KEY`` when set; otherwise one is generated on the first start
and kept in ``app_secrets``, written with "insert unless it exists" and then read back, so two
processes starting together on one database end up with the same key.

A sign-in link carries a random token; only its SHA-256 is stored, so a copy of the database
cannot sign anybody in. Using a link is a compare-and-set on ``used_at``: of two requests racing
with the same link, exactly one signs in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain import Platform
from bot.storage.models import AppSecret, Contribution, SigninLink, WebIdentity

WEB_KEY = "web_secret_key"
LINK_MINUTES = 15


@dataclass(frozen=True)
class Person:
    """Whom a sign-in link signs in."""

    platform: Platform
    workspace_id: str
    user_id: str


def _insert_secret(session: Session, name: str, value: str) -> None:
    dialect = session.get_bind().dialect.name
    table: Any = AppSecret.__table__
    statement: Any = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    session.execute(
        statement.values(name=name, value=value).on_conflict_do_nothing(index_elements=["name"])
    )


def stored_secret(session: Session, name: str = WEB_KEY) -> str:
    """The generated secret *name*: made on first ask, the same for every process after."""
    found = session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    if found:
        return found
    _insert_secret(session, name, secrets.token_urlsafe(48))
    # Another process may have inserted first: whichever row exists now is the key.
    value = session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    assert value is not None
    return value


def secret_key(session: Session, settings: Settings) -> str:
    """The key that signs the site's cookies: the configured one, else the stored one."""
    return settings.secret_key or stored_secret(session)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_link(
    session: Session,
    platform: Platform | str,
    workspace_id: str,
    user_id: str,
    *,
    now: datetime,
    minutes: int = LINK_MINUTES,
) -> str:
    """A new one-time sign-in token for a person, valid *minutes*; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    session.add(
        SigninLink(
            token_hash=_digest(token),
            platform=Platform(platform).value,
            workspace_id=workspace_id,
            user_id=user_id,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    session.flush()
    return token


def peek_link(session: Session, token: str, *, now: datetime) -> Person | None:
    """Whom a still usable link would sign in, without using it (for the confirm page)."""
    row = session.scalar(select(SigninLink).where(SigninLink.token_hash == _digest(token)))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return Person(Platform(row.platform), row.workspace_id, row.user_id)


def use_link(session: Session, token: str, *, now: datetime) -> tuple[str, str, str] | None:
    """Use a link once: (platform, workspace id, user id), or None if unknown, used or expired."""
    digest = _digest(token)
    claimed = session.execute(
        update(SigninLink)
        .where(
            SigninLink.token_hash == digest,
            SigninLink.used_at.is_(None),
            SigninLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    row = session.scalar(select(SigninLink).where(SigninLink.token_hash == digest))
    assert row is not None
    return row.platform, row.workspace_id, row.user_id


def record_identity(
    session: Session,
    platform: Platform,
    workspace_id: str,
    user_id: str,
    signin_id: str,
    name: str = "",
) -> None:
    """Remember that *user_id* (their chat id) signs in to the web as *signin_id*."""
    row = session.scalar(
        select(WebIdentity).where(
            WebIdentity.platform == platform.value,
            WebIdentity.workspace_id == workspace_id,
            WebIdentity.user_id == user_id,
        )
    )
    if row is None:
        session.add(
            WebIdentity(
                platform=platform.value,
                workspace_id=workspace_id,
                user_id=user_id,
                signin_id=signin_id,
                name=name,
            )
        )
    elif row.signin_id != signin_id or (name and row.name != name):
        row.signin_id = signin_id
        row.name = name or row.name
    session.flush()


def user_for_signin(
    session: Session, platform: Platform, workspace_id: str, signin_id: str
) -> str | None:
    """The chat id of the person who signs in as *signin_id*, when one was recorded."""
    return session.scalar(
        select(WebIdentity.user_id)
        .where(
            WebIdentity.platform == platform.value,
            WebIdentity.workspace_id == workspace_id,
            WebIdentity.signin_id == signin_id,
        )
        .order_by(WebIdentity.updated_at.desc())
        .limit(1)
    )


def name_of(session: Session, platform: Platform, workspace_id: str, user_id: str) -> str | None:
    """The name a person last signed in with, else the name their latest good example carries,
    when known (a link knows only the id)."""
    found = session.scalar(
        select(WebIdentity.name).where(
            WebIdentity.platform == platform.value,
            WebIdentity.workspace_id == workspace_id,
            WebIdentity.user_id == user_id,
        )
    )
    if found:
        return found
    written = session.scalar(
        select(Contribution.author_name)
        .where(
            Contribution.platform == platform.value,
            Contribution.workspace_id == workspace_id,
            Contribution.author_id == user_id,
        )
        .order_by(Contribution.recorded_at.desc())
        .limit(1)
    )
    return written if written and written != user_id else None
