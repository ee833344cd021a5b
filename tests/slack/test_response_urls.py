"""Answers to a ``response_url``: kept-alive connections, Slack's retry rule, and the fall-back
signal (False) for what no retry can mend. A local HTTP/1.1 server plays Slack's hooks."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from handlers.slack import response_urls
from tests.support import free_port


class Hooks:
    """Answers each POST with the next scripted status; records bodies and client ports."""

    def __init__(self, statuses: list[tuple[int, dict[str, str]]]) -> None:
        self.statuses = statuses
        self.bodies: list[dict[str, Any]] = []
        self.ports: set[int] = set()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                hooks.bodies.append(json.loads(self.rfile.read(length)))
                hooks.ports.add(self.client_address[1])
                status, headers = hooks.statuses.pop(0) if hooks.statuses else (200, {})
                self.send_response(status)
                for name, value in {**headers, "Content-Length": "2"}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T1/B1/x"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def hooks(request: pytest.FixtureRequest) -> Iterator[Hooks]:
    started = Hooks(list(getattr(request, "param", [])))
    yield started
    started.server.shutdown()
    started.server.server_close()


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(response_urls, "PAUSE", 0.01)


def test_answers_share_one_kept_alive_connection(hooks: Hooks) -> None:
    for number in range(5):
        assert response_urls.respond(hooks.url, f"svar {number}", [], replace=number == 0)
    assert [body["text"] for body in hooks.bodies] == [f"svar {n}" for n in range(5)]
    assert hooks.bodies[0]["replace_original"] is True
    assert "replace_original" not in hooks.bodies[1]
    assert {body["response_type"] for body in hooks.bodies} == {"ephemeral"}
    assert len(hooks.ports) == 1  # one connection for all five


@pytest.mark.parametrize(
    "hooks",
    [[(503, {}), (200, {})], [(429, {"Retry-After": "0"}), (200, {})]],
    indirect=True,
    ids=["server error", "rate limited"],
)
def test_a_passing_failure_is_retried(hooks: Hooks) -> None:
    assert response_urls.respond(hooks.url, "svar", [], replace=False)
    assert len(hooks.bodies) == 2


@pytest.mark.parametrize(
    "hooks",
    [[(404, {})], [(500, {}), (500, {}), (500, {})], [(429, {"Retry-After": "3600"})]],
    indirect=True,
    ids=["expired url", "server errors", "a wait too long"],
)
def test_what_no_retry_mends_falls_back(hooks: Hooks) -> None:
    assert not response_urls.respond(hooks.url, "svar", [], replace=False)
    assert len(hooks.bodies) <= response_urls.ATTEMPTS


def test_an_unreachable_url_falls_back() -> None:
    assert not response_urls.respond(
        f"http://127.0.0.1:{free_port()}/hooks/x", "svar", [], replace=False
    )
