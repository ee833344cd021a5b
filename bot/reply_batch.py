"""Many thread replies stored together: the batch path of an inbox worker under load.

One reply on its own (:meth:`bot.inbound_handler.InboundHandler.handle`) costs about five
transactions: its forum, its thread's theme post, the person's language, the insert. A claimed
batch of replies is stored in ONE transaction here instead: each distinct channel's forum, each
distinct thread's theme post (or meeting follow-up), each distinct person's chosen language
resolved once, then one multi-row insert (:func:`bot.services.contributions.store_many`). The
rules are the single path's: the same text checks, period, theme, link limit and the unique source
message (a redelivered or reclaimed batch stores nothing twice), and each event gets the very
reply the single path gives. Replies that may be commands (they mention the bot) and the
console's "current theme" thread take the single path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.dialogue import answer_language
from bot.domain import ForumInfo, Language, Platform, Source
from bot.inbound import CURRENT_THEME, ThreadReplied
from bot.inbound_handler import MAX_LINK_CHARS, InboundHandler
from bot.messages import Reply
from bot.places import forum_in
from bot.posts import error, share_confirmation
from bot.services import contributions, meetings, preferences
from bot.services.contributions import ContributionError, NewContribution, clean_text
from bot.services.forums import moments
from bot.services.publishing import period_of_post
from bot.timing import Period, period_at

_Person = preferences.Person


def batchable(event: ThreadReplied) -> bool:
    """True when *event* may go in a batch; False: it takes the single path (a mention of the
    bot may be a command, the console's current-theme thread is looked up by date)."""
    thread = event.message.thread_id
    return not event.addressed and thread != CURRENT_THEME and not event.place.direct


@dataclass
class _Thread:
    """What a thread resolved to: its theme period, and the meeting when it is a follow-up."""

    period: Period | None
    meeting_id: int | None = None


def store_replies(handler: InboundHandler, events: Sequence[ThreadReplied]) -> list[Reply]:
    """Store every reply of *events* that counts, and what to answer each (in their order).

    Events that may not go in a batch (:func:`batchable`) are handled one by one, after the
    batch's transaction (:func:`store_batch`).
    """
    batched = store_batch(handler, events)
    return [
        reply if reply is not None else handler.handle(event)
        for reply, event in zip(batched, events, strict=True)
    ]


def store_batch(handler: InboundHandler, events: Sequence[ThreadReplied]) -> list[Reply | None]:
    """The batchable replies of *events* stored in one transaction, and what to answer each;
    None for an event that may not go in a batch (the caller handles it on its own).

    Raises (storing nothing) when the database fails: the caller may then try each event on
    its own, and no event has been handled yet.
    """
    dialogue = handler.dialogue
    replies: list[Reply | None] = [None] * len(events)
    now = dialogue.clock()
    with handler.db.transaction() as session:
        forums: dict[tuple[str, str, str], ForumInfo | None] = {}
        threads: dict[tuple[int, str], _Thread] = {}
        plan: list[tuple[int, ForumInfo, NewContribution, _Thread]] = []
        for index, event in enumerate(events):
            if not batchable(event):
                continue
            place, message = event.place, event.message
            where = (place.platform.value, place.workspace_id, place.channel_id)
            if where not in forums:
                forums[where] = forum_in(session, place)
            forum, thread_id = forums[where], message.thread_id
            if forum is None or not thread_id or thread_id == message.message_id:
                replies[index] = Reply()  # not in a forum's thread
                continue
            if (forum.id, thread_id) not in threads:
                threads[forum.id, thread_id] = _thread(session, forum, thread_id)
            thread = threads[forum.id, thread_id]
            if thread.period is None or not clean_text(event.text):
                replies[index] = Reply()  # not under a theme post; or a picture, a sticker
                continue
            link = message.permalink
            console = place.platform is Platform.CONSOLE
            new = NewContribution(
                author_id=event.actor.user_id,
                author_name=event.actor.name,
                text=event.text,
                source=Source.CONSOLE if console else Source.THREAD_REPLY,
                channel_id=place.channel_id,
                source_message_id=message.message_id,
                created_at=message.written_at or now,
                permalink=link if link and len(link) <= MAX_LINK_CHARS else None,
                period=thread.period,
            )
            plan.append((index, forum, new, thread))
        chosen = preferences.languages_of(session, {_person(events[index]) for index, *_ in plan})
        entries: list[tuple[ForumInfo, NewContribution, str]] = []
        kept: list[tuple[int, ForumInfo, NewContribution, _Thread, Language]] = []
        for index, forum, new, thread in plan:
            event = events[index]
            lang = answer_language(
                chosen.get(_person(event)), None, event.actor.locale, forum, forum.language
            )
            try:
                text = contributions.validate_text(new.text)
            except ContributionError as exc:
                replies[index] = Reply([error(lang, exc.key, **exc.params)], forum=forum)
                continue
            entries.append((forum, new, text))
            kept.append((index, forum, new, thread, lang))
        recorded = contributions.store_many(session, entries, now=now)
        for (index, forum, new, thread, lang), done in zip(kept, recorded, strict=True):
            if thread.meeting_id is not None:  # a take-away of the meeting, as the single path
                meetings.mark_example(session, forum.id, new.source_message_id, thread.meeting_id)
            title = done.theme.title.get(lang) if done.theme else None
            thanks = share_confirmation(lang, done.id, title, created=done.created)
            replies[index] = Reply([thanks], forum=forum)
    for (_, _, new, _, _), done in zip(kept, recorded, strict=True):
        if done.created:  # counted once committed, as the single path counts
            dialogue.metrics.contributions_stored.labels(new.source.value).inc()
    return replies


def _thread(session: Session, forum: ForumInfo, thread_id: str) -> _Thread:
    """The theme period of a thread, else the meeting whose follow-up it is (a take-away)."""
    period = period_of_post(session, forum.id, thread_id)
    if period is not None:
        return _Thread(period)
    meeting = meetings.followup_of(session, forum.id, thread_id)
    if meeting is None:
        return _Thread(None)
    return _Thread(period_at(meeting.starts_at, moments(forum)), meeting.id)


def _person(event: ThreadReplied) -> _Person:
    actor = event.actor
    return (actor.platform.value, actor.workspace_id, actor.user_id)
