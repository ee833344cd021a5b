"""The core's posts as neutral messages: theme post, digest, help, year, confirmations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from bot.domain import CycleDocument, ForumInfo, Language, Platform, ThemeContent
from bot.i18n import catalog, date_time, long_date, month_name, month_year, t
from bot.messages import (
    Actions,
    Bullets,
    Button,
    Divider,
    Element,
    Entry,
    Header,
    LinkItem,
    Links,
    Message,
    Note,
    Paragraph,
    Picture,
)
from bot.services import trends
from bot.services.digest import Digest, excerpt
from bot.services.library import Found
from bot.services.trends import TrendInfo
from bot.timing import Period

if TYPE_CHECKING:
    from bot.services.review import Review as YearReview

THEME_EVENT = "ledarforum_theme_post"
DIGEST_EVENT = "ledarforum_digest"
SHARE_OPEN = "share_open"
SHARE_UNDO = "share_undo"
SEARCH_EXCERPT_CHARS = 280  # a search answer shows several examples: each a little shorter


def invocation(platform: Platform) -> str:
    """How a person addresses the bot on a platform: a slash command, or an @mention in Teams."""
    return "@Ledarforum" if platform is Platform.TEAMS else "/ledarforum"


def for_platform(lang: Language, key: str, platform: Platform) -> str:
    """The catalog key of *key* as *platform* needs it.

    ``<key>@<platform>`` where the catalog has that variant (a platform without buttons, a form
    or a Home tab says so differently), else *key*. Texts that name the command take
    ``command=invocation(platform)``.
    """
    variant = f"{key}@{platform.value}"
    return variant if variant in catalog(lang) else key


def theme_marker(forum_id: int, period: Period) -> str:
    """The tag that identifies a forum's theme post of a period on the platform."""
    return f"theme:{forum_id}:{period.key}"


def digest_marker(forum_id: int, moment_key: str) -> str:
    """The tag that identifies a forum's digest of a moment on the platform."""
    return f"digest:{forum_id}:{moment_key}"


def theme_elements(theme: ThemeContent, lang: Language) -> list[Element]:
    """The body of a theme: why now, the questions, the delivery and the links."""
    elements: list[Element] = [Paragraph(theme.why_now.get(lang))]
    elements.append(
        Bullets(tuple(q.get(lang) for q in theme.questions), title=t(lang, "theme.questions"))
    )
    if theme.delivery:
        elements.append(Paragraph(t(lang, "theme.delivery", delivery=theme.delivery.get(lang))))
    if theme.links:
        elements.append(
            Links(tuple(LinkItem(link.title.get(lang), link.url) for link in theme.links))
        )
    return elements


def theme_post(
    forum: ForumInfo,
    period: Period,
    theme: ThemeContent,
    *,
    last_year: int = 0,
    last_year_url: str | None = None,
) -> Message:
    """The monthly theme post for a forum's channel.

    *last_year* examples on this theme last year (``bot.services.comeback``) add a line that
    links to them in the library (*last_year_url*), or without a web address names the search.
    """
    lang = forum.language
    title = theme.title.get(lang)
    month = month_name(lang, period.month)
    elements: list[Element] = [Header(t(lang, "theme.header", month=month, title=title))]
    elements += theme_elements(theme, lang)
    if last_year > 0 and last_year_url:
        label = t(lang, "comeback.last_year", count=last_year)
        elements.append(Links((LinkItem(label, last_year_url),)))
    elif last_year > 0:
        command = invocation(forum.platform)
        elements.append(Note(t(lang, "comeback.search_hint", count=last_year, command=command)))
    elements.append(
        Actions((Button(SHARE_OPEN, t(lang, "theme.share_button"), period.key, primary=True),))
    )
    elements.append(Note(t(lang, "theme.how_to", command=invocation(forum.platform))))
    return Message(
        kind="theme",
        fallback=t(lang, "theme.fallback", month=month, title=title),
        elements=tuple(elements),
        metadata={
            "event_type": THEME_EVENT,
            "event_payload": {
                "forum_id": forum.id,
                "period": period.key,
                "marker": theme_marker(forum.id, period),
            },
        },
    )


