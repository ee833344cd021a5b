"""The /cohorts page over HTTP in-process: an organiser's cohorts side by side, no names."""

from __future__ import annotations

from datetime import UTC, date, datetime

from starlette.testclient import TestClient

from bot.core import Core
from bot.domain import ForumInfo, Platform
from bot.services import forums, organisers
from bot.storage.models import Contribution

# The site's fixtures (a core reached at the client's address, the app in a test client).
from tests.site.conftest import client, sign_in, site_core  # noqa: F401

NAMES = ("Astrid Alfa", "Bertil Beta", "Cecilia Gamma")


def _forum(core: Core, workspace: str, channel: str, **values: object) -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, workspace, channel, language="sv", timezone="Europe/Stockholm"
        )
        if values:
            forum = forums.update(session, forum.id, actor="test", **values)
    return forum


def _examples(core: Core, forum: ForumInfo, period: str, authors: tuple[str, ...]) -> None:
    year, month = int(period[:4]), int(period[5:])
    with core.db.transaction() as session:
        for number, author in enumerate(authors):
            session.add(
                Contribution(
                    forum_id=forum.id,
                    platform="slack",
                    workspace_id=forum.workspace_id,
                    period=period,
                    author_id=author,
                    author_name=NAMES[number % len(NAMES)],
                    text=f"Exempel {forum.id}-{period}-{number}",
                    source="thread",
                    channel_id=forum.channel_id,
                    source_message_id=f"p{forum.id}-{period}-{number}",
                    created_at=datetime(year, month, 10, tzinfo=UTC),
                )
            )


def _seed(core: Core) -> tuple[ForumInfo, ForumInfo, ForumInfo]:
    spring = _forum(
        core,
        "T1",
        "C1",
        name="#kull-var",
        cohort_name="Vårkullen 2025",
        cohort_start=date(2025, 1, 10),
        cohort_end=date(2025, 6, 30),
    )
    autumn = _forum(core, "T1", "C2", name="#kull-host", cohort_name="Höstkullen 2026")
    plain = _forum(core, "T1", "C3", name="#ledare")  # no cohort: not on the page
    elsewhere = _forum(core, "T2", "C4", cohort_name="Andras kull")  # another workspace
    with core.db.transaction() as session:
        for forum in (spring, autumn, plain):
            organisers.add(session, "slack", "T1", "UORGA", forum.id, actor="test")
        organisers.add(session, "slack", "T2", "UORGB", elsewhere.id, actor="test")
    _examples(core, spring, "2026-02", ("U1", "U2", "U1"))
    _examples(core, spring, "2025-03", ("U1",))
    _examples(core, autumn, "2026-10", ("U3", "U4"))
    _examples(core, plain, "2026-10", ("U5",))
    return spring, autumn, elsewhere


def test_an_organiser_sees_their_cohorts_side_by_side_without_names(
    client: TestClient,  # noqa: F811
    site_core: Core,  # noqa: F811
) -> None:
    _seed(site_core)
    sign_in(client, site_core, Platform.SLACK, "T1", "UORGA")
    page = client.get("/cohorts")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Vårkullen 2025" in html and "Höstkullen 2026" in html
    assert html.index("Vårkullen 2025") < html.index("Höstkullen 2026")  # by start
    assert "#ledare" not in html and "Andras kull" not in html
    assert "alumner" in html  # the spring cohort ended in 2025
    assert not any(name in html for name in NAMES)
    assert "Exempel" not in html  # figures only, never the examples' text
    # The spring row: 2 people and 3 examples this year, 1 and 1 the year before.
    row = html[html.index("Vårkullen 2025") : html.index("</tr>", html.index("Vårkullen 2025"))]
    cells = [cell.split(">")[-1] for cell in row.split("</td>")[:-1]]
    assert cells[-6:] == ["2", "–", "3", "1", "–", "1"]


def test_a_leader_sees_an_explaining_empty_page_and_a_visitor_is_sent_to_sign_in(
    client: TestClient,  # noqa: F811
    site_core: Core,  # noqa: F811
) -> None:
    _seed(site_core)
    assert client.get("/cohorts").headers["location"] == "/signin?next=/cohorts"
    sign_in(client, site_core, Platform.SLACK, "T1", "U1")
    page = client.get("/cohorts?lang=en")
    assert page.status_code == 200
    assert "You organise no cohorts" in page.text
    assert "Vårkullen" not in page.text and "Höstkullen" not in page.text
