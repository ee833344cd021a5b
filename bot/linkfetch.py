"""The title of a shared link, fetched safely: never from the machine's own network.

A trend's link comes from anyone in a forum, so fetching it must not let them reach what only
the server can reach (a cloud's metadata service, a database, the admin page of a router). Each
hop (the link and at most :data:`MAX_REDIRECTS` redirects) is checked before it is fetched: http
or https only, every address its host resolves to must be public (:func:`is_public`), and the
connection goes to the address that was checked — the name is not resolved a second time, so a
DNS answer that changes between the check and the connection (DNS rebinding) cannot slip in. The
request names the host in its ``Host`` header and in TLS (SNI and the certificate check).

Short timeouts, at most :data:`MAX_BYTES` read, only HTML. :func:`fetch_title` never raises:
any failure is None, and the trend is stored without a title.
"""

from __future__ import annotations

import codecs
import ipaddress
import logging
import re
import socket
import time
from collections.abc import Callable
from html.parser import HTMLParser
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver: TypeAlias = Callable[[str, int], list[str]]

TIMEOUT = 3.0  # seconds, for connecting and for the whole fetch
MAX_BYTES = 256 * 1024
MAX_REDIRECTS = 3
MAX_TITLE_CHARS = 300
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SPACE = re.compile(r"\s+")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]{1,40})""", re.I)
_USER_AGENT = "Ledarforum-linkfetch/1 (+title only)"


class Refused(Exception):
    """A hop that may not be fetched (a private address, another scheme, a bad answer)."""


def is_public(address: IPAddress) -> bool:
    """True only for a globally routable unicast address.

    An IPv4 address written as IPv6 (``::ffff:10.0.0.1``) is judged as the IPv4 address it is.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve_host(host: str, port: int) -> list[str]:
    """Every address *host* resolves to (the system resolver)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def fetch_title(
    url: str,
    *,
    allow: Callable[[IPAddress], bool] = is_public,
    resolve: Resolver | None = None,
    timeout: float = TIMEOUT,
    max_bytes: int = MAX_BYTES,
) -> str | None:
    """The page's title (``og:title``, else ``<title>``), or None on any failure or refusal.

    *allow* decides which addresses may be fetched (tests allow their own loopback server);
    *resolve* replaces the system resolver (by default :func:`resolve_host`, looked up at call
    time so a test can replace it).
    """
    try:
        return _fetch(url, allow, resolve or resolve_host, timeout, max_bytes)
    except Exception as exc:  # a title is a nicety: nothing here may break storing a trend
        log.info("link title not fetched: %s", type(exc).__name__)
        return None


def _fetch(
    url: str, allow: Callable[[IPAddress], bool], resolve: Resolver, timeout: float, limit: int
) -> str | None:
    import httpx  # only when a link is fetched: the serving process need not load it

    deadline = time.monotonic() + timeout
    limits = httpx.Timeout(timeout, connect=timeout)
    # trust_env=False: a proxy from the environment would connect by name, undoing the pinning.
    with httpx.Client(timeout=limits, follow_redirects=False, trust_env=False) as client:
        target = httpx.URL(url)
        for _ in range(MAX_REDIRECTS + 1):
            request = _pinned_request(client, target, allow, resolve)
            response = client.send(request, stream=True)
            try:
                if response.status_code in _REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        return None
                    target = target.join(location)
                    continue
                if response.status_code != 200 or not _is_html(response):
                    return None
                return _title(_read(response, limit, deadline), response)
            finally:
                response.close()
    return None  # too many redirects


def _pinned_request(
    client: httpx.Client, url: httpx.URL, allow: Callable[[IPAddress], bool], resolve: Resolver
) -> httpx.Request:
    """A request to the checked address of *url*'s host, naming the host; or :class:`Refused`."""
    if url.scheme not in ("http", "https") or not url.host:
        raise Refused("scheme")
    if url.userinfo:
        raise Refused("credentials in the link")
    host = url.host
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = [ipaddress.ip_address(found.split("%")[0]) for found in resolve(host, port)]
    # Every address must be public: a name with one private address could be answered by it.
    if not addresses or not all(allow(address) for address in addresses):
        raise Refused("address")
    pinned = url.copy_with(host=str(addresses[0]))
    default_port = url.port is None
    headers = {
        "Host": host if default_port else f"{host}:{port}",
        "User-Agent": _USER_AGENT,
        "Accept": "text/html,application/xhtml+xml;q=0.9",
        # Raw bytes only: a compressed body could unpack far beyond the size limit.
        "Accept-Encoding": "identity",
    }
    extensions = {"sni_hostname": host} if url.scheme == "https" else {}
    return client.build_request("GET", pinned, headers=headers, extensions=extensions)


def _is_html(response: httpx.Response) -> bool:
    if response.headers.get("content-encoding", "identity").casefold() != "identity":
        return False
    kind = response.headers.get("content-type", "").split(";")[0].strip().casefold()
    return kind in _HTML_TYPES


def _read(response: httpx.Response, limit: int, deadline: float) -> bytes:
    """At most *limit* bytes of the body, stopping early; :class:`Refused` past the deadline."""
    body = bytearray()
    for chunk in response.iter_raw(16 * 1024):
        if time.monotonic() > deadline:
            raise Refused("too slow")
        body += chunk
        if len(body) >= limit:
            break
    return bytes(body[:limit])


def _title(body: bytes, response: httpx.Response) -> str | None:
    parser = _TitleParser()
    parser.feed(body.decode(_encoding(body, response), errors="replace"))
    parser.close()
    raw = parser.og_title or parser.title
    title = _SPACE.sub(" ", raw or "").strip()
    if not title:
        return None
    return title if len(title) <= MAX_TITLE_CHARS else title[: MAX_TITLE_CHARS - 1] + "…"


def _encoding(body: bytes, response: httpx.Response) -> str:
    declared = response.charset_encoding
    if declared is None and (found := _CHARSET.search(body[:4096])):
        declared = found.group(1).decode("ascii")
    try:
        return codecs.lookup(declared or "utf-8").name
    except LookupError:
        return "utf-8"


class _TitleParser(HTMLParser):
    """The text of the first ``<title>`` and the first ``og:title``; entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self.og_title: str | None = None
        self._in_title = False
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and self.title is None:
            self._in_title = True
        elif tag == "meta" and self.og_title is None:
            values = dict(attrs)
            if (values.get("property") or values.get("name") or "").casefold() == "og:title":
                self.og_title = values.get("content") or None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self.title = "".join(self._parts)

    def close(self) -> None:
        super().close()
        if self._in_title:  # a title cut off by the size limit still counts
            self.title = "".join(self._parts)
