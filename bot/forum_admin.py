"""The organisers' ``admin settings`` and ``admin log``, and the settings forms, for every adapter.

:class:`bot.dialogue.Dialogue` hands these commands here after its organiser check; the Slack
modal and the Teams card call :func:`settings_form` to fill the form and :func:`submit_form` with
what came back, which checks the organiser again (a submission can be forged) and validates with
:mod:`bot.services.settings`, the one place that knows the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.commands import AdminVerb, Command
from bot.domain import ForumInfo, Language, Platform
from bot.i18n import catalog, date_time, t
from bot.messages import (
    Actions,
    Bullets,
    Button,
    Element,
    Header,
    Message,
    Note,
    Paragraph,
    Reply,
)
from bot.posts import error, invocation
from bot.services import audit, forums
from bot.services import settings as forum_settings
from bot.services.settings import SettingsError
from bot.storage.models import AuditEntry

if TYPE_CHECKING:
    from bot.dialogue import Actor, Dialogue

SETTINGS_OPEN = "settings_open"  # the button that opens the settings form (value: forum id)
LOG_ENTRIES = 15
_PLATFORMS = {platform.value for platform in Platform}


def answer(
    dialogue: Dialogue, actor: Actor, forum: ForumInfo, lang: Language, command: Command
) -> Reply:
    """``admin settings [KEY=VALUE…]`` or ``admin log``, from an organiser of *forum*."""
    if command.admin is AdminVerb.LOG:
        return Reply([audit_log(dialogue, forum, lang)])
    words = command.rest.split()
    if not words:
        return Reply([overview(forum, lang, actor.platform)])
    try:
        changes = forum_settings.parse_pairs(words)
    except SettingsError as problem:
        return Reply([_refused(lang, problem)])
    return _store(dialogue, actor, forum, lang, changes)


def overview(forum: ForumInfo, lang: Language, platform: Platform) -> Message:
    """The forum's settings, how to change them, and a button to the form where there is one."""
    header = t(lang, "settings.header")
    items = tuple(f"{field.label}: {field.value}" for field in forum_settings.fields(forum, lang))
    keys = ", ".join(forum_settings.KEYS)
    usage = t(lang, "settings.usage", keys=keys, command=invocation(platform))
    elements: list[Element] = [Header(header), Bullets(items), Note(usage)]
    if platform is not Platform.CONSOLE:  # the console has no forms
        button = Button(SETTINGS_OPEN, t(lang, "settings.button"), str(forum.id), primary=True)
        elements.append(Actions((button,)))
    return Message("settings", header, tuple(elements))


@dataclass(frozen=True)
class SettingsForm:
    """What a settings form shows: the forum, in the organiser's language."""

    forum: ForumInfo
    lang: Language
    fields: list[forum_settings.Field]


def settings_form(
    dialogue: Dialogue, actor: Actor, forum: ForumInfo | None, word: Language | None = None
) -> SettingsForm | None:
    """The settings form of *forum* for *actor*; None when there is no forum or they may not.

    *word* is the language of the command word that asked for it, if any.
    """
    if forum is None or not dialogue.is_organiser(actor, forum):
        return None
    lang = dialogue.language_for(actor, forum, word)
    return SettingsForm(forum, lang, forum_settings.fields(forum, lang))


def form_errors(values: Mapping[str, str], lang: Language) -> dict[str, str]:
    """What is wrong with a submitted form, field by field (empty when it may be saved)."""
    try:
        forum_settings.parse(values)
    except SettingsError as problem:
        return {item.key: item.message(lang) for item in problem.problems}
    return {}


def submit_form(
    dialogue: Dialogue, actor: Actor, forum_id: int, values: Mapping[str, str]
) -> Reply:
    """Store a submitted settings form of forum *forum_id*, when *actor* organises it."""
    with dialogue.db.transaction() as session:
        forum = forums.get(session, forum_id)
    lang = dialogue.language_for(actor, forum)
    if forum is None or not dialogue.is_organiser(actor, forum):
        return Reply([error(lang, "admin.denied")])
    try:
        changes = forum_settings.parse(values)
    except SettingsError as problem:
        return Reply([_refused(lang, problem)])
    return _store(dialogue, actor, forum, lang, changes)


def _store(
    dialogue: Dialogue, actor: Actor, forum: ForumInfo, lang: Language, changes: dict[str, Any]
) -> Reply:
    try:
        with dialogue.db.transaction() as session:
            _, changed = forum_settings.apply(session, forum.id, changes, actor=actor.ref)
    except SettingsError as problem:  # checked against the stored values (a cohort's dates)
        return Reply([_refused(lang, problem)])
    if not changed:
        text = t(lang, "settings.unchanged")
        return Reply([Message("info", text, (Paragraph(text),))])
    text = t(lang, "settings.saved")
    items = tuple(change.describe(lang) for change in changed)
    return Reply([Message("info", text, (Paragraph(text), Bullets(items)))])


def _refused(lang: Language, problem: SettingsError) -> Message:
    text = problem.message(lang)
    return Message("error", text, (Paragraph(text), Note(t(lang, "settings.nothing_changed"))))


# -- the audit log --------------------------------------------------------------------------------


def audit_log(dialogue: Dialogue, forum: ForumInfo, lang: Language) -> Message:
    """The forum's latest changes: when (in its zone), who, and what."""
    with dialogue.db.transaction() as session:
        entries = audit.recent(session, LOG_ENTRIES, forum_id=forum.id)
        lines = tuple(_log_line(entry, forum, lang) for entry in entries)
    header = t(lang, "audit.header")
    if not lines:
        return Message("audit", header, (Header(header), Paragraph(t(lang, "audit.empty"))))
    note = t(lang, "audit.note", count=len(lines))
    return Message("audit", header, (Header(header), Bullets(lines), Note(note)))


def _who(actor: str) -> str:
    # "slack:T1:U1" is person U1 of a workspace; "cli:anna", "system" are shown as they are.
    platform, _, rest = actor.partition(":")
    return rest.rpartition(":")[2] if platform in _PLATFORMS and rest else actor


def _what(entry: AuditEntry, lang: Language) -> str:
    key = f"audit.action.{entry.action}"
    action = t(lang, key) if key in catalog(lang) else entry.action  # a newer action: its name
    if entry.action == "forum.update" and isinstance(entry.after, dict):
        before = entry.before if isinstance(entry.before, dict) else {}
        changes = ", ".join(
            forum_settings.Change(key, before.get(key), value).describe(lang)
            for key, value in entry.after.items()
            if key in forum_settings.KEYS
        )
        return f"{action}: {changes}" if changes else action
    return f"{action} ({entry.target})" if entry.target else action


def _log_line(entry: AuditEntry, forum: ForumInfo, lang: Language) -> str:
    when = date_time(lang, entry.at, forum.timezone)
    return t(lang, "audit.line", when=when, who=_who(entry.actor), what=_what(entry, lang))
