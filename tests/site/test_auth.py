"""Sessions, one-time links, CSRF, cookies and who may see a forum (through the real routes)."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.core import Core, open_core
from bot.domain import Platform
from bot.services import forums, signin
from bot.storage.models import SigninLink
from bot.timing import utcnow
from handlers.site import sessions, site_routes
from handlers.web import build_web_app
from tests.site.conftest import BASE_URL, csrf_of, sign_in


def _forum(core: Core, workspace: str = "T1", channel: str = "C1") -> int:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session,
            Platform.SLACK,
            workspace,
            channel,
            language="sv",
            timezone="Europe/Stockholm",
            actor="test",
        )
    return forum.id


@pytest.fixture
def probe(site_core: Core) -> TestClient:
    """The site plus one page behind :func:`sessions.forum_for` (and an organiser-only one)."""

    async def read(request: Request) -> Response:
        actor, forum = sessions.forum_for(request, site_core, int(request.path_params["id"]))
        return PlainTextResponse(f"{actor.user_id} reads {forum.id}")

    async def admin(request: Request) -> Response:
        await sessions.form(request)
        sessions.forum_for(request, site_core, int(request.path_params["id"]), organiser=True)
        return PlainTextResponse("changed")

    extra = [
        Route("/probe/{id:int}", read, methods=["GET"]),
        Route("/probe/{id:int}", admin, methods=["POST"]),
    ]
    app = build_web_app(site_core, [*site_routes(site_core), *extra])
    return TestClient(app, base_url=BASE_URL, follow_redirects=False)


def _link(core: Core, user: str = "U1", minutes: int = 15) -> str:
    with core.db.transaction() as session:
        return signin.create_link(
            session, Platform.SLACK, "T1", user, now=utcnow(), minutes=minutes
        )


def test_a_link_signs_in_once_and_get_does_not_use_it(client: TestClient, site_core: Core) -> None:
    token = _link(site_core)
    for _ in range(2):  # a link previewer fetching it first changes nothing
        page = client.get(f"/signin/link/{token}")
        assert page.status_code == 200
    done = client.post(
        f"/signin/link/{token}", data={"csrf_token": csrf_of(page.text), "next": "/forums/3"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/forums/3"
    assert "U1" in client.get("/signin").text
    again = client.get(f"/signin/link/{token}")
    assert again.status_code == 410
    replay = client.post(f"/signin/link/{token}", data={"csrf_token": csrf_of(page.text)})
    assert replay.status_code in (403, 410)
    assert sessions.SESSION_COOKIE not in replay.headers.get("set-cookie", "")


def test_only_the_hash_of_a_link_is_stored(site_core: Core) -> None:
    token = _link(site_core)
    with site_core.db.transaction() as session:
        stored = session.query(SigninLink).one()
        assert stored.token_hash != token and token not in stored.token_hash
        assert signin.use_link(session, token, now=utcnow()) == ("slack", "T1", "U1")
        assert signin.use_link(session, token, now=utcnow()) is None


def test_a_link_expires_after_15_minutes(site_core: Core) -> None:
    start = utcnow()
    with site_core.db.transaction() as session:
        token = signin.create_link(session, "slack", "T1", "U1", now=start)
        assert signin.use_link(session, token, now=start + timedelta(minutes=15)) is None
        assert signin.use_link(session, "not-a-token", now=start) is None
        assert signin.use_link(session, token, now=start + timedelta(minutes=14, seconds=59))


def test_forged_or_missing_csrf_is_refused_and_changes_nothing(
    client: TestClient, site_core: Core
) -> None:
    token = _link(site_core)
    client.get(f"/signin/link/{token}")
    for data in ({}, {"csrf_token": "0" * 64}):
        refused = client.post(f"/signin/link/{token}", data=data)
        assert refused.status_code == 403
        assert "formuläret" in refused.text.lower() or "form" in refused.text.lower()
    with site_core.db.transaction() as session:
        assert signin.peek_link(session, token, now=utcnow()) is not None  # still unused
    sign_in(client, site_core, "slack", "T1", "U2")
    refused = client.post("/signout", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert "U2" in client.get("/signin").text  # still signed in


def test_a_foreign_origin_is_refused(client: TestClient, site_core: Core) -> None:
    sign_in(client, site_core, "slack", "T1", "U2")
    page = client.get("/signin")
    forged = client.post(
        "/signout",
        data={"csrf_token": csrf_of(page.text)},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    ok = client.post(
        "/signout", data={"csrf_token": csrf_of(page.text)}, headers={"Origin": BASE_URL}
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/signin"
    assert "U2" not in client.get("/signin").text


def test_cookie_flags(client: TestClient, site_core: Core) -> None:
    token = _link(site_core)
    page = client.get(f"/signin/link/{token}")
    done = client.post(f"/signin/link/{token}", data={"csrf_token": csrf_of(page.text)})
    cookie = next(
        c for c in done.headers.get_list("set-cookie") if c.startswith(sessions.SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=43200" in cookie
    assert "Secure" not in cookie  # http://testserver; https public URLs get Secure


def test_secure_cookie_over_https(site_core: Core) -> None:
    site_core.settings = dataclasses.replace(site_core.settings, public_url="https://testserver")
    app = build_web_app(site_core, site_routes(site_core))
    secure = TestClient(app, base_url="https://testserver", follow_redirects=False)
    token = _link(site_core)
    page = secure.get(f"/signin/link/{token}")
    done = secure.post(f"/signin/link/{token}", data={"csrf_token": csrf_of(page.text)})
    assert any(
        "Secure" in c
        for c in done.headers.get_list("set-cookie")
        if c.startswith(sessions.SESSION_COOKIE)
    )


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example/x", "/\\evil.example", "evil", "/ok\r\nX: 1"]
)
def test_next_to_another_site_is_ignored(client: TestClient, site_core: Core, target: str) -> None:
    token = _link(site_core)
    page = client.get(f"/signin/link/{token}")
    done = client.post(
        f"/signin/link/{token}", data={"csrf_token": csrf_of(page.text), "next": target}
    )
    assert done.headers["location"] == "/"


def test_signed_out_requests_go_to_sign_in(probe: TestClient, site_core: Core) -> None:
    forum = _forum(site_core)
    answer = probe.get(f"/probe/{forum}?lang=en")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/signin?next=/probe/{forum}%3Flang%3Den"
    assert "U1" not in answer.text


def test_who_may_see_a_forum(probe: TestClient, site_core: Core) -> None:
    forum = _forum(site_core)
    sign_in(probe, site_core, "slack", "T1", "U1")
    assert probe.get(f"/probe/{forum}").text == f"U1 reads {forum}"
    assert probe.get("/probe/999").status_code == 404
    sign_in(probe, site_core, "slack", "T2", "U9")  # another workspace
    assert probe.get(f"/probe/{forum}").status_code == 404
    sign_in(probe, site_core, "teams", "T1", "U1")  # another platform
    assert probe.get(f"/probe/{forum}").status_code == 404
    sign_in(probe, site_core, "slack", "T9", "UORG")  # a configured organiser sees every forum
    assert probe.get(f"/probe/{forum}").status_code == 200


def test_organiser_actions_are_refused_to_others(probe: TestClient, site_core: Core) -> None:
    forum = _forum(site_core)
    sign_in(probe, site_core, "slack", "T1", "U1")
    token = csrf_of(probe.get("/signin").text)
    refused = probe.post(f"/probe/{forum}", data={"csrf_token": token})
    assert refused.status_code == 403
    sign_in(probe, site_core, "slack", "T1", "UORG")
    token = csrf_of(probe.get("/signin").text)
    assert probe.post(f"/probe/{forum}", data={"csrf_token": token}).text == "changed"


def test_my_forums(site_core: Core) -> None:
    mine, other = _forum(site_core), _forum(site_core, "T2", "C2")
    from bot.dialogue import Actor

    ids = [f.id for f in sessions.my_forums(site_core, Actor(Platform.SLACK, "T1", "U1", "Alva"))]
    assert mine in ids and other not in ids


def test_a_tampered_session_cookie_is_nobody(client: TestClient, site_core: Core) -> None:
    sign_in(client, site_core, "slack", "T1", "U1")
    value = client.cookies[sessions.SESSION_COOKIE]
    client.cookies.set(
        sessions.SESSION_COOKIE, value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB")
    )
    assert "U1" not in client.get("/signin").text


def test_two_cores_on_one_database_share_the_generated_key(site_core: Core) -> None:
    assert site_core.settings.secret_key is None
    other = open_core(site_core.settings, database=site_core.db)
    with site_core.db.transaction() as session:
        first = signin.secret_key(session, site_core.settings)
    with other.db.transaction() as session:
        second = signin.secret_key(session, other.settings)
    assert first == second and len(first) >= 48
    # A session made by one instance is accepted by the other.
    one = TestClient(
        build_web_app(site_core, site_routes(site_core)), base_url=BASE_URL, follow_redirects=False
    )
    sign_in(one, site_core, "slack", "T1", "U1")
    two = TestClient(build_web_app(other, site_routes(other)), base_url=BASE_URL)
    two.cookies.set(sessions.SESSION_COOKIE, one.cookies[sessions.SESSION_COOKIE])
    assert "U1" in two.get("/signin").text


def test_the_key_never_reaches_the_logs(
    client: TestClient, site_core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = _link(site_core)
    sign_in(client, site_core, "slack", "T1", "U1")
    client.post(f"/signin/link/{token}", data={"csrf_token": "forged"})
    with site_core.db.transaction() as session:
        key = signin.secret_key(session, site_core.settings)
    assert key not in caplog.text
    # The token is in the URL (an access log may show it; it is one-time): our own logs never.
    ours = [r.getMessage() for r in caplog.records if r.name.startswith(("bot", "handlers"))]
    assert ours and not any(token in line for line in ours)
    assert "slack:T1:U1" in caplog.text  # the sign-in itself is logged, by reference only


def test_the_sign_in_page_in_both_languages(client: TestClient) -> None:
    assert "Logga in" in client.get("/signin?lang=sv").text
    page = client.get("/signin?lang=en")
    assert "Sign in" in page.text and "style=" not in page.text and "<script" not in page.text
    assert "Sign in with Slack" not in page.text  # not configured
