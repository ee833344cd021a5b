"""The trend titles fetched after the answer (bot.trend_titles) and the rule of who waits for one.

Teams handles an activity inside its request, so a Teams trend without a preview's title is
answered at once and titled afterwards; Slack and the console fetch before answering. The fetch
is replaced here (no network); the real fetch against a slow local page is in
tests/teams/test_trend_previews.py.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import select

from bot.core import Core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Platform, Source
from bot.inbound import CommandGiven, Place
from bot.inbound_handler import InboundHandler
from bot.services import contributions, forums, trends
from bot.services.trends import NewTrend
from bot.storage.models import Contribution
from bot.trend_titles import TitleFiller

WORKSPACE = "T1"
URL = "https://rapporter.example/omvarld"
WHEN = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)


def _forum(core: Core, platform: Platform = Platform.SLACK) -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, platform, WORKSPACE, "C1", language="sv", timezone="Europe/Stockholm"
        )
    return forum


def _trend(core: Core, forum: ForumInfo, message_id: str, title: str | None = None) -> int:
    new = NewTrend(
        author_id="U1",
        author_name="Kim Lind",
        url=URL,
        comment="",
        source=Source.SHARE_COMMAND,
        channel_id=forum.channel_id,
        source_message_id=message_id,
        created_at=WHEN,
        title=title,
    )
    with core.db.transaction() as session:
        trend_id, _ = trends.record(session, forum, new, now=WHEN)
    return trend_id


def _titles(core: Core) -> dict[str, str | None]:
    with core.db.transaction() as session:
        rows = session.execute(select(Contribution.source_message_id, Contribution.url_title))
        return {message: title for message, title in rows}


def test_a_title_is_filled_only_where_there_is_none(core: Core) -> None:
    forum = _forum(core)
    untitled, titled = (
        _trend(core, forum, "m1"),
        _trend(core, forum, "m2", "Från förhandsvisningen"),
    )
    filler = TitleFiller(core.db, lambda url: "  Hämtad\n titel ")
    assert filler.submit(untitled, URL) and filler.submit(titled, URL)
    assert filler.wait_idle(10)
    assert _titles(core) == {"m1": "Hämtad titel", "m2": "Från förhandsvisningen"}


def test_a_failed_fetch_leaves_the_trend_untitled_and_the_worker_going(core: Core) -> None:
    forum = _forum(core)
    first, second = _trend(core, forum, "m1"), _trend(core, forum, "m2")
    answers = iter([RuntimeError("nätet föll"), None])

    def fetch(url: str) -> str | None:
        answer = next(answers, "Till sist")
        if isinstance(answer, Exception):
            raise answer
        return answer

    filler = TitleFiller(core.db, fetch, workers=1)
    for trend_id in (first, second, first):
        assert filler.submit(trend_id, URL)
    assert filler.wait_idle(10)
    assert _titles(core) == {"m1": "Till sist", "m2": None}


def test_a_gone_trend_gets_no_title(core: Core) -> None:
    forum = _forum(core)
    trend_id = _trend(core, forum, "m1")
    with core.db.transaction() as session:
        contributions.delete_by_source(session, forum.id, "m1")
        assert trends.fill_title(session, trend_id, "Sen titel") is False
    assert _titles(core) == {}


def test_at_most_so_many_links_wait(core: Core) -> None:
    forum = _forum(core)
    started, release = threading.Event(), threading.Event()

    def fetch(url: str) -> str | None:
        started.set()
        release.wait(10)
        return "Titel"

    filler = TitleFiller(core.db, fetch, workers=1, max_pending=1)
    ids = [_trend(core, forum, f"m{n}") for n in range(3)]
    assert filler.submit(ids[0], URL)
    assert started.wait(10)  # the one worker is busy with the first link
    assert filler.submit(ids[1], URL)
    assert not filler.submit(ids[2], URL)  # full: this one stays untitled
    release.set()
    assert filler.wait_idle(10)
    assert _titles(core) == {"m0": "Titel", "m1": "Titel", "m2": None}


def test_a_teams_trend_is_answered_before_its_title_and_slack_waits_for_it(core: Core) -> None:
    release = threading.Event()
    asked: list[str] = []

    def fetch(url: str) -> str | None:
        asked.append(url)
        release.wait(10)
        return "Omvärlden 2027"

    core.dialogue.fetch_title = fetch
    handler = InboundHandler(core.dialogue)
    for platform in (Platform.TEAMS, Platform.SLACK):
        _forum(core, platform)
    teams = Actor(Platform.TEAMS, WORKSPACE, "aad-1", "Lea", "sv-SE")
    handler.handle(
        CommandGiven(teams, Place(Platform.TEAMS, WORKSPACE, "C1"), f"trend {URL}", "t1")
    )
    assert _titles(core) == {"t1": None}  # answered while the fetch still waits
    release.set()
    assert core.dialogue.titles.wait_idle(10)
    slack = Actor(Platform.SLACK, WORKSPACE, "U1", "Kim", "sv-SE")
    handler.handle(
        CommandGiven(slack, Place(Platform.SLACK, WORKSPACE, "C1"), f"trend {URL}", "s1")
    )
    assert _titles(core) == {"t1": "Omvärlden 2027", "s1": "Omvärlden 2027"}  # inline
    assert asked == [URL, URL]


def test_a_teams_preview_for_another_link_gives_no_title(core: Core) -> None:
    _forum(core, Platform.TEAMS)
    core.dialogue.fetch_title = lambda url: None
    actor = Actor(Platform.TEAMS, WORKSPACE, "aad-1", "Lea", "sv-SE")
    place = Place(Platform.TEAMS, WORKSPACE, "C1")
    previews = (("https://annan.example/", "Fel titel"), (URL + "/", "Rätt titel"))
    handler = InboundHandler(core.dialogue)
    handler.handle(CommandGiven(actor, place, f"trend {URL}", "t1", previews[:1]))
    handler.handle(CommandGiven(actor, place, f"trend {URL}", "t2", previews))
    assert core.dialogue.titles.wait_idle(10)
    assert _titles(core) == {"t1": None, "t2": "Rätt titel"}
