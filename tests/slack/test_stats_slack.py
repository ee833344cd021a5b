"""Participation in Slack over real HTTP: ``conversations.info``'s ``num_members`` from the fake
Web API, the share in ``admin stats`` and in the organisers' App Home, never a name."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.domain import ForumInfo
from bot.services import cycles, stats
from bot.storage.models import Contribution
from fakes.slack import FakeSlackAPI
from handlers.slack.poster import SlackClients, SlackPoster
from tests.slack.conftest import CHANNEL, ORGANISER, TEAM, Served

AUTHORS = {"UQZ1WRITER": "Vendela Provsdotter", "UQZ2WRITER": "Hjalmar Testqvist"}


def test_the_fake_answers_num_members_only_when_asked(slack: FakeSlackAPI) -> None:
    client = WebClient(base_url=slack.url, token="xoxb-test")
    slack.add_channel(CHANNEL, "ledarforum")
    slack.add_message(CHANNEL, "Hej", "U1")
    slack.add_message(CHANNEL, "Hej igen", "U2")
    plain = client.conversations_info(channel=CHANNEL)["channel"]
    assert "num_members" not in plain
    counted = client.conversations_info(channel=CHANNEL, include_num_members=True)["channel"]
    assert counted["num_members"] == 2  # by default, the people who wrote in it
    slack.set_num_members(CHANNEL, 37)
    counted = client.conversations_info(channel=CHANNEL, include_num_members=True)["channel"]
    assert counted["num_members"] == 37
    assert len(slack.calls_to("conversations.info")) == 3


def test_the_slack_poster_counts_members_and_says_none_when_slack_refuses(
    served: Served,
) -> None:
    forum = served.forum()
    served.slack.set_num_members(CHANNEL, 12)
    poster = served.core.posters[forum.platform]
    assert isinstance(poster, SlackPoster)
    assert poster.member_count(forum) == 12
    strict = FakeSlackAPI(strict_channels=True)
    with strict:
        refused = SlackPoster(SlackClients(strict.url, token="xoxb-test"))
        assert refused.member_count(forum) is None  # channel_not_found
    no_token = SlackPoster(SlackClients(served.slack.url, token=None))
    assert no_token.member_count(forum) is None


def _contribute(served: Served, forum: ForumInfo) -> tuple[int, int]:
    """Examples this month and in the same month last year; returns (year, month)."""
    with served.core.db.transaction() as session:
        period = cycles.current(session, forum, served.core.dialogue.clock()).period
        for number, (year, author) in enumerate(
            [
                (period.year, "UQZ1WRITER"),
                (period.year, "UQZ2WRITER"),
                (period.year, "UQZ2WRITER"),
                (period.year - 1, "UQZ1WRITER"),
            ]
        ):
            session.add(
                Contribution(
                    forum_id=forum.id,
                    platform="slack",
                    workspace_id=TEAM,
                    period=f"{year:04d}-{period.month:02d}",
                    theme_key="tema",
                    theme_title_sv="Tema",
                    theme_title_en="Theme",
                    author_id=author,
                    author_name=AUTHORS[author],
                    text=f"Exempel {number}",
                    source="thread",
                    channel_id=CHANNEL,
                    source_message_id=f"s{number}",
                    created_at=datetime(year, period.month, 2, tzinfo=UTC),
                )
            )
    return period.year, period.month


def _answer(served: Served, text: str, user: str) -> str:
    before = len(served.slack.responses)
    response = served.command(text, user=user)
    assert response.status_code == 200
    served.idle()
    later = served.slack.responses[before:]
    return response.text + "".join(json.dumps(r.payload, ensure_ascii=False) for r in later)


def _anonymous(text: str) -> None:
    for user, name in AUTHORS.items():
        assert user not in text and name not in text


def test_admin_statistik_over_http_shows_the_share_of_the_channels_members(
    served: Served,
) -> None:
    forum = served.forum()
    served.slack.set_num_members(CHANNEL, 4)
    year, _ = _contribute(served, forum)
    answer = _answer(served, "admin statistik", ORGANISER)
    # This month: 3 examples from 2 people of 4 = 50 %; last year 1 from 1 = 25 %.
    assert f"3 goda exempel från 2 personer, 50 % ({year - 1}: 1 gott exempel" in answer
    assert "Kanalen har 4 medlemmar" in answer
    _anonymous(answer)
    served.slack.set_num_members(CHANNEL, 8)  # asked again only tomorrow
    again = _answer(served, "admin stats", ORGANISER)
    assert "3 goda exempel från 2 personer, 50 %" in again and "Kanalen har 4 medlemmar" in again
    asked = [
        c
        for c in served.slack.calls_to("conversations.info")
        if c.params.get("include_num_members")
    ]
    assert len(asked) == 1


def test_the_app_home_shows_organisers_the_groups_participation(served: Served) -> None:
    forum = served.forum()
    served.slack.set_num_members(CHANNEL, 10)
    _contribute(served, forum)
    for user in (ORGANISER, "U1"):
        served.send_event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    served.idle()
    organiser = json.dumps(served.slack.home_view(ORGANISER), ensure_ascii=False)
    assert "Deltagande i gruppen" in organiser
    assert "3 goda exempel från 2 personer, 20 %" in organiser
    assert "Kanalen har 10 medlemmar" in organiser
    _anonymous(organiser)
    leader = json.dumps(served.slack.home_view("U1"), ensure_ascii=False)
    assert "Deltagande i gruppen" not in leader  # organisers only
    with served.core.db.transaction() as session:
        assert stats.stored_member_count(session, forum.id)[0] == 10