def current_theme(
    period: Period,
    theme: ThemeContent | None,
    lang: Language,
    platform: Platform = Platform.SLACK,
) -> Message:
    """The current theme, answered privately (``tema``)."""
    month = month_name(lang, period.month)
    if theme is None:
        return info(lang, "theme.none", month=month)
    elements: list[Element] = [
        Header(t(lang, "theme.header", month=month, title=theme.title.get(lang)))
    ]
    elements += theme_elements(theme, lang)
    elements.append(Note(t(lang, "theme.how_to", command=invocation(platform))))
    return Message(
        "theme",
        t(lang, "theme.fallback", month=month, title=theme.title.get(lang)),
        tuple(elements),
    )


def digest_post(
    forum: ForumInfo, digest: Digest, lang: Language, *, preview: bool = False
) -> Message:
    """The weekly digest (or its preview) as one neutral message; adapters split it."""
    zone = ZoneInfo(forum.timezone)
    start = long_date(lang, digest.start.astimezone(zone))
    end = long_date(lang, digest.end.astimezone(zone))
    header_key = "digest.preview_header" if preview else "digest.header"
    elements: list[Element] = [Header(t(lang, header_key))]
    if digest.is_empty:
        elements.append(Paragraph(t(lang, "digest.empty", start=start, end=end)))
    else:
        elements.append(Note(t(lang, "digest.summary", count=digest.total, start=start, end=end)))
    for group in digest.groups:
        month = month_name(lang, group.period.month)
        title = group.title.get(lang) if group.title else t(lang, "digest.no_theme")
        elements.append(Divider())
        elements.append(
            Header(
                t(lang, "digest.group", month=month, title=title, count=len(group.items)), level=2
            )
        )
        for item in group.items:
            elements.append(
                Entry(
                    author=item.author or t(lang, "digest.anonymous"),
                    text=item.excerpt,
                    link=item.link,
                    when=long_date(lang, item.created_at.astimezone(zone)),
                )
            )
    elements += trend_section(digest.trends, lang)
    fallback = t(lang, "digest.fallback", count=digest.total, end=end)
    return Message(
        kind="digest_preview" if preview else "digest",
        fallback=fallback,
        elements=tuple(elements),
        metadata={
            "event_type": DIGEST_EVENT,
            "event_payload": {
                "forum_id": forum.id,
                "moment": digest.end.isoformat(),
                "marker": digest_marker(forum.id, digest.end.isoformat()),
            },
        },
    )


def trend_section(shared: Sequence[TrendInfo], lang: Language) -> list[Element]:
    """The digest's "Environmental scanning": each link by its title, who shared it, the comment.

    Entry elements: every renderer defuses them (the title comes from a web page).
    """
    if not shared:
        return []
    elements: list[Element] = [Divider(), Header(t(lang, "digest.trends"), level=2)]
    for trend in shared:
        elements.append(
            Entry(
                author=t(lang, "digest.trend_by", name=trend.author),
                text=excerpt(trend.comment) or (urlsplit(trend.url).hostname or trend.url),
                link=trend.url,
                when=trends.quiet(trend.title or trend.url),  # the link's text: its title
            )
        )
    return elements


def help_message(
    lang: Language,
    *,
    organiser: bool,
    unknown: str | None = None,
    platform: Platform = Platform.SLACK,
) -> Message:
    """What the bot does and how to take part; organisers also see the admin commands."""
    elements: list[Element] = [Header(t(lang, "help.header"))]
    if unknown:
        elements.append(Paragraph(t(lang, "help.unknown", word=unknown), user=True))
    elements.append(Paragraph(t(lang, "help.intro")))
    commands = [
        t(lang, "help.cmd.theme"),
        t(lang, "help.cmd.year"),
        t(lang, for_platform(lang, "help.cmd.share", platform)),
        t(lang, "help.cmd.digest"),
        t(lang, "help.cmd.subscribe"),
        t(lang, "help.cmd.language"),
        t(lang, "help.cmd.my_data"),
        t(lang, "help.cmd.forget_me"),
        t(lang, "help.cmd.search"),
        t(lang, "help.cmd.trend"),
        t(lang, "help.cmd.logbook"),
    ]
    elements.append(Bullets(tuple(commands), title=t(lang, "help.commands")))
    if organiser:
        elements.append(Bullets((t(lang, "help.admin_commands"),), title=t(lang, "help.admin")))
    return Message("help", t(lang, "help.header"), tuple(elements))


