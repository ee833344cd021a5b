"""A trend's title in Teams, over HTTP: the link's preview card, else fetched after the answer.

Teams waits on the request while the bot handles an activity, so no page is fetched inside it: a
preview card's title is used as it is, and without one the trend is stored and answered at once
and its title fetched afterwards (bot.trend_titles). A local web page stands for the link; the
fetch is the real one (bot.linkfetch), allowed to reach this machine only in these tests.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from microsoft_teams.api.activities.message import MessageActivity
from sqlalchemy import select

from bot import linkfetch
from bot.core import Core
from bot.domain import Platform
from bot.i18n import t
from bot.services import forums
from bot.storage.models import Contribution
from fakes.teams_connector import FakeTeamsConnector
from handlers.teams.activities import previews_of
from tests.teams.support import (
    CHANNEL,
    LEADER,
    ORGANISER,
    TENANT,
    BotClient,
    channel_message,
    personal_message,
    teams_id,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:microsoft_teams")
PAGE_TITLE = "Omvärldsanalys 2027"
SLOW_SECONDS = 2.0
HERO = "application/vnd.microsoft.card.hero"
THUMBNAIL = "application/vnd.microsoft.card.thumbnail"


class Page:
    """A local page with a title: ``/sida`` at once, ``/sakta`` after a pause; ``/trasig`` fails."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.answered = threading.Event()  # the slow page has sent its answer
        page = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                page.asked.append(self.path)
                if self.path == "/trasig":
                    self._send(500, b"fel")
                    return
                if self.path == "/sakta":
                    time.sleep(SLOW_SECONDS)
                body = f"<html><head><title>{PAGE_TITLE}</title></head></html>".encode()
                self._send(200, body)
                if self.path == "/sakta":
                    page.answered.set()

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Page:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _this_machine(address: linkfetch.IPAddress) -> bool:
    return address == ipaddress.ip_address("127.0.0.1")


@pytest.fixture
def page(teams_core: Core) -> Iterator[Page]:
    """The page, and the core's real title fetch allowed to reach it."""
    teams_core.dialogue.fetch_title = lambda url: linkfetch.fetch_title(url, allow=_this_machine)
    with Page() as served:
        yield served
    teams_core.dialogue.titles.wait_idle(10)  # no fetch outlives its test


def _trends(core: Core) -> list[Contribution]:
    with core.db.transaction() as session:
        rows = list(session.scalars(select(Contribution).where(Contribution.kind == "trend")))
        session.expunge_all()
    return rows


def _answers(connector: FakeTeamsConnector) -> str:
    """Everything the leader was told privately, as one string."""
    chats = {connector.chat_with(teams_id(LEADER)), f"a:chat-{LEADER}"}
    posts = [post for chat in chats if chat for post in connector.in_conversation(chat)]
    return json.dumps([post.activity for post in posts], ensure_ascii=False).replace("\u200b", "")


def _preview(url: str, title: str, kind: str = THUMBNAIL, *, tap: bool = True) -> dict[str, Any]:
    """A link preview card as Microsoft's link-unfurling samples make them."""
    content: dict[str, Any] = {"title": title, "text": url, "images": []}
    if tap:
        content = {"title": title, "tap": {"type": "openUrl", "title": title, "value": url}}
    return {"contentType": kind, "content": content}


def _trend_message(connector: FakeTeamsConnector, url: str, *attachments: Any) -> dict[str, Any]:
    activity = channel_message(connector.url, f"trend {url} Läs kapitel 3")
    html = {"contentType": "text/html", "content": f'<p>trend <a href="{url}">{url}</a></p>'}
    activity["attachments"] = [html, *attachments]  # Teams sends the message's HTML as well
    return activity


@pytest.fixture
def setup(bot: BotClient, connector: FakeTeamsConnector, teams_core: Core) -> None:
    """The channel becomes a forum."""
    assert bot.send(channel_message(connector.url, "admin setup", user=ORGANISER)).is_success
    with teams_core.db.transaction() as session:
        assert forums.by_channel(session, Platform.TEAMS, TENANT, CHANNEL) is not None


def _wait_for_title(core: Core, timeout: float = 10.0) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [row] = _trends(core)
        if row.url_title:
            return row.url_title
        time.sleep(0.05)
    return None


