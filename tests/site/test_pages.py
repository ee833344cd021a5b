"""The forum pages over real HTTP in-process: the year, library, downloads, book and stats.

Who may see what (signed out → sign-in, another workspace → 404, organiser links only for
organisers), both languages, escaping of what leaders wrote, and that downloads hold exactly the
forum's own examples with the author's name or "anonymous" as they chose.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from bot.core import Core
from bot.domain import ForumInfo, Platform
from bot.services import cycles, forums, organisers
from bot.storage.models import Contribution, Forum
from bot.timing import Period
from tests.site.conftest import sign_in

# The core's clock (tests/conftest.py) stands at Monday 23 November 2026: November is current.
NOVEMBER = Period(2026, 11)
HOSTILE = "<script>alert('x')</script> & <b>fet</b>"


@dataclass(frozen=True)
class Seeded:
    """The forums of the tests: two in workspace T1, one in T2."""

    forum: ForumInfo  # T1, the one most tests read
    sibling: ForumInfo  # T1, a second forum of the same workspace
    other: ForumInfo  # T2, another workspace
    theme_key: str


@pytest.fixture
def seeded(core: Core) -> Seeded:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session,
            Platform.SLACK,
            "T1",
            "C1",
            language="sv",
            timezone="Europe/Stockholm",
            name="#ledare",
        )
        sibling, _ = forums.ensure_forum(
            session,
            Platform.SLACK,
            "T1",
            "C3",
            language="sv",
            timezone="Europe/Stockholm",
            name="#rektorer",
        )
        other, _ = forums.ensure_forum(
            session,
            Platform.SLACK,
            "T2",
            "C2",
            language="sv",
            timezone="Europe/Stockholm",
            name="#andra",
        )
        theme = cycles.theme_at(session, forum, NOVEMBER)
        assert theme is not None
        organisers.add(session, "slack", "T1", "UORGA", forum.id, actor="test")
        count = 0

        def add(
            where: ForumInfo,
            period: str,
            author: str,
            text: str,
            *,
            anonymous: bool = False,
            permalink: str | None = None,
        ) -> None:
            nonlocal count
            count += 1
            session.add(
                Contribution(
                    forum_id=where.id,
                    platform="slack",
                    workspace_id=where.workspace_id,
                    period=period,
                    theme_title_sv=theme.title.sv,
                    theme_title_en=theme.title.en,
                    theme_key=theme.key,
                    author_id="U" + author.split()[0].upper(),
                    author_name=author,
                    text=text,
                    source="thread_reply",
                    channel_id=where.channel_id,
                    source_message_id=f"m{count}",
                    permalink=permalink,
                    anonymous=anonymous,
                    created_at=datetime(int(period[:4]), int(period[5:]), 5, 10, tzinfo=UTC),
                )
            )

        add(
            forum,
            "2026-11",
            "Astrid Exempel",
            "Vi testade gåmöten inför medarbetarsamtal",
            permalink="https://example.slack.com/archives/C1/p100",
        )
        add(forum, "2026-11", "Hemlig Person", "Anonym idé om återkoppling", anonymous=True)
        add(forum, "2025-11", "Bertil Förra", "Förra årets medarbetarsamtal i par")
        add(forum, "2026-10", "Cecilia Prov", HOSTILE, permalink="javascript:alert(1)")
        add(forum, "2026-09", "Kalle Kalkyl", '=HYPERLINK("http://x.example")')
        add(other, "2026-11", "Dora Annan", "HEMLIGT i en annan arbetsplats")
    return Seeded(forum, sibling, other, theme.key)


def _as(client: TestClient, core: Core, user: str, workspace: str = "T1") -> TestClient:
    sign_in(client, core, Platform.SLACK, workspace, user)
    return client


def _pages(forum_id: int) -> list[str]:
    base = f"/forums/{forum_id}"
    return [base, f"{base}/library", f"{base}/stats", f"{base}/book/2026"]


def _downloads(forum_id: int) -> list[str]:
    base = f"/forums/{forum_id}"
    return [f"{base}/library.csv", f"{base}/library.json", f"{base}/book/2026.md"]


# ---------------------------------------------------------------- access


def test_home_sends_the_signed_out_to_sign_in_and_the_signed_in_to_their_forums(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"].startswith("/signin")
    _as(client, core, "ULEIF")
    response = client.get("/", follow_redirects=False)
    assert response.headers["location"] == "/forums"


def test_signed_out_visitors_are_sent_to_sign_in_and_see_nothing(
    client: TestClient, seeded: Seeded
) -> None:
    for path in ["/forums", *_pages(seeded.forum.id), *_downloads(seeded.forum.id)]:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/signin?next="), path
        assert "Astrid" not in response.text


def test_another_workspaces_person_gets_404_everywhere(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _as(client, core, "UDORA", workspace="T2")
    for path in [*_pages(seeded.forum.id), *_downloads(seeded.forum.id)]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Astrid" not in response.text and "medarbetarsamtal" not in response.text


def test_a_forum_that_does_not_exist_is_404(client: TestClient, core: Core, seeded: Seeded) -> None:
    _as(client, core, "ULEIF")
    assert client.get("/forums/9999").status_code == 404
    assert client.get(f"/forums/{seeded.forum.id}/book/1899").status_code == 404
    assert client.get(f"/forums/{seeded.forum.id}/book/1899.md").status_code == 404


def test_my_forums_lists_the_workspaces_forums_or_goes_straight_to_the_only_one(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _as(client, core, "ULEIF")
    page = client.get("/forums?lang=en")
    assert page.status_code == 200
    assert "#ledare" in page.text and "#rektorer" in page.text and "#andra" not in page.text
    assert f'href="/forums/{seeded.forum.id}"' in page.text
    _as(client, core, "UDORA", workspace="T2")
    response = client.get("/forums", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/forums/{seeded.other.id}"


def test_someone_without_forums_is_told_so_in_their_language(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _as(client, core, "UNEW", workspace="T9")
    page = client.get("/forums?lang=sv")
    assert page.status_code == 200
    assert "Du är inte med i något forum" in page.text and "#ledare" not in page.text


def test_the_language_switch_keeps_the_search(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _as(client, core, "ULEIF")
    page = client.get(f"/forums/{seeded.forum.id}/library?q=par&lang=sv").text
    assert f'href="/forums/{seeded.forum.id}/library?q=par&amp;lang=en" hreflang="en"' in page


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("sv", ("Årshjulet", "Biblioteket med goda exempel", "Delaktighet 2026", "Goda exempel")),
        ("en", ("The year wheel", "The library of good practices", "Participation 2026", "Good")),
    ],
)
def test_every_page_renders_in_both_languages_for_a_member(
    client: TestClient, core: Core, seeded: Seeded, lang: str, words: tuple[str, ...]
) -> None:
    _as(client, core, "ULEIF")
    for path, word in zip(_pages(seeded.forum.id), words, strict=True):
        response = client.get(f"{path}?lang={lang}")
        assert response.status_code == 200, path
        assert f'<html lang="{lang}">' in response.text, path
        assert word in response.text, path
        # The CSP allows no inline scripts or styles: none may be in the page.
        assert "<script" not in response.text and " style=" not in response.text, path
        assert "content-security-policy" in response.headers


def test_organiser_links_show_only_for_organisers(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    cycle_link = f'href="/forums/{seeded.forum.id}/cycle"'
    _as(client, core, "ULEIF")
    for path in _pages(seeded.forum.id)[:3]:
        assert cycle_link not in client.get(path).text, path
    _as(client, core, "UORGA")
    for path in _pages(seeded.forum.id)[:3]:
        assert cycle_link in client.get(path).text, path


# ---------------------------------------------------------------- the year


def test_the_year_shows_the_wheel_the_months_and_this_months_theme(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _as(client, core, "ULEIF")
    page = client.get(f"/forums/{seeded.forum.id}?lang=en").text
    assert f'src="/forums/{seeded.forum.id}/wheel.svg?lang=en&amp;year=2026"' in page
    assert 'alt="The year wheel for 2026' in page
    with core.db.transaction() as session:
        doc = cycles.for_forum(session, seeded.forum, 2026)
    november = doc.theme_for(11)
    assert november is not None
    # Twelve month rows, November marked as now, with its theme, delivery and questions.
    assert page.count('<th scope="row">') >= 12
    assert 'class="current" aria-current="date"' in page
    assert november.title.en.replace("'", "&#39;") in page
    assert november.questions[0].en.replace("'", "&#39;") in page
    assert f'href="/forums/{seeded.forum.id}/calendar"' in page
    assert f'href="/forums/{seeded.forum.id}/library"' in page


# ---------------------------------------------------------------- the library


def test_the_library_shows_names_or_anonymous_and_escapes_what_leaders_wrote(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _as(client, core, "ULEIF")
    sv = client.get(f"/forums/{seeded.forum.id}/library?lang=sv").text
    assert "Astrid Exempel" in sv and "anonym" in sv and "Hemlig Person" not in sv
    assert "HEMLIGT" not in sv
    assert "<script>alert" not in sv and "<b>fet</b>" not in sv
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;fet&lt;/b&gt;" in sv
    assert 'href="https://example.slack.com/archives/C1/p100"' in sv
    assert "javascript:" not in sv
    en = client.get(f"/forums/{seeded.forum.id}/library?lang=en").text
    assert "anonymous" in en and "Hemlig Person" not in en


def test_the_library_searches_and_filters(client: TestClient, core: Core, seeded: Seeded) -> None:
    _as(client, core, "ULEIF")
    base = f"/forums/{seeded.forum.id}/library"
    found = client.get(base, params={"q": "medarbetarsamtal", "lang": "en"}).text
    assert "Vi testade gåmöten" in found and "Förra årets medarbetarsamtal" in found
    assert "Anonym idé" not in found
    assert 'value="medarbetarsamtal"' in found
    last_year = client.get(base, params={"year": "2025"}).text
    assert "Förra årets medarbetarsamtal" in last_year and "Vi testade gåmöten" not in last_year
    assert '<option value="2025" selected>' in last_year
    themed = client.get(base, params={"theme": seeded.theme_key}).text
    assert f'<option value="{seeded.theme_key}" selected>' in themed
    # The filters are labelled.
    for field in ("q", "theme", "year"):
        assert f'<label for="{field}">' in found and f'id="{field}"' in found


def test_bad_filters_get_a_translated_answer(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _as(client, core, "ULEIF")
    base = f"/forums/{seeded.forum.id}/library"
    response = client.get(base, params={"year": "abc", "lang": "sv"})
    assert response.status_code == 400
    assert "Året ska vara ett årtal" in response.text
    response = client.get(base, params={"q": "x" * 500, "lang": "en"})
    assert response.status_code == 400
    assert 'class="error"' in response.text
    response = client.get(base, params={"theme": "no-such-theme", "lang": "en"})
    assert response.status_code == 400
    assert "That theme is not among" in response.text


def test_this_months_theme_is_shown_with_last_years_examples_of_it(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _as(client, core, "ULEIF")
    page = client.get(f"/forums/{seeded.forum.id}/library?lang=en").text
    together = page[page.index('id="comeback-heading"') : page.index('id="results-heading"')]
    assert "This month (2026)" in together and "The same theme last year (2025)" in together
    assert "Vi testade gåmöten" in together and "Förra årets medarbetarsamtal" in together
    assert "Cecilia" not in together  # October's example is not this month's


# ---------------------------------------------------------------- downloads


def test_csv_and_json_hold_the_forums_examples_only_with_anonymity_kept(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _as(client, core, "ULEIF")
    response = client.get(f"/forums/{seeded.forum.id}/library.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert ".csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 5
    assert {row["forum_id"] for row in rows} == {str(seeded.forum.id)}
    authors = {row["author"] for row in rows}
    assert "Astrid Exempel" in authors and "Hemlig Person" not in authors and "" in authors
    assert "HEMLIGT" not in response.text
    formula = next(row for row in rows if "HYPERLINK" in row["text"])
    assert formula["text"].startswith("'=")  # a spreadsheet shows it, does not run it

    response = client.get(f"/forums/{seeded.forum.id}/library.json")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    items = json.loads(response.text)
    assert len(items) == 5 and {item["forum_id"] for item in items} == {seeded.forum.id}
    anonymous = next(item for item in items if item["anonymous"])
    assert anonymous["author"] == "" and "Hemlig" not in response.text
    assert HOSTILE in {item["text"] for item in items}


def test_the_book_as_markdown_and_as_a_print_page(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _as(client, core, "ULEIF")
    response = client.get(f"/forums/{seeded.forum.id}/book/2026.md?lang=sv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.headers["content-disposition"].startswith("attachment;")
    text = response.text
    assert "Vi testade gåmöten" in text and "Astrid Exempel" in text
    assert "Hemlig Person" not in text and "anonym" in text.lower()
    assert "Förra årets" not in text  # 2025 is another book
    assert "HEMLIGT" not in text

    page = client.get(f"/forums/{seeded.forum.id}/book/2026?lang=en")
    assert page.status_code == 200
    assert "Vi testade gåmöten" in page.text and "Hemlig Person" not in page.text
    assert "anonymous" in page.text.lower()
    assert "<script>alert" not in page.text
    assert f'href="/forums/{seeded.forum.id}/book/2026.md"' in page.text


# ---------------------------------------------------------------- participation


def test_stats_show_numbers_and_no_names(client: TestClient, core: Core, seeded: Seeded) -> None:
    with core.db.transaction() as session:
        session.execute(
            update(Forum)
            .where(Forum.id == seeded.forum.id)
            .values(member_count=10, member_count_at=core.dialogue.clock())
        )
    _as(client, core, "ULEIF")
    for lang, share in (("sv", "20 %"), ("en", "20%")):
        page = client.get(f"/forums/{seeded.forum.id}/stats?lang={lang}").text
        for name in ("Astrid", "Hemlig", "Bertil", "Cecilia", "Kalkyl", "Dora"):
            assert name not in page, name
        november = page[page.index('aria-current="date"') :]
        november = november[: november.index("</tr>")]
        assert "<td>2 <span" in november and share in november  # 2 of 10 members
        assert "<svg" in november and 'width="20.0"' in november
    year_page = client.get(f"/forums/{seeded.forum.id}?lang=en").text
    assert "Astrid" not in year_page[year_page.index('id="participation-heading"') :]


def test_stats_of_another_year_and_a_bad_year(
    client: TestClient, core: Core, seeded: Seeded
) -> None:
    _as(client, core, "ULEIF")
    page = client.get(f"/forums/{seeded.forum.id}/stats?year=2025&lang=en")
    assert page.status_code == 200 and "Participation 2025" in page.text
    assert client.get(f"/forums/{seeded.forum.id}/stats?year=nonsense").status_code == 404
