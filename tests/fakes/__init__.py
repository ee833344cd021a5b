"""Local fakes of external services for tests: the Slack Web API, Slack request signing and the
Teams (Bot Framework) connector."""
