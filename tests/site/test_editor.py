"""The cycle editor over HTTP: an organiser previews and saves a month, copies a year and applies
an uploaded file after its diff; nobody else can reach any of it, and bad input changes nothing.
On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from httpx import Response
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.core import Core
from bot.cycle_file import dump_cycle_yaml
from bot.domain import Bilingual, CycleDocument, ForumInfo, Platform
from bot.services import cycles, forums
from bot.storage.models import AuditEntry, Cycle, Theme
from bot.timing import Period
from tests.site.conftest import csrf_of, sign_in
from tests.support import RecordingPoster

# The core fixture's clock: Monday 23 November 2026; next month is December 2026.
ORGANISER = "UORG"  # a configured organiser (the core fixture's settings)
LEADER = "U5"  # a leader of the same workspace: may read the forum, not edit it


@pytest.fixture
def forum(site_core: Core) -> ForumInfo:
    with site_core.db.transaction() as session:
        made, _ = forums.ensure_forum(
            session, Platform.SLACK, "T1", "C1", language="sv", timezone="Europe/Stockholm"
        )
    return made


def _month_form(**changes: str) -> dict[str, str]:
    form = {
        "title_sv": "Årets avslut",
        "title_en": "Closing the year",
        "why_now_sv": "December är tid för eftertanke.",
        "why_now_en": "December is a time to reflect.",
        "questions_sv": "Vad är ni stolta över?\nVad tar ni med er?",
        "questions_en": "What are you proud of?\nWhat do you take with you?",
        "delivery_sv": "Verksamhetsberättelse",
        "delivery_en": "Annual report",
        "links": "Mall | Template | https://example.org/mall\nGuide | https://example.org/guide",
    }
    form.update(changes)
    return form


def _snapshot(core: Core) -> tuple[int, int, list[tuple[str, str]]]:
    """What a refused request must not change: themes, audit entries, cycles and their stamps."""
    with core.db.transaction() as session:
        themes = session.scalar(select(func.count()).select_from(Theme)) or 0
        audit = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        stamps = [(k, str(at)) for k, at in session.execute(select(Cycle.key, Cycle.updated_at))]
    return themes, audit, sorted(stamps)


def _december(core: Core, forum: ForumInfo) -> str | None:
    with core.db.transaction() as session:
        theme = cycles.theme_at(session, forum, Period(2026, 12))
    return theme.title.sv if theme else None


def _post(client: TestClient, url: str, data: dict[str, str], page: str) -> Response:
    token = csrf_of(client.get(page).text)
    return client.post(url, data={**data, "csrf_token": token})


def test_organiser_previews_then_saves_next_month(
    client: TestClient, site_core: Core, forum: ForumInfo, poster: RecordingPoster
) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", ORGANISER)
    url = f"/forums/{forum.id}/cycle/2026/12"
    page = client.get(url)
    assert page.status_code == 200 and 'name="title_sv"' in page.text
    before = _snapshot(site_core)
    shown = _december(site_core, forum)
    token = csrf_of(page.text)
    preview = client.post(url, data={**_month_form(), "action": "preview", "csrf_token": token})
    assert preview.status_code == 200
    # The preview is the Slack post, beside the still-filled form; nothing is saved.
    assert 'class="post post-slack"' in preview.text
    assert "Månadens tema, december: Årets avslut" in html.unescape(preview.text)
    assert 'value="Årets avslut"' in preview.text
    assert "Vad är ni stolta över?\nVad tar ni med er?</textarea>" in preview.text
    assert _snapshot(site_core) == before and _december(site_core, forum) == shown
    saved = client.post(url, data={**_month_form(), "action": "save", "csrf_token": token})
    assert saved.status_code == 303
    assert saved.headers["location"].startswith(f"/forums/{forum.id}/cycle?year=2026&notice=saved")
    year_page = client.get(saved.headers["location"])
    assert "Temat sparades." in year_page.text and "Årets avslut" in year_page.text
    assert _december(site_core, forum) == "Årets avslut"
    with site_core.db.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "theme.update")).one()
    assert entry.actor == f"slack:T1:{ORGANISER}" and entry.after["title_sv"] == "Årets avslut"
    assert entry.after["links"][0] == {
        "title": {"sv": "Mall", "en": "Template"},
        "url": "https://example.org/mall",
    }
    # The post built afterwards is the saved theme.
    result = site_core.publisher.post_theme(forum, datetime(2026, 12, 1, 9, tzinfo=UTC))
    assert result.status == "posted"
    assert "Årets avslut" in poster.theme_posts()[-1].message.fallback


def test_an_invalid_form_shows_translated_problems_and_changes_nothing(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", ORGANISER)
    url = f"/forums/{forum.id}/cycle/2026/12"
    before = _snapshot(site_core)
    bad = _month_form(
        title_en="", questions_en="Only one?", links="no url here\nJS | javascript:alert(1)"
    )
    for lang, words in (
        ("sv", "Frågorna: 2 rader på svenska men 1 på engelska"),
        ("en", "Questions: 2 lines in Swedish but 1 in English"),
    ):
        answer = _post(client, f"{url}?lang={lang}", {**bad, "action": "save"}, url)
        assert answer.status_code == 422
        text = html.unescape(answer.text)
        assert words in text
        assert ("Länkar, rad 1" if lang == "sv" else "Links, line 1") in text
        assert 'value=""' in answer.text  # the form, as typed
    assert _snapshot(site_core) == before


def test_copy_to_next_year(client: TestClient, site_core: Core, forum: ForumInfo) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", ORGANISER)
    page = f"/forums/{forum.id}/cycle?year=2026"
    copied = _post(client, f"/forums/{forum.id}/cycle/2026/copy", {}, page)
    assert copied.status_code == 303
    assert copied.headers["location"] == f"/forums/{forum.id}/cycle?year=2027&notice=copied"
    with site_core.db.transaction() as session:
        assert cycles.has_year(session, forum, 2027)
    before = _snapshot(site_core)
    again = _post(client, f"/forums/{forum.id}/cycle/2026/copy?lang=en", {}, page)
    assert again.status_code == 409
    assert "2027 already has its own yearly cycle" in html.unescape(again.text)
    assert _snapshot(site_core) == before


def test_a_non_organiser_gets_403_everywhere_and_nothing_changes(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", LEADER)
    assert client.get(f"/forums/{forum.id}").status_code == 200  # they may read the forum
    token = csrf_of(client.get(f"/forums/{forum.id}").text)
    before = _snapshot(site_core)
    base = f"/forums/{forum.id}/cycle"
    for url in (base, f"{base}/2026/12", f"{base}/upload"):
        assert client.get(url).status_code == 403, url
    posts = {
        f"{base}/2026/12": {**_month_form(), "action": "save"},
        f"{base}/2026/copy": {},
        f"{base}/apply": {"payload": "x"},
    }
    for url, data in posts.items():
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    upload = client.post(
        f"{base}/upload",
        data={"csrf_token": token, "target": "own"},
        files={"file": ("cycle.yaml", b"version: 1\n", "application/yaml")},
    )
    assert upload.status_code == 403
    assert _snapshot(site_core) == before


def test_missing_or_forged_csrf_is_refused(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", ORGANISER)
    before = _snapshot(site_core)
    url = f"/forums/{forum.id}/cycle/2026/12"
    form = {**_month_form(), "action": "save"}
    assert client.post(url, data=form).status_code == 403
    assert client.post(url, data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post(f"/forums/{forum.id}/cycle/2026/copy", data={}).status_code == 403
    assert _snapshot(site_core) == before


def test_not_signed_in_goes_to_sign_in(client: TestClient, forum: ForumInfo) -> None:
    answer = client.get(f"/forums/{forum.id}/cycle")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin?next=")


def _upload(
    client: TestClient, forum: ForumInfo, name: str, content: bytes, target: str = "own"
) -> Response:
    token = csrf_of(client.get(f"/forums/{forum.id}/cycle/upload").text)
    return client.post(
        f"/forums/{forum.id}/cycle/upload",
        data={"csrf_token": token, "target": target},
        files={"file": (name, content, "application/octet-stream")},
    )


def test_a_bad_file_shows_file_line_problems(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", ORGANISER)
    before = _snapshot(site_core)
    bad = b"version: 1\nmonths:\n  march:\n    title: {sv: Mars}\n"
    answer = _upload(client, forum, "plan.yaml", bad)
    assert answer.status_code == 422
    problems = re.findall(r"<li>(plan\.yaml:\d+: [^<]+)</li>", answer.text)
    assert problems and all(re.match(r"plan\.yaml:\d+: ", p) for p in problems)
    assert 'name="payload"' not in answer.text
    too_big = _upload(client, forum, "plan.yaml", b"#" * (256 * 1024 + 1))
    assert too_big.status_code == 422 and "256 KiB" in too_big.text
    assert _upload(client, forum, "plan.txt", b"x").status_code == 422
    assert _upload(client, forum, "plan.yaml", b"\xff\xfe").status_code == 422
    assert _snapshot(site_core) == before


def test_a_good_file_shows_its_diff_and_apply_changes_the_cycle(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", ORGANISER)
    with site_core.db.transaction() as session:
        shown = cycles.for_forum(session, forum, 2027)
    december = shown.themes[12]
    changed = CycleDocument(
        "Vår plan 2027",
        {**shown.themes, 12: replace(december, title=Bilingual("Nytt avslut", "New ending"))},
    )
    text = dump_cycle_yaml(changed).encode()
    before = _snapshot(site_core)
    answer = _upload(client, forum, "plan.yaml", text, target="2027")
    assert answer.status_code == 200
    page = html.unescape(answer.text)
    assert "December · Rubrik (svenska)" in page and "Nytt avslut" in page
    assert december.title.sv in page
    assert _snapshot(site_core) == before  # shown, not applied
    payload = re.search(r'name="payload" value="([^"]+)"', answer.text)
    assert payload is not None
    token = csrf_of(answer.text)
    apply_url = f"/forums/{forum.id}/cycle/apply"
    # A tampered payload is refused and changes nothing.
    signed = html.unescape(payload.group(1))
    tampered = signed[:10] + ("A" if signed[10] != "A" else "B") + signed[11:]
    refused = client.post(apply_url, data={"csrf_token": token, "payload": tampered})
    assert refused.status_code == 400 and _snapshot(site_core) == before
    assert "Ladda upp den igen" in html.unescape(refused.text)
    applied = client.post(apply_url, data={"csrf_token": token, "payload": signed})
    assert applied.status_code == 303
    assert applied.headers["location"] == f"/forums/{forum.id}/cycle?year=2027&notice=applied"
    with site_core.db.transaction() as session:
        assert cycles.for_forum(session, forum, 2027) == changed
        assert cycles.theme_at(session, forum, Period(2026, 12)) == december  # 2026 untouched
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "cycle.replace")
        ).one()
    assert (
        entry.target == cycles.year_key(forum.id, 2027) and entry.actor == f"slack:T1:{ORGANISER}"
    )