def admin_help(lang: Language, unknown: str | None = None) -> Message:
    """The organisers' commands."""
    elements: list[Element] = [Header(t(lang, "admin.help.header"))]
    if unknown:
        elements.append(Paragraph(t(lang, "help.unknown", word=unknown), user=True))
    elements.append(
        Bullets(
            tuple(
                t(lang, f"admin.help.{name}")
                for name in (
                    "setup",
                    "post_theme",
                    "digest",
                    "schedule",
                    "stats",
                    "settings",
                    "log",
                    "meeting",
                    "organisers",
                )
            )
        )
    )
    return Message("help", t(lang, "admin.help.header"), tuple(elements))


def year_overview(
    doc: CycleDocument, current: Period, lang: Language, picture: str | None = None
) -> Message:
    """The year's themes at a glance, the current month marked; *picture* is the public URL
    of the year wheel, shown above the list when the platform can fetch it."""
    items = []
    for month in range(1, 13):
        theme = doc.theme_for(month)
        name = month_name(lang, month).capitalize()
        title = theme.title.get(lang) if theme else t(lang, "year.no_theme")
        marker = " ◀" if month == current.month else ""
        items.append(f"{name}: {title}{marker}")
    wheel: tuple[Picture, ...] = ()
    if picture:
        wheel = (Picture(picture, t(lang, "wheel.chat.alt", year=current.year)),)
    return Message(
        "year",
        t(lang, "year.header"),
        (Header(t(lang, "year.header")), *wheel, Bullets(tuple(items))),
    )


def year_review_post(forum: ForumInfo, review: YearReview) -> Message:
    """The year in review as one neutral message in the review's language; adapters split it."""
    from bot.services import review as reviews  # it imports this module: read when posting

    lang = review.lang
    elements: list[Element] = [
        Header(reviews.title(review)),
        Note(
            t(
                lang,
                "review.participation_line",
                figures=reviews.figures_line(lang, review.total, review.last_total),
            )
        ),
    ]
    for theme in review.themes:
        elements.append(Divider())
        elements.append(Header(reviews.theme_heading(review, theme), level=2))
        elements.append(Note(reviews.figures_line(lang, theme.now, theme.last_year)))
        for example in theme.examples:
            elements.append(
                Entry(
                    author=example.author or t(lang, "review.anonymous"),
                    text=excerpt(example.text),
                    link=example.link,
                    when=t(
                        lang,
                        "review.when",
                        date=long_date(lang, example.created_at),
                        count=example.reactions,
                    ),
                )
            )
    if review.trends:
        elements += [Divider(), Header(t(lang, "review.trends"), level=2)]
        for trend in review.trends:
            text = f"{trend.title}: {trend.comment}" if trend.title and trend.comment else ""
            elements.append(
                Entry(
                    author=trend.author or t(lang, "review.anonymous"),
                    text=excerpt(text or trend.title or trend.comment),
                    link=trend.url,
                    when=long_date(lang, trend.created_at),
                )
            )
    if review.meetings:
        lines = tuple(reviews.meeting_line(review, m) for m in review.meetings)
        elements += [Divider(), Bullets(lines, title=t(lang, "review.meetings"))]
    return Message(
        kind="year_review",
        fallback=reviews.title(review),
        elements=tuple(elements),
        metadata={
            "event_type": reviews.REVIEW_EVENT,
            "event_payload": {
                "forum_id": forum.id,
                "year": review.year,
                "marker": reviews.marker(forum.id, review.year),
            },
        },
    )


