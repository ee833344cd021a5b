"""The console adapter: a forum in the terminal, reading lines from standard input.

A plain line is a reply in the current theme's thread (a good practice); a line that starts with
``/ledarforum`` is always a chat command, run exactly as a chat user would. A terminal has no
buttons and no forms: a question (``glöm-mig``) is answered by the next line, the confirm word
(``ja``/``yes``) saying yes and anything else no; ``dela`` without text says how to share.
A terminal has no reactions either: ``+1 <number>`` appreciates the stored example of that number
(shown when an example is stored) and ``-1 <number>`` takes it back, as a reaction and its removal
in Slack. Every line goes through the same core handler (:mod:`bot.inbound_handler`) as Slack and
Teams.
"""

from __future__ import annotations

import getpass
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session

from bot.core import Core
from bot.dialogue import CONFIRM_WORDS, FORGET_CONFIRM, Actor
from bot.domain import ForumInfo, Platform
from bot.i18n import t
from bot.inbound import (
    CURRENT_THEME,
    ButtonPressed,
    CommandGiven,
    MessageRef,
    Place,
    Reacted,
    ThreadReplied,
)
from bot.inbound_handler import InboundHandler
from bot.messages import Actions, Message, Reply
from bot.ports import PostRef
from bot.posts import error, info
from bot.services import cycles, forums, organisers, review
from handlers.console.render import render

WORKSPACE = "local"
CHANNEL = "console"
COMMAND_PREFIXES = ("/ledarforum", "/lf")
PLACE = Place(Platform.CONSOLE, WORKSPACE, CHANNEL)
# Confirm buttons the console answers with the next line (see ConsoleForum._confirm).
_CONFIRMABLE = frozenset({FORGET_CONFIRM})
# ``+1 12`` appreciates example 12, ``-1 12`` takes that back (also ``+1 #12``).
_REACTION = re.compile(r"^([+-])1\s+#?(\d{1,12})$")
REACTION = "+1"  # the reaction the console records, as Slack names a thumbs-up


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
        self.handler = InboundHandler(core.dialogue)

    def _show(self, reply: Reply) -> None:
        for message in [*reply.public, *reply.private]:
            print(render(message), file=self.out)
            print(file=self.out)
        for attachment in reply.files:
            path = Path.cwd() / attachment.filename
            path.write_text(attachment.content, encoding="utf-8")
            print(f"→ {path}", file=self.out)
        self.out.flush()

    def _question(self, reply: Reply) -> str | None:
        """The action a confirm button of *reply* would take, when the console can take it."""
        for message in [*reply.public, *reply.private]:
            if message.kind != "confirm":
                continue
            for element in message.elements:
                if isinstance(element, Actions):
                    for button in element.buttons:
                        if button.action in _CONFIRMABLE:
                            return button.action
        return None

    def _react(self, forum: ForumInfo, sign: str, number: int) -> None:
        """Appreciate (``+``) or take back (``-``) example *number* through the core handler's
        :class:`~bot.inbound.Reacted`, as a Slack reaction does; then say its count."""
        lang = self.core.dialogue.language_for(self.actor, forum)
        with self.core.db.transaction() as session:
            found = review.appreciable(session, forum.id, number)
        if found is None:
            self._show(Reply([error(lang, "console.reaction.unknown", number=number)]))
            return
        added = sign == "+"
        event = Reacted(self.actor, PLACE, found.source_message_id, REACTION, added=added)
        self._show(self.handler.handle(event))
        with self.core.db.transaction() as session:
            now = review.appreciable(session, forum.id, number)
        key = "console.reaction.added" if added else "console.reaction.removed"
        count = now.reactions if now is not None else 0
        self._show(Reply([info(lang, key, number=number, count=count)]))

    def _number(self, forum: ForumInfo, message_id: str) -> None:
        """Say the number of the example just stored, so others can appreciate it."""
        with self.core.db.transaction() as session:
            stored = review.stored_from(session, forum.id, message_id)
        if stored is not None:
            lang = self.core.dialogue.language_for(self.actor, forum)
            print(t(lang, "console.reaction.number", number=stored.id), file=self.out)
            print(file=self.out)
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
            post = self.core.publisher.theme_message(forum, current.period, current.theme)
            print(render(post), file=self.out)
        else:
            print(t(lang, "theme.none_console"), file=self.out)
        print(file=self.out)
        print(t(lang, "console.intro"), file=self.out)
        print(file=self.out)
        question: str | None = None  # the confirm action the previous answer asked about
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
            if word in COMMAND_PREFIXES:
                command = CommandGiven(self.actor, PLACE, text, f"console:{uuid.uuid4().hex}")
                reply = self.handler.handle(command)
                if reply.form is not None:  # a terminal has no form: say how to share instead
                    lang = dialogue.language_for(self.actor, forum)
                    reply = Reply([info(lang, "console.form")])
                self._show(reply)
                question = self._question(reply)
                continue
            reaction = _REACTION.match(text.strip())
            if reaction is not None and question is None:
                self._react(forum, reaction.group(1), int(reaction.group(2)))
                continue
            if question is not None:  # the line answers the question, it is not a good example
                asked, question = question, None
                if text.strip().casefold() in CONFIRM_WORDS:  # as if the button was pressed
                    self._show(self.handler.handle(ButtonPressed(self.actor, PLACE, asked)))
                else:
                    lang = dialogue.language_for(self.actor, forum)
                    self._show(Reply([info(lang, "console.cancelled")]))
                continue
            # A plain line answers the theme on screen: a reply in the current theme's thread.
            message = MessageRef(f"console:{uuid.uuid4().hex}", CURRENT_THEME)
            self._show(self.handler.handle(ThreadReplied(self.actor, PLACE, message, text)))
            self._number(forum, message.message_id)
