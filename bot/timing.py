"""When things happen, in a forum's own time zone: theme periods and digest moments.

Pure functions over aware datetimes. Every "when" is computed on the local calendar (dates and wall
clock times) and only then converted to UTC, so a post due at 09:00 local stays at 09:00 local on
both sides of a daylight-saving change and across New Year. A theme is posted on a working day:
Monday to Friday, except the public holidays of the forum's country (the ``holidays`` package).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = 5  # Monday to Friday: the theme goes out on a working day among them
DEFAULT_COUNTRY = "SE"
# Days off beyond the law where a country's calendar names them: in Sweden midsummer, Christmas
# and New Year's Eve, when no workplace expects a theme.
_DAYS_OFF = (holidays.PUBLIC, holidays.DE_FACTO)


@dataclass(frozen=True, order=True)
class Period:
    """A theme period: one calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, key: str) -> Period:
        """The period of a ``YYYY-MM`` key."""
        year, month = key.split("-")
        return cls(int(year), int(month))

    @property
    def key(self) -> str:
        """``YYYY-MM``, as stored."""
        return f"{self.year:04d}-{self.month:02d}"

    def previous(self) -> Period:
        """The month before."""
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def next(self) -> Period:
        """The month after."""
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class Moments:
    """A forum's posting moments, in its own time zone."""

    timezone: str = "Europe/Stockholm"
    theme_time: time = time(9, 0)
    digest_weekday: int = 4  # Monday is 0: Friday
    digest_time: time = time(14, 0)
    country: str = DEFAULT_COUNTRY  # whose public holidays are not working days
    theme_day: int = 1  # the theme goes out on the month's n-th working day

    @property
    def zone(self) -> ZoneInfo:
        """The forum's zone."""
        return ZoneInfo(self.timezone)


def parse_clock(value: str) -> time:
    """``"09:00"`` → time(9, 0); raises ValueError on anything else."""
    hours, minutes = value.strip().split(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(value)
    return time(int(hours), int(minutes))


def local_moment(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local date.

    A wall time that does not exist (inside the spring-forward gap) is moved forward by the gap;
    an ambiguous one (autumn) means its first occurrence.
    """
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


@functools.cache
def supported_countries() -> frozenset[str]:
    """The country codes whose public holidays are known."""
    return frozenset(holidays.list_supported_countries())


@functools.cache
def _days_off(country: str, year: int) -> frozenset[date]:
    # One year's holidays of a country never change: computed once per process. A country the
    # package does not know (settings only store known ones) has weekends only, never a crash.
    if country not in supported_countries():
        return frozenset()
    supported = holidays.country_holidays(country).supported_categories
    categories = tuple(category for category in _DAYS_OFF if category in supported)
    return frozenset(holidays.country_holidays(country, years=year, categories=categories))


def is_working_day(day: date, country: str = DEFAULT_COUNTRY) -> bool:
    """True for Monday to Friday unless it is a public holiday (or a usual day off) in *country*."""
    return day.weekday() < WEEKDAYS and day not in _days_off(country, day.year)


def theme_day(period: Period, moments: Moments) -> date:
    """The local date the period's theme is posted: the month's n-th working day.

    A month with fewer working days than asked for posts on its last working day.
    """
    day, last, count = date(period.year, period.month, 1), None, 0
    while day.month == period.month:
        if is_working_day(day, moments.country):
            last, count = day, count + 1
            if count == moments.theme_day:
                return day
        day += timedelta(days=1)
    assert last is not None  # every month has working days
    return last


def theme_moment(period: Period, moments: Moments) -> datetime:
    """When the period's theme is posted: its n-th working day at the theme time (UTC)."""
    return local_moment(theme_day(period, moments), moments.theme_time, moments.zone)


def period_at(at: datetime, moments: Moments) -> Period:
    """The period whose theme is current at *at*: the latest posting moment at or before it."""
    local = at.astimezone(moments.zone)
    period = Period(local.year, local.month)
    return period if at >= theme_moment(period, moments) else period.previous()


def next_theme_moment(after: datetime, moments: Moments) -> datetime:
    """The first posting moment strictly after *after*."""
    return theme_moment(period_at(after, moments).next(), moments)


def digest_moment_at_or_before(at: datetime, moments: Moments) -> datetime:
    """The latest digest moment at or before *at* (UTC)."""
    local_day = at.astimezone(moments.zone).date()
    back = (local_day.weekday() - moments.digest_weekday) % 7
    day = local_day - timedelta(days=back)
    candidate = local_moment(day, moments.digest_time, moments.zone)
    if candidate > at:
        candidate = local_moment(day - timedelta(days=7), moments.digest_time, moments.zone)
    return candidate


def shift_digest_moment(moment: datetime, moments: Moments, weeks: int) -> datetime:
    """The digest moment *weeks* weeks from *moment*, on the local calendar."""
    local_day = moment.astimezone(moments.zone).date()
    return local_moment(local_day + timedelta(weeks=weeks), moments.digest_time, moments.zone)


def digest_window(moment: datetime, moments: Moments) -> tuple[datetime, datetime]:
    """The contributions a digest moment covers: stored after the previous moment, up to this."""
    return shift_digest_moment(moment, moments, -1), moment


def ensure_aware(at: datetime, zone: ZoneInfo) -> datetime:
    """An aware datetime: a naive one is read as local time in *zone*."""
    if at.tzinfo is None:
        return at.replace(tzinfo=zone).astimezone(UTC)
    return at.astimezone(UTC)


def utcnow() -> datetime:
    """Now, aware, in UTC."""
    return datetime.now(UTC)
