"""An uploaded cycle file's ``meetings:`` list: the diff lists the meetings it adds, applying
stores them in the forum once."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from sqlalchemy import select
from starlette.testclient import TestClient

from bot.core import Core
from bot.cycle_file import dump_cycle_yaml
from bot.domain import ForumInfo, Platform
from bot.meeting_items import new_meeting
from bot.services import cycles, meetings
from bot.storage.models import Meeting
from tests.site import test_editor
from tests.site.conftest import csrf_of, sign_in
from tests.site.test_editor import ORGANISER, _upload

forum = test_editor.forum  # the editor tests' forum, as a fixture here


def _stored(core: Core) -> list[tuple[str, str]]:
    with core.db.transaction() as session:
        rows = session.scalars(select(Meeting).order_by(Meeting.starts_at))
        return [(row.starts_at.isoformat(), row.place) for row in rows]


def test_the_upload_shows_and_stores_the_meetings_it_adds(
    client: TestClient, site_core: Core, forum: ForumInfo
) -> None:
    sign_in(client, site_core, Platform.SLACK, "T1", ORGANISER)
    with site_core.db.transaction() as session:
        meetings.import_all(
            session,
            forum,
            [new_meeting("2027-02-10", "13:00", place="Aulan")],
            actor="test",
            now=site_core.dialogue.clock(),
        )
        shown = cycles.for_forum(session, forum, 2026)
    planned = (
        new_meeting("2027-02-10", "13:00", place="Aulan"),  # already stored: kept, not listed
        new_meeting("2027-03-10", "08:30", minutes="60", place="Rum 4", agenda="Budget"),
    )
    text = dump_cycle_yaml(replace(shown, meetings=planned)).encode()
    answer = _upload(client, forum, "plan.yaml", text)
    assert answer.status_code == 200
    page = html.unescape(answer.text)
    assert "Nytt möte" in page and "2027-03-10 08:30 · 60 min · Rum 4 | Budget" in page
    assert "2027-02-10 13:00" not in page
    assert len(_stored(site_core)) == 1  # shown, not applied
    payload = re.search(r'name="payload" value="([^"]+)"', answer.text)
    assert payload is not None
    signed, token = html.unescape(payload.group(1)), csrf_of(answer.text)
    for _ in range(2):  # applied twice: each meeting stored once
        applied = client.post(
            f"/forums/{forum.id}/cycle/apply", data={"csrf_token": token, "payload": signed}
        )
        assert applied.status_code == 303
    assert _stored(site_core) == [
        ("2027-02-10T12:00:00+00:00", "Aulan"),
        ("2027-03-10T07:30:00+00:00", "Rum 4"),
    ]
