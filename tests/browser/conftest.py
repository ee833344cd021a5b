"""The pages in a real headless Chromium, against a real ``ledarforum run`` and fake providers.

One Ledarforum process serves the whole session: ``ledarforum run`` started as a subprocess, the
way people run it (the composition root wires the site routes, the scheduler and the Slack and
Teams adapters exactly as in production; a uvicorn thread would skip ``handlers/main.py``), on a
SQLite file, with Slack's Web API and OpenID endpoints served by :class:`fakes.slack.FakeSlackAPI`
and Microsoft sign-in by the fake Entra in ``fakes/entra.py``. Before it starts, the database is
seeded through the services with a year of invented good examples (December 2025 to November
2026), last spring's about *medarbetarsamtal* among them.

Chromium is Debian's (``/usr/bin/chromium``; ``.ci/run`` installs it), driven by Playwright's Python
client; ``playwright install`` is never needed. Every page a test visits is checked for ``lang``,
a ``<title>`` and named form fields, and photographed at phone and desktop width into
``artifacts/screenshots/`` (CI keeps that directory). A page that logs a console error fails its
test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import settings_from
from bot.core import open_core
from bot.domain import Source
from bot.services import contributions, forums
from bot.services.contributions import NewContribution
from fakes.entra import FakeEntra
from fakes.slack import FakeSlackAPI
from tests.support import every_month_cycle, free_port

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}

CHANNEL = "C0BROWSER"
TEAM = "T1"  # the fake Slack's default team
TENANT = "00000000-0000-4000-8000-00000000beef"
ORGANISER = "UORG"
SLACK_CLIENT_ID = "1111.2222"
SLACK_CLIENT_SECRET = "browser-slack-client-secret"
TEAMS_CLIENT_ID = "6f1c2d3e-0000-4000-8000-00000000a11a"
TEAMS_CLIENT_SECRET = "browser-teams-client-secret"
LEADER = "U1"
TEAMS_LEADER = "29:aad-leader"
# Invented people: the organiser and three leaders (Slack), one leader in Teams.
PEOPLE = {
    ORGANISER: "Saga Lindqvist",
    LEADER: "Kim Lind",
    "U2": "Alex Berg",
    "U3": "Noor Haddad",
}

# The examples about medarbetarsamtal, made last spring: what the library must find.
SPRING = (
    (
        datetime(2026, 3, 10, 9, 30, tzinfo=UTC),
        "U2",
        "Inför medarbetarsamtalen skickar jag ut tre frågor en vecka i förväg, så att samtalet "
        "börjar i det medarbetaren själv vill ta upp.",
    ),
    (
        datetime(2026, 4, 14, 12, 5, tzinfo=UTC),
        "U3",
        "Vi har gjort medarbetarsamtal som promenad runt campus; fler vågar säga vad de tycker "
        "när vi går bredvid varandra.",
    ),
    (
        datetime(2026, 5, 19, 7, 45, tzinfo=UTC),
        LEADER,
        "Efter varje medarbetarsamtal skriver vi tillsammans ned två mål och följer upp dem i "
        "september.",
    ),
)
# The rest of the year: one or two examples a month, none of them about medarbetarsamtal.
YEAR = (
    (
        datetime(2025, 12, 9, 10, 0, tzinfo=UTC),
        "U2",
        "Vi avslutar terminen med en kort tillbakablick: vad blev bättre i år?",
    ),
    (
        datetime(2026, 1, 13, 8, 15, tzinfo=UTC),
        LEADER,
        "Jag bröt ned målen i tre frågor som gruppen svarar på varje måndag.",
    ),
    (
        datetime(2026, 1, 27, 14, 0, tzinfo=UTC),
        "U3",
        "We drew the year's goals as a map on the staffroom wall.",
    ),
    (
        datetime(2026, 2, 10, 9, 0, tzinfo=UTC),
        "U2",
        "Budgetdialogen fick en egen stående punkt på arbetsplatsträffen.",
    ),
    (
        datetime(2026, 6, 9, 11, 20, tzinfo=UTC),
        "U3",
        "Före sommaren skriver varje lärare ett kort överlämningsbrev till hösten.",
    ),
    (
        datetime(2026, 8, 18, 8, 0, tzinfo=UTC),
        LEADER,
        "Uppstartsdagen börjar med att nya kollegor presenterar varandra parvis.",
    ),
    (
        datetime(2026, 9, 15, 13, 30, tzinfo=UTC),
        "U2",
        "Vi följer upp arbetsmiljöenkäten med tre korta samtal i små grupper.",
    ),
    (
        datetime(2026, 10, 13, 9, 10, tzinfo=UTC),
        "U3",
        "Kompetensplanen gör vi som en tavla där alla sätter upp ett eget önskemål.",
    ),
    (
        datetime(2026, 11, 10, 10, 40, tzinfo=UTC),
        LEADER,
        "Vi testar att hålla ledningsgruppens möten stående, högst trettio minuter.",
    ),
)
# One example shared anonymously: the library must show "anonymous", never the name.
ANONYMOUS = (
    datetime(2026, 4, 28, 15, 0, tzinfo=UTC),
    "U2",
    "Jag ber alltid om återkoppling på mitt eget ledarskap i slutet av samtalet.",
)


@dataclass
class Site:
    """The running Ledarforum and what tests need to reach it."""

    url: str
    forum_id: int
    env: dict[str, str]
    cwd: Path
    slack: FakeSlackAPI
    entra: FakeEntra
    log: Path
    cycle_file: Path

    def cli(self, *args: str) -> str:
        """``ledarforum ARGS`` against the same database and settings; its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "handlers.main", *args],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def login_link(self, user: str, *, platform: str = "slack", workspace: str = TEAM) -> str:
        """A one-time sign-in URL from ``ledarforum login-link``."""
        out = self.cli(
            "login-link", "--user", user, "--platform", platform, "--workspace", workspace
        )
        found = re.search(rf"{re.escape(self.url)}/signin/link/\S+", out)
        assert found, out
        return found.group(0)

    def path(self, suffix: str) -> str:
        """The absolute URL of *suffix* (``/forums/1``)."""
        return f"{self.url}{suffix}"

    @property
    def forum(self) -> str:
        """The path of the forum's year page."""
        return f"/forums/{self.forum_id}"


