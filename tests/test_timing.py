"""Time rules in the forum's zone, across daylight saving and New Year."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.timing import (
    Moments,
    Period,
    digest_moment_at_or_before,
    digest_window,
    ensure_aware,
    is_working_day,
    local_moment,
    next_theme_moment,
    period_at,
    theme_moment,
)

STOCKHOLM = Moments("Europe/Stockholm")
NEW_YORK = Moments("America/New_York")
SE = ZoneInfo("Europe/Stockholm")


def local(moment: datetime, zone: str = "Europe/Stockholm") -> datetime:
    return moment.astimezone(ZoneInfo(zone))


@pytest.mark.parametrize(
    ("period", "expected_day"),
    [
        (Period(2026, 8), 3),  # 1 August 2026 is a Saturday: Monday the 3rd
        (Period(2026, 11), 2),  # 1 November 2026 is a Sunday
        (Period(2027, 1), 4),  # 1 January 2027 is a Friday and New Year's Day: Monday the 4th
        (Period(2024, 4), 2),  # 1 April 2024 is Easter Monday
        (Period(2027, 5), 3),  # 1 May 2027 is a Saturday
    ],
)
def test_theme_moment_is_the_first_working_day_at_nine(period: Period, expected_day: int) -> None:
    moment = local(theme_moment(period, STOCKHOLM))
    assert (moment.day, moment.time()) == (expected_day, time(9, 0))


def test_theme_moment_is_nine_local_on_both_sides_of_spring_and_autumn_changes() -> None:
    march, april = (
        theme_moment(Period(2027, 3), STOCKHOLM),
        theme_moment(Period(2027, 4), STOCKHOLM),
    )
    assert march == datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # CET, +01:00
    assert april == datetime(2027, 4, 1, 7, 0, tzinfo=UTC)  # CEST, +02:00
    october, november = (
        theme_moment(Period(2026, 10), STOCKHOLM),
        theme_moment(Period(2026, 11), STOCKHOLM),
    )
    assert october == datetime(2026, 10, 1, 7, 0, tzinfo=UTC)
    assert november == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_digest_moments_keep_local_time_across_the_change() -> None:
    before = digest_moment_at_or_before(datetime(2027, 3, 27, 12, tzinfo=UTC), STOCKHOLM)
    after = digest_moment_at_or_before(datetime(2027, 4, 3, 12, tzinfo=UTC), STOCKHOLM)
    assert local(before).replace(tzinfo=None) == datetime(2027, 3, 26, 14, 0)
    assert local(after).replace(tzinfo=None) == datetime(2027, 4, 2, 14, 0)
    start, end = digest_window(after, STOCKHOLM)
    assert start == before and end == after
    assert (end - start).total_seconds() == 7 * 24 * 3600 - 3600  # the week lost an hour


def test_digest_moment_at_the_exact_moment_is_that_moment() -> None:
    moment = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # Friday 14:00 in Stockholm
    assert digest_moment_at_or_before(moment, STOCKHOLM) == moment
    just_before = datetime(2026, 11, 27, 12, 59, tzinfo=UTC)
    assert digest_moment_at_or_before(just_before, STOCKHOLM) == datetime(
        2026, 11, 20, 13, 0, tzinfo=UTC
    )


def test_saturday_reply_belongs_to_next_fridays_digest() -> None:
    saturday = datetime(2026, 11, 28, 10, tzinfo=UTC)
    friday = datetime(2026, 12, 4, 13, 0, tzinfo=UTC)
    start, end = digest_window(friday, STOCKHOLM)
    assert start < saturday <= end


def test_period_across_new_year() -> None:
    # New Year's Day 2027 is a Friday and a holiday: December's theme stays until Monday 4th.
    assert period_at(datetime(2027, 1, 1, 9, 0, tzinfo=UTC), STOCKHOLM) == Period(2026, 12)
    assert period_at(datetime(2027, 1, 4, 7, 59, tzinfo=UTC), STOCKHOLM) == Period(2026, 12)
    assert period_at(datetime(2027, 1, 4, 8, 0, tzinfo=UTC), STOCKHOLM) == Period(2027, 1)
    assert next_theme_moment(datetime(2026, 12, 20, tzinfo=UTC), STOCKHOLM) == datetime(
        2027, 1, 4, 8, 0, tzinfo=UTC
    )
    assert Period(2026, 12).next() == Period(2027, 1)
    assert Period(2027, 1).previous() == Period(2026, 12)


def test_before_the_posting_moment_the_previous_theme_is_current() -> None:
    # Sunday 1 November 2026: the November theme posts Monday 2 November.
    assert period_at(datetime(2026, 11, 1, 12, tzinfo=UTC), STOCKHOLM) == Period(2026, 10)
    assert next_theme_moment(datetime(2026, 11, 1, 12, tzinfo=UTC), STOCKHOLM) == datetime(
        2026, 11, 2, 8, 0, tzinfo=UTC
    )


def test_new_york_forum_uses_its_own_zone() -> None:
    moment = theme_moment(Period(2027, 3), NEW_YORK)
    assert local(moment, "America/New_York").time() == time(9, 0)
    assert moment == datetime(2027, 3, 1, 14, 0, tzinfo=UTC)  # EST
    # New York changes on 14 March 2027, two weeks before Europe.
    friday = digest_moment_at_or_before(datetime(2027, 3, 19, 20, tzinfo=UTC), NEW_YORK)
    assert friday == datetime(2027, 3, 19, 18, 0, tzinfo=UTC)  # 14:00 EDT


def test_wall_time_in_the_spring_gap_moves_forward() -> None:
    moment = local_moment(datetime(2027, 3, 28).date(), time(2, 30), SE)
    assert local(moment).time() == time(3, 30)


def test_naive_at_means_forum_local_time() -> None:
    assert ensure_aware(datetime(2026, 11, 27, 14, 0), SE) == datetime(
        2026, 11, 27, 13, 0, tzinfo=UTC
    )


def test_january_2027_theme_is_monday_the_fourth_at_nine_in_stockholm() -> None:
    moment = theme_moment(Period(2027, 1), STOCKHOLM)
    assert local(moment).replace(tzinfo=None) == datetime(2027, 1, 4, 9, 0)


def test_holidays_and_days_off_are_no_working_days() -> None:
    assert not is_working_day(date(2027, 3, 29))  # Easter Monday
    assert not is_working_day(date(2027, 6, 25))  # midsommarafton, a Friday
    assert not is_working_day(date(2027, 12, 24))  # julafton, a Friday
    assert is_working_day(date(2027, 6, 24))
    assert is_working_day(date(2027, 5, 17))  # Whit Monday is no holiday in Sweden
    assert not is_working_day(date(2027, 5, 17), "NO")  # but it is in Norway


def test_nth_working_day_skips_midsommarafton() -> None:
    # June 2027: the 18th working day is Thursday the 24th; Friday the 25th is midsommarafton.
    assert local(theme_moment(Period(2027, 6), replace(STOCKHOLM, theme_day=18))).day == 24
    assert local(theme_moment(Period(2027, 6), replace(STOCKHOLM, theme_day=19))).day == 28


def test_second_working_day() -> None:
    second = replace(STOCKHOLM, theme_day=2)
    assert local(theme_moment(Period(2027, 1), second)).day == 5  # after Monday the 4th
    assert local(theme_moment(Period(2026, 12), second)).day == 2
    # Before the second working day the previous month's theme is still current.
    assert period_at(datetime(2027, 1, 4, 12, tzinfo=UTC), second) == Period(2026, 12)


def test_a_month_with_fewer_working_days_posts_on_its_last() -> None:
    assert local(theme_moment(Period(2027, 2), replace(STOCKHOLM, theme_day=25))).day == 26


def test_country_of_the_forum_decides_the_holidays() -> None:
    # May 2027 in Sweden: Monday the 17th is the 10th working day; in Norway it is a holiday
    # (Constitution Day and Whit Monday), so a Norwegian forum posts on Tuesday the 18th.
    sweden = replace(STOCKHOLM, theme_day=10)
    norway = Moments("Europe/Oslo", country="NO", theme_day=10)
    assert local(theme_moment(Period(2027, 5), sweden)).day == 17
    assert local(theme_moment(Period(2027, 5), norway), "Europe/Oslo").day == 18
    # 1 January 2027 is a holiday in Norway too.
    first = replace(norway, theme_day=1)
    assert local(theme_moment(Period(2027, 1), first), "Europe/Oslo").day == 4
