"""Shared fixtures of the web pages' tests: a core with the site's settings, its app in a client.

``sign_in(client, core, platform, workspace, user)`` signs a person in the way a reader with a
login link would: the link's page (which gives the form's CSRF token), then its button.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from bot.core import Core
from bot.domain import Platform
from bot.services import signin
from bot.timing import utcnow
from handlers.site import error_page, site_routes
from handlers.web import build_web_app

BASE_URL = "http://testserver"
_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture
def site_core(core: Core) -> Core:
    """The test core, reached at the test client's address."""
    core.settings = dataclasses.replace(core.settings, public_url=BASE_URL)
    return core


@pytest.fixture
def client(site_core: Core) -> Iterator[TestClient]:
    """The whole site (and the health checks) in-process over HTTP semantics."""
    app = build_web_app(site_core, site_routes(site_core), error_page=error_page(site_core))
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found is not None, "no form with a CSRF token on the page"
    return found.group(1)


def sign_in(
    client: TestClient, core: Core, platform: Platform | str, workspace: str, user: str
) -> None:
    """Sign *user* in on *client* with a fresh login link."""
    with core.db.transaction() as session:
        token = signin.create_link(session, platform, workspace, user, now=utcnow())
    page = client.get(f"/signin/link/{token}")
    assert page.status_code == 200, page.text
    done = client.post(f"/signin/link/{token}", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 303, done.text
