"""Reactions on stored examples over real HTTP against the fake Slack: one person counts once,
taking a reaction back uncounts it, a redelivered event changes nothing, and the forum's save
reaction both saves the message and counts as appreciation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.slack.conftest import CHANNEL, Served, make_served, served, slack  # noqa: F401

pytestmark = pytest.mark.slow  # a served app and its inbox worker per test


def _reaction(ts: str, user: str, emoji: str, *, removed: bool = False) -> dict[str, Any]:
    return {
        "type": "reaction_removed" if removed else "reaction_added",
        "user": user,
        "reaction": emoji,
        "item": {"type": "message", "channel": CHANNEL, "ts": ts},
        "item_user": "U2",
    }


def _send(app: Served, event: dict[str, Any], event_id: str, retry: int | None = None) -> None:
    assert app.send_event(event, event_id=event_id, retry=retry).status_code == 200
    app.idle()


def _count(app: Served) -> int:
    [stored] = app.contributions()
    return stored.reactions


def test_reactions_on_a_stored_example_count_people_once(served: Served) -> None:  # noqa: F811
    ts = served.slack.add_message(CHANNEL, "Vi firar små framsteg varje fredag", user="U2")
    _send(served, _reaction(ts, "U1", "bulb"), "Ev1")  # the forum's save reaction
    [stored] = served.contributions()
    assert (stored.text, stored.reactions) == ("Vi firar små framsteg varje fredag", 1)

    _send(served, _reaction(ts, "UORG", "+1"), "Ev2")
    _send(served, _reaction(ts, "UORG", "+1"), "Ev2", retry=1)  # Slack delivers it again
    _send(served, _reaction(ts, "UORG", "heart"), "Ev3")  # the same person, another emoji
    assert _count(served) == 2
    assert len(served.contributions()) == 1  # saved once

    _send(served, _reaction(ts, "UORG", "+1", removed=True), "Ev4")
    assert _count(served) == 2  # the heart still says so
    _send(served, _reaction(ts, "UORG", "heart", removed=True), "Ev5")
    _send(served, _reaction(ts, "UORG", "heart", removed=True), "Ev5", retry=1)
    assert _count(served) == 1

    other = served.slack.add_message(CHANNEL, "Inget sparat exempel", user="U2")
    _send(served, _reaction(other, "UORG", "+1"), "Ev6")  # not a stored example: nothing
    assert _count(served) == 1
