"""The editor pages' markup that their layout needs: the preview reached by an anchor, and a diff
that marks before and after with words, not only with colour or underlining."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from starlette.testclient import TestClient

from bot.core import Core
from bot.cycle_file import dump_cycle_yaml
from bot.domain import Bilingual, CycleDocument, ForumInfo, Platform
from bot.services import cycles, forums
from tests.site.conftest import csrf_of, sign_in

ORGANISER = "UORG"  # a configured organiser (the core fixture's settings)


@pytest.fixture
def forum(site_core: Core) -> ForumInfo:
    with site_core.db.transaction() as session:
        made, _ = forums.ensure_forum(
            session, Platform.SLACK, "T1", "C1", language="sv", timezone="Europe/Stockholm"
        )
    return made


def test_the_preview_button_jumps_to_the_preview(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", ORGANISER)
    url = f"/forums/{forum.id}/cycle/2026/12"
    page = client.get(url).text
    assert f'value="preview" class="secondary" formaction="{url}#preview"' in page
    assert 'id="preview"' not in page  # nothing to jump to before a preview
    assert '<link rel="stylesheet" href="/static/editor.css">' in page.split("</head>")[0]
    form = {
        "title_sv": "Årets avslut",
        "title_en": "Closing the year",
        "why_now_sv": "December är tid för eftertanke.",
        "why_now_en": "December is a time to reflect.",
        "questions_sv": "Vad är ni stolta över?\nVad tar ni med er?",
        "questions_en": "What are you proud of?\nWhat do you take with you?",
        "delivery_sv": "",
        "delivery_en": "",
        "links": "",
        "action": "preview",
        "csrf_token": csrf_of(page),
    }
    shown = client.post(url, data=form)
    assert shown.status_code == 200
    assert '<section class="preview" id="preview" aria-labelledby="preview-heading">' in shown.text


def test_the_diff_labels_before_and_after_and_lets_only_addresses_break(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", ORGANISER)
    with site_core.db.transaction() as session:
        shown = cycles.for_forum(session, forum, 2027)
    december = shown.themes[12]
    title = "Verksamhetsplanering & mål, se https://intranat.example.se/ledarskap/plan"
    changed = CycleDocument(
        shown.name, {**shown.themes, 12: replace(december, title=Bilingual(title, "Plan"))}
    )
    token = csrf_of(client.get(f"/forums/{forum.id}/cycle/upload").text)
    answer = client.post(
        f"/forums/{forum.id}/cycle/upload",
        data={"csrf_token": token, "target": "2027"},
        files={"file": ("plan.yaml", dump_cycle_yaml(changed).encode(), "text/yaml")},
    )
    assert answer.status_code == 200
    page = answer.text
    after = re.search(r'<td class="text after">(.*?)</td>', page, re.S)
    assert after is not None
    # The label names the side in words; the address alone may break anywhere; the rest of the
    # text (escaped) is unchanged, spaces included.
    assert '<span class="diff-label">Efter</span>' in page
    assert '<span class="diff-label">Före</span>' in page
    assert after.group(1) == (
        '<span class="diff-label">Efter</span><ins>Verksamhetsplanering &amp; mål, se '
        '<span class="url">https://intranat.example.se/ledarskap/plan</span></ins>'
    )


def test_the_years_edit_links_are_short_but_name_their_month(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", ORGANISER)
    page = client.get(f"/forums/{forum.id}/cycle?year=2026&lang=en").text
    link = f'<a href="/forums/{forum.id}/cycle/2026/3" aria-label="Change March">Change</a>'
    assert link in page
