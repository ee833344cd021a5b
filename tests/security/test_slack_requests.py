"""Security of the Slack side over real HTTP: signatures with Slack's 5-minute window, organiser
checks on every admin path, private data kept private, and SQL only through bound parameters.

Every test runs on SQLite and, when configured, on PostgreSQL (the ``database_url`` fixture).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import func, inspect, select

from bot.i18n import t
from bot.storage.models import AuditEntry, Contribution, InboundEvent, Organiser, Theme, ThemePost
from fakes.slack.signing import (
    JSON,
    event_callback,
    message_event,
    post_signed,
    view_submission_payload,
)
from handlers.slack.views import THEME_FORM
from tests.slack.conftest import CHANNEL, SECRET, TEAM, Served


def _rows(served: Served, model: Any) -> int:
    with served.core.db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _state(served: Served) -> dict[str, int]:
    """Counts of everything an admin request could change."""
    models = (AuditEntry, InboundEvent, Organiser, Theme, ThemePost, Contribution)
    return {model.__name__: _rows(served, model) for model in models}


def _audit(served: Served) -> list[tuple[str, str, str]]:
    with served.core.db.transaction() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(entry.actor, entry.action, entry.target) for entry in entries]


def _learn_workspace(served: Served) -> None:
    """A first harmless command: the configured forum learns its workspace (one audit entry)."""
    assert served.command("hjälp", user="U2").status_code == 200
    served.idle()


# -- signatures ----------------------------------------------------------------------------------


def test_a_replayed_request_six_minutes_old_is_refused_and_nothing_is_stored(
    served: Served,
) -> None:
    body = event_callback(
        TEAM, message_event("Gammalt", channel=CHANNEL, thread_ts="1.000100"), "EvREPLAY1"
    )
    old = int(time.time()) - 6 * 60
    replay = post_signed(served.events_url, body, SECRET, JSON, timestamp=old)
    assert replay.status_code == 401
    assert _rows(served, InboundEvent) == 0
    # The same body signed now is accepted: the refusal was the window, nothing else.
    assert post_signed(served.events_url, body, SECRET, JSON).status_code == 200
    assert _rows(served, InboundEvent) == 1


def test_a_wrong_or_missing_signature_is_refused(served: Served) -> None:
    body = event_callback(TEAM, message_event("x", channel=CHANNEL, thread_ts="1.1"), "EvFORGED1")
    forged = post_signed(served.events_url, body, "not-the-secret", JSON)
    assert forged.status_code == 401
    unsigned = served.slack  # nothing reached the Web API either
    assert unsigned.calls == []
    assert _rows(served, InboundEvent) == 0


# -- organiser checks ------------------------------------------------------------------------------

ADMIN_COMMANDS = [
    "admin",
    "admin hjälp",
    "admin setup",
    "admin post-theme",
    "admin digest",
    "admin schedule",
    "admin stats",
    "admin organisers",
    "admin organisers add U2",
    "admin organisatörer lägg-till U1",
    "admin okänt-kommando",
]
DENIED = {t(language, "admin.denied") for language in ("sv", "en")}


@pytest.mark.parametrize("text", ADMIN_COMMANDS)
def test_every_admin_command_is_refused_for_a_leader(served: Served, text: str) -> None:
    _learn_workspace(served)
    before = _state(served)
    audit = _audit(served)
    response = served.command(text, user="U1")
    assert response.status_code == 200
    assert response.text in DENIED
    served.idle()
    assert _state(served) == before
    assert _audit(served) == audit
    assert served.slack.posted_messages() == []


def test_the_theme_form_submitted_by_a_leader_changes_nothing(served: Served) -> None:
    _learn_workspace(served)
    forum = served.forum()
    before = _state(served)
    audit = _audit(served)
    with served.core.db.transaction() as session:
        titles = sorted(session.scalars(select(Theme.id)))
    values = {
        "title_sv": {"title_sv": {"type": "plain_text_input", "value": "Kapad"}},
        "title_en": {"title_en": {"type": "plain_text_input", "value": "Hijacked"}},
        "why_now_sv": {"why_now_sv": {"type": "plain_text_input", "value": "För att"}},
        "why_now_en": {"why_now_en": {"type": "plain_text_input", "value": "Because"}},
        "questions_sv": {"questions_sv": {"type": "plain_text_input", "value": "Varför?"}},
        "questions_en": {"questions_en": {"type": "plain_text_input", "value": "Why?"}},
    }
    payload = view_submission_payload(
        THEME_FORM,
        values,
        private_metadata=json.dumps({"forum": forum.id, "month": 3}),
        user_id="U1",
        team_id=TEAM,
    )
    response = served.interact(payload)
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"].values()) <= DENIED
    served.idle()
    assert _state(served) == before
    assert _audit(served) == audit
    with served.core.db.transaction() as session:
        assert sorted(session.scalars(select(Theme.id))) == titles
        assert "Kapad" not in {theme.title_sv for theme in session.scalars(select(Theme))}


# -- private data ----------------------------------------------------------------------------------


def test_my_data_holds_only_the_callers_data(served: Served) -> None:
    assert served.command("dela Kims hemliga exempel om gåmöten", user="U1").status_code == 200
    assert served.command("dela Alex eget exempel om feedback", user="U2").status_code == 200
    served.idle()
    assert served.count() == 2
    assert served.command("mina-data", user="U1").status_code == 200
    served.idle()
    files = [f for f in served.slack.files if f.filename.startswith("ledarforum-my-data")]
    assert {f.filename for f in files} == {"ledarforum-my-data.json", "ledarforum-my-data.txt"}
    for file in files:
        content = file.content.decode("utf-8")
        assert "Kims hemliga exempel" in content
        assert "Alex eget exempel" not in content
        assert "U2" not in content and "Alex Berg" not in content


# -- SQL -------------------------------------------------------------------------------------------

HOSTILE_SQL = [
    "'); DROP TABLE contributions;--",
    "Robert'); DELETE FROM inbound_events; --",
    "1 OR 1=1; UPDATE organisers SET user_id='U1'",
    '"; DROP TABLE "forums"; --',
]


def test_sql_in_a_contribution_is_stored_verbatim_and_harms_nothing(served: Served) -> None:
    for number, text in enumerate(HOSTILE_SQL):
        # Each text is prefixed so it passes the minimum length and stays one contribution.
        response = served.command(f"dela Exempel {number}: {text}", user="U1")
        assert response.status_code == 200
    served.idle()
    stored = [c.text for c in served.contributions()]
    # Two inbox workers take batches side by side: the order of storing is not the order sent.
    assert sorted(stored) == sorted(f"Exempel {n}: {text}" for n, text in enumerate(HOSTILE_SQL))
    tables = set(inspect(served.core.db.engine).get_table_names())
    assert {"contributions", "forums", "inbound_events", "organisers"} <= tables
    assert _rows(served, InboundEvent) == len(HOSTILE_SQL)
