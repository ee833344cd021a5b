"""Cohorts of a leadership programme, and how they go on as alumni after the programme ends.

A forum is a cohort when an organiser gives it a ``cohort_end`` (``admin settings``; a name and a
start are for people). Until the end every month's theme and every digest go out as for any
forum. A month *after* the end month is an alumni month, and then the forum's ``alumni_rhythm``
decides which months still post (:func:`rhythm_allows`):

- ``monthly``: every month, as before;
- ``quarterly`` (the default): the first month of each quarter (January, April, July, October),
  with that month's theme;
- ``yearly``: only the reunion month (``reunion_month``, or the month the cohort ended).

The weekly digest follows the same rule: in a quiet month no digest is posted (no empty alumni
digests); what was shared meanwhile is in the first digest of the next posting month, because a
digest covers everything since the last digest that went out (:func:`bot.services.digest.window`).

The **reunion reminder** (:func:`remind_reunion`): once a year, in the reunion month of an alumni
year, at the theme time on the month's first working day, a post invites the cohort to its
reunion with its last year in figures and that year's review (:mod:`bot.services.review`, in
parts within the platform's limits), linking to the review's page. It goes out exactly once per
forum and year: a :class:`~bot.storage.models.Notice` row (kind ``reunion``, key the year) is
claimed with the rule of :mod:`bot.services.claims` before anything is posted.

Several cohorts share one cycle simply by following it: every forum follows the default cycle
until it gets one of its own, and ``ledarforum schedule import --forum ID`` gives one forum the
same cycle as another (see docs/usage.md, "Cohorts and alumni").
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from bot.domain import ForumInfo, Language, Platform
from bot.i18n import month_name, t
from bot.messages import Bullets, Divider, Element, Header, Message, Note, Paragraph
from bot.ports import PostRef

# publishing asks rhythm_allows before each post: importing the module (not its names) from
# here keeps the import cycle harmless.
from bot.services import claims, notices, publishing, stats
from bot.services.forums import moments
from bot.storage.db import Database
from bot.timing import Period, theme_moment

if TYPE_CHECKING:
    from bot.services.review import Review as YearReview

log = logging.getLogger(__name__)

REUNION = "reunion"
REUNION_EVENT = "ledarforum_reunion"
QUARTER_MONTHS = frozenset({1, 4, 7, 10})
# The reunion reminder is about the month it opens: after downtime it is caught up within this.
CATCH_UP_REUNION = timedelta(days=7)


def is_cohort(forum: ForumInfo) -> bool:
    """Whether *forum* is a cohort with an end (only then is there an alumni rhythm)."""
    return forum.cohort_end is not None


def is_alumni(forum: ForumInfo, period: Period) -> bool:
    """Whether *period* lies wholly after the cohort's end: its end month still posts as before."""
    return forum.cohort_end is not None and date(period.year, period.month, 1) > forum.cohort_end


def reunion_month(forum: ForumInfo) -> int | None:
    """The month of the yearly reunion: the one set, else the end month for a yearly rhythm.

    A quarterly or monthly cohort without a ``reunion_month`` has no reunion reminder.
    """
    if forum.reunion_month is not None:
        return forum.reunion_month
    if forum.alumni_rhythm == "yearly" and forum.cohort_end is not None:
        return forum.cohort_end.month
    return None


def rhythm_allows(forum: ForumInfo, period: Period) -> bool:
    """Whether the forum posts (theme and digests) in *period*; see the module docstring."""
    if not is_alumni(forum, period):
        return True
    if forum.alumni_rhythm == "monthly":
        return True
    if forum.alumni_rhythm == "yearly":
        return period.month == reunion_month(forum)
    return period.month in QUARTER_MONTHS  # quarterly, the default (and any unknown value)


# -- the organisers' overview (the /cohorts page, ``ledarforum cohorts``) ------------------------


def is_cohort_forum(forum: ForumInfo) -> bool:
    """Whether *forum* is shown as a cohort: it has a cohort name or an end."""
    return bool(forum.cohort_name) or forum.cohort_end is not None


def status(forum: ForumInfo, period: Period) -> str:
    """``running``, ``alumni`` or ``none`` (no end set) in *period*."""
    if forum.cohort_end is None:
        return "none"
    return "alumni" if is_alumni(forum, period) else "running"


@dataclass(frozen=True)
class CohortRow:
    """One cohort's participation beside the others': how many, never who."""

    forum: ForumInfo
    status: str
    participation: stats.Participation

    @property
    def name(self) -> str:
        return self.forum.cohort_name or self.forum.name or self.forum.channel_id

    def as_dict(self) -> dict[str, Any]:
        p = self.participation
        return {
            "forum_id": self.forum.id,
            "cohort": self.name,
            "cohort_start": self.forum.cohort_start.isoformat()
            if self.forum.cohort_start
            else None,
            "cohort_end": self.forum.cohort_end.isoformat() if self.forum.cohort_end else None,
            "status": self.status,
            "alumni_rhythm": self.forum.alumni_rhythm,
            "year": p.year,
            "members": p.members,
            "people": p.total.contributors,
            "share": p.total.share,
            "examples": p.total.contributions,
            "last_year_people": p.last_total.contributors,
            "last_year_share": p.last_total.share,
            "last_year_examples": p.last_total.contributions,
        }


