"""A forum's meetings: added by organisers, reminded the day before, followed up afterwards.

- **Adding** (chat ``admin möte lägg till``, the cycle file's ``meetings:``, ``ledarforum meetings
  import``) checks the date, time, length, place or http(s) link and agenda note; a bad one is a
  :class:`MeetingError` with a translated key and changes nothing. Every change is audit-logged.
- **The reminder** goes to the channel the day before, at the forum's theme time in its zone:
  time, place or link, the current theme as the agenda plus the agenda note, and an iCalendar
  invitation (:class:`bot.messages.PostFile`). Due until the meeting starts, never after.
- **The follow-up** asks in a thread for the take-aways an hour after the meeting ends (or the
  next morning at the theme time, when that hour falls in the evening); its message id is kept,
  so a reply in that thread is stored as a good example marked with the meeting.

Both are claimed as :class:`~bot.storage.models.Notice` rows (kind ``meeting_reminder`` or
``meeting_followup``, key the meeting id) with the rule of :mod:`bot.services.claims`, so each
goes out once across processes and restarts; a resumed claim first asks the platform for the
post's marker.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from icalendar import Calendar, Event

from bot.domain import CycleDocument, ForumInfo, Language, ThemeContent
from bot.i18n import date_time, t
from bot.meeting_items import AGENDA_MAX as AGENDA_MAX
from bot.meeting_items import DATE_PATTERN, LENGTH_PATTERN, is_url
from bot.meeting_items import DEFAULT_MINUTES as DEFAULT_MINUTES
from bot.meeting_items import FILE_FIELDS as FILE_FIELDS
from bot.meeting_items import LINK_MAX as LINK_MAX
from bot.meeting_items import MAX_MINUTES as MAX_MINUTES
from bot.meeting_items import MIN_MINUTES as MIN_MINUTES
from bot.meeting_items import PLACE_MAX as PLACE_MAX
from bot.meeting_items import MeetingError as MeetingError
from bot.meeting_items import NewMeeting as NewMeeting
from bot.meeting_items import check_link as check_link
from bot.meeting_items import from_items as from_items
from bot.meeting_items import item_data as item_data
from bot.meeting_items import new_meeting as new_meeting
from bot.meeting_items import parse_clock as parse_clock
from bot.meeting_items import parse_day as parse_day
from bot.messages import (
    Bullets,
    Element,
    Header,
    LinkItem,
    Links,
    Message,
    Note,
    Paragraph,
    PostFile,
)
from bot.ports import PostRef
from bot.services import audit, claims, cycles, forums, notices
from bot.services.forums import moments
from bot.services.publishing import Publisher, Result
from bot.storage.models import Contribution, Meeting, Notice
from bot.timing import Period, local_moment, period_at

REMINDER, FOLLOWUP = "meeting_reminder", "meeting_followup"
MEETING_EVENT = "ledarforum_meeting"
# A follow-up whose hour falls after this local time waits for the next morning's theme time.
EVENING = time(18, 0)
# A follow-up after downtime is still asked within this; later the moment has passed.
CATCH_UP_FOLLOWUP = timedelta(days=3)
# How far back the scheduler looks for meetings whose follow-up may still be due.
LOOK_BACK = timedelta(days=5)


@dataclass(frozen=True)
class MeetingInfo:
    """A meeting as the rest of the code sees it; ``starts_at`` is UTC."""

    id: int
    forum_id: int
    starts_at: datetime
    minutes: int
    place: str
    link: str | None
    agenda: str | None
    followup_message_id: str | None = None

    @property
    def ends_at(self) -> datetime:
        """When the meeting ends."""
        return self.starts_at + timedelta(minutes=self.minutes)

    def local_start(self, zone: str) -> datetime:
        """The start on the wall clock of *zone*."""
        return self.starts_at.astimezone(ZoneInfo(zone))


def to_info(row: Meeting) -> MeetingInfo:
    """A stored meeting as a :class:`MeetingInfo`."""
    return MeetingInfo(
        id=row.id,
        forum_id=row.forum_id,
        starts_at=row.starts_at.astimezone(UTC),
        minutes=row.minutes,
        place=row.place,
        link=row.link,
        agenda=row.agenda,
        followup_message_id=row.followup_message_id,
    )


# -- reading input ---------------------------------------------------------------------------


def parse_command(text: str) -> NewMeeting:
    """``2027-02-10 13:00 [90min] Aulan | agenda`` (or a link instead of the place).

    The place runs to the first `` | ``; an http(s) address among its words is the video link.
    """
    head, _, agenda = text.partition("|")
    words = head.split()
    if len(words) < 2:
        raise MeetingError("meetings.error.usage")
    day, clock, rest = words[0], words[1], words[2:]
    minutes: str | None = None
    if rest and LENGTH_PATTERN.match(rest[0]):
        minutes, rest = rest[0], rest[1:]
    links = [word for word in rest if is_url(word)]
    if len(links) > 1:
        raise MeetingError("meetings.error.link")
    place = " ".join(word for word in rest if not is_url(word))
    return new_meeting(
        day, clock, minutes=minutes, place=place, link=links[0] if links else None, agenda=agenda
    )


# -- storing ---------------------------------------------------------------------------------


def _audited(info: MeetingInfo) -> dict[str, object]:
    return {
        "starts_at": info.starts_at.isoformat(),
        "minutes": info.minutes,
        "place": info.place,
        "link": info.link,
        "agenda": info.agenda,
    }


def add(
    session: Session, forum: ForumInfo, new: NewMeeting, *, actor: str, now: datetime
) -> MeetingInfo:
    """Store a meeting of *forum* (audit-logged); a past or already-booked time is refused."""
    starts = local_moment(new.day, new.clock, ZoneInfo(forum.timezone))
    if starts <= now:
        raise MeetingError("meetings.error.past")
    taken = session.scalar(
        select(Meeting.id).where(Meeting.forum_id == forum.id, Meeting.starts_at == starts)
    )
    if taken is not None:
        raise MeetingError("meetings.error.exists", id=taken)
    row = Meeting(
        forum_id=forum.id,
        starts_at=starts,
        minutes=new.minutes,
        place=new.place,
        link=new.link,
        agenda=new.agenda,
        created_by=actor,
        created_at=now,
    )
    session.add(row)
    session.flush()
    info = to_info(row)
    audit.record(
        session,
        actor=actor,
        action="meeting.add",
        target=f"meeting:{row.id}",
        after=_audited(info),
        forum_id=forum.id,
    )
    return info


def remove(session: Session, forum: ForumInfo, ref: str, *, actor: str) -> MeetingInfo:
    """Remove a meeting of *forum* named by its id or its local date (audit-logged)."""
    ref = ref.strip()
    rows: list[Meeting]
    if ref.isdigit():
        rows = list(
            session.scalars(
                select(Meeting).where(Meeting.forum_id == forum.id, Meeting.id == int(ref))
            )
        )
    elif DATE_PATTERN.match(ref):
        day = parse_day(ref)
        zone = ZoneInfo(forum.timezone)
        start = local_moment(day, time(0), zone)
        end = local_moment(day + timedelta(days=1), time(0), zone)
        rows = list(
            session.scalars(
                select(Meeting).where(
                    Meeting.forum_id == forum.id,
                    Meeting.starts_at >= start,
                    Meeting.starts_at < end,
                )
            )
        )
        if len(rows) > 1:
            raise MeetingError("meetings.error.ambiguous", ids=", ".join(str(r.id) for r in rows))
    else:
        raise MeetingError("meetings.error.remove_usage")
    if not rows:
        raise MeetingError("meetings.error.not_found", ref=ref[:40])
    info = to_info(rows[0])
    session.execute(delete(Meeting).where(Meeting.id == info.id))
    audit.record(
        session,
        actor=actor,
        action="meeting.remove",
        target=f"meeting:{info.id}",
        before=_audited(info),
        forum_id=forum.id,
    )
    return info


def listing(session: Session, forum_id: int, *, after: datetime | None = None) -> list[MeetingInfo]:
    """The forum's meetings (those ending after *after*, when given), earliest first."""
    query = select(Meeting).where(Meeting.forum_id == forum_id).order_by(Meeting.starts_at)
    rows = [to_info(row) for row in session.scalars(query)]
    return [m for m in rows if after is None or m.ends_at > after]


