"""A theme edit from a forum changes that forum's own cycle (copy-on-write); only configured
organisers change the shared one. Over signed HTTP against the fake Slack, on both databases."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.domain import ForumInfo
from bot.services import cycles, forums
from bot.storage.models import Cycle, InboundEvent
from fakes.slack.signing import block_actions_payload, view_submission_payload
from handlers.slack.views import CYCLE_CHOICE, CYCLE_SHARED, HOME_EDIT, THEME_FORM
from tests.slack.conftest import CHANNEL, ORGANISER, Served

LEADER = "U2"  # made an organiser of the configured forum only
_views = itertools.count(1)

pytestmark = pytest.mark.slow  # a served app and several round trips each


def _two_forums(served: Served) -> tuple[ForumInfo, ForumInfo]:
    """The configured forum with LEADER as its organiser, and a second forum in C2."""
    served.command("admin setup", user=ORGANISER, channel="C2")
    served.command(f"admin organisers add <@{LEADER}>", user=ORGANISER, channel=CHANNEL)
    served.idle()
    with served.core.db.transaction() as session:
        second = forums.find(session, "C2")
    assert second is not None
    return served.forum(), second


def _open_form(served: Served, user: str, forum: ForumInfo, month: int) -> dict[str, Any]:
    """Click *Redigera* of *month* on the Home tab; the modal that opens."""
    before = len(served.slack.views("views.open"))
    click = block_actions_payload(
        f"{HOME_EDIT}:{month}",
        json.dumps({"forum": forum.id, "month": month}),
        user_id=user,
        view={"id": "VH"},
        trigger_id=served.slack.new_trigger_id(),
    )
    assert served.interact(click).status_code == 200
    opened = served.slack.views("views.open")
    assert len(opened) == before + 1
    view: dict[str, Any] = opened[-1]["view"]
    assert view["callback_id"] == THEME_FORM
    return view


def _submit(
    served: Served,
    user: str,
    forum: ForumInfo,
    month: int,
    title: str,
    *,
    cycle: str | None = None,
) -> dict[str, Any]:
    """Submit the theme form; the acknowledgement's JSON ({} when accepted)."""
    fields = {
        "title_sv": f"{title} (sv)",
        "title_en": title,
        "why_now_sv": "För att det är dags.",
        "why_now_en": "Because it is time.",
        "questions_sv": "Fråga ett?\nFråga två?",
        "questions_en": "Question one?\nQuestion two?",
        "delivery_sv": "",
        "delivery_en": "",
    }
    values: dict[str, dict[str, Any]] = {
        k: {k: {"type": "plain_text_input", "value": v}} for k, v in fields.items()
    }
    if cycle is not None:
        values[CYCLE_CHOICE] = {
            CYCLE_CHOICE: {"type": "radio_buttons", "selected_option": {"value": cycle}}
        }
    payload = view_submission_payload(
        THEME_FORM,
        values,
        private_metadata=json.dumps({"forum": forum.id, "month": month}),
        user_id=user,
        view_id=f"VT{next(_views)}",
    )
    response = served.interact(payload)
    assert response.status_code == 200
    served.idle()
    return response.json() if response.content else {}


def _title(served: Served, forum: ForumInfo, month: int) -> str:
    with served.core.db.transaction() as session:
        theme = cycles.for_forum(session, forum).theme_for(month)
    assert theme is not None
    return theme.title.en


def _default_title(served: Served, month: int) -> str:
    with served.core.db.transaction() as session:
        doc = cycles.load(session, cycles.DEFAULT_KEY)
    assert doc is not None
    theme = doc.theme_for(month)
    assert theme is not None
    return theme.title.en


def _cycle_count(served: Served) -> int:
    with served.core.db.transaction() as session:
        return int(session.scalar(select(func.count(Cycle.id))) or 0)


def _early_in_the_year(served: Served) -> None:
    # March to June lie ahead, so an edit goes to the forum's own cycle (an edit of a later
    # year, which gets a cycle of its own, is tested in tests/test_cycle_years.py).
    served.core.dialogue.clock = lambda: datetime(2026, 2, 2, 9, tzinfo=UTC)


def test_a_forum_organisers_edit_changes_only_their_forum(served: Served) -> None:
    _early_in_the_year(served)
    mine, other = _two_forums(served)
    shipped = _default_title(served, 3)
    view = _open_form(served, LEADER, mine, 3)
    text = json.dumps(view, ensure_ascii=False)
    assert "forumets egen årscykel" in text and "som 2 forum följer" in text
    assert CYCLE_CHOICE not in text  # no choice of the shared cycle for a forum's organiser
    cycles_before = _cycle_count(served)

    assert _submit(served, LEADER, mine, 3, "Our own March") == {}
    assert _title(served, mine, 3) == "Our own March"
    assert _title(served, other, 3) == shipped == _default_title(served, 3)
    assert _title(served, mine, 4) == _default_title(served, 4)  # the rest was copied
    assert _cycle_count(served) == cycles_before + 1

    # The second edit changes the same copy and says so.
    again = json.dumps(_open_form(served, LEADER, mine, 4), ensure_ascii=False)
    assert "Bara det här forumet följer den" in again
    assert _submit(served, LEADER, mine, 4, "Our own April") == {}
    assert (_title(served, mine, 3), _title(served, mine, 4)) == ("Our own March", "Our own April")
    assert _title(served, other, 4) == _default_title(served, 4) != "Our own April"
    assert _cycle_count(served) == cycles_before + 1


def test_a_configured_organiser_may_edit_the_shared_cycle(served: Served) -> None:
    _early_in_the_year(served)
    mine, other = _two_forums(served)
    _submit(served, LEADER, mine, 3, "Our own March")  # mine now has its own cycle

    view = json.dumps(_open_form(served, ORGANISER, other, 5), ensure_ascii=False)
    assert CYCLE_CHOICE in view and "Den gemensamma (1 forum följer den)" in view
    assert _submit(served, ORGANISER, other, 5, "Shared May", cycle=CYCLE_SHARED) == {}
    assert _default_title(served, 5) == "Shared May" == _title(served, other, 5)
    assert _title(served, mine, 5) != "Shared May"  # its own copy stays as it was

    # Without choosing, a configured organiser's edit is copy-on-write like anyone's.
    assert _submit(served, ORGANISER, other, 6, "Second forum's June") == {}
    assert _title(served, other, 6) == "Second forum's June" != _default_title(served, 6)


def test_a_forum_organiser_cannot_edit_the_shared_cycle_with_a_forged_form(
    served: Served,
) -> None:
    mine, other = _two_forums(served)
    shared = _default_title(served, 3)
    refused = _submit(served, LEADER, mine, 3, "Forged", cycle=CYCLE_SHARED)
    assert refused["response_action"] == "errors" and CYCLE_CHOICE in refused["errors"]
    # Naming a forum they do not organise in the metadata is refused as well.
    refused = _submit(served, LEADER, other, 3, "Forged")
    assert refused["response_action"] == "errors"
    assert _default_title(served, 3) == shared
    assert _title(served, mine, 3) == _title(served, other, 3) == shared
    with served.core.db.transaction() as session:
        stored = [row.payload for row in session.scalars(select(InboundEvent))]
    assert all("Forged" not in json.dumps(payload) for payload in stored)  # refused, not recorded
