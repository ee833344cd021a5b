"""The Slack adapter: a Bolt app (HTTP and Socket Mode), a poster, a durable inbox, App Home."""