def upcoming(
    session: Session, forum_id: int, *, after: datetime, until: datetime
) -> list[MeetingInfo]:
    """The meetings starting in [*after*, *until*), earliest first."""
    rows = session.scalars(
        select(Meeting)
        .where(Meeting.forum_id == forum_id, Meeting.starts_at >= after, Meeting.starts_at < until)
        .order_by(Meeting.starts_at)
    )
    return [to_info(row) for row in rows]


def of_year(session: Session, forum: ForumInfo, year: int) -> list[MeetingInfo]:
    """The meetings of a calendar year in the forum's zone (the wheel, the feed)."""
    zone = ZoneInfo(forum.timezone)
    start = local_moment(date(year, 1, 1), time(0), zone)
    end = local_moment(date(year + 1, 1, 1), time(0), zone)
    return upcoming(session, forum.id, after=start, until=end)


def held(
    session: Session, forum_id: int, *, year: int, now: datetime | None = None
) -> list[MeetingInfo]:
    """The meetings of *year* (the forum's zone) that have ended by *now* (the year in review)."""
    forum = forums.get(session, forum_id)
    if forum is None:
        return []
    now = now or datetime.now(UTC)
    return [m for m in of_year(session, forum, year) if m.ends_at <= now]


def followup_of(session: Session, forum_id: int, thread_id: str) -> MeetingInfo | None:
    """The meeting whose follow-up post is *thread_id* (a reply there is a take-away)."""
    row = session.scalars(
        select(Meeting).where(
            Meeting.forum_id == forum_id, Meeting.followup_message_id == thread_id
        )
    ).first()
    return to_info(row) if row else None


