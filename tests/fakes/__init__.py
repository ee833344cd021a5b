"""Local fakes of external services (Slack Web API, request signing) for tests."""