def overview(
    session: Session,
    candidates: Iterable[ForumInfo],
    *,
    year: int,
    period: Period,
    members: Mapping[int, int | None] | None = None,
) -> list[CohortRow]:
    """The cohorts among *candidates*, with their participation in *year* and the year before.

    *members* gives each forum's member count (see :func:`refreshed_overview`, which asks the
    platforms); a forum not in it uses the count stored, without a platform call.
    """
    rows = []
    for forum in candidates:
        if not is_cohort_forum(forum):
            continue
        if members is not None and forum.id in members:
            count = members[forum.id]
        else:
            count, _ = stats.stored_member_count(session, forum.id)
        p = stats.participation(session, forum, year=year, members=count)
        rows.append(CohortRow(forum, status(forum, period), p))
    return sorted(
        rows, key=lambda row: (row.forum.cohort_start or date.max, row.name, row.forum.id)
    )


def refreshed_overview(
    db: Database,
    candidates: Iterable[ForumInfo],
    counters: Mapping[Platform, object],
    *,
    year: int,
    period: Period,
    now: datetime,
) -> list[CohortRow]:
    """:func:`overview` with each cohort's member count refreshed first when it is stale.

    The same rule as the stats pages (:func:`bot.services.stats.member_count`): a platform is
    asked at most once a day per forum, through its poster when that offers
    :class:`~bot.ports.MemberCounter`; a failure is logged and the cohort is shown without a
    share, never an error. So the share is there on the first look, not after a stats page.
    """
    cohorts = [forum for forum in candidates if is_cohort_forum(forum)]
    members = {
        forum.id: stats.member_count(db, forum, counters.get(forum.platform), now=now)
        for forum in cohorts
    }
    with db.transaction() as session:
        return overview(session, cohorts, year=year, period=period, members=members)


CSV_FIELDS = (
    "forum_id",
    "cohort",
    "cohort_start",
    "cohort_end",
    "status",
    "alumni_rhythm",
    "year",
    "members",
    "people",
    "share",
    "examples",
    "last_year_people",
    "last_year_share",
    "last_year_examples",
)


def as_json(rows: list[CohortRow]) -> str:
    """The overview as JSON: group figures only."""
    return json.dumps([row.as_dict() for row in rows], ensure_ascii=False, indent=2) + "\n"


def as_csv(rows: list[CohortRow]) -> str:
    """The overview as CSV, one cohort a row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {key: "" if value is None else value for key, value in row.as_dict().items()}
        )
    return buffer.getvalue()


def as_text(rows: list[CohortRow], lang: Language) -> str:
    """The overview in words, one cohort a line."""
    if not rows:
        return t(lang, "cohorts.cli.none") + "\n"
    lines = []
    for row in rows:
        p = row.participation
        dates = " – ".join(
            day.isoformat() for day in (row.forum.cohort_start, row.forum.cohort_end) if day
        )
        lines.append(
            f"{row.name} (forum {row.forum.id}{', ' + dates if dates else ''}; "
            f"{t(lang, 'cohorts.status.' + row.status)})\n"
            f"  {stats.row_text(lang, str(p.year), p.total, p.last_total, p.year - 1)}"
        )
    return "\n".join(lines) + "\n"


# -- the reunion reminder -----------------------------------------------------------------------


def reunion_moment(forum: ForumInfo, year: int) -> datetime | None:
    """When *year*'s reunion reminder is due (UTC): the month's first working day at the theme
    time. None when the forum has no reunion that year (not a cohort, no month, not yet alumni).
    """
    month = reunion_month(forum)
    if month is None or not is_alumni(forum, Period(year, month)):
        return None
    return theme_moment(Period(year, month), dataclasses.replace(moments(forum), theme_day=1))


def next_reunion(forum: ForumInfo, after: datetime) -> datetime | None:
    """The first reunion moment strictly after *after* (None: the forum has no reunions)."""
    if reunion_month(forum) is None or forum.cohort_end is None:
        return None
    first = max(after.year - 1, forum.cohort_end.year)
    for year in range(first, max(first, after.year) + 3):
        moment = reunion_moment(forum, year)
        if moment is not None and moment > after:
            return moment
    return None


def reunion_marker(forum_id: int, year: int) -> str:
    """The tag that identifies a forum's reunion reminder of a year on the platform."""
    return f"reunion:{forum_id}:{year}"


def participation_lines(
    session: Session, forum: ForumInfo, year: int, lang: Language
) -> tuple[str, ...]:
    """The cohort's participation in *year* beside the year before: group figures, no names."""
    members, _ = stats.stored_member_count(session, forum.id)
    p = stats.participation(session, forum, year=year, members=members)
    return (
        t(lang, "cohorts.reunion.year", year=year, figures=stats.figures_text(lang, p.total)),
        t(
            lang,
            "cohorts.reunion.year",
            year=year - 1,
            figures=stats.figures_text(lang, p.last_total),
        ),
    )