def mark_example(session: Session, forum_id: int, source_message_id: str, meeting_id: int) -> None:
    """Mark the good example stored from *source_message_id* as a take-away of the meeting."""
    session.execute(
        update(Contribution)
        .where(
            Contribution.forum_id == forum_id,
            Contribution.source_message_id == source_message_id,
        )
        .values(meeting_id=meeting_id)
    )


# -- texts -----------------------------------------------------------------------------------


def where(meeting: MeetingInfo) -> str:
    """Place and link as one line."""
    return " · ".join(part for part in (meeting.place, meeting.link or "") if part)


def describe(meeting: MeetingInfo, forum: ForumInfo, lang: Language) -> str:
    """One line for a listing: id, when, how long, where."""
    return t(
        lang,
        "meetings.line",
        id=meeting.id,
        when=date_time(lang, meeting.starts_at, forum.timezone),
        minutes=meeting.minutes,
        where=where(meeting),
    )


def listing_message(meetings: list[MeetingInfo], forum: ForumInfo, lang: Language) -> Message:
    """The organiser's list of coming meetings, with how to add and remove."""
    elements: list[Element] = [Header(t(lang, "meetings.list.header"))]
    if meetings:
        elements.append(Bullets(tuple(describe(m, forum, lang) for m in meetings)))
        notes = [m for m in meetings if m.agenda]
        elements += [Paragraph(f"#{m.id}: {m.agenda}", user=True) for m in notes]
    else:
        elements.append(Paragraph(t(lang, "meetings.list.none")))
    elements.append(Note(t(lang, "meetings.usage")))
    return Message("meetings", t(lang, "meetings.list.header"), tuple(elements))


def reminder_marker(forum_id: int, meeting_id: int) -> str:
    """The tag that finds a meeting's reminder on the platform."""
    return f"meeting_reminder:{forum_id}:{meeting_id}"


