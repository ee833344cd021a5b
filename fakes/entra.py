"""A local fake of Microsoft Entra ID's sign-in, served over TLS as MSAL requires.

It answers what MSAL's auth code flow asks for: the tenant's OpenID configuration
(``/{tenant}/v2.0/.well-known/openid-configuration``), the authorize page
(``/{tenant}/oauth2/v2.0/authorize``, which sends the browser straight back with a one-time code
for the person a test chose with :meth:`FakeEntra.signin_as`) and the token endpoint
(``/{tenant}/oauth2/v2.0/token``: client secret, redirect URI and PKCE checked; an ID token with
``aud``, ``iss``, ``nonce``, ``tid``, ``oid`` and ``name``).

The certificate is a throwaway one made by :func:`self_signed` for 127.0.0.1; a test hands its
file to the HTTP client (``REQUESTS_CA_BUNDLE``), so nothing turns verification off.

>>> with FakeEntra("tenant-1", "client-id", "client-secret", tmp_path) as entra:
...     entra.signin_as("oid-1", "Alva Exempel")
...     authority = entra.authority
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import secrets
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 (valid one day), written to *directory*."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "entra-cert.pem", directory / "entra-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class FakeEntra:
    """One tenant's sign-in on ``https://127.0.0.1:<port>/<tenant>``."""

    def __init__(self, tenant_id: str, client_id: str, client_secret: str, directory: Path) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.cert_file, self._key_file = self_signed(directory)
        self._lock = threading.Lock()
        self._person: dict[str, str] | None = None
        self._codes: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, str]] = []
        self._server: ThreadingHTTPServer | None = None

    # -- for tests -----------------------------------------------------------------------------

    def signin_as(self, oid: str, name: str, *, username: str | None = None) -> None:
        """The person the authorize page signs in from now on."""
        with self._lock:
            self._person = {
                "oid": oid,
                "name": name,
                "preferred_username": username or f"{oid}@example.se",
            }

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        assert self._server is not None, "start the fake first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    @property
    def authority(self) -> str:
        """What ``LEDARFORUM_ENTRA_AUTHORITY`` is set to."""
        return f"{self.base_url}/{self.tenant_id}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{self.tenant_id}/v2.0"

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._answer(self)

            def do_POST(self) -> None:
                fake._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self._key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.daemon_threads = True
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- HTTP ----------------------------------------------------------------------------------

    def _answer(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        prefix = f"/{self.tenant_id}"
        path = url.path[len(prefix) :] if url.path.startswith(prefix + "/") else ""
        status, headers, body = 404, {"Content-Type": "text/plain"}, b"not found"
        if h.command == "GET" and path == "/v2.0/.well-known/openid-configuration":
            status, headers, body = 200, {"Content-Type": "application/json"}, self._discovery()
        elif h.command == "GET" and path == "/oauth2/v2.0/authorize":
            status, headers, body = self._authorize(dict(parse_qsl(url.query)))
        elif h.command == "POST" and path == "/oauth2/v2.0/token":
            length = int(h.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(h.rfile.read(length).decode()))
            status, body = self._token(form)
            headers = {"Content-Type": "application/json"}
        h.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)

    def _discovery(self) -> bytes:
        base = f"{self.base_url}/{self.tenant_id}"
        return json.dumps(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        ).encode()

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        redirect = query.get("redirect_uri", "")
        with self._lock:
            person = self._person
            if person is None or query.get("client_id") != self.client_id or not redirect:
                return 400, {"Content-Type": "text/plain"}, b"invalid_request"
            code = secrets.token_urlsafe(16)
            self._codes[code] = {
                "person": dict(person),
                "nonce": query.get("nonce"),
                "redirect_uri": redirect,
                "challenge": query.get("code_challenge"),
            }
        answer = urlencode({"code": code, "state": query.get("state", "")})
        return 302, {"Location": f"{redirect}?{answer}", "Content-Type": "text/plain"}, b""

    def _token(self, form: dict[str, str]) -> tuple[int, bytes]:
        with self._lock:
            self.token_requests.append({k: v for k, v in form.items() if k != "client_secret"})
            grant = self._codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .decode()
            .rstrip("=")
        )
        problem = None
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            problem = "invalid_client"
        elif (
            grant is None
            or form.get("redirect_uri") != grant["redirect_uri"]
            or (grant["challenge"] and challenge != grant["challenge"])
        ):
            problem = "invalid_grant"
        if problem is not None or grant is None:
            return 400, json.dumps({"error": problem, "error_description": problem}).encode()
        person = grant["person"]
        now = int(time.time())
        claims = {
            "aud": self.client_id,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "nonce": grant["nonce"],
            "tid": self.tenant_id,
            "oid": person["oid"],
            "sub": person["oid"],
            "name": person["name"],
            "preferred_username": person["preferred_username"],
            "ver": "2.0",
        }
        return 200, json.dumps(
            {
                "token_type": "Bearer",
                "scope": "openid profile",
                "expires_in": 3600,
                "access_token": secrets.token_urlsafe(24),
                "id_token": jwt.encode(claims, secrets.token_hex(32), algorithm="HS256"),
                "client_info": _b64({"uid": person["oid"], "utid": self.tenant_id}),
            }
        ).encode()
