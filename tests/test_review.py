"""The year in review: a fixture year gives exactly its numbers; reactions count people once;
``ledarforum review --post`` and the scheduler post it once; the page, Markdown and JSON."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import cli
from bot.config import Settings
from bot.core import Core, open_core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Language, Platform, Source
from bot.inbound import Place, Reacted
from bot.inbound_handler import InboundHandler
from bot.messages import Entry, plain_text
from bot.services import contributions, cycles, forums, review
from bot.services.contributions import NewContribution
from bot.storage.db import Database, make_engine
from bot.storage.models import Contribution, Meeting, Notice
from bot.timing import Period
from schedules.scheduler import SchedulerService
from tests.support import FakeClock, RecordingPoster

TEAM, CHANNEL = "T1", "C1"
HOSTILE = "<!channel> **fet** [klick](javascript:alert(1)) @here\n# rubrik"


def _forum(core: Core, **settings: object) -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, TEAM, CHANNEL, language="sv", timezone="Europe/Stockholm"
        )
        if settings:
            forum = forums.update(session, forum.id, actor="test", **settings)
    return forum


def _share(
    core: Core,
    forum: ForumInfo,
    message_id: str,
    author: str,
    text: str,
    at: datetime,
    *,
    anonymous: bool = False,
) -> int:
    with core.db.transaction() as session:
        return contributions.record(
            session,
            forum,
            NewContribution(
                author,
                f"Person {author}",
                text,
                Source.THREAD_REPLY,
                CHANNEL,
                message_id,
                at,
                permalink=f"https://chat.test/{message_id}",
                anonymous=anonymous,
            ),
            now=at,
        ).id


def _react(
    core: Core, message_id: str, user: str, *, added: bool = True, emoji: str = "+1"
) -> None:
    handler = InboundHandler(core.dialogue)
    actor = Actor(Platform.SLACK, TEAM, user, user)
    handler.handle(Reacted(actor, Place(Platform.SLACK, TEAM, CHANNEL), message_id, emoji, added))


def _reactions(core: Core, message_id: str) -> int:
    with core.db.transaction() as session:
        count = session.scalar(
            select(Contribution.reactions).where(Contribution.source_message_id == message_id)
        )
    return int(count or 0)


def _day(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 10, 0, tzinfo=UTC)


@pytest.fixture
def year(core: Core) -> ForumInfo:
    """2025: two January examples. 2026: four in January (reacted to), one in February, one
    trend in March, a meeting held in March and one still to come in December."""
    forum = _forum(core)
    _share(core, forum, "old1", "U1", "Förra årets första", _day(2025, 1, 15))
    _share(core, forum, "old2", "U2", "Förra årets andra", _day(2025, 1, 16))
    _share(core, forum, "a", "U1", "Exempel A", _day(2026, 1, 12))
    _share(core, forum, "b", "U2", "Exempel B", _day(2026, 1, 13), anonymous=True)
    _share(core, forum, "c", "U3", "Exempel C", _day(2026, 1, 14))
    _share(core, forum, "d", "U1", "Exempel D", _day(2026, 1, 15))
    _share(core, forum, "e", "U4", "Exempel E", _day(2026, 2, 16))
    for message, people in {"a": ("R1", "R2"), "b": ("R1", "R2", "R3"), "c": ("R4", "R5")}.items():
        for person in people:
            _react(core, message, person)
    with core.db.transaction() as session:
        session.add(
            Contribution(
                forum_id=forum.id,
                platform="slack",
                workspace_id=TEAM,
                period="2026-03",
                author_id="U1",
                author_name="Person U1",
                text="Läs den här rapporten",
                source=Source.THREAD_REPLY.value,
                channel_id=CHANNEL,
                source_message_id="trend1",
                created_at=_day(2026, 3, 10),
                kind="trend",
                url="https://example.org/rapport",
                url_title="Rapport om ledarskap",
            )
        )
        for starts in (_day(2026, 3, 20), _day(2026, 12, 10), _day(2025, 5, 5)):
            session.add(
                Meeting(
                    forum_id=forum.id,
                    starts_at=starts,
                    minutes=90,
                    place="Rum Ekmanska",
                    created_by="UORG",
                    created_at=_day(2025, 1, 1),
                )
            )
    return forum


def _build(
    core: Core, forum: ForumInfo, lang: Language = "sv", until: Period | None = None
) -> review.Review:
    with core.db.transaction() as session:
        return review.build(
            session, forum, 2026, lang, until=until or Period(2026, 2), now=core.dialogue.clock()
        )


def test_a_fixture_year_gives_exactly_its_numbers(core: Core, year: ForumInfo) -> None:
    found = _build(core, year)
    with core.db.transaction() as session:
        cycle = cycles.for_forum(session, year, 2026)
    january, february = cycle.theme_for(1), cycle.theme_for(2)
    assert january is not None and february is not None
    assert [(t.key, t.month) for t in found.themes] == [(january.key, 1), (february.key, 2)]
    first, second = found.themes
    # Top three by reactions; A and C tie on two people: the earlier (A) first; D is left out.
    assert [(e.text, e.reactions, e.author) for e in first.examples] == [
        ("Exempel B", 3, None),  # anonymous stays anonymous
        ("Exempel A", 2, "Person U1"),
        ("Exempel C", 2, "Person U3"),
    ]
    assert (first.now.contributions, first.now.contributors) == (4, 3)
    assert (first.last_year.contributions, first.last_year.contributors) == (2, 2)
    assert [(e.text, e.reactions) for e in second.examples] == [("Exempel E", 0)]
    # The year: five examples by four people (the trend counts apart); last year two by two.
    assert (found.total.contributions, found.total.contributors) == (5, 4)
    assert (found.last_total.contributions, found.last_total.contributors) == (2, 2)
    assert [(t.title, t.url, t.author) for t in found.trends] == [
        ("Rapport om ledarskap", "https://example.org/rapport", "Person U1")
    ]
    assert [m.starts_at for m in found.meetings] == [_day(2026, 3, 20)]  # December is to come
    data = json.loads(review.as_json(found))
    assert data["total"] == {"contributions": 5, "contributors": 4}
    assert [e["reactions"] for e in data["themes"][0]["examples"]] == [3, 2, 2]
    assert data["themes"][0]["examples"][0]["author"] is None


def test_markdown_is_bilingual_and_escapes_hostile_text(core: Core) -> None:
    forum = _forum(core)
    _share(core, forum, "x", "U9", HOSTILE, _day(2026, 1, 12))
    with core.db.transaction() as session:
        session.execute(
            Contribution.__table__.update().values(author_name="<@U1> *Eva*")  # type: ignore[attr-defined]
        )
    sv = review.review_markdown(_build(core, forum, "sv", Period(2026, 1)))
    en = review.review_markdown(_build(core, forum, "en", Period(2026, 1)))
    assert sv.startswith("# Året som gått 2026") and en.startswith("# The year in review 2026")
    assert "Årets teman" in sv and "The year's themes" in en
    assert "<!channel>" not in sv and "\\<!channel\\>" in sv
    assert "**fet**" not in sv and "\\*\\*fet\\*\\*" in sv
    assert "@here" not in sv  # a word joiner defuses the mention
    assert "\n# rubrik" not in sv and "> \\# rubrik" in sv
    assert "<@U1>" not in sv and "\\*Eva\\*" in sv


def test_a_reaction_counts_each_person_once_and_goes_when_taken_back(core: Core) -> None:
    forum = _forum(core)
    _share(core, forum, "m1", "U1", "Ett exempel", _day(2026, 1, 12))
    _react(core, "m1", "R1")
    _react(core, "m1", "R1")  # redelivered
    _react(core, "m1", "R1", emoji="heart")  # a second emoji of the same person
    _react(core, "m1", "R2")
    assert _reactions(core, "m1") == 2
    _react(core, "m1", "R1", added=False)  # the +1 taken back, the heart stays
    assert _reactions(core, "m1") == 2
    _react(core, "m1", "R1", added=False, emoji="heart")
    _react(core, "m1", "R1", added=False, emoji="heart")  # redelivered
    assert _reactions(core, "m1") == 1
    _react(core, "other", "R3")  # a message that is no stored example: nothing happens
    assert _reactions(core, "m1") == 1


def _run(core: Core, argv: list[str]) -> tuple[int, str]:
    class Adapters:
        def open(self, settings: Settings, *, console: bool = False) -> Core:
            return core

        def run(self, core: Core) -> int:  # pragma: no cover - not used here
            return 0

        def console(self, core: Core, stdin: object, stdout: object) -> int:  # pragma: no cover
            return 0

        def teams_package(self, settings: Settings, path: str) -> str:  # pragma: no cover
            return path

    out, err = io.StringIO(), io.StringIO()
    close = core.close
    core.close = lambda: None  # type: ignore[method-assign]
    try:
        code = cli.dispatch(
            cli.build_parser().parse_args(argv), core.settings, Adapters(), io.StringIO(), out, err
        )
    except cli.UsageError as problem:  # what main() prints, with exit code 2
        code = cli.EXIT_USAGE
        err.write(str(problem))
    finally:
        core.close = close  # type: ignore[method-assign]
    return code, out.getvalue() + err.getvalue()


def test_review_command_writes_markdown_and_json_and_posts_once(
    core: Core, year: ForumInfo, poster: RecordingPoster
) -> None:
    code, text = _run(core, ["review", "--forum", CHANNEL, "--year", "2026"])
    assert code == 0 and text.startswith("# Året som gått 2026")
    assert "Exempel B" in text and "Rapport om ledarskap" in text
    code, text = _run(core, ["review", "--forum", CHANNEL, "--year", "2026", "--format", "json"])
    assert code == 0 and json.loads(text)[0]["total"]["contributions"] == 5
    code, text = _run(core, ["review", "--forum", CHANNEL, "--year", "99"])
    assert code == 2 and "--year" in text
    first = _run(core, ["review", "--forum", CHANNEL, "--year", "2026", "--post"])
    second = _run(core, ["review", "--forum", CHANNEL, "--year", "2026", "--post"])
    assert first == (0, f"forum {year.id}: year_review 2026: posted\n")
    assert second == (0, f"forum {year.id}: year_review 2026: already\n")
    [post] = poster.posts
    assert post.message.kind == "year_review"
    entries = [e for e in post.message.elements if isinstance(e, Entry)]
    assert [e.author for e in entries[:3]] == ["anonym", "Person U1", "Person U3"]
    assert "Rapport om ledarskap" in plain_text(post.message)


def test_a_long_review_is_posted_in_parts_in_one_thread(
    core: Core, year: ForumInfo, poster: RecordingPoster
) -> None:
    poster.split_size = 2
    result = review.post(core.publisher, year, 2026)
    assert result.status == "posted"
    assert len(poster.posts) > 1
    assert all(sent.thread_id == poster.posts[0].message_id for sent in poster.posts[1:])


@pytest.fixture
def second_core(database_url: str, clock: FakeClock, poster: RecordingPoster) -> Iterator[Core]:
    """Another process's core on the same database."""
    other = open_core(
        Settings(database_url=database_url, organisers=("UORG",)),
        clock=clock,
        database=Database(make_engine(database_url)),
    )
    other.posters[Platform.SLACK] = poster
    yield other
    other.close()


