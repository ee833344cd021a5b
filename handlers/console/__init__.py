"""The console forum: a local forum in the terminal on the same services as Slack and Teams."""
