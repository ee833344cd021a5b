"""The logbook in chat: ``logg <text>``, ``logg``, ``logg påminn på|av`` and the share button.

Every answer is private (the adapters deliver a reply privately: ephemeral in Slack, 1:1 in
Teams). Entries are read only through :func:`bot.services.logbook.mine` and
:func:`bot.services.logbook.own`, always for the person asking.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain import ForumInfo, Language, Platform, Source
from bot.i18n import date_time, month_year, t
from bot.inbound import LogbookForm
from bot.messages import Actions, Button, Element, Header, Message, Note, Paragraph, Reply
from bot.places import row_id
from bot.posts import error, info, invocation
from bot.services import forums, logbook
from bot.services.contributions import ContributionError, validate_text
from bot.storage.models import Contribution
from bot.timing import Period

if TYPE_CHECKING:
    from bot.dialogue import Actor, Dialogue

REMIND_WORDS = frozenset({"påminn", "paminn", "remind", "påminnelse", "paminnelse", "reminder"})
ON_WORDS = frozenset({"på", "pa", "on", "ja", "yes"})
OFF_WORDS = frozenset({"av", "off", "nej", "no"})
SHARE_WORDS = frozenset({"dela", "share"})  # "logg dela 12": the button, where there is none
SHOWN_CHARS = 1500  # a list shows the start of a long entry; the data export has all of it
LOGBOOK_WRITE = "logbook_write"  # the button that opens the logbook form (no value)


def answer(
    dialogue: Dialogue,
    actor: Actor,
    forum: ForumInfo | None,
    lang: Language,
    rest: str,
    message_id: str | None,
) -> Reply:
    """What ``logg``/``log`` with *rest* does: write, list, or switch the prompt."""
    words = rest.split()
    if words and words[0].casefold() in REMIND_WORDS and len(words) <= 2:
        return _remind(dialogue, actor, lang, words[1].casefold() if len(words) == 2 else "")
    if words and words[0].casefold() in SHARE_WORDS and len(words) == 2:
        typed = words[1].removeprefix("#")
        if typed.isascii() and typed.isdigit():  # the text path of the share button
            return share(dialogue, actor, typed, forum)
    if not rest.strip():
        return _recent(dialogue, actor, lang)
    source = message_id or f"logbook-command:{uuid.uuid4().hex}"
    try:
        return _write(dialogue, actor, forum, lang, rest, source)
    except ContributionError as problem:
        return Reply([error(lang, problem.key, **problem.params)])


def _write(
    dialogue: Dialogue,
    actor: Actor,
    forum: ForumInfo | None,
    lang: Language,
    text: str,
    source: str,
) -> Reply:
    """Store a private entry once per *source* and say so (ContributionError for a bad text)."""
    with dialogue.db.transaction() as session:
        written = logbook.write(
            session,
            platform=actor.platform.value,
            workspace_id=actor.workspace_id,
            user_id=actor.user_id,
            forum=forum,
            text=text,
            source_id=source,
            now=dialogue.clock(),
        )
    if not written.created:
        return Reply([info(lang, "logbook.already")])
    title = written.theme.get(lang) if written.theme else None
    number = written.id  # shown: the console has no button, so "logg dela <nr>" shares it
    if title:
        text = t(lang, "logbook.saved_theme", title=title, number=number)
    else:
        text = t(lang, "logbook.saved", number=number)
    elements: list[Element] = [
        Paragraph(text),
        Note(t(lang, "logbook.private")),
        Actions((_share_button(lang, written.id),)),
    ]
    return Reply([Message("logbook_saved", text, tuple(elements))])


def form_errors(text: str, lang: Language) -> dict[str, str]:
    """What is wrong with a logbook form's text (input name → message; empty when fine)."""
    try:
        validate_text(text)
    except ContributionError as problem:
        if problem.key == "share.error.empty":  # that text tells the command, not the form
            return {"text": t(lang, "forms.logbook.empty")}
        return {"text": t(lang, problem.key, **problem.params)}
    return {}


def submit_form(
    dialogue: Dialogue, actor: Actor, forum: ForumInfo | None, text: object, submission_id: str
) -> Reply:
    """Store a submitted logbook form as the person's own private entry, once per submission.

    Tied to *forum*'s current theme like ``logg <text>``; a bad text brings the form back.
    """
    lang = dialogue.language_for(actor, forum)
    typed = text if isinstance(text, str) else ""
    errors = form_errors(typed, lang)
    if not errors:
        try:
            return _write(dialogue, actor, forum, lang, typed, f"logbook-form:{submission_id}")
        except ContributionError as problem:
            errors = {"text": t(lang, problem.key, **problem.params)}
    forum_id = forum.id if forum else None
    return Reply(form=LogbookForm(lang, forum_id, typed, errors))