def _seed(env: dict[str, str]) -> int:
    """Migrate, create the configured forum in its workspace and store a year of examples."""
    core = open_core(settings_from(env))
    try:
        with core.db.transaction() as session:
            forum = forums.find(session, CHANNEL)
            assert forum is not None
            forums.adopt(session, forum.id, TEAM, actor="test:seed")
            forum = forums.get(session, forum.id)
            assert forum is not None
            examples = [(*row, False) for row in (*YEAR, *SPRING)] + [(*ANONYMOUS, True)]
            for number, (at, author, text, anonymous) in enumerate(examples):
                ts = f"{int(at.timestamp())}.{number:06d}"
                contributions.record(
                    session,
                    forum,
                    NewContribution(
                        author_id=author,
                        author_name=PEOPLE[author],
                        text=text,
                        source=Source.THREAD_REPLY,
                        channel_id=CHANNEL,
                        source_message_id=ts,
                        created_at=at,
                        permalink=f"https://fake.slack.test/archives/{CHANNEL}/p{ts}",
                        anonymous=anonymous,
                    ),
                    now=at,
                )
            return forum.id
    finally:
        core.close()


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60  # the Teams SDK alone takes seconds to import
    while True:
        assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "ledarforum run did not start"
        time.sleep(0.2)