def followup_marker(forum_id: int, meeting_id: int) -> str:
    """The tag that finds a meeting's follow-up on the platform."""
    return f"meeting_followup:{forum_id}:{meeting_id}"


def invitation(
    meeting: MeetingInfo,
    forum: ForumInfo,
    theme: ThemeContent | None,
    lang: Language,
    now: datetime,
) -> bytes:
    """The meeting as an iCalendar invitation (one event, a stable UID)."""
    from icalendar import Calendar  # only when an invitation is made

    calendar = Calendar()
    calendar.add("prodid", "-//Ledarforum//Meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(_event(meeting, forum, theme, lang, now))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _event(
    meeting: MeetingInfo,
    forum: ForumInfo,
    theme: ThemeContent | None,
    lang: Language,
    now: datetime,
) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", f"ledarforum-{forum.id}-meeting-{meeting.id}@ledarforum")
    event.add("summary", t(lang, "meetings.ics.summary", forum=forum.name or forum.channel_id))
    event.add("dtstart", meeting.local_start(forum.timezone))
    event.add("dtend", meeting.ends_at.astimezone(ZoneInfo(forum.timezone)))
    event.add("dtstamp", now.astimezone(UTC))
    if meeting.place or meeting.link:
        event.add("location", where(meeting))
    if meeting.link:
        event.add("url", meeting.link)
    event.add("description", agenda_text(meeting, theme, lang))
    return event


def agenda_text(meeting: MeetingInfo, theme: ThemeContent | None, lang: Language) -> str:
    """The agenda as plain text: the theme, its questions and the organisers' note."""
    parts: list[str] = []
    if theme is not None:
        parts.append(t(lang, "meetings.agenda.theme", title=theme.title.get(lang)))
        parts.append("\n".join(f"– {q.get(lang)}" for q in theme.questions))
    if meeting.agenda:
        parts.append(meeting.agenda)
    return "\n\n".join(parts)


def add_to_calendar(
    calendar: Calendar, meetings: list[MeetingInfo], forum: ForumInfo, lang: Language, now: datetime
) -> None:
    """Add *meetings* as timed events to a feed (the agenda note is their description)."""
    for meeting in meetings:
        calendar.add_component(_event(meeting, forum, None, lang, now))


def reminder_post(
    meeting: MeetingInfo,
    forum: ForumInfo,
    theme: ThemeContent | None,
    ics: bytes,
    *,
    feed_url: str | None = None,
) -> Message:
    """The reminder the day before: when and where, the agenda, and the invitation."""
    lang = forum.language
    when = date_time(lang, meeting.starts_at, forum.timezone)
    elements: list[Element] = [
        Header(t(lang, "meetings.reminder.header", when=when)),
        Paragraph(t(lang, "meetings.reminder.length", minutes=meeting.minutes)),
    ]
    if meeting.place:
        elements.append(Paragraph(t(lang, "meetings.reminder.place", place=meeting.place)))
    if meeting.link:
        elements.append(Links((LinkItem(t(lang, "meetings.reminder.join"), meeting.link),)))
    if theme is not None:
        elements.append(Header(t(lang, "meetings.agenda.theme", title=theme.title.get(lang)), 2))
        elements.append(Bullets(tuple(q.get(lang) for q in theme.questions)))
    if meeting.agenda:
        # An organiser's words: defused like any user text.
        elements.append(Paragraph(meeting.agenda, user=True))
    elements.append(Note(t(lang, "meetings.reminder.invitation")))
    local = meeting.local_start(forum.timezone)
    invite = PostFile(
        filename=f"ledarforum-{local:%Y-%m-%d}.ics",
        data=ics,
        media_type="text/calendar",
        title=t(lang, "meetings.reminder.add_to_calendar"),
        link=feed_url,
    )
    return Message(
        kind="meeting_reminder",
        fallback=t(lang, "meetings.reminder.fallback", when=when),
        elements=tuple(elements),
        metadata={
            "event_type": MEETING_EVENT,
            "event_payload": {
                "forum_id": forum.id,
                "meeting_id": meeting.id,
                "marker": reminder_marker(forum.id, meeting.id),
            },
        },
        files=(invite,),
    )


