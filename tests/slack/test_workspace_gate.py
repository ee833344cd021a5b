"""A 429 on one post pauses the workspace's other posts for Retry-After, then all arrive once."""

from __future__ import annotations

import threading
import time

from fakes.slack import FakeSlackAPI
from handlers.slack.poster import gate_of, web_client


def test_a_rate_limit_holds_every_post_of_the_workspace() -> None:
    with FakeSlackAPI() as slack:
        slack.inject_faults("chat.postMessage", [429])
        client = web_client(slack.url, "xoxb-test")
        assert gate_of(client) is not None
        finished: dict[str, float] = {}
        start = time.monotonic()

        def post(channel: str) -> None:
            gate = gate_of(client)
            assert gate is not None
            gate.acquire()
            client.chat_postMessage(channel=channel, text="hej")
            finished[channel] = time.monotonic() - start

        first = threading.Thread(target=post, args=("C1",))
        first.start()
        time.sleep(0.3)  # the first post has been refused and is waiting out Retry-After
        second = threading.Thread(target=post, args=("C2",))
        second.start()
        first.join(10)
        second.join(10)
    assert finished["C2"] >= 0.9, finished  # it waited for the workspace, not only C1
    assert sorted(m["channel"] for m in slack.posted_messages()) == ["C1", "C2"]