@pytest.fixture(scope="session")
def fake_slack() -> Iterator[FakeSlackAPI]:
    """The fake Slack Web API, with the OpenID endpoints of "Sign in with Slack"."""
    with FakeSlackAPI() as fake:
        fake.set_oauth_client(SLACK_CLIENT_ID, SLACK_CLIENT_SECRET)
        for user, name in PEOPLE.items():
            fake.add_user(user, name)
        yield fake


@pytest.fixture(scope="session")
def fake_entra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeEntra]:
    """The fake Microsoft Entra of the Teams app registration (TLS with its own certificate)."""
    directory = tmp_path_factory.mktemp("entra")
    with FakeEntra(TENANT, TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET, directory) as fake:
        yield fake


@pytest.fixture(scope="session")
def site(
    tmp_path_factory: pytest.TempPathFactory, fake_slack: FakeSlackAPI, fake_entra: FakeEntra
) -> Iterator[Site]:
    """``ledarforum run`` on a seeded SQLite file, for the whole session."""
    scratch = tmp_path_factory.mktemp("site")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    kept = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LEDARFORUM_", "TEAMS_"))
    }
    cycle = every_month_cycle(scratch / "cycle.yaml")
    env = {
        **kept,
        "DATABASE_URL": f"sqlite:///{scratch / 'ledarforum.db'}",
        "SLACK_BOT_TOKEN": "xoxb-browser",
        "SLACK_SIGNING_SECRET": "browser-signing-secret",
        "SLACK_CLIENT_ID": SLACK_CLIENT_ID,
        "SLACK_CLIENT_SECRET": SLACK_CLIENT_SECRET,
        "SLACK_API_URL": fake_slack.url,
        "LEDARFORUM_PUBLIC_URL": url,
        "LEDARFORUM_SECRET_KEY": "browser-tests-secret-key-0123456789abcdef",
        "LEDARFORUM_CHANNELS": CHANNEL,
        "LEDARFORUM_ORGANISERS": ORGANISER,
        "LEDARFORUM_SCHEDULE": str(cycle),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
        # Microsoft sign-in reuses the Teams app registration; MSAL (requests) trusts the fake's
        # own certificate and nothing else is turned off.
        "TEAMS_CLIENT_ID": TEAMS_CLIENT_ID,
        "TEAMS_CLIENT_SECRET": TEAMS_CLIENT_SECRET,
        "TEAMS_TENANT_ID": TENANT,
        "LEDARFORUM_ENTRA_AUTHORITY": fake_entra.authority,
        "REQUESTS_CA_BUNDLE": str(fake_entra.cert_file),
    }
    forum_id = _seed(env)
    log = scratch / "ledarforum.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "handlers.main", "run"],
            env=env,
            cwd=scratch,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(process, url, log)
        yield Site(url, forum_id, env, scratch, fake_slack, fake_entra, log, cycle)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        # Keep the server's log beside the screenshots: the first thing to read when a page fails.
        SHOTS.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, SHOTS.parent / "ledarforum.log")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (Debian's binary, never a downloaded one)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests: install chromium ({CHROMIUM})")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@dataclass
class Console:
    """What the pages of a test logged as errors; the test fails on any it did not expect."""

    errors: list[str] = field(default_factory=list)

    def expect(self, pattern: str) -> None:
        """Drop the errors matching *pattern* (a page the test meant to be refused)."""
        self.errors[:] = [e for e in self.errors if not re.search(pattern, e)]


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def new_page(browser: Any, console: Console) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh browser context (its own cookies) in *locale*."""
    contexts: list[Any] = []

    def open_page(locale: str = "sv-SE") -> Any:
        # The fake Entra serves TLS with a throwaway certificate the browser cannot know.
        context = browser.new_context(locale=locale, viewport=DESKTOP, ignore_https_errors=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()

        def logged(message: Any) -> None:
            # Chromium asks every site for /favicon.ico; test_favicon says whether it has one.
            if message.type == "error" and "/favicon.ico" not in message.location.get("url", ""):
                # "Failed to load resource" names no URL in its text; its location does.
                where = message.location.get("url") or page.url
                console.errors.append(f"{where}: {message.text}")

        page.on("console", logged)
        page.on("pageerror", lambda error: console.errors.append(f"{page.url}: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert console.errors == [], console.errors


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A page in Swedish, nobody signed in."""
    return new_page()


# -- what every page must have -----------------------------------------------------------------

_PAGE_FACTS = """() => {
  const name = (el) => {
    const labelled = (el.getAttribute('aria-labelledby') || '').split(/\\s+/)
      .map((id) => document.getElementById(id)).filter(Boolean)
      .map((node) => node.textContent.trim()).join(' ');
    const labels = el.labels ? [...el.labels].map((l) => l.textContent.trim()).join(' ') : '';
    return (labelled || (el.getAttribute('aria-label') || '') || labels
            || (el.getAttribute('title') || '')).trim();
  };
  const fields = [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type));
  const buttons = [...document.querySelectorAll('button, input[type=submit], input[type=button]')];
  return {
    lang: document.documentElement.getAttribute('lang') || '',
    title: document.title.trim(),
    unnamedFields: fields.filter((el) => !name(el)).map((el) => el.outerHTML.slice(0, 160)),
    unnamedButtons: buttons
      .filter((el) => !(el.textContent.trim() || el.value || name(el)))
      .map((el) => el.outerHTML.slice(0, 160)),
    imagesWithoutAlt: [...document.querySelectorAll('img:not([alt])')]
      .map((el) => el.outerHTML.slice(0, 160)),
  };
}"""


def check_page(page: Any) -> None:
    """``lang``, a ``<title>``, a name on every form field and button, ``alt`` on every image."""
    facts = page.evaluate(_PAGE_FACTS)
    assert facts["lang"] in {"sv", "en"}, (page.url, facts["lang"])
    assert facts["title"], f"{page.url} has no <title>"
    assert facts["unnamedFields"] == [], (page.url, facts["unnamedFields"])
    assert facts["unnamedButtons"] == [], (page.url, facts["unnamedButtons"])
    assert facts["imagesWithoutAlt"] == [], (page.url, facts["imagesWithoutAlt"])


def screenshots(page: Any, test: str, name: str) -> None:
    """The page at phone and desktop width: ``artifacts/screenshots/<test>-<name>-<width>.png``."""
    try:
        for size in (PHONE, DESKTOP):
            page.set_viewport_size(size)
            page.screenshot(path=str(shot_path(test, name, size["width"])), full_page=True)
    finally:
        page.set_viewport_size(DESKTOP)


def shot_path(test: str, name: str, width: int) -> Path:
    """``artifacts/screenshots/<test>-<name>-<width>.png`` (the test's name without ``test_``)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", test.removeprefix("test_")).strip("_")
    return SHOTS / f"{test}-{name}-{width}.png"


@pytest.fixture
def visit(request: pytest.FixtureRequest, site: Site) -> Callable[..., Any]:
    """Go to *path*, expect a page that is not an error, check it and photograph it as *name*."""

    def go(page: Any, path: str, name: str) -> Any:
        response = page.goto(site.path(path) if path.startswith("/") else path)
        assert response is not None
        assert response.ok, (path, response.status, page.content()[:2000])
        seen(page, name)
        return response

    def seen(page: Any, name: str) -> None:
        page.wait_for_load_state("load")
        check_page(page)
        screenshots(page, request.node.name, name)

    go.seen = seen  # type: ignore[attr-defined]
    return go


def sign_in_with_link(page: Any, site: Site, user: str, **where: str) -> None:
    """Sign *user* in with a login link: open it, press its button, land signed in."""
    page.goto(site.login_link(user, **where))
    page.get_by_role("button").filter(has_not_text=re.compile("^$")).last.click()
    page.wait_for_load_state("load")
    assert "/signin" not in page.url, page.url
