"""Sign in with Slack (OpenID Connect), with the Slack app's ``SLACK_CLIENT_ID``/``SECRET``.

``GET /signin/slack`` sends the browser to Slack's authorize page with a random ``state`` and
``nonce``, kept in a signed cookie for ten minutes; ``GET /signin/slack/callback`` checks the
state, exchanges the code (``openid.connect.token``), checks the nonce of the ID token it got
straight from Slack over TLS, and reads the person (``openid.connect.userInfo``). Every call goes
through ``SLACK_API_URL``, so GovSlack and the tests' fake work the same way.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
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

log = logging.getLogger(__name__)

FLOW_COOKIE = "ledarforum_slack_flow"
CALLBACK = "/signin/slack/callback"
Endpoint = Callable[[Request], Awaitable[Response]]


def enabled(settings: Settings) -> bool:
    """True when the Slack app's OAuth credentials are configured."""
    return bool(settings.slack_client_id and settings.slack_client_secret)


def authorize_url(settings: Settings) -> str:
    """Slack's authorize page: ``SLACK_API_URL`` without its ``api/``, then ``openid/…``."""
    api = settings.slack_api_url
    if api.endswith("/api/"):
        base = api[: -len("api/")]
    else:
        parts = urlsplit(api)
        base = f"{parts.scheme}://{parts.netloc}/"
    return base + "openid/connect/authorize"


def _redirect_uri(settings: Settings) -> str:
    return settings.public_url + CALLBACK


def _exchange(settings: Settings, code: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The token response and the person's claims (blocking: run in a thread)."""
    assert settings.slack_client_id and settings.slack_client_secret
    client = WebClient(base_url=settings.slack_api_url)
    token = client.openid_connect_token(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        code=code,
        redirect_uri=_redirect_uri(settings),
    )
    access_token = token.get("access_token")
    if not isinstance(access_token, str):
        raise SlackClientError("openid.connect.token gave no access token")
    info = WebClient(base_url=settings.slack_api_url, token=access_token).openid_connect_userInfo()
    return dict(token.data) if isinstance(token.data, dict) else {}, (
        dict(info.data) if isinstance(info.data, dict) else {}
    )


def _nonce_of(token: dict[str, Any]) -> str | None:
    """The nonce in the ID token (received directly from Slack over TLS: no signature check)."""
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        return None
    import jwt  # PyJWT loads cryptography (~9 MiB): only when someone signs in with Slack

    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    nonce = claims.get("nonce")
    return nonce if isinstance(nonce, str) else None


def endpoints(site: sessions.Site) -> dict[str, Endpoint]:
    """``/signin/slack`` and its callback, when Slack sign-in is configured."""
    settings = site.core.settings
    if not enabled(settings):
        return {}

    def failed(request: Request, key: str) -> Response:
        lang = page_language(request, settings.language)
        return sessions.signin_page(site, request, error=i18n.t(lang, key), status=400)

    async def start(request: Request) -> Response:
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        query = urlencode(
            {
                "response_type": "code",
                "scope": "openid profile",
                "client_id": settings.slack_client_id,
                "redirect_uri": _redirect_uri(settings),
                "state": state,
                "nonce": nonce,
            }
        )
        response = RedirectResponse(f"{authorize_url(settings)}?{query}", status_code=303)
        flow = {
            "state": state,
            "nonce": nonce,
            "next": sessions.safe_next(request.query_params.get("next")),
        }
        site.set_cookie(
            response,
            FLOW_COOKIE,
            site.serializer("slack-flow").dumps(flow),
            max_age=sessions.FLOW_SECONDS,
            path="/signin/slack",
        )
        return response

    async def callback(request: Request) -> Response:
        flow = site.loads(request, FLOW_COOKIE, "slack-flow", sessions.FLOW_SECONDS)
        state = request.query_params.get("state", "")
        if (
            not isinstance(flow, dict)
            or not isinstance(flow.get("state"), str)
            or not hmac.compare_digest(state.encode(), flow["state"].encode())
        ):
            return failed(request, "signin.error.state")
        code = request.query_params.get("code")
        if not code:
            return failed(request, "signin.error.refused")
        try:
            token, claims = await run_in_threadpool(_exchange, settings, code)
        except SlackApiError as exc:
            log.warning("Slack sign-in failed: %s", exc.response.get("error"))
            return failed(request, "signin.error.provider")
        except SlackClientError as exc:
            log.warning("Slack sign-in failed: %s", type(exc).__name__)
            return failed(request, "signin.error.provider")
        nonce = _nonce_of(token)
        if nonce is not None and not hmac.compare_digest(nonce.encode(), flow["nonce"].encode()):
            return failed(request, "signin.error.state")
        user = claims.get("https://slack.com/user_id")
        team = claims.get("https://slack.com/team_id")
        if not isinstance(user, str) or not isinstance(team, str) or not user or not team:
            return failed(request, "signin.error.provider")
        name = claims.get("name") if isinstance(claims.get("name"), str) else user
        locale = claims.get("locale") if isinstance(claims.get("locale"), str) else None
        actor = Actor(Platform.SLACK, team, user, str(name), locale)

        def remember() -> None:
            with site.core.db.transaction() as session:
                signin.record_identity(session, Platform.SLACK, team, user, user, actor.name)

        await run_in_threadpool(remember)
        response = sessions.complete_signin(site, request, actor, str(flow.get("next") or "/"))
        response.delete_cookie(FLOW_COOKIE, path="/signin/slack")
        return response

    return {"/signin/slack": start, CALLBACK: callback}
