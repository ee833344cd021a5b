"""Teams likes on a stored example, over real HTTP to ``/api/messages``: each person counts once,
an unlike takes it back, and a redelivered ``messageReaction`` activity changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.core import Core
from bot.services import forums
from bot.storage.models import Contribution
from fakes.teams_connector import FakeTeamsConnector
from tests.support import FakeClock
from tests.teams.conftest import bot, connector, teams, teams_core  # noqa: F401
from tests.teams.support import ORGANISER, BotClient, channel_message

pytestmark = pytest.mark.slow  # a served adapter per test


def _reaction(
    service_url: str, message_id: str, root: str, user: str, kind: str, *, removed: bool = False
) -> dict[str, Any]:
    activity = channel_message(service_url, "", user=user, root=root, mention=False)
    activity["type"] = "messageReaction"
    activity["replyToId"] = message_id
    activity.pop("text", None)
    activity.pop("textFormat", None)
    activity["reactionsRemoved" if removed else "reactionsAdded"] = [{"type": kind}]
    return activity


def _reactions(core: Core) -> list[int]:
    with core.db.transaction() as session:
        return list(session.scalars(select(Contribution.reactions).order_by(Contribution.id)))


def test_likes_count_each_person_once(
    bot: BotClient,  # noqa: F811
    connector: FakeTeamsConnector,  # noqa: F811
    teams_core: Core,  # noqa: F811
    clock: FakeClock,
) -> None:
    assert (
        bot.send(channel_message(connector.url, "admin setup", user=ORGANISER)).status_code == 200
    )
    with teams_core.db.transaction() as session:
        [forum] = forums.all_forums(session)
    root = teams_core.publisher.post_theme(forum, clock()).message_id
    assert root is not None
    reply = channel_message(connector.url, "Vi delar ut veckans beröm", root=root, mention=False)
    assert bot.send(reply).status_code == 200
    assert _reactions(teams_core) == [0]

    like = _reaction(connector.url, reply["id"], root, "aad-r1", "like")
    assert bot.send(like).status_code == 200
    assert bot.send(like).status_code == 200  # Teams delivers the same activity again
    heart = _reaction(connector.url, reply["id"], root, "aad-r1", "heart")
    assert bot.send(heart).status_code == 200
    other = _reaction(connector.url, reply["id"], root, "aad-r2", "like")
    assert bot.send(other).status_code == 200
    assert _reactions(teams_core) == [2]

    for kind in ("like", "heart"):
        unlike = _reaction(connector.url, reply["id"], root, "aad-r1", kind, removed=True)
        assert bot.send(unlike).status_code == 200
    assert _reactions(teams_core) == [1]
