"""The Teams poster counts a forum's members from the team's roster (``pagedMembers``, page by
page, over real HTTP to the fake connector), and says None when it cannot."""

from __future__ import annotations

from bot.domain import ForumInfo, Platform
from fakes.teams_connector import FakeTeamsConnector
from handlers.teams.app import TeamsAdapter
from tests.teams.support import CHANNEL, GROUP, TEAM, TENANT


def _forum(service_url: str | None) -> ForumInfo:
    ref = (
        {
            "service_url": service_url,
            "tenant_id": TENANT,
            "channel_id": CHANNEL,
            "team_id": TEAM,
            "group_id": GROUP,
        }
        if service_url
        else None
    )
    return ForumInfo(
        1,
        Platform.TEAMS,
        TENANT,
        CHANNEL,
        "Ledarforum",
        "sv",
        "Europe/Stockholm",
        conversation_ref=ref,
    )


def test_the_roster_is_counted_over_every_page(
    teams: TeamsAdapter, connector: FakeTeamsConnector
) -> None:
    connector.set_roster(TEAM, [f"aad-person-{n}" for n in range(1203)])
    assert teams.poster.member_count(_forum(connector.url)) == 1203
    pages = [r for r in connector.requests() if r.path.endswith("/pagedMembers")]
    assert len(pages) == 3  # 500 + 500 + 203
    assert all(r.body and r.body["pageSize"] == "500" for r in pages)
    assert pages[1].body is not None and pages[1].body["continuationToken"] == "500"


def test_no_count_without_a_reference_or_when_teams_refuses(
    teams: TeamsAdapter, connector: FakeTeamsConnector
) -> None:
    assert teams.poster.member_count(_forum(None)) is None  # never set up from Teams
    connector.set_roster(TEAM, ["aad-a", "aad-b"])
    connector.fail_next(403, match="pagedMembers")
    assert teams.poster.member_count(_forum(connector.url)) is None
    assert teams.poster.member_count(_forum(connector.url)) == 2
