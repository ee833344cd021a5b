"""Jinja2 templates in the reader's language, with the signed-in person and a CSRF token.

Every page goes through :meth:`Pages.render`, so every page gets the same language rule,
escaping (autoescape is on for every template) and security headers.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from bot import i18n
from bot.core import Core
from bot.domain import LANGUAGES, Language
from handlers.site import sessions
from handlers.site.language import LANGUAGE_COOKIE, page_language

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES_DIR = Path(__file__).parent / "templates"
# No scripts from elsewhere, no framing, no sniffing: the pages need none of it.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self' https:; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class Pages:
    """The template environment of the site."""

    def __init__(self, core: Core) -> None:
        self.core = core

    @functools.cached_property
    def env(self) -> Environment:
        """The Jinja2 environment, made at the first page: a bot nobody browses never loads it."""
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals["languages"] = LANGUAGES
        env.globals["month_name"] = i18n.month_name
        env.globals["long_date"] = i18n.long_date
        return env

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status: int = 200,
        lang: Language | None = None,
    ) -> HTMLResponse:
        """The page *template* in the reader's language, with the viewer and a CSRF token."""
        lang = lang or page_language(request, self.core.settings.language)

        def t(key: str, /, **params: object) -> str:
            return i18n.t(lang, key, **params)

        html = self.env.get_template(template).render(
            request=request,
            lang=lang,
            t=t,
            viewer=sessions.viewer(request),
            csrf_token=sessions.csrf_token(request),
            **(context or {}),
        )
        response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
        if request.query_params.get("lang") == lang:
            response.set_cookie(
                LANGUAGE_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax"
            )
        return response