def followup_post(meeting: MeetingInfo, forum: ForumInfo) -> Message:
    """The question after the meeting; replies in its thread are stored as take-aways."""
    lang = forum.language
    when = date_time(lang, meeting.starts_at, forum.timezone)
    text = t(lang, "meetings.followup.text", when=when)
    return Message(
        kind="meeting_followup",
        fallback=text,
        elements=(Paragraph(text), Note(t(lang, "meetings.followup.how"))),
        metadata={
            "event_type": MEETING_EVENT,
            "event_payload": {
                "forum_id": forum.id,
                "meeting_id": meeting.id,
                "marker": followup_marker(forum.id, meeting.id),
            },
        },
    )


# -- when ------------------------------------------------------------------------------------


def reminder_moment(forum: ForumInfo, meeting: MeetingInfo) -> datetime:
    """The day before, at the forum's theme time in its zone."""
    when = moments(forum)
    day = meeting.starts_at.astimezone(when.zone).date() - timedelta(days=1)
    return local_moment(day, when.theme_time, when.zone)


def followup_moment(forum: ForumInfo, meeting: MeetingInfo) -> datetime:
    """An hour after the end; in the evening or night, the next morning at the theme time."""
    when = moments(forum)
    moment = meeting.ends_at + timedelta(hours=1)
    local = moment.astimezone(when.zone)
    if when.theme_time <= local.time() <= EVENING:
        return moment
    day = local.date() if local.time() < when.theme_time else local.date() + timedelta(days=1)
    return local_moment(day, when.theme_time, when.zone)


def next_due(session: Session, forum: ForumInfo, after: datetime) -> datetime | None:
    """The first moment strictly after *after* at which a reminder or follow-up is due."""
    moments_: list[datetime] = []
    for meeting in listing(session, forum.id, after=after - LOOK_BACK):
        moments_ += [reminder_moment(forum, meeting), followup_moment(forum, meeting)]
    return min((m for m in moments_ if m > after), default=None)


# -- posting ---------------------------------------------------------------------------------


def run_due(publisher: Publisher, forum: ForumInfo, at: datetime) -> Result:
    """Post every reminder and follow-up of *forum* due at *at* (the scheduler's job).

    A reminder is due from its moment until the meeting starts; a follow-up from its moment for
    ``CATCH_UP_FOLLOWUP``. The result is the most pressing of the posts' outcomes (a failure
    first, so the scheduler retries), ``not_due`` when nothing was due.
    """
    with publisher.db.transaction() as session:
        meetings = listing(session, forum.id, after=at - LOOK_BACK - CATCH_UP_FOLLOWUP)
    results: list[Result] = []
    for meeting in meetings:
        if reminder_moment(forum, meeting) <= at < meeting.starts_at:
            results.append(remind(publisher, forum, meeting))
        due = followup_moment(forum, meeting)
        if due <= at <= due + CATCH_UP_FOLLOWUP:
            results.append(follow_up(publisher, forum, meeting))
    for status in ("failed", "no_adapter", "busy", "posted", "found"):
        for result in results:
            if result.status == status:
                return result
    return results[0] if results else Result(forum.id, "meeting", "not_due", "")


def _public_feed(publisher: Publisher, session: Session, forum: ForumInfo) -> str | None:
    from bot.services import calendar_feed  # the feed imports export, which imports us
    from bot.wheel.chat import reachable

    base = publisher.public_url
    if not base or not reachable(base):
        return None
    token = calendar_feed.feed_token(session, forum.id, actor="system:meetings")
    return f"{base.rstrip('/')}/calendar/{token}.ics"


