"""The scheduler running for real: APScheduler in the background, started and stopped cleanly."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core import Core
from bot.services import cycles
from bot.timing import utcnow
from schedules.scheduler import HOUSEKEEPING_JOB, REFRESH_JOB, SchedulerService
from tests.support import FakeClock, RecordingPoster
from tests.test_scheduling import make_forum


def wait_for(condition: object, seconds: float = 10.0) -> bool:
    """Poll *condition* (a callable) in small steps until it holds or *seconds* pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize(
    "lag",
    [
        timedelta(0),  # the catch-up runs on time, from its DateTrigger job
        timedelta(minutes=10),  # past the misfire grace: APScheduler misses it, we run it anyway
    ],
    ids=["on_time", "missed"],
)
def test_a_started_scheduler_catches_up_in_the_background_and_stops(
    core: Core, clock: FakeClock, poster: RecordingPoster, lag: timedelta
) -> None:
    forum = make_forum(core)
    now = utcnow()
    clock.set(now - lag)
    with core.db.transaction() as session:
        doc = cycles.for_forum(session, forum)
        if doc.theme_for(now.month) is None:  # the shipped cycle leaves July without a theme
            some = next(iter(doc.themes.values()))
            cycles.set_theme(session, forum, replace(some, month=now.month), now.month, actor="t")
    service = SchedulerService(core, clock)

    began = time.monotonic()
    service.start()
    assert time.monotonic() - began < 1.0  # start() does not block
    with pytest.raises(RuntimeError):
        service.start()
    try:
        assert wait_for(lambda: len(poster.theme_posts()) == 1)
        ids = {job.id for job in service._scheduler.get_jobs()}
        assert {p.id for p in service.planned()} | {REFRESH_JOB, HOUSEKEEPING_JOB} == ids
        assert f"theme:{forum.id}" in ids and f"digest:{forum.id}" in ids
    finally:
        service.stop(wait=True)
    service.stop()  # stopping twice is harmless
    assert len(poster.theme_posts()) == 1
