"""The Slack fixtures (fake Web API, the app served over HTTP) and the Teams ones (fake connector,
the core in Teams development mode), shared with the bad-input tests."""

from tests.slack.conftest import make_served, served, slack
from tests.teams.conftest import connector, teams_core

__all__ = ["connector", "make_served", "served", "slack", "teams_core"]