def remind(publisher: Publisher, forum: ForumInfo, meeting: MeetingInfo) -> Result:
    """Post the meeting's reminder once (see the module's rule)."""
    key = str(meeting.id)
    poster = publisher.posters.get(forum.platform)
    if poster is None:
        return Result(forum.id, REMINDER, "no_adapter", key, error=forum.platform.value)
    claim = notices.take(publisher, forum, REMINDER, key)
    if claim.outcome is not claims.Outcome.ACQUIRED:
        return notices.not_acquired(forum, REMINDER, key, claim)
    ref: PostRef | None = None
    try:
        now = publisher.clock()
        with publisher.db.transaction() as session:
            period: Period = period_at(meeting.starts_at, moments(forum))
            theme = cycles.theme_at(session, forum, period)
            feed = _public_feed(publisher, session, forum)
        ics = invitation(meeting, forum, theme, forum.language, now)
        if claim.resumed:
            since = reminder_moment(forum, meeting) - timedelta(days=1)
            ref = poster.find_post(forum, reminder_marker(forum.id, meeting.id), since)
        status = "found" if ref else "posted"
        ref = ref or poster.post(forum, reminder_post(meeting, forum, theme, ics, feed_url=feed))
    except Exception as exc:
        return notices.failed(publisher, forum, REMINDER, key, claim, exc)
    notices.done(publisher, claim)
    return Result(forum.id, REMINDER, status, key, ref.message_id)


def follow_up(publisher: Publisher, forum: ForumInfo, meeting: MeetingInfo) -> Result:
    """Ask for the meeting's take-aways once; the post's id marks its thread."""
    key = str(meeting.id)
    poster = publisher.posters.get(forum.platform)
    if poster is None:
        return Result(forum.id, FOLLOWUP, "no_adapter", key, error=forum.platform.value)
    claim = notices.take(publisher, forum, FOLLOWUP, key)
    if claim.outcome is not claims.Outcome.ACQUIRED:
        return notices.not_acquired(forum, FOLLOWUP, key, claim)
    ref: PostRef | None = None
    try:
        if claim.resumed:
            since = meeting.starts_at
            ref = poster.find_post(forum, followup_marker(forum.id, meeting.id), since)
        status = "found" if ref else "posted"
        ref = ref or poster.post(forum, followup_post(meeting, forum))
    except Exception as exc:
        return notices.failed(publisher, forum, FOLLOWUP, key, claim, exc)
    with publisher.db.transaction() as session:
        # The thread is known before the claim is finished: a reply cannot miss it.
        session.execute(
            update(Meeting)
            .where(Meeting.id == meeting.id)
            .values(followup_message_id=ref.message_id)
        )
        claims.settle(session, Notice, claim, status="done", done_at=publisher.clock())
    return Result(forum.id, FOLLOWUP, status, key, ref.message_id)


# -- the organisers' chat command ------------------------------------------------------------

_ADD_WORDS = ("lägg till", "lagg till", "add")
_REMOVE_WORDS = ("ta bort", "remove", "delete")
_LIST_WORDS = ("", "lista", "list")


def _after_word(text: str, words: tuple[str, ...]) -> str | None:
    folded = text.casefold()
    for word in words:
        if folded == word or folded.startswith(word + " "):
            return text[len(word) :].strip()
    return None


def admin_answer(
    session: Session, forum: ForumInfo, lang: Language, rest: str, *, actor: str, now: datetime
) -> Message:
    """``admin möte [lägg till …|ta bort …]``: list, add or remove (an organiser, checked by the
    caller); bad input is a translated error and changes nothing."""
    from bot.posts import error, info  # posts imports services at load time

    rest = rest.strip()
    try:
        added = _after_word(rest, _ADD_WORDS)
        if added is not None:
            # Every check comes before the row is added: a refused meeting leaves nothing.
            meeting = add(session, forum, parse_command(added), actor=actor, now=now)
            return info(lang, "meetings.added", id=meeting.id, line=describe(meeting, forum, lang))
        removed = _after_word(rest, _REMOVE_WORDS)
        if removed is not None:
            meeting = remove(session, forum, removed, actor=actor)
            return info(lang, "meetings.removed", line=describe(meeting, forum, lang))
        if rest.casefold() in _LIST_WORDS:
            return listing_message(listing(session, forum.id, after=now), forum, lang)
        return error(lang, "meetings.error.usage")
    except MeetingError as exc:
        return error(lang, exc.key, **exc.params)


