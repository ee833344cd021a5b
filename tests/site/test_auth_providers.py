"""Sign in with Slack through the fake Slack API, and with Microsoft through the fake Entra ID,
both over real HTTP (the fake Entra over TLS with a throwaway certificate)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from bot.core import Core
from fakes.entra import FakeEntra
from fakes.slack import FakeSlackAPI
from handlers.site import sessions, site_routes
from handlers.web import build_web_app
from tests.site.conftest import BASE_URL


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as fake:
        fake.set_oauth_client("111.222", "slack-client-secret-never-logged")
        yield fake


def _client(core: Core, **changes: object) -> TestClient:
    core.settings = dataclasses.replace(core.settings, **changes)  # type: ignore[arg-type]
    app = build_web_app(core, site_routes(core))
    return TestClient(app, base_url=BASE_URL, follow_redirects=False)


def test_sign_in_with_slack(site_core: Core, slack: FakeSlackAPI) -> None:
    client = _client(
        site_core,
        slack_client_id="111.222",
        slack_client_secret="slack-client-secret-never-logged",
        slack_api_url=slack.url,
    )
    assert "Logga in med Slack" in client.get("/signin?lang=sv").text
    slack.signin_as("U7", "T7", "Alva Exempel", locale="en-GB")
    start = client.get("/signin/slack?next=/forums/2")
    assert start.status_code == 303
    assert start.headers["location"].startswith(slack.base_url + "openid/connect/authorize?")
    back = httpx.get(start.headers["location"], follow_redirects=False)  # the "browser" at Slack
    assert back.status_code == 302
    done = client.get(back.headers["location"])
    assert done.status_code == 303 and done.headers["location"] == "/forums/2"
    assert "Alva Exempel" in client.get("/signin").text
    assert [c.params.get("client_id") for c in slack.calls_to("openid.connect.token")] == [
        "111.222"
    ]
    assert slack.calls_to("openid.connect.userInfo")
    # The code was used: the same answer again signs nobody in.
    client.cookies.delete(sessions.SESSION_COOKIE)
    again = client.get(back.headers["location"])
    assert again.status_code == 400 and "Alva" not in again.text


def test_slack_callback_with_a_bad_state_is_refused(site_core: Core, slack: FakeSlackAPI) -> None:
    client = _client(
        site_core,
        slack_client_id="111.222",
        slack_client_secret="slack-client-secret-never-logged",
        slack_api_url=slack.url,
    )
    slack.signin_as("U7", "T7", "Alva Exempel")
    start = client.get("/signin/slack")
    back = httpx.get(start.headers["location"], follow_redirects=False)
    forged = back.headers["location"].replace("state=", "state=x")
    refused = client.get(forged + "&lang=en")
    assert refused.status_code == 400 and "try again" in refused.text
    assert not slack.calls_to("openid.connect.token")
    # Without the flow cookie (another browser) the real state is refused too.
    other = _client(site_core)
    assert other.get(back.headers["location"]).status_code == 400


def test_slack_sign_in_is_not_served_unless_configured(client: TestClient) -> None:
    assert client.get("/signin/slack").status_code == 404


@pytest.fixture
def entra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEntra]:
    with FakeEntra("tenant-1", "app-id-1", "entra-secret-never-logged", tmp_path) as fake:
        # Trust the throwaway certificate the way an operator trusts a private CA.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.cert_file))
        yield fake


def test_sign_in_with_microsoft(site_core: Core, entra: FakeEntra) -> None:
    client = _client(
        site_core,
        teams_client_id="app-id-1",
        teams_client_secret="entra-secret-never-logged",
        entra_authority=entra.authority,
    )
    entra.signin_as("oid-42", "Bo Exempel")
    start = client.get("/signin/microsoft?next=/forums")
    assert start.status_code == 303 and start.headers["location"].startswith(entra.authority)
    back = httpx.get(start.headers["location"], verify=str(entra.cert_file), follow_redirects=False)
    done = client.get(back.headers["location"])
    assert done.status_code == 303 and done.headers["location"] == "/forums", done.text
    page = client.get("/signin").text
    assert "Bo Exempel" in page
    viewer_cookie = client.cookies[sessions.SESSION_COOKIE]
    assert viewer_cookie and entra.token_requests[0]["code_verifier"]


def test_microsoft_uses_the_chat_id_recorded_for_the_object_id(
    site_core: Core, entra: FakeEntra
) -> None:
    from bot.domain import Platform
    from bot.services import signin

    with site_core.db.transaction() as session:
        signin.record_identity(session, Platform.TEAMS, "tenant-1", "29:chat-id", "oid-42")
    client = _client(
        site_core,
        teams_client_id="app-id-1",
        teams_client_secret="entra-secret-never-logged",
        entra_authority=entra.authority,
    )
    entra.signin_as("oid-42", "Bo Exempel")
    start = client.get("/signin/microsoft")
    back = httpx.get(start.headers["location"], verify=str(entra.cert_file), follow_redirects=False)
    assert client.get(back.headers["location"]).status_code == 303
    with site_core.db.transaction() as session:
        assert signin.user_for_signin(session, Platform.TEAMS, "tenant-1", "oid-42") == "29:chat-id"


def test_microsoft_refuses_another_tenant_and_a_bad_state(
    site_core: Core, entra: FakeEntra
) -> None:
    client = _client(
        site_core,
        teams_client_id="app-id-1",
        teams_client_secret="entra-secret-never-logged",
        entra_authority=entra.authority,
        teams_tenant_id="our-tenant",
    )
    entra.signin_as("oid-42", "Bo Exempel")
    start = client.get("/signin/microsoft")
    back = httpx.get(start.headers["location"], verify=str(entra.cert_file), follow_redirects=False)
    forged = client.get(back.headers["location"].replace("state=", "state=x"))
    assert forged.status_code == 400
    other_tenant = client.get(back.headers["location"])
    assert other_tenant.status_code == 400 and sessions.SESSION_COOKIE not in client.cookies
