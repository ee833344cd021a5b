"""OAuth install to many workspaces over real HTTP: install page, callback, token stored, revoke."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from sqlalchemy import text

from bot.config import Settings
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.conftest import Served


def _oauth(served_factory: Callable[..., Served]) -> Served:
    return served_factory(
        slack_bot_token=None, slack_client_id="111.222", slack_client_secret="client-secret"
    )


def test_a_workspace_installs_and_its_token_is_stored(
    make_served: Callable[..., Served], slack: FakeSlackAPI
) -> None:
    served = _oauth(make_served)
    token = slack.add_oauth_code("code-1", "T9", team_name="Invented School")
    with httpx.Client(base_url=served.url, follow_redirects=False, timeout=10) as browser:
        page = browser.get("/slack/install")
        assert page.status_code in {200, 302}
        found = re.search(r"state=([^&\"]+)", page.headers.get("location") or page.text)
        assert found, "the install page links to Slack's authorisation with a state"
        state = found.group(1)
        # The state cookie is marked Secure; a browser on https sends it back, httpx on http not.
        cookie = page.headers["set-cookie"].split(";")[0]
        done = browser.get(
            "/slack/oauth_redirect",
            params={"code": "code-1", "state": state},
            headers={"Cookie": cookie},
        )
    assert done.status_code == 200, done.text
    with served.core.db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT team_id, bot_token FROM slack_bots WHERE team_id = 'T9'")
        ).all()
    assert [(row.team_id, row.bot_token) for row in rows] == [("T9", token)]


def test_a_forged_state_is_refused(make_served: Callable[..., Served], slack: FakeSlackAPI) -> None:
    served = _oauth(make_served)
    slack.add_oauth_code("code-2", "T8")
    with httpx.Client(base_url=served.url, timeout=10) as browser:
        done = browser.get("/slack/oauth_redirect", params={"code": "code-2", "state": "forged"})
    assert done.status_code >= 400
    with served.core.db.engine.connect() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM slack_bots WHERE team_id = 'T8'")
        ).scalar()
    assert count == 0


def test_settings_without_a_secret_are_refused() -> None:
    assert Settings(slack_client_id="1").slack_oauth is False
