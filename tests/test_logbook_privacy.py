"""Nobody but its writer ever reads a logbook: not another person, not an organiser, not the web
pages or their downloads, not ``ledarforum export``, not the stats, not the digest, not someone
else's data export. The writer's own data export has it, and forget-me erases it.

Each surface is also shown an entry the writer *shared* as a good example, so a surface that
shows nothing at all could not pass for a private one.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot import cli
from bot.config import Settings
from bot.core import Core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Platform
from bot.inbound import ButtonPressed, CommandGiven, Place
from bot.inbound_handler import InboundHandler
from bot.messages import Actions, Reply, plain_text
from bot.services import forums, logbook, privacy, stats, subscriptions
from bot.services.logbook import LOGBOOK_SHARE
from bot.storage.models import LogbookEntry, LogbookPrompt
from bot.timing import Period
from handlers.site import error_page, site_routes
from handlers.web import build_web_app
from tests.site.conftest import BASE_URL, sign_in
from tests.support import FakeClock, RecordingPoster

WORKSPACE = "T1"
WRITER = Actor(Platform.SLACK, WORKSPACE, "U1", "Kim", "sv-SE")
COLLEAGUE = Actor(Platform.SLACK, WORKSPACE, "U2", "Alex", "sv-SE")
ORGANISER = Actor(Platform.SLACK, WORKSPACE, "UORG", "Org", "sv-SE")  # a configured organiser
HERE = Place(Platform.SLACK, WORKSPACE, "C1")
SECRET = "zebrafink4711"  # a word only the private entry has
SECRET_TEXT = f"Min tanke {SECRET}: jag avbröt Sara tre gånger på mötet."
SHARED = "kolibri0815"  # a word only the shared entry has
SHARED_TEXT = f"Vi provade {SHARED}: stående möten på tio minuter."
_HREF = re.compile(r'href="(/[^"#?]*)')


class _Adapters:
    def __init__(self, core: Core) -> None:
        self.core = core

    def open(self, settings: Settings, *, console: bool = False) -> Core:
        return self.core


def _say(core: Core, actor: Actor, text: str, message_id: str | None = None) -> Reply:
    return InboundHandler(core.dialogue).handle(CommandGiven(actor, HERE, text, message_id))


def _all_text(reply: Reply) -> str:
    parts = [plain_text(m) for m in [*reply.private, *reply.public]]
    parts += [plain_text(n.message) for n in reply.notify]
    parts += [f.content for f in reply.files]
    return "\n".join(parts)


@pytest.fixture
def written(core: Core) -> ForumInfo:
    """A forum where U1 wrote a private entry and shared another one."""
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session,
            Platform.SLACK,
            WORKSPACE,
            "C1",
            language="sv",
            timezone="Europe/Stockholm",
            name="#ledare",
        )
        subscriptions.subscribe(session, forum.id, "U1")
        subscriptions.subscribe(session, forum.id, "U2")
        logbook.set_prompts(session, "slack", WORKSPACE, "U1", True)
    _say(core, WRITER, f"logg {SECRET_TEXT}", "command:1")
    shared = _say(core, WRITER, f"logg {SHARED_TEXT}", "command:2")
    (value,) = [
        b.value
        for m in shared.private
        for e in m.elements
        if isinstance(e, Actions)
        for b in e.buttons
        if b.action == LOGBOOK_SHARE
    ]
    pressed = InboundHandler(core.dialogue).handle(
        ButtonPressed(WRITER, HERE, LOGBOOK_SHARE, value)
    )
    assert [m.kind for m in pressed.private] == ["confirmation", "info"]
    return forum


def test_another_person_and_an_organiser_see_nothing_in_chat(
    core: Core, written: ForumInfo
) -> None:
    for actor in (COLLEAGUE, ORGANISER):
        for command in (
            "logg",
            "log",
            "loggbok",
            "admin logg",
            "admin stats",
            "sammanfattning",
            "sök avbröt",
            "mina-data",
            "tema",
            "hjälp",
            "admin hjälp",
        ):
            shown = _all_text(_say(core, actor, command))
            # (the search answer repeats its query, so it asks for a word of the entry instead)
            assert SECRET not in shown and "Sara tre" not in shown, (actor.user_id, command)
    # The search the organiser can do does find what was shared: the surface works.
    assert SHARED in _all_text(_say(core, ORGANISER, f"sök {SHARED}"))
    # The writer's own list has both.
    own = _all_text(_say(core, WRITER, "logg"))
    assert SECRET in own and SHARED in own


@pytest.fixture
def web(core: Core) -> Iterator[TestClient]:
    """The whole site in-process, as tests/site/conftest.py builds it (its ``client``)."""
    core.settings = dataclasses.replace(core.settings, public_url=BASE_URL)
    app = build_web_app(core, site_routes(core), error_page=error_page(core))
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as test_client:
        yield test_client


def _pages(forum: int) -> list[str]:
    return [
        "/",
        "/forums",
        "/cohorts",
        f"/forums/{forum}",
        f"/forums/{forum}/library",
        f"/forums/{forum}/library?q=avbröt",  # a word of the entry (the page repeats q)
        f"/forums/{forum}/library?q={SHARED}",
        f"/forums/{forum}/library.csv",
        f"/forums/{forum}/library.json",
        f"/forums/{forum}/book/2026",
        f"/forums/{forum}/book/2026.md",
        f"/forums/{forum}/stats",
        f"/forums/{forum}/review/2026",
        f"/forums/{forum}/review/2026.md",
        f"/forums/{forum}/calendar",
        f"/forums/{forum}/wheel.svg",
        f"/forums/{forum}/cycle",
    ]


def _leaks(seen: dict[str, str]) -> list[str]:
    return [path for path, body in seen.items() if SECRET in body or "Sara tre" in body]


def test_the_library_and_its_downloads_do_not_show_it(
    web: TestClient, core: Core, written: ForumInfo
) -> None:
    sign_in(web, core, Platform.SLACK, WORKSPACE, "U1")  # not even to its writer
    shown = [path for path in _pages(written.id) if "/library" in path]  # all: the slow test
    seen = {path: web.get(path).content.decode("utf-8", "replace") for path in shown}
    assert _leaks(seen) == []
    assert SHARED in seen[f"/forums/{written.id}/library.csv"]  # the shared one is there


@pytest.mark.slow
def test_no_page_reachable_from_the_forum_shows_it(
    web: TestClient, core: Core, written: ForumInfo
) -> None:
    for who in ("U1", "UORG"):  # the writer and an organiser of every forum
        sign_in(web, core, Platform.SLACK, WORKSPACE, who)
        seen = _crawl(web, _pages(written.id))
        assert len(seen) >= 15
        assert _leaks(seen) == []
        assert any(SHARED in body for body in seen.values())


def _crawl(client: TestClient, start: Iterable[str], limit: int = 120) -> dict[str, str]:
    """Every page reachable by GET links from *start* (the site's own paths), with its body."""
    queue, seen = list(start), {}
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen or path.startswith(("/signout", "/signin")):
            continue
        response = client.get(path)
        body = response.content.decode("utf-8", "replace")
        seen[path] = body
        if "html" in response.headers.get("content-type", ""):
            queue += [link for link in _HREF.findall(body) if link not in seen]
    return seen


@pytest.mark.parametrize("fmt", ["csv", "json", "md"])
def test_ledarforum_export_leaves_it_out(
    core: Core,
    written: ForumInfo,
    fmt: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", core.settings.database_url)
    adapters = cast(cli.Adapters, _Adapters(core))
    assert cli.main(["export", "--format", fmt], adapters) == 0
    out = capsys.readouterr().out
    assert SHARED in out and SECRET not in out
    assert cli.main(["audit", "--format", "json"], adapters) == 0
    assert SECRET not in capsys.readouterr().out


def test_stats_and_the_digest_leave_it_out(
    core: Core, written: ForumInfo, poster: RecordingPoster, clock: FakeClock
) -> None:
    with core.db.transaction() as session:
        overview = stats.forum_stats(session, written.id)
    assert overview.total == 1  # the shared example only: an entry is no contribution
    participation, _ = core.dialogue.participation(written)
    assert SECRET not in repr(overview) + repr(participation)
    clock.set(datetime(2026, 11, 27, 13, 0, tzinfo=UTC))  # the week's digest moment
    result = core.publisher.post_digest(written, clock())
    assert result.ok
    sent = [plain_text(s.message) for s in [*poster.posts, *poster.direct]]
    assert sent and any(SHARED in text for text in sent)
    assert not [text for text in sent if SECRET in text]


def test_someone_elses_data_export_has_none_of_it_and_mine_has_all(
    core: Core, written: ForumInfo
) -> None:
    theirs = _say(core, COLLEAGUE, "mina-data")
    assert len(theirs.files) == 2
    assert SECRET not in _all_text(theirs) and SHARED not in _all_text(theirs)
    mine = _say(core, WRITER, "mina-data")
    for file in mine.files:
        assert SECRET in file.content and SHARED in file.content
    with core.db.transaction() as session:
        data = privacy.collect(session, "slack", WORKSPACE, "U1")
    assert [e["text"] for e in data["logbook"]] == [SECRET_TEXT, SHARED_TEXT]
    assert data["logbook"][1]["shared_contribution_id"] is not None
    assert data["preferences"]["logbook_prompts"] is True


def test_forget_me_erases_the_logbook_and_its_prompts(core: Core, written: ForumInfo) -> None:
    assert (
        logbook.send_prompts(
            core.publisher, written, logbook.prompt_moment(written, Period(2026, 11))
        ).status
        == "posted"
    )
    # Another person's entry stays.
    _say(core, COLLEAGUE, "logg Min egen anteckning.", "command:3")
    confirmed = InboundHandler(core.dialogue).handle(
        ButtonPressed(WRITER, HERE, "forget_confirm", "yes")
    )
    assert confirmed.private
    with core.db.transaction() as session:
        left = session.scalars(select(LogbookEntry.user_id)).all()
        prompts = session.scalars(select(LogbookPrompt.user_id)).all()
        assert left == ["U2"] and prompts == []
        assert logbook.prompts_on(session, "slack", WORKSPACE, "U1") is False
    after = _say(core, WRITER, "mina-data")
    assert SECRET not in _all_text(after)
    assert "tom" in _all_text(_say(core, WRITER, "logg"))
