"""The one place that decides what a person's action means, for every adapter.

An adapter turns a platform payload into a :mod:`bot.inbound` event and delivers the
:class:`bot.messages.Reply` that :meth:`InboundHandler.handle` returns. Here: which forum and which
theme period a message belongs to, whether its text counts, storing, editing and deleting good
practices, and what each button and form does. All of it may run twice for one event (a retried
inbox item): contributions are unique on their source message, edits and deletions idempotent.
"""

from __future__ import annotations

import logging
import re

from bot import logbook_chat, meeting_form, theme_form, trend_chat
from bot.commands import AdminVerb, Command, Verb, parse
from bot.dialogue import FORGET_CONFIRM, Actor, Dialogue
from bot.domain import ForumInfo, Language, Platform, Source
from bot.forum_admin import SETTINGS_OPEN, settings_form, submit_form
from bot.i18n import month_name, t
from bot.inbound import (
    CURRENT_THEME,
    CYCLE,
    LOGBOOK_FORM,
    MEETING_FORM,
    MONTH,
    MONTH_FORM,
    SETTINGS_FORM,
    SHARE_FORM,
    SHARE_KIND,
    SHARE_URL,
    SHARED_CYCLE,
    SUBSCRIBE,
    THEME_FORM,
    TREND_KIND,
    UNSUBSCRIBE,
    ButtonPressed,
    CommandGiven,
    FormSubmitted,
    InboundEvent,
    LogbookForm,
    MessageDeleted,
    MessageEdited,
    MessageRef,
    MessageSaved,
    MonthPicker,
    Place,
    Reacted,
    SavedMessage,
    ShareForm,
    ThemeForm,
    ThreadReplied,
)
from bot.messages import Reply
from bot.places import forum_at, forum_named, row_id
from bot.posts import SHARE_OPEN, SHARE_UNDO, error, info
from bot.services import contributions, cycles, meetings, review, subscriptions, trends
from bot.services.contributions import clean_text
from bot.services.forums import moments
from bot.services.logbook import LOGBOOK_SHARE
from bot.services.meetings import MeetingInfo
from bot.services.publishing import period_of_post
from bot.services.settings import KEYS
from bot.timing import Period, period_at

log = logging.getLogger(__name__)

MAX_LINK_CHARS = 1000  # what contributions.permalink holds
_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def is_command(command: Command) -> bool:
    """True unless the first word was not a command word (a practice that mentions the bot)."""
    return not (command.verb is Verb.HELP and command.unknown is not None)


