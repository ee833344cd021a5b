"""Local fakes of the platforms for tests and benchmarks: the Slack Web API and Slack's request
signing (:mod:`fakes.slack`), and the Teams (Bot Framework) connector
(:mod:`fakes.teams_connector`).

Not part of the shipped package: the wheel holds only ``bot``, ``handlers`` and ``schedules``.
"""
