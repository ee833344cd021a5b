"""bot.linkfetch: a link's title, never from a private address, within time and size limits.

A local server on 127.0.0.1 is itself a private address: tests that fetch from it allow exactly
that address (``allow=``) and leave every other address to the default rule.
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from bot import linkfetch
from bot.linkfetch import IPAddress, fetch_title, is_public

LOOPBACK = ipaddress.ip_address("127.0.0.1")
PAGE = (
    b"<html><head><meta charset='utf-8'><title>\n  Tillit &amp;  ledarskap\n </title></head>"
    b"<body>hej</body></html>"
)


def only_our_server(address: IPAddress) -> bool:
    """The test server's address, else what the default rule says."""
    return address == LOOPBACK or is_public(address)


class _Handler(BaseHTTPRequestHandler):
    hosts: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:  # quiet test output
        pass

    def _send(self, body: bytes, kind: str = "text/html; charset=utf-8", status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (the slow test)
            self.wfile.write(body)

    def do_GET(self) -> None:
        _Handler.hosts.append(self.headers.get("Host", ""))
        path = self.path
        if path == "/page":
            self._send(PAGE)
        elif path == "/og":
            self._send(
                b'<head><meta property="og:title" content="Rapport: Framtidens arbetsliv">'
                b"<title>site | rapport</title></head>"
            )
        elif path == "/latin1":
            self._send("<title>Väl mött</title>".encode("latin-1"), "text/html; charset=latin-1")
        elif path == "/json":
            self._send(b'{"title": "not html"}', "application/json")
        elif path.startswith("/to"):
            self.send_response(302)
            self.send_header("Location", path[3:] or "/page")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/loop":
            self.send_response(301)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/late-title":
            self._send(b"<html><body>" + b"x" * (300 * 1024) + b"<title>Sen</title>")
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><head><title>Tidig titel</title></head><body>")
            with contextlib.suppress(OSError):
                for _ in range(10_000):  # about 160 MB unless the client stops reading
                    self.wfile.write(b"y" * 16384)
        elif path == "/slow":
            time.sleep(1.5)
            self._send(PAGE)
        else:
            self._send(b"not found", status=404)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_title_is_read_decoded_and_collapsed(server: str) -> None:
    assert fetch_title(f"{server}/page", allow=only_our_server) == "Tillit & ledarskap"


def test_og_title_is_preferred(server: str) -> None:
    assert fetch_title(f"{server}/og", allow=only_our_server) == "Rapport: Framtidens arbetsliv"


def test_declared_charset_is_used(server: str) -> None:
    assert fetch_title(f"{server}/latin1", allow=only_our_server) == "Väl mött"


def test_a_name_connects_to_the_checked_address_and_sends_its_host(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    calls: list[str] = []

    def resolver(host: str, _port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    _Handler.hosts.clear()
    found = fetch_title(
        f"http://rapporter.example:{port}/page", allow=only_our_server, resolve=resolver
    )
    assert found == "Tillit & ledarskap"
    assert calls == ["rapporter.example"]  # resolved once: the connection used that answer
    assert _Handler.hosts == [f"rapporter.example:{port}"]


def test_the_default_refuses_the_local_server(server: str) -> None:
    _Handler.hosts.clear()
    assert fetch_title(f"{server}/page") is None
    assert _Handler.hosts == []  # refused before connecting


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.1.10",
        "172.16.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
    ],
)
def test_private_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::6810:84e5", "::ffff:8.8.8.8"])
def test_public_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.0.0.5/admin",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fc00::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://0.0.0.0/",
    ],
)
def test_the_default_refuses_private_literals_without_connecting(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> object:
        raise AssertionError("connected")

    monkeypatch.setattr("httpx.Client.send", no_network)
    assert fetch_title(url) is None


@pytest.mark.parametrize("answer", ["10.0.0.7", "192.168.4.4", "169.254.169.254", "::1", "fd00::9"])
def test_a_name_resolving_to_a_private_address_is_refused(
    answer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linkfetch, "resolve_host", lambda host, port: [answer])
    monkeypatch.setattr("httpx.Client.send", lambda *a, **k: pytest.fail("connected"))
    assert fetch_title("https://intern.example/") is None


def test_one_private_address_among_public_ones_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(linkfetch, "resolve_host", lambda host, port: ["93.184.216.34", "10.0.0.1"])
    monkeypatch.setattr("httpx.Client.send", lambda *a, **k: pytest.fail("connected"))
    assert fetch_title("https://blandat.example/") is None


@pytest.mark.parametrize(
    "target", ["http://10.0.0.1/", "http://169.254.169.254/latest", "http://[::1]:80/"]
)
def test_a_redirect_to_a_private_address_is_refused(server: str, target: str) -> None:
    seen: list[IPAddress] = []

    def allow(address: IPAddress) -> bool:
        seen.append(address)
        return only_our_server(address)

    assert fetch_title(f"{server}/to{target}", allow=allow) is None
    assert seen[0] == LOOPBACK and len(seen) == 2  # the redirect's address was checked too


def test_a_redirect_to_a_name_resolving_privately_is_refused(server: str) -> None:
    def resolver(host: str, _port: int) -> list[str]:
        return ["192.168.1.1"]

    url = f"{server}/tohttp://router.example/"
    assert fetch_title(url, allow=only_our_server, resolve=resolver) is None


def test_a_redirect_within_the_allowed_server_is_followed(server: str) -> None:
    assert fetch_title(f"{server}/to/page", allow=only_our_server) == "Tillit & ledarskap"


def test_redirects_are_limited(server: str) -> None:
    assert fetch_title(f"{server}/loop", allow=only_our_server) is None


def test_a_title_past_the_size_limit_is_not_read(server: str) -> None:
    assert fetch_title(f"{server}/late-title", allow=only_our_server) is None


def test_an_endless_body_stops_at_the_limit(server: str) -> None:
    started = time.monotonic()
    assert fetch_title(f"{server}/endless", allow=only_our_server) == "Tidig titel"
    assert time.monotonic() - started < 1.0


def test_a_slow_server_times_out(server: str) -> None:
    started = time.monotonic()
    assert fetch_title(f"{server}/slow", allow=only_our_server, timeout=0.3) is None
    assert time.monotonic() - started < 1.0


def test_only_html_is_read(server: str) -> None:
    assert fetch_title(f"{server}/json", allow=only_our_server) is None


def test_other_answers_are_none(server: str) -> None:
    assert fetch_title(f"{server}/missing", allow=only_our_server) is None


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "", "http://", "::::"],
)
def test_other_schemes_and_nonsense_are_none(url: str) -> None:
    assert fetch_title(url) is None


def test_credentials_in_a_link_are_refused(server: str) -> None:
    host = server.removeprefix("http://")
    assert fetch_title(f"http://user:pass@{host}/page", allow=only_our_server) is None