def publish_outcome(forum: ForumInfo, lang: Language, kind: str, status: str, key: str) -> Message:
    """What ``admin post-theme|digest`` did; its month or digest moment in the reader's words.

    *key* is the publishing key: a period (``2026-11``) for a theme, a UTC moment for a digest.
    """
    if kind == "theme":
        period = Period.parse(key)
        when = month_year(lang, period.year, period.month)
    else:
        when = date_time(lang, datetime.fromisoformat(key), forum.timezone)
    return info(lang, f"publish.{kind}.{status}", when=when)


def info(lang: Language, name: str, /, **params: object) -> Message:
    """A one-line private answer."""
    text = t(lang, name, **params)
    return Message("info", text, (Paragraph(text),))


def error(lang: Language, name: str, /, **params: object) -> Message:
    """A one-line private error."""
    text = t(lang, name, **params)
    return Message("error", text, (Paragraph(text),))


def share_confirmation(
    lang: Language, contribution_id: int, theme_title: str | None, *, created: bool
) -> Message:
    """The private thank-you after a good practice was stored, with a way to undo."""
    if not created:
        return info(lang, "share.already")
    text = (
        t(lang, "share.thanks_theme", title=theme_title) if theme_title else t(lang, "share.thanks")
    )
    return Message(
        "confirmation",
        text,
        (
            Paragraph(text),
            Actions((Button(SHARE_UNDO, t(lang, "share.undo"), str(contribution_id)),)),
        ),
    )


def save_confirmation(
    lang: Language, contribution_id: int, author: str, theme_title: str | None, *, created: bool
) -> Message:
    """The saver's private thank-you after saving someone else's message, with a way to undo."""
    if not created:
        return info(lang, "share.already")
    if theme_title:
        text = t(lang, "save.thanks_theme", author=author, title=theme_title)
    else:
        text = t(lang, "save.thanks", author=author)
    return Message(
        "confirmation",
        text,
        (
            Paragraph(text, user=True),  # a display name is the person's own text
            Actions((Button(SHARE_UNDO, t(lang, "share.undo"), str(contribution_id)),)),
        ),
    )


def save_notice(
    forum: ForumInfo,
    lang: Language,
    contribution_id: int,
    *,
    saver: str,
    author: str,
    text: str,
    link: str | None,
    written_at: datetime,
) -> Message:
    """The private word to an author whose message someone saved, with a way to take it out."""
    intro = t(lang, "save.notice", saver=saver)
    when = long_date(lang, written_at.astimezone(ZoneInfo(forum.timezone)))
    return Message(
        "save_notice",
        intro,
        (
            Paragraph(intro, user=True),
            Entry(author=author, text=excerpt(text), link=link, when=when),
            Actions((Button(SHARE_UNDO, t(lang, "save.remove"), str(contribution_id)),)),
        ),
    )


def search_results(
    query: str, found: Sequence[Found], lang: Language, *, more: bool = False
) -> Message:
    """The answer to ``sök``/``search``: the best matches, each with its theme, month and link.

    The query and the examples are people's text: they travel as user text and :class:`Entry`,
    which every renderer defuses (as in the digest), so nothing re-posted can ping anyone.
    """
    shown = " ".join(query.split())
    if not found:
        text = t(lang, "search.none", query=shown)
        return Message("info", text, (Paragraph(text, user=True),))
    intro = t(lang, "search.results", query=shown)
    elements: list[Element] = [Paragraph(intro, user=True)]
    for item in found:
        title = item.theme_title.get(lang) if item.theme_title else t(lang, "digest.no_theme")
        month = month_year(lang, item.period.year, item.period.month)
        elements.append(
            Entry(
                author=item.author_name or t(lang, "digest.anonymous"),
                text=excerpt(item.text, SEARCH_EXCERPT_CHARS),
                link=item.permalink,
                when=f"{title} · {month}",
            )
        )
    if more:
        elements.append(Note(t(lang, "search.more")))
    return Message("search", intro, tuple(elements))