def review_url(publisher: publishing.Publisher, forum: ForumInfo, year: int) -> str | None:
    """The web page of the forum's year in review (``/forums/ID/review/YEAR``), when readers on
    its platform can open the site's address."""
    base = publisher.public_url
    if not base or not publishing.reachable(base, forum.platform):
        return None
    return f"{base.rstrip('/')}/forums/{forum.id}/review/{year}"


def reunion_post(
    forum: ForumInfo,
    year: int,
    lines: tuple[str, ...],
    review_url: str | None = None,
    review: YearReview | None = None,
) -> Message:
    """The invitation to the cohort's yearly reunion, with its year in figures and, given
    *review*, the year in review itself (themes, most appreciated examples, trends, meetings)
    as the review post renders it, then the link to its page. A long one is cut into parts by
    the platform's packer (``poster.split``) when it is posted."""
    lang = forum.language
    cohort = forum.cohort_name or forum.name or forum.channel_id
    month = month_name(lang, reunion_month(forum) or 1)
    header = t(lang, "cohorts.reunion.header", cohort=cohort, year=year)
    elements: list[Element] = [
        Header(header),
        Paragraph(t(lang, "cohorts.reunion.text", cohort=cohort, month=month)),
        Paragraph(t(lang, "cohorts.reunion.summary", year=year - 1)),
        Bullets(lines),
    ]
    if review is not None:
        elements += review_elements(forum, review)
    if review_url:
        elements.append(Paragraph(t(lang, "cohorts.reunion.review", url=review_url)))
    elements.append(Note(t(lang, "cohorts.reunion.note")))
    return Message(
        kind=REUNION,
        fallback=header,
        elements=tuple(elements),
        metadata={
            "event_type": REUNION_EVENT,
            "event_payload": {
                "forum_id": forum.id,
                "year": year,
                "marker": reunion_marker(forum.id, year),
            },
        },
    )


def review_elements(forum: ForumInfo, review: YearReview) -> list[Element]:
    """The year in review's elements (:func:`bot.posts.year_review_post`, the one renderer) to
    go inside the reunion post: its title a heading within the post, and without its
    participation note, which the reunion's own figures already give (with the share)."""
    from bot.posts import year_review_post  # posts imports the services at load time

    rendered = year_review_post(forum, review).elements
    title = rendered[0]
    rest = rendered[1:]
    if rest and isinstance(rest[0], Note):
        rest = rest[1:]
    heading = Header(title.text, level=2) if isinstance(title, Header) else title
    return [Divider(), heading, *rest]


def remind_reunion(
    publisher: publishing.Publisher, forum: ForumInfo, at: datetime
) -> publishing.Result:
    """Post the reunion reminder of the year of *at*, once, when its moment has come.

    Statuses besides the publishing ones: ``off`` (no reunion for the forum that year),
    ``not_due`` (its moment has not come), ``too_late`` (more than ``CATCH_UP_REUNION`` past).
    """
    year = at.astimezone(moments(forum).zone).year
    key = str(year)
    due = reunion_moment(forum, year)
    if due is None:
        return publishing.Result(forum.id, REUNION, "off", key)
    if at < due:
        return publishing.Result(forum.id, REUNION, "not_due", key)
    if at - due > CATCH_UP_REUNION:
        return publishing.Result(forum.id, REUNION, "too_late", key)
    poster = publisher.posters.get(forum.platform)
    if poster is None:
        return publishing.Result(forum.id, REUNION, "no_adapter", key, error=forum.platform.value)
    claim = notices.take(publisher, forum, REUNION, key)
    if claim.outcome is not claims.Outcome.ACQUIRED:
        return notices.not_acquired(forum, REUNION, key, claim)
    ref: PostRef | None = None
    try:
        # Imported here: review imports publishing, which imports this module.
        from bot.services import review as reviews

        with publisher.db.transaction() as session:
            # The year behind the reunion: the last whole year, beside the one before it.
            lines = participation_lines(session, forum, year - 1, forum.language)
            review = reviews.build(session, forum, year - 1, forum.language, now=at)
        message = reunion_post(forum, year, lines, review_url(publisher, forum, year - 1), review)
        if claim.resumed:
            ref = poster.find_post(forum, reunion_marker(forum.id, year), due - timedelta(days=1))
        status = "found" if ref else "posted"
        if ref is None:
            # A long post goes out in parts (the platform's limits), the later ones in the
            # first one's thread, as the year in review itself does.
            for part in poster.split(message):
                posted = poster.post(forum, part, thread_id=ref.message_id if ref else None)
                ref = ref or posted
    except Exception as exc:
        return notices.failed(publisher, forum, REUNION, key, claim, exc)
    notices.done(publisher, claim)
    log.info(
        "reunion reminder posted", extra={"forum_id": forum.id, "year": year, "status": status}
    )
    return publishing.Result(forum.id, REUNION, status, key, ref.message_id if ref else None)
