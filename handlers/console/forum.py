"""The console adapter: a forum in the terminal, reading lines from standard input.

A plain line is a reply in the current theme's thread (a good practice); ``/ledarforum …`` runs a
chat command exactly as a chat user would. Everything goes through the same dialogue and
services as Slack and Teams.
"""

from __future__ import annotations

import getpass
import uuid
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session

from bot.core import Core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Platform, Source
from bot.i18n import t
from bot.messages import Message, Reply
from bot.ports import PostRef
from bot.posts import theme_post
from bot.services import cycles, forums, organisers
from handlers.console.render import render

WORKSPACE = "local"
CHANNEL = "console"
COMMAND_PREFIXES = ("/ledarforum", "/lf")


class ConsolePoster:
    """Posts to the terminal: what the scheduler or ``post-theme`` would post in a channel."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def post(self, forum: ForumInfo, message: Message, *, thread_id: str | None = None) -> PostRef:
        """Print the post; its id is new each time."""
        print(render(message), file=self.out)
        print(file=self.out)
        self.out.flush()
        return PostRef(f"console-{uuid.uuid4().hex[:12]}")

    def find_post(self, forum: ForumInfo, marker: str, since: datetime) -> PostRef | None:
        """A terminal keeps no history we could ask."""
        return None

    def split(self, message: Message) -> list[Message]:
        """A terminal has no size limit."""
        return [message]

    def send_direct(self, forum: ForumInfo, user_id: str, message: Message) -> None:
        """Print a private message, marked as such."""
        print(f"[{user_id}]", file=self.out)
        self.post(forum, message)


def ensure_console_forum(session: Session, core: Core, user: str) -> ForumInfo:
    """The console forum, with the local user as its organiser (the terminal is theirs)."""
    forum, _ = forums.ensure_forum(
        session,
        Platform.CONSOLE,
        WORKSPACE,
        CHANNEL,
        language=core.settings.language,
        timezone=core.settings.timezone,
        name="console",
        actor=f"console:{user}",
    )
    organisers.add(session, Platform.CONSOLE.value, WORKSPACE, user, forum.id, actor="console")
    return forum


class ConsoleForum:
    """The interactive (or piped) console forum."""

    def __init__(self, core: Core, stdin: TextIO, stdout: TextIO, user: str | None = None) -> None:
        self.core = core
        self.stdin = stdin
        self.out = stdout
        self.user = user or getpass.getuser()
        self.actor = Actor(Platform.CONSOLE, WORKSPACE, self.user, self.user)

    def _show(self, reply: Reply) -> None:
        for message in [*reply.public, *reply.private]:
            print(render(message), file=self.out)
            print(file=self.out)
        for attachment in reply.files:
            path = Path.cwd() / attachment.filename
            path.write_text(attachment.content, encoding="utf-8")
            print(f"→ {path}", file=self.out)
        self.out.flush()

    def run(self) -> int:
        """Show the theme, then answer each line until end of input."""
        with self.core.db.transaction() as session:
            forum = ensure_console_forum(session, self.core, self.user)
        dialogue = self.core.dialogue
        lang = dialogue.language_for(self.actor, forum)
        interactive = self.stdin.isatty()
        with self.core.db.transaction() as session:
            current = cycles.current(session, forum, dialogue.clock())
        if current.theme is not None:
            print(render(theme_post(forum, current.period, current.theme)), file=self.out)
        else:
            print(t(lang, "theme.none_console"), file=self.out)
        print(file=self.out)
        print(t(lang, "console.intro"), file=self.out)
        print(file=self.out)
        awaiting_form = False
        while True:
            if interactive:
                print("> ", end="", file=self.out, flush=True)
            line = self.stdin.readline()
            if not line:
                return 0
            text = line.rstrip("\n")
            if not text.strip():
                continue
            if text.strip().casefold() in {"/quit", "/exit", "/avsluta"}:
                return 0
            word = text.split(maxsplit=1)[0].casefold()
            if word in COMMAND_PREFIXES and not awaiting_form:
                reply = dialogue.handle_text(
                    self.actor, CHANNEL, text, message_id=f"console:{uuid.uuid4().hex}"
                )
                if reply.open_form:
                    print(
                        t(dialogue.language_for(self.actor, forum), "console.form"), file=self.out
                    )
                    awaiting_form = True
                self._show(reply)
                continue
            awaiting_form = False
            with self.core.db.transaction() as session:
                current = cycles.current(session, forum, dialogue.clock())
            reply = dialogue.share(
                self.actor,
                forum,
                text,
                Source.CONSOLE,
                message_id=f"console:{uuid.uuid4().hex}",
                created_at=dialogue.clock(),
                period=current.period,
            )
            self._show(reply)
