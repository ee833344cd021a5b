"""Sharing a trend from chat: ``trend <url> [comment]`` and the forum's trend reaction.

The core handler calls :func:`share` for both ways in, in the worker that handles the event (for
Slack the inbox worker, never the request that Slack waits on): a title the platform's preview
gave (Slack's unfurl, Teams' preview card) is used as it is; otherwise the page's title is
fetched (:mod:`bot.linkfetch`, short timeouts, never a private address), and not at all when the
message is stored already (a retry). Where the event is handled inside the platform's request
(Teams, :data:`bot.trend_titles.DEFERRED`) the trend is stored and answered untitled at once and
the title fetched afterwards (:mod:`bot.trend_titles`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from bot.domain import ForumInfo, Language, Source
from bot.i18n import t
from bot.messages import Message, Paragraph, Reply
from bot.posts import error, info
from bot.services import trends
from bot.services.trends import NewTrend, TrendError
from bot.trend_titles import DEFERRED

if TYPE_CHECKING:
    from bot.dialogue import Actor, Dialogue


def share(
    dialogue: Dialogue,
    actor: Actor,
    forum: ForumInfo,
    url: str,
    comment: str,
    source: Source,
    *,
    message_id: str,
    created_at: datetime,
    title: str | None = None,
    permalink: str | None = None,
    author_id: str | None = None,
    author_name: str | None = None,
    channel_id: str | None = None,
    previews: Sequence[tuple[str, str]] = (),
) -> Reply:
    """Store *url* as a trend of *forum* once, and tell *actor* privately.

    With *author_id*, *actor* saved someone else's message (the trend reaction): the author is
    credited and *actor* recorded as its saver. *previews* are the (url, title) pairs of the
    link previews on the message that gave the command: the one for *url* gives its title.
    """
    lang = dialogue.language_for(actor, forum)
    try:
        checked = trends.check_url(url)
    except TrendError as exc:
        return Reply([error(lang, exc.key, **exc.params)], forum=forum)
    with dialogue.db.transaction() as session:
        known = trends.stored(session, forum.id, message_id)
    found = trends.clean_title(title) or preview_title(previews, checked)
    later = found is None and not known and actor.platform in DEFERRED
    if found is None and not known and not later:
        found = trends.clean_title(dialogue.fetch_title(checked))  # outside any transaction
    new = NewTrend(
        author_id=author_id or actor.user_id,
        author_name=author_name or actor.name,
        url=checked,
        comment=comment,
        source=source,
        channel_id=channel_id or forum.channel_id,
        source_message_id=message_id,
        created_at=created_at,
        title=found,
        permalink=permalink,
        saved_by_id=actor.user_id if author_id else None,
        saved_by_name=actor.name if author_id else None,
    )
    try:
        with dialogue.db.transaction() as session:
            trend_id, created = trends.record(session, forum, new, now=dialogue.clock())
    except TrendError as exc:
        return Reply([error(lang, exc.key, **exc.params)], forum=forum)
    if later and created:  # stored untitled: the title comes after the answer
        dialogue.titles.submit(trend_id, checked)
    return Reply([_stored(lang, found, checked, created=created)], forum=forum)


def preview_title(previews: Sequence[tuple[str, str]], url: str) -> str | None:
    """The title of the preview made for *url* itself (another link's preview says nothing)."""
    for link, title in previews:
        if link.rstrip("/") == url.rstrip("/") and (found := trends.clean_title(title)):
            return found
    return None


def _stored(lang: Language, title: str | None, url: str, *, created: bool) -> Message:
    if not created:
        return info(lang, "trend.already")
    # The title comes from a web page: user text, so no renderer lets it notify anyone.
    text = (
        t(lang, "trend.stored", title=title) if title else t(lang, "trend.stored_untitled", url=url)
    )
    return Message("info", text, (Paragraph(text, user=True),))