@pytest.mark.usefixtures("setup")
def test_a_preview_cards_title_is_used_and_no_page_is_fetched(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, page: Page
) -> None:
    url = f"{page.url}/sida"
    other = _preview(f"{page.url}/annan", "En annan länk", HERO)
    message = _trend_message(connector, url, other, _preview(url, "Rapport: Tillit i skolan"))
    assert bot.send(message).is_success
    assert bot.send(message).is_success  # Teams delivers it again: still one trend, no fetch
    assert teams_core.dialogue.titles.wait_idle(10)
    [row] = _trends(teams_core)
    assert (row.url, row.url_title, row.text) == (url, "Rapport: Tillit i skolan", "Läs kapitel 3")
    assert page.asked == []
    assert t("sv", "trend.stored", title="Rapport: Tillit i skolan") in _answers(connector)


@pytest.mark.usefixtures("setup")
def test_a_thumbnail_naming_its_link_as_text_counts_in_a_private_chat_too(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, page: Page
) -> None:
    url = f"{page.url}/sida/"
    message = personal_message(connector.url, f"trend {url}")
    message["attachments"] = [_preview(url.rstrip("/"), "Skolverkets rapport", tap=False)]
    assert bot.send(message).is_success
    assert teams_core.dialogue.titles.wait_idle(10)
    [row] = _trends(teams_core)
    assert (row.url, row.url_title) == (url, "Skolverkets rapport")
    assert page.asked == []


@pytest.mark.usefixtures("setup")
def test_without_a_preview_the_answer_comes_first_and_the_title_after(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, page: Page
) -> None:
    url = f"{page.url}/sakta"
    assert bot.send(_trend_message(connector, url)).is_success
    assert not page.answered.is_set()  # Teams had its answer before the page gave its own
    [row] = _trends(teams_core)
    assert (row.url, row.url_title) == (url, None)
    assert t("sv", "trend.stored_untitled", url=url) in _answers(connector)
    assert _wait_for_title(teams_core) == PAGE_TITLE
    assert page.asked == ["/sakta"]


@pytest.mark.usefixtures("setup")
def test_a_failed_fetch_leaves_the_trend_stored_without_a_title(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, page: Page
) -> None:
    url = f"{page.url}/trasig"
    assert bot.send(_trend_message(connector, url)).is_success
    assert teams_core.dialogue.titles.wait_idle(10)
    [row] = _trends(teams_core)
    assert (row.url, row.url_title, row.text) == (url, None, "Läs kapitel 3")
    assert page.asked == ["/trasig"]


@pytest.mark.usefixtures("setup")
def test_odd_attachments_change_nothing(
    bot: BotClient, connector: FakeTeamsConnector, teams_core: Core, page: Page
) -> None:
    url = f"{page.url}/sida"
    odd: list[Any] = [
        {"contentType": THUMBNAIL, "content": "inte ett kort"},
        {"contentType": HERO, "content": {"title": ["lista"], "tap": {"type": "openUrl"}}},
        {
            "contentType": HERO,
            "content": {"title": "Falsk", "tap": {"type": "imBack", "value": url}},
        },
        {"contentType": THUMBNAIL, "content": {"title": "Falsk", "text": f"javascript:{url}"}},
        {"contentType": THUMBNAIL, "content": {"title": "   ", "text": url}},
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": {"title": "Falsk"}},
        {"contentType": HERO},
    ]
    assert bot.send(_trend_message(connector, url, *odd)).is_success
    assert _wait_for_title(teams_core) == PAGE_TITLE  # fetched: no odd card gave a title
    assert page.asked == ["/sida"]


def test_previews_of_reads_only_preview_cards() -> None:
    url = "https://rapport.example/a"
    activity = MessageActivity.model_validate(
        {
            "type": "message",
            "id": "1",
            "text": "x",
            "from": {"id": "29:a", "name": "A"},
            "recipient": {"id": "28:b", "name": "B"},
            "conversation": {"id": "a:1"},
            "attachments": [
                {"contentType": "text/html", "content": f'<a href="{url}">Titel</a>'},
                _preview(url, "Tillit", HERO),
                _preview(url, "Lärande", tap=False),
                *[_preview(f"{url}/{n}", "Många") for n in range(20)],
            ],
        }
    )
    found = previews_of(activity)
    assert found[:2] == ((url, "Tillit"), (url, "Lärande"))
    assert len(found) == 9  # only the first ten attachments are read
