"""``admin organisers add|remove`` answers what really happened, and a forum keeps an organiser.

Over signed HTTP against the fake Slack, on both databases.
"""

from __future__ import annotations

import pytest

from bot.i18n import t
from tests.slack.conftest import ORGANISER, Served

pytestmark = pytest.mark.slow  # a served app and several round trips each


def _answer(served: Served, text: str, user: str) -> str:
    """The private answer to ``/ledarforum <text>`` (at once, or later by response_url)."""
    before = len(served.slack.responses)
    response = served.command(text, user=user)
    assert response.status_code == 200
    served.idle()
    later = [answer.payload.get("text", "") for answer in served.slack.responses[before:]]
    return " ".join([response.text, *later])


def test_adding_and_removing_say_what_happened(served: Served) -> None:
    def said(key: str, user: str) -> str:
        return t("sv", key, user=user)

    add_u2 = "admin organisers add <@U2>"
    assert said("admin.organisers.added", "U2") in _answer(served, add_u2, ORGANISER)
    assert said("admin.organisers.already", "U2") in _answer(served, add_u2, ORGANISER)
    # A configured organiser is one everywhere: adding them changes nothing.
    add_configured = f"admin organisers add <@{ORGANISER}>"
    assert said("admin.organisers.already", ORGANISER) in _answer(served, add_configured, "U2")
    assert said("admin.organisers.not", "U1") in _answer(
        served, "admin organisers remove <@U1>", ORGANISER
    )
    assert said("admin.organisers.everywhere", ORGANISER) in _answer(
        served, f"admin organisers remove <@{ORGANISER}>", "U2"
    )
    assert said("admin.organisers.removed", "U2") in _answer(
        served, "admin organisers remove <@U2>", ORGANISER
    )
    assert said("admin.organisers.not", "U2") in _answer(
        served, "admin organisers remove <@U2>", ORGANISER
    )


def test_the_last_organiser_cannot_remove_themselves(served: Served) -> None:
    _answer(served, "admin organisers add <@U2>", ORGANISER)
    last = t("sv", "admin.organisers.last")
    assert last in _answer(served, "admin organisers remove <@U2>", "U2")
    assert "U2" in _answer(served, "admin organisers", "U2")  # still listed, still allowed

    _answer(served, "admin organisers add <@U1>", "U2")
    assert t("sv", "admin.organisers.removed", user="U2") in _answer(
        served, "admin organisers remove <@U2>", "U2"
    )
    assert t("sv", "admin.denied") in _answer(served, "admin organisers", "U2")
    assert last in _answer(served, "admin organisers remove <@U1>", "U1")