def write_button(lang: Language) -> Button:
    """The button that opens the logbook form (where there are forms)."""
    return Button(LOGBOOK_WRITE, t(lang, "forms.logbook.button"), "", primary=True)


def _share_button(lang: Language, entry_id: int) -> Button:
    return Button(logbook.LOGBOOK_SHARE, t(lang, "logbook.share_button"), str(entry_id))


def _remind(dialogue: Dialogue, actor: Actor, lang: Language, word: str) -> Reply:
    where = (actor.platform.value, actor.workspace_id, actor.user_id)
    if word not in ON_WORDS | OFF_WORDS:
        with dialogue.db.transaction() as session:
            on = logbook.prompts_on(session, *where)
        key = "logbook.remind.status_on" if on else "logbook.remind.status_off"
        usage = t(lang, "logbook.remind.usage", command=invocation(actor.platform))
        return Reply([info(lang, key), info(lang, "logbook.remind.usage_line", usage=usage)])
    on = word in ON_WORDS
    with dialogue.db.transaction() as session:
        logbook.set_prompts(session, *where, on)
    return Reply([info(lang, "logbook.remind.on" if on else "logbook.remind.off")])


def _recent(dialogue: Dialogue, actor: Actor, lang: Language) -> Reply:
    with dialogue.db.transaction() as session:
        entries = logbook.mine(session, actor.platform.value, actor.workspace_id, actor.user_id)
        shown = [
            (
                entry.id,
                entry.text,
                entry.period,
                entry.created_at,
                entry.theme_title_sv,
                entry.theme_title_en,
                entry.shared_contribution_id,
            )
            for entry in entries
        ]
    command = invocation(actor.platform)
    # A terminal has no forms: it writes with "logg <text>" (the listing says so).
    write = () if actor.platform is Platform.CONSOLE else (Actions((write_button(lang),)),)
    if not shown:
        text = t(lang, "logbook.empty", command=command)
        return Reply([Message("info", text, (Paragraph(text), *write))])
    header = t(lang, "logbook.recent.header")
    elements: list[Element] = [Header(header), Note(t(lang, "logbook.private"))]
    for entry_id, text, period_key, created_at, title_sv, title_en, shared in shown:
        period = Period.parse(period_key)
        title = (title_sv if lang == "sv" else title_en) or month_year(
            lang, period.year, period.month
        )
        when = date_time(lang, created_at)
        item = t(lang, "logbook.recent.item", when=when, theme=title, number=entry_id)
        elements.append(Note(item))
        cut = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS].rstrip() + "…"
        elements.append(Paragraph(cut, user=True))
        if shared is not None:
            elements.append(Note(t(lang, "logbook.recent.shared")))
        else:
            elements.append(Actions((_share_button(lang, entry_id),)))
    elements.append(Note(t(lang, "logbook.recent.how", command=command)))
    elements.extend(write)
    return Reply([Message("logbook_recent", header, tuple(elements))])


def share(
    dialogue: Dialogue,
    actor: Actor,
    value: str | int | None,
    fallback: ForumInfo | None,
) -> Reply:
    """Share one of the person's own entries to the forum as a good example.

    The text goes the normal contribution path (checked and stored like any good example, once
    per entry); the entry stays in the logbook, private, and remembers the example's id.
    """
    entry_id = row_id(value)
    where = (actor.platform.value, actor.workspace_id, actor.user_id)
    with dialogue.db.transaction() as session:
        entry = logbook.own(session, entry_id, *where) if entry_id is not None else None
        found = (entry.id, entry.text, entry.period, entry.forum_id) if entry else None
        home = forums.get(session, entry.forum_id) if entry and entry.forum_id else None
    forum = home if home is not None and home.platform is actor.platform else fallback
    lang = dialogue.language_for(actor, forum)
    if found is None:  # someone else's entry, or one erased since: nothing to share
        return Reply([error(lang, "logbook.share.missing")])
    if forum is None:
        return Reply([error(lang, "forum.none")])
    own_id, text, period_key, forum_id = found
    reply = dialogue.share(
        actor,
        forum,
        text,
        Source.SHARE_COMMAND,
        message_id=logbook.share_source(own_id),
        created_at=dialogue.clock(),
        # The entry's theme when shared to the forum it was written in; else the forum's own.
        period=Period.parse(period_key) if forum_id == forum.id else None,
    )
    with dialogue.db.transaction() as session:
        stored = _stored(session, forum.id, logbook.share_source(own_id))
        if stored is not None:
            logbook.mark_shared(session, own_id, stored)
    if stored is not None:
        reply.private.append(info(lang, "logbook.share.private"))
    reply.forum = forum
    return reply


def _stored(session: Session, forum_id: int, source: str) -> int | None:
    """The good example an entry became (None: the forum's rules refused it)."""
    return session.scalar(
        select(Contribution.id).where(
            Contribution.forum_id == forum_id, Contribution.source_message_id == source
        )
    )