def test_the_scheduler_posts_it_once_in_the_review_month_across_two_cores(
    core: Core, second_core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum = _forum(core, review_month=6)
    _share(core, forum, "a", "U1", "Exempel A", _day(2026, 1, 12))
    due = review.due_moment(forum, 2026)
    # June 2026 ends on a Tuesday: its last working day, at the digest time (14:00 in Stockholm).
    assert due == datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
    assert review.next_due(forum, due - timedelta(seconds=1)) == due
    clock.set(due - timedelta(days=1))
    services = [SchedulerService(core, clock), SchedulerService(second_core, clock)]
    for service in services:
        service.run_due()
    assert [p for p in poster.posts if p.message.kind == "year_review"] == []
    clock.set(due + timedelta(days=3))  # both were down over the moment: caught up once
    for service in services:
        service.run_due()
        service.run_due()
    reviews = [p for p in poster.posts if p.message.kind == "year_review"]
    assert len(reviews) == 1
    with core.db.transaction() as session:
        [notice] = session.scalars(select(Notice).where(Notice.kind == review.KIND)).all()
    assert (notice.key, notice.status) == ("2026", "done")
    # The review posted in June is of the themes until June.
    assert "juli" not in plain_text(reviews[0].message).casefold()
    clock.set(due + timedelta(days=60))  # long after: no late review for a year already done
    assert review.post_if_due(core.publisher, forum, clock()).status in {"already", "too_late"}


def test_review_month_is_a_setting_with_validation(core: Core) -> None:
    from bot.services import settings

    assert settings.parse({"review_month": "juni"}) == {"review_month": 6}
    assert settings.parse({"review_month": "December"}) == {"review_month": 12}
    for bad in ("0", "13", "smörgås"):
        with pytest.raises(settings.SettingsError):
            settings.parse({"review_month": bad})
    assert settings.show("review_month", 6, "sv") == "juni"
    assert settings.label("review_month", "en") == "Month of the year in review"


def test_an_empty_year_posts_nothing(core: Core, poster: RecordingPoster) -> None:
    forum = _forum(core)  # set up after its review month: nothing shared, no meetings
    assert review.post(core.publisher, forum, 2026).status == "empty"
    assert review.post(core.publisher, forum, 2026).status == "empty"
    assert poster.posts == []


def test_forget_me_erases_a_persons_reactions_and_the_count_follows(core: Core) -> None:
    from bot.services import privacy
    from bot.storage.models import ContributionReaction

    forum = _forum(core)
    _share(core, forum, "m1", "U1", "Ett exempel", _day(2026, 1, 12))
    _react(core, "m1", "R1")
    _react(core, "m1", "R2")
    with core.db.transaction() as session:
        privacy.forget(session, "slack", TEAM, "R1")
    assert _reactions(core, "m1") == 1
    with core.db.transaction() as session:
        left = session.scalars(select(ContributionReaction.user_id)).all()
    assert left == ["R2"]
