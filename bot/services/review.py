"""The year in review: a forum's year at the end of its cycle, and the reactions it counts.

:func:`build` gathers one forum's calendar year: its themes in cycle order, each theme's most
appreciated examples (the most people reacting first, the earlier example on a tie), the
participation at group level beside last year (:func:`bot.services.stats.participation`), the
trends shared and the meetings held. :func:`review_markdown` and :func:`as_json` write it out;
:func:`bot.posts.year_review_post` is the neutral message every adapter renders.

:func:`post` puts the review in the forum's channel exactly once per forum and year (a
:class:`~bot.storage.models.Notice` of kind ``year_review``, key the year), by hand (``ledarforum
review --post``) or when due (:func:`post_if_due`: the forum's ``review_month``, its last working
day at the digest time, caught up for a month after downtime).

:func:`react` keeps ``Contribution.reactions`` = the distinct people who reacted to a stored
example; one row per person and emoji makes a redelivered event change nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.domain import Bilingual, ForumInfo, Language, theme_slug
from bot.i18n import date_time, long_date, month_name, t
from bot.ports import PostRef
from bot.posts import year_review_post
from bot.services import claims, cycles, meetings, notices, stats, trends
from bot.services.book import markdown_quote, markdown_text
from bot.services.forums import moments
from bot.services.publishing import Publisher, Result
from bot.services.sql import insert_ignore
from bot.storage.models import Contribution, ContributionReaction
from bot.timing import Period, is_working_day, local_moment

log = logging.getLogger(__name__)

KIND = "year_review"  # the Notice kind; its key is the year
REVIEW_EVENT = "ledarforum_year_review"
TOP = 3  # examples per theme
# After downtime the review is still posted within this; later the moment has passed.
CATCH_UP_REVIEW = timedelta(days=31)
MAX_REACTION_CHARS = 64


# -- reactions ------------------------------------------------------------------------------------


def react(
    session: Session,
    forum_id: int,
    message_id: str,
    user_id: str,
    reaction: str,
    *,
    added: bool,
) -> int | None:
    """Record (or take back) *user_id*'s *reaction* on the forum's example stored from
    *message_id*; the example's new count of people, or None when no example was stored from it.

    Idempotent: the same reaction added twice is one row, taken back twice is none.
    """
    contribution = session.scalars(
        select(Contribution).where(
            Contribution.forum_id == forum_id, Contribution.source_message_id == message_id
        )
    ).first()
    if contribution is None:
        return None
    reaction = (reaction or "like")[:MAX_REACTION_CHARS]
    if added:
        insert_ignore(
            session,
            ContributionReaction,
            {"contribution_id": contribution.id, "user_id": user_id, "reaction": reaction},
            ["contribution_id", "user_id", "reaction"],
        )
    else:
        session.execute(
            delete(ContributionReaction).where(
                ContributionReaction.contribution_id == contribution.id,
                ContributionReaction.user_id == user_id,
                ContributionReaction.reaction == reaction,
            )
        )
    people = session.scalar(
        select(func.count(func.distinct(ContributionReaction.user_id))).where(
            ContributionReaction.contribution_id == contribution.id
        )
    )
    contribution.reactions = int(people or 0)
    session.flush()
    return contribution.reactions


@dataclass(frozen=True)
class Appreciable:
    """A stored example as a reaction names it: its number, source message and count."""

    id: int
    source_message_id: str
    reactions: int


def appreciable(session: Session, forum_id: int, number: int) -> Appreciable | None:
    """The forum's stored example numbered *number* (its id), for a platform without reactions
    of its own (the console's ``+1 <number>``); None when the forum has no such example."""
    row = session.scalars(
        select(Contribution).where(Contribution.forum_id == forum_id, Contribution.id == number)
    ).first()
    return Appreciable(row.id, row.source_message_id, row.reactions) if row else None


def stored_from(session: Session, forum_id: int, message_id: str) -> Appreciable | None:
    """The forum's example stored from *message_id* (to show its number), if any."""
    row = session.scalars(
        select(Contribution).where(
            Contribution.forum_id == forum_id, Contribution.source_message_id == message_id
        )
    ).first()
    return Appreciable(row.id, row.source_message_id, row.reactions) if row else None


def forget(session: Session, platform: str, workspace_id: str, user_id: str) -> int:
    """Erase a person's reactions (forget-me): their ids go, the examples' counts follow."""
    theirs = (
        select(ContributionReaction.contribution_id)
        .join(Contribution, Contribution.id == ContributionReaction.contribution_id)
        .where(
            Contribution.platform == platform,
            Contribution.workspace_id == workspace_id,
            ContributionReaction.user_id == user_id,
        )
    )
    touched = set(session.scalars(theirs))
    if not touched:
        return 0
    result = session.execute(
        delete(ContributionReaction).where(
            ContributionReaction.contribution_id.in_(touched),
            ContributionReaction.user_id == user_id,
        )
    )
    for contribution_id in touched:
        people = session.scalar(
            select(func.count(func.distinct(ContributionReaction.user_id))).where(
                ContributionReaction.contribution_id == contribution_id
            )
        )
        session.execute(
            update(Contribution)
            .where(Contribution.id == contribution_id)
            .values(reactions=int(people or 0))
        )
    return int(getattr(result, "rowcount", 0) or 0)


# -- the review -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """An appreciated example; ``author`` None when it was shared anonymously."""

    id: int
    author: str | None
    text: str
    reactions: int
    created_at: datetime
    link: str | None


@dataclass(frozen=True)
class ThemeReview:
    """One theme of the year: its figures beside last year's, and its most appreciated examples."""

    key: str
    month: int | None  # its month in the year's cycle (None: no longer in the cycle)
    title: Bilingual
    now: stats.Figures
    last_year: stats.Figures
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class TrendShared:
    """A link shared as a trend."""

    title: str
    url: str | None
    comment: str
    author: str | None
    created_at: datetime


@dataclass(frozen=True)
class MeetingHeld:
    """A meeting of the forum that has taken place."""

    starts_at: datetime
    minutes: int
    place: str


@dataclass(frozen=True)
class Review:
    """A forum's year in review, in the reader's language (``lang``)."""

    forum_id: int
    forum_name: str
    year: int
    lang: Language
    timezone: str
    themes: tuple[ThemeReview, ...]
    total: stats.Figures
    last_total: stats.Figures
    trends: tuple[TrendShared, ...]
    meetings: tuple[MeetingHeld, ...]


def so_far(
    session: Session, forum: ForumInfo, year: int, lang: Language, *, now: datetime
) -> Review:
    """The review as a reader asks for it: this year's of the themes so far (in the forum's
    zone), a past year's of all of them."""
    today = now.astimezone(ZoneInfo(forum.timezone))
    until = Period(today.year, today.month) if year == today.year else None
    return build(session, forum, year, lang, until=until, now=now)


def build(
    session: Session,
    forum: ForumInfo,
    year: int,
    lang: Language,
    *,
    until: Period | None = None,
    now: datetime | None = None,
) -> Review:
    """The review of *forum*'s calendar *year* in *lang*.

    *until* leaves out the themes of later months (a review posted in June is of the themes so
    far); meetings count once they have ended by *now* (default: the present moment).
    """
    members, _ = stats.stored_member_count(session, forum.id)
    figures = stats.participation(session, forum, year=year, members=members)
    cycle = cycles.for_forum(session, forum, year)
    keys: dict[int, str] = {}  # a month of the cycle → its theme's key
    for month in range(1, 13):
        content = cycle.theme_for(month)
        if content is not None:
            keys[month] = content.key
    ranked = _ranked_examples(session, forum.id, year, keys)
    themes = tuple(
        ThemeReview(
            row.key,
            row.month,
            row.title or Bilingual(row.key, row.key),
            row.now,
            row.last_year,
            tuple(ranked.get(row.key, [])[:TOP]),
        )
        for row in figures.themes
        if (row.month is not None and (until is None or Period(year, row.month) <= until))
        or (row.month is None and row.now.contributions)  # an example of a theme since removed
    )
    return Review(
        forum.id,
        forum.name or forum.channel_id,
        year,
        lang,
        forum.timezone,
        themes,
        figures.total,
        figures.last_total,
        _trends(session, forum.id, year),
        _meetings(session, forum.id, year, now),
    )


def _ranked_examples(
    session: Session, forum_id: int, year: int, keys: dict[int, str]
) -> dict[str, list[Example]]:
    """The year's examples per theme key, the most appreciated first (earlier on a tie)."""
    rows = session.scalars(
        select(Contribution)
        .where(
            Contribution.forum_id == forum_id,
            Contribution.kind != "trend",
            Contribution.period.between(f"{year:04d}-01", f"{year:04d}-12"),
        )
        .order_by(Contribution.reactions.desc(), Contribution.created_at, Contribution.id)
    ).all()
    found: dict[str, list[Example]] = {}
    for row in rows:
        # As stats does it: a key stored with the example, else its title's slug, else its month.
        key = row.theme_key or theme_slug(row.theme_title_sv or row.theme_title_en or "")
        key = key or keys.get(Period.parse(row.period).month, "")
        found.setdefault(key, []).append(
            Example(
                row.id,
                None if row.anonymous else row.author_name,
                row.text,
                row.reactions,
                row.created_at,
                row.permalink,
            )
        )
    return found


def _trends(session: Session, forum_id: int, year: int) -> tuple[TrendShared, ...]:
    shared = trends.of_year(session, forum_id, year)
    # TrendInfo names every author: one look at the rows keeps an anonymous one anonymous.
    hidden = set(
        session.scalars(
            select(Contribution.id).where(
                Contribution.id.in_([trend.id for trend in shared]), Contribution.anonymous
            )
        )
    )
    return tuple(
        TrendShared(
            trend.title or trend.url,
            trend.url or None,
            trend.comment,
            None if trend.id in hidden else trend.author,
            trend.created_at,
        )
        for trend in shared
    )


def _meetings(
    session: Session, forum_id: int, year: int, now: datetime | None
) -> tuple[MeetingHeld, ...]:
    return tuple(
        MeetingHeld(m.starts_at, m.minutes, m.place)
        for m in meetings.held(session, forum_id, year=year, now=now)
    )


# -- in words -------------------------------------------------------------------------------------


def figures_line(lang: Language, now: stats.Figures, last: stats.Figures) -> str:
    """ "12 examples from 5 people (last year: 8 from 4)"."""
    return t(
        lang,
        "review.figures",
        count=now.contributions,
        people=now.contributors,
        last_count=last.contributions,
        last_people=last.contributors,
    )


def theme_heading(review: Review, theme: ThemeReview) -> str:
    """ "January: Trust" (a theme no longer in the cycle has no month)."""
    title = theme.title.get(review.lang)
    if theme.month is None:
        return title
    month = month_name(review.lang, theme.month)
    return t(review.lang, "review.theme", month=month[:1].upper() + month[1:], title=title)


def byline(review: Review, example: Example) -> str:
    """Who and when, and how many appreciated it (left out when nobody has reacted yet)."""
    author = example.author or t(review.lang, "review.anonymous")
    when = long_date(review.lang, example.created_at)
    if not example.reactions:
        return f"{author}, {when}"
    return t(review.lang, "review.byline", author=author, date=when, count=example.reactions)


def meeting_line(review: Review, meeting: MeetingHeld) -> str:
    """When and where a meeting was held."""
    when = date_time(review.lang, meeting.starts_at, review.timezone)
    return t(review.lang, "review.meeting", when=when, place=meeting.place)


def title(review: Review) -> str:
    """The review's title."""
    return t(review.lang, "review.title", year=review.year, forum=review.forum_name)


def review_markdown(review: Review) -> str:
    """The review as Markdown in the reader's language; every text people wrote is escaped."""
    lang = review.lang
    lines = [f"# {markdown_text(title(review))}", ""]
    lines += [f"## {t(lang, 'review.participation')}", ""]
    lines += [markdown_text(figures_line(lang, review.total, review.last_total)), ""]
    lines += [f"## {t(lang, 'review.themes')}", ""]
    if not review.themes:
        lines += [t(lang, "review.no_themes"), ""]
    for theme in review.themes:
        lines += [f"### {markdown_text(theme_heading(review, theme))}", ""]
        lines += [markdown_text(figures_line(lang, theme.now, theme.last_year)), ""]
        for example in theme.examples:
            lines += [markdown_quote(example.text), ""]
            signed = f"— {markdown_text(byline(review, example))}"
            if example.link:
                signed += f" · <{markdown_text(example.link)}>"
            lines += [signed, ""]
    lines += [f"## {t(lang, 'review.trends')}", ""]
    if not review.trends:
        lines += [t(lang, "review.no_trends"), ""]
    for trend in review.trends:
        item = f"- **{markdown_text(trend.title or trend.comment)}**"
        if trend.url:
            item += f" <{markdown_text(trend.url)}>"
        if trend.comment and trend.title:
            item += f": {markdown_text(trend.comment)}"
        who = trend.author or t(lang, "review.anonymous")
        item += f" ({markdown_text(who)}, {long_date(lang, trend.created_at)})"
        lines.append(item)
    lines += ["", f"## {t(lang, 'review.meetings')}", ""]
    if not review.meetings:
        lines += [t(lang, "review.no_meetings"), ""]
    lines += [f"- {markdown_text(meeting_line(review, m))}" for m in review.meetings]
    return "\n".join(lines).rstrip() + "\n"


def as_dict(review: Review) -> dict[str, Any]:
    """Plain data: group figures, and the examples as shown (anonymous ones without a name)."""

    def figures(f: stats.Figures) -> dict[str, Any]:
        return {"contributions": f.contributions, "contributors": f.contributors}

    return {
        "forum_id": review.forum_id,
        "forum": review.forum_name,
        "year": review.year,
        "language": review.lang,
        "total": figures(review.total),
        "last_year_total": figures(review.last_total),
        "themes": [
            {
                "key": theme.key,
                "month": theme.month,
                "title_sv": theme.title.sv,
                "title_en": theme.title.en,
                "now": figures(theme.now),
                "last_year": figures(theme.last_year),
                "examples": [
                    {
                        "author": example.author,
                        "text": example.text,
                        "reactions": example.reactions,
                        "created_at": example.created_at.isoformat(),
                        "link": example.link,
                    }
                    for example in theme.examples
                ],
            }
            for theme in review.themes
        ],
        "trends": [
            {
                "title": trend.title,
                "url": trend.url,
                "comment": trend.comment,
                "author": trend.author,
                "created_at": trend.created_at.isoformat(),
            }
            for trend in review.trends
        ],
        "meetings": [
            {"starts_at": m.starts_at.isoformat(), "minutes": m.minutes, "place": m.place}
            for m in review.meetings
        ],
    }


def as_json(review: Review) -> str:
    """The review as JSON (:func:`as_dict`)."""
    return json.dumps(as_dict(review), ensure_ascii=False, indent=2) + "\n"


# -- posting it once ------------------------------------------------------------------------------


def marker(forum_id: int, year: int) -> str:
    """The tag that identifies a forum's review of a year on the platform."""
    return f"{KIND}:{forum_id}:{year}"


def due_moment(forum: ForumInfo, year: int) -> datetime:
    """When *year*'s review is posted: the review month's last working day, at the digest time."""
    when = moments(forum)
    month = forum.review_month
    day = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    while not is_working_day(day, when.country):
        day -= timedelta(days=1)
    return local_moment(day, when.digest_time, when.zone)


def next_due(forum: ForumInfo, after: datetime) -> datetime:
    """The first review moment strictly after *after*."""
    year = after.astimezone(moments(forum).zone).year
    due = due_moment(forum, year)
    return due if due > after else due_moment(forum, year + 1)


def post_if_due(publisher: Publisher, forum: ForumInfo, at: datetime) -> Result:
    """Post the review of the year whose review moment is the latest at or before *at*, once.

    Within ``CATCH_UP_REVIEW`` of that moment (a catch-up after downtime); later it is skipped.
    """
    year = at.astimezone(moments(forum).zone).year
    due = due_moment(forum, year)
    if at < due:
        year -= 1
        due = due_moment(forum, year)
    if at - due > CATCH_UP_REVIEW:
        return Result(forum.id, KIND, "too_late", str(year))
    return post(publisher, forum, year, at=at)


def post(
    publisher: Publisher, forum: ForumInfo, year: int, *, at: datetime | None = None
) -> Result:
    """Post *forum*'s review of *year* in its channel, unless it was posted before.

    A claim resumed after a crash first asks the platform for the post (its marker). A year
    without examples, trends or meetings is finished as ``empty``, with nothing posted.
    """
    key = str(year)
    poster = publisher.posters.get(forum.platform)
    if poster is None:
        return Result(forum.id, KIND, "no_adapter", key, error=forum.platform.value)
    now = at or publisher.clock()
    claim = notices.take(publisher, forum, KIND, key)
    if claim.outcome is not claims.Outcome.ACQUIRED:
        if claim.finished_as == "empty":  # still nothing to post
            return Result(forum.id, KIND, "empty", key)
        return notices.not_acquired(forum, KIND, key, claim)
    ref: PostRef | None = None
    try:
        with publisher.db.transaction() as session:
            until = Period(year, forum.review_month) if year == now.year else None
            review = build(session, forum, year, forum.language, until=until, now=now)
        if not (review.total.contributions or review.trends or review.meetings):
            # A year with nothing in it (a forum set up after its review month): no post.
            notices.done(publisher, claim, status="empty")
            return Result(forum.id, KIND, "empty", key)
        if claim.resumed:
            ref = poster.find_post(forum, marker(forum.id, year), now - CATCH_UP_REVIEW)
        status = "found" if ref else "posted"
        if ref is None:
            # A long review goes out in parts, the later ones in the first one's thread.
            for part in poster.split(year_review_post(forum, review)):
                posted = poster.post(forum, part, thread_id=ref.message_id if ref else None)
                ref = ref or posted
    except Exception as exc:
        return notices.failed(publisher, forum, KIND, key, claim, exc)
    notices.done(publisher, claim)
    log.info("year review posted", extra={"forum_id": forum.id, "year": key, "status": status})
    return Result(forum.id, KIND, status, key, ref.message_id if ref else None)
