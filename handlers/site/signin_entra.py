"""Sign in with Microsoft (Entra ID), with the Teams app registration.

MSAL's auth code flow (with PKCE, state and nonce); the flow is kept in a signed cookie for ten
minutes, so any instance can finish what another began. MSAL no longer checks the ID token's
claims, so :func:`_person` does: the audience is our app, the issuer is the authority's for the
token's tenant, the token is not expired, and with ``TEAMS_TENANT_ID`` the tenant is ours.

The person is a Teams :class:`~bot.dialogue.Actor`: the workspace is the tenant id and the user id
their Entra object id, the id the Teams adapter uses in chat (``from.aadObjectId``), so an
organiser in chat is one on the web. Where ``web_identities`` maps the object id to another chat
id, that id is used.

The authority is the operator's setting (``LEDARFORUM_ENTRA_AUTHORITY``), so MSAL's instance
discovery (a call to login.microsoftonline.com about it) is off; the tenant's OpenID
configuration is still read from the authority over https, verified as usual.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot import i18n
from bot.config import Settings
from bot.dialogue import Actor
from bot.domain import Platform
from bot.services import signin
from handlers.site import sessions
from handlers.site.language import page_language

if TYPE_CHECKING:
    import msal

log = logging.getLogger(__name__)

FLOW_COOKIE = "ledarforum_entra_flow"
CALLBACK = "/signin/microsoft/callback"
Endpoint = Callable[[Request], Awaitable[Response]]


def enabled(settings: Settings) -> bool:
    """True when the Teams app registration's credentials are configured."""
    return bool(settings.teams_client_id and settings.teams_client_secret)


class Entra:
    """One MSAL client per site, made on first use (making it reads the authority)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def app(self) -> msal.ConfidentialClientApplication:
        """The MSAL client (blocking on first use: run in a thread)."""
        import msal  # only where Microsoft sign-in is configured, on the first sign-in

        with self._lock:
            if self._app is None:
                self._app = msal.ConfidentialClientApplication(
                    self.settings.teams_client_id,
                    client_credential=self.settings.teams_client_secret,
                    authority=self.settings.entra_authority,
                    instance_discovery=False,
                    token_cache=msal.TokenCache(),  # nothing kept: we need the sign-in only
                )
            return self._app

    def begin(self) -> dict[str, Any]:
        """A new auth code flow (its ``auth_uri`` is where to send the browser)."""
        flow: dict[str, Any] = self.app().initiate_auth_code_flow(
            [], redirect_uri=self.settings.public_url + CALLBACK
        )
        return flow

    def finish(self, flow: dict[str, Any], answer: dict[str, str]) -> dict[str, Any]:
        """MSAL's result of redeeming the code (``error`` in it when it failed)."""
        result: dict[str, Any] = self.app().acquire_token_by_auth_code_flow(flow, answer)
        return result


def _person(settings: Settings, claims: dict[str, Any]) -> tuple[str, str, str] | None:
    """(tenant id, object id, name) from checked ID token claims, or None."""
    tid, oid = claims.get("tid"), claims.get("oid")
    if not isinstance(tid, str) or not isinstance(oid, str) or not tid or not oid:
        return None
    if claims.get("aud") != settings.teams_client_id:
        return None
    authority = urlsplit(settings.entra_authority)
    if claims.get("iss") != f"{authority.scheme}://{authority.netloc}/{tid}/v2.0":
        return None
    expires = claims.get("exp")
    if not isinstance(expires, int | float) or expires < time.time() - 120:
        return None
    if settings.teams_tenant_id and tid != settings.teams_tenant_id:
        return None
    name = claims.get("name") or claims.get("preferred_username") or oid
    return tid, oid, str(name)


def endpoints(site: sessions.Site) -> dict[str, Endpoint]:
    """``/signin/microsoft`` and its callback, when Microsoft sign-in is configured."""
    settings = site.core.settings
    if not enabled(settings):
        return {}
    entra = Entra(settings)

    def failed(request: Request, key: str) -> Response:
        lang = page_language(request, settings.language)
        return sessions.signin_page(site, request, error=i18n.t(lang, key), status=400)

    async def start(request: Request) -> Response:
        try:
            flow = await run_in_threadpool(entra.begin)
        except (ValueError, OSError) as exc:  # the authority cannot be read
            log.warning("Microsoft sign-in unavailable: %s", type(exc).__name__)
            return failed(request, "signin.error.provider")
        kept = {"flow": flow, "next": sessions.safe_next(request.query_params.get("next"))}
        response = RedirectResponse(str(flow["auth_uri"]), status_code=303)
        site.set_cookie(
            response,
            FLOW_COOKIE,
            site.serializer("entra-flow").dumps(kept),
            max_age=sessions.FLOW_SECONDS,
            path="/signin/microsoft",
        )
        return response

    async def callback(request: Request) -> Response:
        kept = site.loads(request, FLOW_COOKIE, "entra-flow", sessions.FLOW_SECONDS)
        flow = kept.get("flow") if isinstance(kept, dict) else None
        state = request.query_params.get("state", "")
        if not isinstance(flow, dict) or not hmac.compare_digest(
            state.encode(), str(flow.get("state", "")).encode()
        ):
            return failed(request, "signin.error.state")
        if "code" not in request.query_params:
            return failed(request, "signin.error.refused")
        try:
            result = await run_in_threadpool(entra.finish, flow, dict(request.query_params))
        except (ValueError, OSError) as exc:  # MSAL: state or nonce wrong; or the network
            log.warning("Microsoft sign-in failed: %s", type(exc).__name__)
            return failed(request, "signin.error.state")
        if "error" in result:
            log.warning("Microsoft sign-in failed: %s", result.get("error"))
            return failed(request, "signin.error.provider")
        person = _person(settings, result.get("id_token_claims") or {})
        if person is None:
            return failed(request, "signin.error.provider")
        tid, oid, name = person

        def resolve() -> str:
            with site.core.db.transaction() as session:
                user = signin.user_for_signin(session, Platform.TEAMS, tid, oid) or oid
                signin.record_identity(session, Platform.TEAMS, tid, user, oid, name)
                return user

        user = await run_in_threadpool(resolve)
        actor = Actor(Platform.TEAMS, tid, user, name)
        target = kept.get("next") if isinstance(kept, dict) else None
        response = sessions.complete_signin(site, request, actor, str(target or "/"))
        response.delete_cookie(FLOW_COOKIE, path="/signin/microsoft")
        return response

    return {"/signin/microsoft": start, CALLBACK: callback}
