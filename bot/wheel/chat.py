"""Where chat platforms fetch the year wheel: the public ``/wheel/{token}.png`` of the web pages.

The address carries the forum's calendar-feed token (:mod:`bot.services.calendar_feed`), so a
chat card can show the picture without a session, and renewing the token withdraws it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain import CycleDocument, ForumInfo, Language
from bot.i18n import t
from bot.messages import PictureFile
from bot.services import calendar_feed


def reachable(public_url: str) -> bool:
    """Whether the picture can be fetched from *public_url*: Slack's and Microsoft's servers
    cannot reach the default ``localhost`` address, and the console forum runs no web server."""
    host = (urlsplit(public_url).hostname or "").lower()
    return host not in {"localhost", "127.0.0.1", "::1"} and not host.endswith(".localhost")


def wheel_url(public_url: str, token: str, lang: Language) -> str:
    """The public PNG of a forum's wheel by its feed token."""
    return f"{public_url.rstrip('/')}/wheel/{token}.png?lang={lang}"


def picture_url(
    session: Session, public_url: str | None, forum: ForumInfo, lang: Language, *, actor: str
) -> str | None:
    """The wheel's public URL for *forum*'s chat, or None when the platform cannot fetch it."""
    if not public_url or not reachable(public_url):
        return None
    token = calendar_feed.feed_token(session, forum.id, actor=actor)
    return wheel_url(public_url, token, lang)


def picture_file(
    doc: CycleDocument,
    forum: ForumInfo,
    lang: Language,
    now: datetime,
    meetings: Iterable[date] = (),
) -> PictureFile:
    """The wheel of this year in the forum's zone, today and the *meetings* marked, as a PNG."""
    from bot.wheel.png import wheel_png  # drawing loads Pillow and the fonts: only when asked

    today = now.astimezone(ZoneInfo(forum.timezone)).date()
    return PictureFile(
        filename=t(lang, "wheel.chat.file", year=today.year),
        data=wheel_png(doc, lang, year=today.year, today=today, meetings=meetings),
        title=t(lang, "wheel.chat.alt", year=today.year),
    )
