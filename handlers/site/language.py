"""The reader's language on the web pages: asked for, remembered, or the browser's."""

from __future__ import annotations

from starlette.requests import Request

from bot.domain import Language, is_language

LANGUAGE_COOKIE = "ledarforum_lang"


def page_language(request: Request, fallback: Language = "sv") -> Language:
    """The reader's language: ``?lang=``, then their cookie, then the browser's, then *fallback*."""
    asked = request.query_params.get("lang", "")
    if is_language(asked):
        return asked
    kept = request.cookies.get(LANGUAGE_COOKIE, "")
    if is_language(kept):
        return kept
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().split("-")[0].casefold()
        if is_language(tag):
            return tag
    return fallback