class InboundHandler:
    """Turns each inbound event into calls on the dialogue and services, and one reply."""

    def __init__(self, dialogue: Dialogue) -> None:
        self.dialogue = dialogue
        self.db = dialogue.db

    def handle(self, event: InboundEvent) -> Reply:
        """What *event* does, and what to answer (an empty reply: nothing to say)."""
        match event:
            case CommandGiven():
                command = parse(event.text)
                return self._command(
                    event.actor, event.place, command, event.message_id, event.previews
                )
            case ThreadReplied():
                return self._replied(event)
            case MessageEdited():
                self._edited(event)
            case MessageDeleted():
                self._deleted(event)
            case MessageSaved():
                return self._saved(event)
            case Reacted():
                self._reacted(event)
            case ButtonPressed():
                return self._button(event)
            case FormSubmitted():
                return self._form(event)
        return Reply()

    def forum_here(self, place: Place) -> ForumInfo | None:
        """The forum of the place's channel (none in a private chat)."""
        return None if place.direct else forum_at(self.db, place)

    def forum_of(self, actor: Actor, place: Place) -> ForumInfo | None:
        """The forum of the place, else the person's own forum (from a private chat, a form)."""
        return self.forum_here(place) or self.dialogue.forum_for(actor, place.channel_id)

    # -- commands and messages -------------------------------------------------------------------

    def _command(
        self,
        actor: Actor,
        place: Place,
        command: Command,
        message_id: str | None,
        previews: tuple[tuple[str, str], ...] = (),
    ) -> Reply:
        dialogue = self.dialogue
        admin = command.admin if command.verb is Verb.ADMIN else None
        if admin is AdminVerb.SETUP and place.direct and place.platform is Platform.TEAMS:
            # A Teams chat is no channel and cannot become a forum.
            lang = dialogue.language_for(actor, None, command.language)
            return Reply([error(lang, "teams.setup.channel_only")])
        forum = self.forum_of(actor, place)
        console = place.platform is Platform.CONSOLE  # a terminal has no forms
        if admin is AdminVerb.MEETING and meeting_form.wants_form(command.rest):
            meeting = meeting_form.form_for(dialogue, actor, forum, command.language)
            if meeting is not None:  # else the dialogue answers (not an organiser, no forum)
                if console:
                    return meeting_form.console_help(meeting.lang, place.platform)
                return Reply(form=meeting, forum=forum)
        if admin is AdminVerb.SETTINGS and not command.rest and not console:
            form = settings_form(dialogue, actor, forum, command.language)
            if form is not None:  # else the dialogue answers (not an organiser, no forum)
                return Reply(form=form, forum=forum)
        reply = dialogue.handle(
            actor,
            place.channel_id,
            command,
            message_id=message_id,
            previews=previews,
            forum=forum,  # looked up above: once per command is enough
        )
        if admin is AdminVerb.SETUP:  # the channel may be a forum now: its reference is stored
            forum = self.forum_of(actor, place)
        reply.forum = forum
        if admin is AdminVerb.SCHEDULE and forum and dialogue.is_organiser(actor, forum):
            reply.form = MonthPicker(dialogue.language_for(actor, forum, command.language), forum)
        return reply

    def _replied(self, event: ThreadReplied) -> Reply:
        place, message = event.place, event.message
        forum = self.forum_here(place)
        period = self._period(forum, message)
        # A reply under a meeting's follow-up is a take-away, stored like a theme reply.
        meeting = None if period is not None else self._meeting(forum, message)
        if forum is not None and meeting is not None:
            period = period_at(meeting.starts_at, moments(forum))
        command = parse(event.text)
        if event.addressed and (is_command(command) or period is None):
            return self._command(event.actor, place, command, message.message_id, event.previews)
        if forum is None or period is None or not clean_text(event.text):
            return Reply()  # not an answer under a theme post (an empty one: a picture, a sticker)
        link = message.permalink
        reply = self.dialogue.share(
            event.actor,
            forum,
            event.text,
            Source.CONSOLE if place.platform is Platform.CONSOLE else Source.THREAD_REPLY,
            message_id=message.message_id,
            created_at=message.written_at or self.dialogue.clock(),
            permalink=link if link and len(link) <= MAX_LINK_CHARS else None,
            period=period,
            channel_id=place.channel_id,
        )
        if meeting is not None:
            with self.db.transaction() as session:
                meetings.mark_example(session, forum.id, message.message_id, meeting.id)
        reply.forum = forum
        return reply

    def _meeting(self, forum: ForumInfo | None, message: MessageRef) -> MeetingInfo | None:
        """The meeting whose follow-up thread *message* is in (None: not such a thread)."""
        thread = message.thread_id
        if forum is None or not thread or thread == message.message_id:
            return None
        with self.db.transaction() as session:
            return meetings.followup_of(session, forum.id, thread)

    def _period(self, forum: ForumInfo | None, message: MessageRef) -> Period | None:
        """The theme period of the thread *message* is in (None: not a theme post's thread)."""
        thread = message.thread_id
        if forum is None or not thread or thread == message.message_id:
            return None
        with self.db.transaction() as session:
            if thread == CURRENT_THEME:
                return cycles.current(session, forum, self.dialogue.clock()).period
            return period_of_post(session, forum.id, thread)

    def _edited(self, event: MessageEdited) -> None:
        forum = self.forum_here(event.place)
        if forum is None:
            return
        edited_at = event.edited_at or self.dialogue.clock()
        with self.db.transaction() as session:
            contributions.edit(session, forum.id, event.message_id, event.text, edited_at)

    def _deleted(self, event: MessageDeleted) -> None:
        forum = self.forum_here(event.place)
        if forum is None:
            return
        with self.db.transaction() as session:
            contributions.delete_by_source(session, forum.id, event.message_id)

    def _saved(self, event: MessageSaved) -> Reply:
        """Store someone's existing message as a good practice, credited to its author."""
        forum = self.forum_here(event.place)
        # The forum's trend reaction stores the message's link as a trend instead.
        trend = (
            forum is not None
            and event.reaction is not None
            and (event.reaction == forum.trend_reaction)
        )
        if (
            event.reaction is not None
            and not trend
            and (forum is None or event.reaction != forum.reaction)
        ):
            return Reply()  # another emoji, or not in a forum: no platform call at all
        saved = event.load()
        if saved is None:
            return Reply()
        saver, message = saved.saver, saved.message
        if forum is None:
            lang = self.dialogue.language_for(saver, None)
            return Reply([error(lang, "shortcut.not_forum")])
        if trend:
            return self._saved_trend(event, forum, saved)
        if not clean_text(saved.text):
            lang = self.dialogue.language_for(saver, forum)
            return Reply([error(lang, "shortcut.empty")], forum=forum)
        link = message.permalink
        reply = self.dialogue.share(
            saver,
            forum,
            saved.text,
            event.source,
            message_id=message.message_id,
            created_at=message.written_at or self.dialogue.clock(),
            permalink=link if link and len(link) <= MAX_LINK_CHARS else None,
            period=self._period(forum, message),
            author_id=saved.author_id,
            author_name=saved.author_name,
            channel_id=forum.channel_id,
        )
        reply.forum = forum
        return reply

    def _saved_trend(self, event: MessageSaved, forum: ForumInfo, saved: SavedMessage) -> Reply:
        """Store the link of someone's message as a trend (the forum's trend reaction)."""
        url = trends.first_link(saved.text)
        if url is None:
            lang = self.dialogue.language_for(saved.saver, forum)
            return Reply([error(lang, "trend.error.no_link")], forum=forum)
        link = saved.message.permalink
        return trend_chat.share(
            self.dialogue,
            saved.saver,
            forum,
            url,
            trends.comment_of(saved.text, url),
            event.source,
            message_id=saved.message.message_id,
            created_at=saved.message.written_at or self.dialogue.clock(),
            title=trends.unfurled_title(saved.links, url),
            permalink=link if link and len(link) <= MAX_LINK_CHARS else None,
            author_id=saved.author_id,
            author_name=saved.author_name,
            channel_id=forum.channel_id,
        )

    def _reacted(self, event: Reacted) -> None:
        """Count (or uncount) a person's reaction on a stored example of the place's forum."""
        forum = self.forum_here(event.place)
        if forum is None or not event.message_id or not event.actor.user_id:
            return
        with self.db.transaction() as session:
            review.react(
                session,
                forum.id,
                event.message_id,
                event.actor.user_id,
                event.reaction,
                added=event.added,
            )

    # -- buttons and forms -----------------------------------------------------------------------

    def _card_forum(self, place: Place, forum_ref: str | int | None) -> ForumInfo | None:
        """The forum a button or form names (in the person's workspace), else the place's."""
        if forum_ref is not None:
            return forum_named(self.db, place, forum_ref)
        return self.forum_here(place)

    def _button(self, event: ButtonPressed) -> Reply:
        actor, action, value = event.actor, event.action_id, event.value
        forum = self._card_forum(event.place, event.forum_ref)
        lang = self.dialogue.language_for(actor, forum)
        if action == SHARE_OPEN:
            if forum is None:
                return Reply([error(lang, "forum.none")])
            period = _period(value)
            form = ShareForm(lang, forum.id, period.key if period else None)
            return Reply(form=form, forum=forum)
        if action == SHARE_UNDO:
            contribution = row_id(value)
            if contribution is None:
                reply = Reply([info(lang, "share.undo_missing")])
            else:
                reply = self.dialogue.undo(actor, contribution, forum)
        elif action == FORGET_CONFIRM:
            reply = self.dialogue.forget_me(actor, lang, confirmed=True)
        elif action == LOGBOOK_SHARE:  # the entry's own forum, else the place's or the person's
            fallback = forum or self.forum_of(actor, event.place)
            return logbook_chat.share(self.dialogue, actor, value, fallback)
        elif action == logbook_chat.LOGBOOK_WRITE:  # private: the person's own logbook
            home = forum or self.forum_of(actor, event.place)
            return Reply(form=LogbookForm(lang, home.id if home else None))
        elif action == SETTINGS_OPEN:
            settings = settings_form(self.dialogue, actor, forum)
            reply = Reply(form=settings) if settings else Reply([error(lang, "admin.denied")])
        elif action in (SUBSCRIBE, UNSUBSCRIBE):
            self._subscription(event, subscribe=action == SUBSCRIBE)
            reply = Reply()  # the place the button was in shows the change
        else:
            log.info("button %r ignored", action[:40])
            reply = Reply()
        reply.forum = forum
        return reply

    def _subscription(self, event: ButtonPressed, *, subscribe: bool) -> None:
        forum = forum_named(self.db, event.place, event.value)
        if forum is None:
            return
        with self.db.transaction() as session:
            if subscribe:
                subscriptions.subscribe(session, forum.id, event.actor.user_id)
            else:
                subscriptions.unsubscribe(session, forum.id, event.actor.user_id)

    def _form(self, event: FormSubmitted) -> Reply:
        if event.form_id == SHARE_FORM:
            return self._share_form(event)
        actor = event.actor
        forum = self._card_forum(event.place, event.forum_ref)
        lang = self.dialogue.language_for(actor, forum)
        if event.form_id == SETTINGS_FORM:
            if forum is None:
                return Reply([error(lang, "admin.denied")])
            typed = {key: text for key in KEYS if isinstance(text := event.values.get(key), str)}
            reply = submit_form(self.dialogue, actor, forum.id, typed)
        elif event.form_id in (THEME_FORM, MONTH_FORM):
            reply = self._theme_form(event, forum, lang)
        elif event.form_id == MEETING_FORM:
            reply = meeting_form.submit(self.dialogue, actor, forum, event.values)
        elif event.form_id == LOGBOOK_FORM:  # the entry's theme: the named forum's, else mine
            home = forum or self.forum_of(actor, event.place)
            text = event.values.get("text")
            return logbook_chat.submit_form(self.dialogue, actor, home, text, event.submission_id)
        else:
            log.info("form %r ignored", event.form_id[:40])
            reply = Reply()
        reply.forum = forum
        return reply

    def _share_form(self, event: FormSubmitted) -> Reply:
        actor, values = event.actor, event.values
        if event.forum_ref is None:
            forum = self.forum_of(actor, event.place)
        else:
            forum = forum_named(self.db, event.place, event.forum_ref)
        if forum is None:
            return Reply([error(self.dialogue.language_for(actor, None), "forum.none")])
        text, flag = values.get("text"), values.get("anonymous")  # a toggle: "true" or True
        if values.get(SHARE_KIND) == TREND_KIND:  # a link from environmental scanning
            url = values.get(SHARE_URL)
            return trend_chat.share(
                self.dialogue,
                actor,
                forum,
                url if isinstance(url, str) else "",
                text if isinstance(text, str) else "",
                Source.FORM,
                message_id=f"form:{event.submission_id}",
                created_at=event.submitted_at or self.dialogue.clock(),
            )
        reply = self.dialogue.share(
            actor,
            forum,
            text if isinstance(text, str) else "",  # never a list or a number as text
            Source.FORM,
            message_id=f"form:{event.submission_id}",
            created_at=event.submitted_at or self.dialogue.clock(),
            anonymous=flag is True or (isinstance(flag, str) and flag.casefold() == "true"),
            period=_period(values.get("period")),
        )
        reply.forum = forum
        return reply

    def _theme_form(self, event: FormSubmitted, forum: ForumInfo | None, lang: Language) -> Reply:
        """The month picker or the theme form: the form of a month, or the month's theme saved."""
        dialogue, actor = self.dialogue, event.actor
        month = _month(event.values.get(MONTH))
        editor = dialogue.theme_editor(actor, forum, month) if forum and month else None
        if editor is None:
            return Reply([error(lang, "admin.denied")])
        if event.form_id == MONTH_FORM:
            return Reply(form=ThemeForm(lang, editor))
        typed = {name: str(event.values.get(name) or "") for name in theme_form.NAMES}
        shared = event.values.get(CYCLE) == SHARED_CYCLE
        keep = editor.theme  # the links are not in the form: kept (as the edited year shows them)
        form = theme_form.read(typed, editor.month, lang, keep)
        errors = dict(form.errors)
        if shared and not editor.may_edit_shared:
            errors[CYCLE] = t(lang, "cycle.edit.shared_denied")
        if errors:
            return Reply(form=ThemeForm(lang, editor, typed, errors))
        edited = dialogue.edit_theme(actor, editor.forum, editor.month, form.theme, shared=shared)
        if edited is None:
            log.info("theme form of %s refused", actor.ref)
            return Reply([error(lang, "admin.denied")])
        name = month_name(lang, editor.month)
        if edited.shared:
            return Reply([info(lang, "cycle.saved.shared", month=name, count=edited.followers)])
        return Reply([info(lang, "cycle.saved.own", month=name)])


def _period(raw: object) -> Period | None:
    """The theme period a button or form names (``"2026-11"``), or None for anything else."""
    if isinstance(raw, str) and _PERIOD.fullmatch(raw):
        return Period.parse(raw)
    return None


def _month(raw: object) -> int:
    """A month (1–12) a form names (its digits); 0 for anything else."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        month = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 2:
        month = int(raw)
    else:
        return 0
    return month if 1 <= month <= 12 else 0
