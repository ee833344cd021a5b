"""The Slack fixtures (fake Web API, the app served over HTTP), shared with the bad-input tests."""

from tests.slack.conftest import make_served, served, slack

__all__ = ["make_served", "served", "slack"]
