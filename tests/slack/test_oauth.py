"""OAuth install to many workspaces over real HTTP: install page, callback, token stored, revoke."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
from sqlalchemy import text

from bot.config import Settings
from bot.i18n import t
from fakes.slack import FakeSlackAPI
from fakes.slack.signing import FORM, post_signed, slash_command
from tests.slack.conftest import SECRET, Served


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


def _install(served: Served, code: str) -> httpx.Response:
    """Go through ``/slack/install`` and the redirect with *code*, as a browser does."""
    with httpx.Client(base_url=served.url, follow_redirects=False, timeout=10) as browser:
        page = browser.get("/slack/install")
        found = re.search(r"state=([^&\"]+)", page.headers.get("location") or page.text)
        assert found
        cookie = page.headers["set-cookie"].split(";")[0]
        return browser.get(
            "/slack/oauth_redirect",
            params={"code": code, "state": found.group(1)},
            headers={"Cookie": cookie},
        )


def _admin(served: Served, slack: FakeSlackAPI, team: str, user: str) -> str:
    """What ``/ledarforum admin`` answers *user* of *team*: at once, or later by response_url."""
    before = len(slack.responses)
    body = slash_command(
        "admin", user_id=user, channel_id="C9", team_id=team, response_url=slack.new_response_url()
    )
    response = post_signed(served.events_url, body, SECRET, FORM)
    assert response.status_code == 200
    served.idle()
    later = [answer.payload.get("text", "") for answer in slack.responses[before:]]
    return " ".join([response.text, *later])


def test_the_installer_becomes_an_organiser_of_that_workspace_only(
    make_served: Callable[..., Served], slack: FakeSlackAPI
) -> None:
    served = _oauth(make_served)
    slack.add_oauth_code("code-3", "T9", user_id="U7")
    slack.add_oauth_code("code-4", "T8", user_id="U8")
    assert _install(served, "code-3").status_code == 200
    assert _install(served, "code-4").status_code == 200
    denied, admin_help = t("sv", "admin.denied"), t("sv", "admin.help.header")
    assert admin_help in _admin(served, slack, "T9", "U7")
    assert denied in _admin(served, slack, "T8", "U7")  # an install elsewhere gives no role here
    assert admin_help in _admin(served, slack, "T8", "U8")
    assert denied in _admin(served, slack, "T9", "U8")
    with served.core.db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT workspace_id, user_id, scope FROM organisers ORDER BY workspace_id")
        ).all()
    assert [tuple(row) for row in rows] == [("T8", "U8", "*"), ("T9", "U7", "*")]
    assert _install(served, "code-3").status_code >= 400  # a used code: no second role, no error


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
