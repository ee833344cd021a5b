"""Trends (environmental scanning) through the one core handler, the digest and the library page.

The title fetcher is replaced in every test (``core.dialogue.fetch_title``): nothing here goes to
the network; bot.linkfetch itself is tested in tests/test_linkfetch.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.core import Core
from bot.dialogue import Actor
from bot.domain import ForumInfo, Language, Platform, Source
from bot.i18n import t
from bot.inbound import CommandGiven, MessageRef, MessageSaved, Place, SavedMessage
from bot.inbound_handler import InboundHandler
from bot.messages import Entry, Header, Reply, plain_text
from bot.posts import digest_post
from bot.services import digest, forums, settings, trends
from bot.services.contributions import NewContribution, record
from bot.services.settings import SettingsError
from bot.storage.models import Contribution
from handlers.site import error_page, site_routes
from handlers.web import build_web_app
from tests.site.conftest import sign_in

WORKSPACE = "T1"
KIM = Actor(Platform.SLACK, WORKSPACE, "U1", "Kim Lind", "sv-SE")
SAM = Actor(Platform.SLACK, WORKSPACE, "U3", "Sam Vik", "en-GB")
HERE = Place(Platform.SLACK, WORKSPACE, "C1")
URL = "https://rapporter.example/framtidens-arbetsliv"
TITLE = "Framtidens arbetsliv 2030"


def _forum(core: Core, **changes: object) -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, WORKSPACE, "C1", language="sv", timezone="Europe/Stockholm"
        )
        if changes:
            forum = forums.update(session, forum.id, actor="test", **changes)
    return forum


def _fetcher(core: Core, title: str | None = TITLE) -> list[str]:
    """Replace the title fetch; the URLs it was asked for."""
    asked: list[str] = []

    def fetch(url: str) -> str | None:
        asked.append(url)
        return title

    core.dialogue.fetch_title = fetch
    return asked


def _no_fetch(core: Core) -> None:
    def fetch(url: str) -> str | None:
        raise AssertionError(f"fetched {url}")

    core.dialogue.fetch_title = fetch


def _rows(core: Core) -> list[Contribution]:
    with core.db.transaction() as session:
        rows = list(session.scalars(select(Contribution).order_by(Contribution.id)))
        session.expunge_all()
    return rows


def _text(reply: Reply) -> str:
    return " ".join(plain_text(message) for message in [*reply.private, *reply.public])


def _command(core: Core, text: str, actor: Actor = KIM, message_id: str | None = None) -> Reply:
    return InboundHandler(core.dialogue).handle(CommandGiven(actor, HERE, text, message_id))


# ---------------------------------------------------------------- the command


def test_the_command_stores_a_trend_with_its_fetched_title(core: Core) -> None:
    _forum(core)
    asked = _fetcher(core)
    reply = _command(core, f"trend {URL} Läs avsnittet om distansledarskap", message_id="c:1")
    assert asked == [URL]
    [row] = _rows(core)
    assert (row.kind, row.url, row.url_title) == ("trend", URL, TITLE)
    assert row.text == "Läs avsnittet om distansledarskap"
    assert (row.author_id, row.source) == ("U1", Source.SHARE_COMMAND.value)
    assert _text(reply) == t("sv", "trend.stored", title=TITLE)


def test_the_command_answers_in_english_and_keeps_a_link_without_title(core: Core) -> None:
    _forum(core)
    _fetcher(core, title=None)
    reply = _command(core, f"TREND {URL}", actor=SAM)
    [row] = _rows(core)
    assert (row.url, row.url_title, row.text) == (URL, None, "")
    assert _text(reply) == t("en", "trend.stored_untitled", url=URL)
    assert "Environmental scanning" in _text(reply)


@pytest.mark.parametrize(
    "text",
    [
        "trend",
        "trend inte-en-länk",
        "trend ftp://filer.example/rapport.pdf",
        "trend javascript:alert(1)",
        "trend https://",
        "trend http://user:hemligt@rapporter.example/",
        "trend https://rapporter.example:99999/",
        "trend " + "https://rapporter.example/" + "a" * 2000,
    ],
)
def test_a_bad_link_gets_a_translated_answer_and_stores_nothing(core: Core, text: str) -> None:
    _forum(core)
    _no_fetch(core)
    assert _text(_command(core, text)) == t("sv", "trend.error.url")
    assert _text(_command(core, text, actor=SAM)) == t("en", "trend.error.url")
    assert _rows(core) == []


def test_a_retried_command_stores_once_and_fetches_once(core: Core) -> None:
    _forum(core)
    asked = _fetcher(core)
    first = _command(core, f"trend {URL} första", message_id="command:T123")
    again = _command(core, f"trend {URL} första", message_id="command:T123")
    assert len(_rows(core)) == 1
    assert asked == [URL]  # the retry found the row: no second fetch
    assert _text(first) == t("sv", "trend.stored", title=TITLE)
    assert _text(again) == t("sv", "trend.already")


def test_the_command_outside_a_forum_says_so(core: Core) -> None:
    _no_fetch(core)
    reply = _command(core, f"trend {URL}")
    assert _text(reply) == t("sv", "forum.none")
    assert _rows(core) == []


def test_help_names_the_command(core: Core) -> None:
    _forum(core)
    assert t("sv", "help.cmd.trend") in _text(_command(core, "hjälp"))
    assert t("en", "help.cmd.trend") in _text(_command(core, "help"))


# ---------------------------------------------------------------- the reaction


def _saved(
    text: str, links: tuple[tuple[str, str], ...] = (), loads: list[str] | None = None
) -> Callable[[], SavedMessage]:
    def load() -> SavedMessage:
        if loads is not None:
            loads.append("load")
        message = MessageRef("1732351200.000100", None, datetime(2026, 11, 20, 9, tzinfo=UTC))
        return SavedMessage(KIM, message, "U2", "Alex Berg", text, links)

    return load


def _react(core: Core, reaction: str, load: Callable[[], SavedMessage]) -> Reply:
    event = MessageSaved(HERE, Source.REACTION, load, reaction)
    return InboundHandler(core.dialogue).handle(event)


def test_the_trend_reaction_prefers_the_unfurled_title(core: Core) -> None:
    _forum(core, trend_reaction="telescope")
    _no_fetch(core)
    text = f"Intressant rapport: <{URL}|rapporter.example> – värd att läsa"
    reply = _react(core, "telescope", _saved(text, ((URL, "Rapport: Arbetslivet  2030"),)))
    [row] = _rows(core)
    assert (row.kind, row.url, row.url_title) == ("trend", URL, "Rapport: Arbetslivet 2030")
    assert (row.author_id, row.saved_by_id, row.source) == ("U2", "U1", "reaction")
    assert row.text == "Intressant rapport: – värd att läsa"
    assert "Rapport: Arbetslivet 2030" in _text(reply)
    again = _react(core, "telescope", _saved(text, ((URL, "Rapport"),)))  # a retried event
    assert len(_rows(core)) == 1 and _text(again) == t("sv", "trend.already")


def test_the_trend_reaction_fetches_when_there_is_no_unfurl(core: Core) -> None:
    _forum(core, trend_reaction="telescope")
    asked = _fetcher(core)
    _react(core, "telescope", _saved(f"Läs {URL}."))
    [row] = _rows(core)
    assert asked == [URL] and (row.url, row.url_title) == (URL, TITLE)


def test_a_message_without_a_link_is_not_a_trend(core: Core) -> None:
    _forum(core, trend_reaction="telescope")
    _no_fetch(core)
    reply = _react(core, "telescope", _saved("Inga länkar här"))
    assert _text(reply) == t("sv", "trend.error.no_link")
    assert _rows(core) == []


def test_other_reactions_store_no_trend_and_ask_the_platform_nothing(core: Core) -> None:
    _forum(core, trend_reaction="telescope")
    _no_fetch(core)
    loads: list[str] = []
    assert _react(core, "heart", _saved(f"Läs {URL}", loads=loads)) == Reply()
    assert loads == [] and _rows(core) == []
    _forum(core, trend_reaction=None)  # switched off: the emoji means nothing
    assert _react(core, "telescope", _saved(f"Läs {URL}", loads=loads)) == Reply()
    assert loads == [] and _rows(core) == []


def test_the_save_reaction_still_stores_a_practice(core: Core) -> None:
    _forum(core, trend_reaction="telescope")
    _no_fetch(core)
    _react(core, "bulb", _saved(f"Vi läste {URL} tillsammans"))
    [row] = _rows(core)
    assert (row.kind, row.url) == ("practice", None)


# ---------------------------------------------------------------- settings


def test_the_trend_reaction_is_a_setting_in_both_languages() -> None:
    assert "trend_reaction" in settings.KEYS
    assert settings.parse({"trend_reaction": ":Telescope:"}) == {"trend_reaction": "telescope"}
    assert settings.parse({"trend-reaction": "av"}) == {"trend_reaction": None}
    with pytest.raises(SettingsError) as refused:
        settings.parse({"trend_reaction": "inte en emoji!"})
    assert "telescope" in refused.value.message("sv")
    assert settings.label("trend_reaction", "sv") == "Reaktion som sparar en länk som trend"
    assert settings.label("trend_reaction", "en") == "Reaction that saves a link as a trend"


def test_admin_settings_sets_the_trend_reaction(core: Core) -> None:
    forum = _forum(core)
    organiser = Actor(Platform.SLACK, WORKSPACE, "UORG", "Org", "sv-SE")
    _command(core, "admin settings trend_reaction=telescope", actor=organiser)
    with core.db.transaction() as session:
        stored = forums.get(session, forum.id)
    assert stored is not None and stored.trend_reaction == "telescope"


# ---------------------------------------------------------------- digest, year, library


def _seed(core: Core, forum: ForumInfo, now: datetime) -> None:
    with core.db.transaction() as session:
        record(
            session,
            forum,
            NewContribution("U1", "Kim Lind", "Vi testade gåmöten", Source.FORM, "C1", "f:1", now),
            now=now,
        )
        for number, (title, comment) in enumerate(
            [(TITLE, "Se kapitel 3"), ("@channel Klicka <här>", ""), (None, "Utan titel")]
        ):
            trends.record(
                session,
                forum,
                trends.NewTrend(
                    "U2",
                    "Alex Berg",
                    f"{URL}/{number}",
                    comment,
                    Source.SHARE_COMMAND,
                    "C1",
                    f"trend:{number}",
                    now + timedelta(minutes=number),
                    title=title,
                ),
                now=now + timedelta(minutes=number),
            )


def test_the_digest_has_its_own_section_of_trends(core: Core) -> None:
    forum = _forum(core)
    now = core.dialogue.clock()
    _seed(core, forum, now)
    with core.db.transaction() as session:
        found = digest.load(session, forum.id, now - timedelta(days=1), now + timedelta(hours=1))
    assert found.total == 1  # the practice; the trends are apart
    assert [trend.title for trend in found.trends] == [TITLE, "@channel Klicka <här>", None]
    headings: tuple[tuple[Language, str], ...] = (
        ("sv", "Omvärldsbevakning"),
        ("en", "Environmental scanning"),
    )
    for lang, header in headings:
        message = digest_post(forum, found, lang)
        headers = [e.text for e in message.elements if isinstance(e, Header)]
        assert header in headers
        entries = [e for e in message.elements if isinstance(e, Entry)]
        [practice, first, loud, untitled] = entries
        assert practice.text == "Vi testade gåmöten"
        assert (first.when, first.link, first.text) == (TITLE, f"{URL}/0", "Se kapitel 3")
        assert first.author == t(lang, "digest.trend_by", name="Alex Berg")
        assert loud.when == "@\u2060channel Klicka <här>"  # a page's title pings nobody
        assert (untitled.when, untitled.link) == (f"{URL}/2", f"{URL}/2")


def test_a_week_of_only_trends_is_not_an_empty_digest(core: Core) -> None:
    forum = _forum(core)
    now = core.dialogue.clock()
    with core.db.transaction() as session:
        trends.record(
            session,
            forum,
            trends.NewTrend("U2", "Alex", URL, "", Source.SHARE_COMMAND, "C1", "t:1", now),
            now=now,
        )
        found = digest.load(session, forum.id, now - timedelta(days=1), now)
    assert not found.is_empty and found.total == 0 and len(found.trends) == 1


def test_of_period_and_of_year(core: Core) -> None:
    forum = _forum(core)
    now = core.dialogue.clock()
    _seed(core, forum, now)
    with core.db.transaction() as session:
        window = trends.of_period(session, forum.id, since=now, until=now + timedelta(hours=1))
        year = trends.of_year(session, forum.id, now.year)
        before = trends.of_year(session, forum.id, now.year - 1)
    assert [trend.url for trend in window] == [f"{URL}/1", f"{URL}/2"]  # after *since* only
    assert [trend.url for trend in year] == [f"{URL}/0", f"{URL}/1", f"{URL}/2"]
    assert before == []
    assert year[0].author == "Alex Berg" and year[0].comment == "Se kapitel 3"


@pytest.fixture
def site(core: Core) -> Core:
    core.settings = dataclasses.replace(core.settings, public_url="http://testserver")
    return core


def test_the_library_page_shows_trends_apart_and_search_finds_them(
    site: Core, client: TestClient
) -> None:
    forum = _forum(site)
    now = site.dialogue.clock()
    _seed(site, forum, now)
    sign_in(client, site, Platform.SLACK, WORKSPACE, "U1")
    page = client.get(f"/forums/{forum.id}/library?lang=sv")
    assert page.status_code == 200, page.text
    html = page.text
    practices, _, trend_part = html.partition('id="trends-section"')
    assert "Trender" in trend_part and "Vi testade gåmöten" in practices
    assert TITLE not in practices and TITLE in trend_part
    assert f'href="{URL}/0"' in trend_part and "Se kapitel 3" in trend_part
    assert "Delad av Alex Berg" in trend_part
    assert "<här>" not in html and "Klicka &lt;här&gt;" in trend_part  # escaped
    english = client.get(f"/forums/{forum.id}/library?lang=en").text
    assert "Trends" in english.partition('id="trends-section"')[2]
    searched = client.get(f"/forums/{forum.id}/library", params={"q": "arbetsliv"}).text
    assert TITLE in searched.partition('id="trends-section"')[2]  # found by its title
    assert "Vi testade gåmöten" not in searched
    by_comment = client.get(f"/forums/{forum.id}/library", params={"q": "kapitel"}).text
    assert TITLE in by_comment.partition('id="trends-section"')[2]


@pytest.fixture
def client(site: Core) -> Iterator[TestClient]:
    app = build_web_app(site, site_routes(site), error_page=error_page(site))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client