# -- files: ``ledarforum meetings import|export`` and the cycle file's ``meetings:`` ------------


def read_file(text: str, filename: str) -> list[NewMeeting]:
    """A meetings file: YAML or JSON (a list, or ``meetings:`` with one) or CSV with the columns
    of :data:`FILE_FIELDS`."""
    import csv
    import io

    import yaml

    if filename.casefold().endswith(".csv"):
        rows = list(csv.DictReader(io.StringIO(text)))
        return from_items([{k: v for k, v in row.items() if v} for row in rows])
    try:
        # BaseLoader makes only strings, lists and mappings (no objects): dates and times stay
        # as people wrote them (safe_load would read 13:00 as the number 780).
        loaded = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506
    except yaml.YAMLError:
        raise MeetingError("meetings.error.file") from None
    return from_items(loaded)


def import_all(
    session: Session, forum: ForumInfo, items: list[NewMeeting], *, actor: str, now: datetime
) -> tuple[int, int]:
    """Store *items* (all or nothing, by the caller's transaction); a meeting already stored at
    the same time is kept as it is, so importing a file twice adds nothing. (added, kept)."""
    added = kept = 0
    zone = ZoneInfo(forum.timezone)
    for number, item in enumerate(items, 1):
        starts = local_moment(item.day, item.clock, zone)
        exists = session.scalar(
            select(Meeting.id).where(Meeting.forum_id == forum.id, Meeting.starts_at == starts)
        )
        if exists is not None:
            kept += 1
            continue
        try:
            add(session, forum, item, actor=actor, now=now)
        except MeetingError as exc:  # which item of the file was refused
            exc.params.setdefault("item", number)
            raise
        added += 1
    return added, kept


def dump(meetings: list[MeetingInfo], forum: ForumInfo, fmt: str, now: datetime) -> str:
    """The meetings as YAML, CSV (the import's fields) or iCalendar."""
    import csv
    import io

    import yaml

    if fmt == "ics":
        from icalendar import Calendar

        calendar = Calendar()
        calendar.add("prodid", "-//Ledarforum//Meetings//EN")
        calendar.add("version", "2.0")
        add_to_calendar(calendar, meetings, forum, forum.language, now)
        calendar.add_missing_timezones()
        return bytes(calendar.to_ical()).decode("utf-8")
    rows: list[dict[str, object]] = []
    for meeting in meetings:
        local = meeting.local_start(forum.timezone)
        row: dict[str, object] = {
            "date": local.strftime("%Y-%m-%d"),
            "time": local.strftime("%H:%M"),
            "minutes": meeting.minutes,
            "place": meeting.place,
            "link": meeting.link or "",
            "agenda": meeting.agenda or "",
        }
        rows.append(row)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=FILE_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    kept = [{k: v for k, v in row.items() if v != ""} for row in rows]
    return str(yaml.safe_dump({"meetings": kept}, allow_unicode=True, sort_keys=False))


def as_new(meeting: MeetingInfo, forum: ForumInfo) -> NewMeeting:
    """A stored meeting as a file item reads it: local date and time in the forum's zone."""
    local = meeting.local_start(forum.timezone)
    return NewMeeting(
        local.date(), local.time(), meeting.minutes, meeting.place, meeting.link, meeting.agenda
    )


def with_stored(session: Session, forum: ForumInfo, doc: CycleDocument) -> CycleDocument:
    """*doc* carrying *forum*'s stored meetings (``schedule export``, the upload's diff)."""
    stored = tuple(as_new(meeting, forum) for meeting in listing(session, forum.id))
    return dataclasses.replace(doc, meetings=stored)
