"""``GET /metrics``: Prometheus text with the inbound counters moving as events arrive."""

from __future__ import annotations

import httpx

from bot.timing import utcnow
from fakes.slack.signing import message_event
from tests.slack.conftest import CHANNEL, Served


def _value(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_are_served_and_count_received_and_deduplicated_events(served: Served) -> None:
    event = message_event("Ett exempel", user="U1", channel=CHANNEL, thread_ts="1.000100")
    assert served.send_event(event, event_id="EvMETRIC1").status_code == 200
    assert served.send_event(event, event_id="EvMETRIC1", retry=1).status_code == 200
    response = httpx.get(f"{served.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert _value(text, "ledarforum_events_received_total") == 2
    assert _value(text, "ledarforum_events_deduplicated_total") == 1
    for name in (
        "ledarforum_contributions_stored_total",
        "ledarforum_posts_sent_total",
        "ledarforum_platform_retries_total",
        "ledarforum_platform_rate_limited_total",
        "ledarforum_digest_build_seconds",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text
    assert "Ett exempel" not in text  # counters only, never message text


def _labelled(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_stored_contributions_retries_and_rate_limits_are_counted(served: Served) -> None:
    result = served.core.publisher.post_theme(served.forum(), utcnow())
    thread = result.message_id
    assert thread
    served.slack.inject_faults("chat.postEphemeral", [429, 503, "reset"])
    assert served.reply("Ett gott exempel", thread).status_code == 200
    served.idle()
    assert served.count() == 1
    text = httpx.get(f"{served.url}/metrics").text
    assert _labelled(text, "ledarforum_contributions_stored_total", source="thread_reply") == 1
    assert _labelled(text, "ledarforum_platform_rate_limited_total", platform="slack") == 1
    assert (
        _labelled(
            text, "ledarforum_platform_retries_total", platform="slack", reason="rate_limited"
        )
        == 1
    )
    assert (
        _labelled(
            text, "ledarforum_platform_retries_total", platform="slack", reason="server_error"
        )
        == 1
    )
    assert (
        _labelled(text, "ledarforum_platform_retries_total", platform="slack", reason="connection")
        == 1
    )
