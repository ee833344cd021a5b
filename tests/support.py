"""Test helpers: a controllable clock, a recording poster (a fake of the Poster port), a free
port, a cycle with a theme every month, and a scratch PostgreSQL database."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.cycle_file import dump_cycle_yaml, load_default_cycle
from bot.domain import CycleDocument, ForumInfo
from bot.messages import Element, Entry, Message
from bot.ports import PostRef, RecipientGone
from bot.storage.db import make_engine, upgrade


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def every_month_cycle(path: Path) -> Path:
    """The shipped cycle with a theme in every month, written to *path*: tests pass in July too."""
    doc = load_default_cycle()
    themes = dict(doc.themes)
    for month in range(1, 13):
        themes.setdefault(month, replace(themes[6], month=month))
    path.write_text(dump_cycle_yaml(CycleDocument(doc.name, themes)), encoding="utf-8")
    return path


@contextmanager
def scratch_postgres(server_url: str, prefix: str, *, migrate: bool = True) -> Iterator[str]:
    """A new PostgreSQL database on *server_url*, migrated unless *migrate* is false; dropped
    afterwards, whatever happened.

    Dropping first allows connections again, for a test that refused them.
    """
    admin_url = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    if migrate:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def set(self, now: datetime) -> None:
        """Jump to *now*."""
        with self._lock:
            self.now = now.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move forward by *delta*."""
        with self._lock:
            self.now += delta


@dataclass
class Sent:
    """One recorded post."""

    forum_id: int
    message: Message
    thread_id: str | None
    message_id: str
    user_id: str | None = None


@dataclass
class RecordingPoster:
    """Records posts; can fail on chosen calls, and can claim to have seen a marker."""

    posts: list[Sent] = field(default_factory=list)
    direct: list[Sent] = field(default_factory=list)
    fail_on: set[int] = field(default_factory=set)  # 1-based numbers of post() calls that fail
    split_size: int = 0  # entries per part; 0 = never split
    gone: dict[str, str] = field(default_factory=dict)  # user -> reason DMs fail for good
    down: set[str] = field(default_factory=set)  # users whose DMs fail for now (transient)
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, forum: ForumInfo, message: Message, *, thread_id: str | None = None) -> PostRef:
        with self.lock:
            self.calls += 1
            if self.calls in self.fail_on:
                raise ConnectionError("injected failure")
            ref = PostRef(f"m{len(self.posts) + 1}", f"https://chat.test/m{len(self.posts) + 1}")
            self.posts.append(Sent(forum.id, message, thread_id, ref.message_id))
            return ref

    def find_post(self, forum: ForumInfo, marker: str, since: datetime) -> PostRef | None:
        with self.lock:
            for sent in self.posts:
                payload = sent.message.metadata.get("event_payload", {})
                if sent.forum_id == forum.id and payload.get("marker") == marker:
                    return PostRef(sent.message_id)
        return None

    def split(self, message: Message) -> list[Message]:
        if not self.split_size:
            return [message]
        parts: list[Message] = []
        current: list[Element] = []
        count = 0
        for element in message.elements:
            if isinstance(element, Entry) and count == self.split_size:
                parts.append(replace(message, elements=tuple(current)))
                current, count = [], 0
            current.append(element)
            count += isinstance(element, Entry)
        parts.append(replace(message, elements=tuple(current)))
        return parts

    def send_direct(self, forum: ForumInfo, user_id: str, message: Message) -> None:
        with self.lock:
            if user_id in self.gone:
                raise RecipientGone(user_id, self.gone[user_id])
            if user_id in self.down:
                raise ConnectionError("injected failure")
            self.direct.append(Sent(forum.id, message, None, "dm", user_id))

    def theme_posts(self) -> list[Sent]:
        """The theme posts made."""
        return [sent for sent in self.posts if sent.message.kind == "theme"]
