"""A theme post as HTML, made from exactly what the forum's platform is sent.

The post is built by the same :func:`bot.posts.theme_post` the publisher uses, rendered by the
platform's own renderer (Slack Block Kit, a Teams Adaptive Card, console text), and only then
turned into HTML here. So the preview shows what the renderer produced (its escaping, cutting and
defusing included), not a second idea of the post.

Everything that reaches the HTML is escaped here; a link becomes ``<a>`` only for an http(s) URL;
buttons are drawn but do nothing. A Slack mention or broadcast (``<!channel>``, ``<@U1>``) that
the renderer let through would be shown as a marked mention, never as a working one; the Slack
renderer escapes theme texts, so a typed ``<!channel>`` arrives here as the characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from bot.domain import ForumInfo, Platform, ThemeContent
from bot.messages import Message
from bot.posts import theme_post
from bot.timing import Period

_HTTP_URL = re.compile(r"^https?://[^\s<>\"'`]+$", re.IGNORECASE)

# Slack mrkdwn: <url|label> and <url> links, <!…>/<@…>/<#…> special tokens.
_SLACK_TOKEN = re.compile(r"<([^<>]*)>")
# *bold*, _italic_, ~strike~ and `code`, as Slack reads them: not inside a word.
_SLACK_STYLE = re.compile(
    r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])"
    r"|(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])"
    r"|(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])"
    r"|`([^`\n]+)`"
)
# Adaptive Card TextBlock markdown: [label](url), **bold**, _italic_.
_CARD_STYLE = re.compile(
    r"\[([^\]\n]*)\]\(([^)\s]+)\)|\*\*(?=\S)(.+?)(?<=\S)\*\*|(?<!\w)_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)"
)


def theme_preview(
    forum: ForumInfo, period: Period, theme: ThemeContent, *, message: Message | None = None
) -> Markup:
    """The theme post of *period* as *forum*'s platform will show it, as HTML.

    *message* is the post as the publisher builds it (with its line on last year's examples);
    without it, :func:`bot.posts.theme_post` builds it.
    """
    return message_html(forum, message or theme_post(forum, period, theme))


def message_html(forum: ForumInfo, message: Message) -> Markup:
    """*message* rendered by *forum*'s platform renderer, then as HTML (one part a post)."""
    if forum.platform is Platform.SLACK:
        from handlers.slack import render as slack

        parts = [slack_html(slack.blocks_of(part)) for part in slack.split(message)]
    elif forum.platform is Platform.TEAMS:
        from handlers.teams import render as teams

        parts = [
            card_html(teams.card_json(teams.card_of(part, data={"forum": forum.id})))
            for part in teams.split(message)
        ]
    else:
        from handlers.console.render import render as console

        parts = [console_html(console(message))]
    kind = forum.platform.value
    return Markup("").join(
        Markup('<div class="post post-{}">{}</div>').format(kind, part) for part in parts
    )


def console_html(text: str) -> Markup:
    """Terminal text as it is printed."""
    return Markup('<pre class="console">{}</pre>').format(text)


# -- Slack ---------------------------------------------------------------------------------------


def _slack_unescape(text: str) -> str:
    # Slack shows &lt; &gt; &amp; as the characters; they are escaped again for HTML below.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _styled(text: str) -> Markup:
    """Plain Slack text (already unescaped) with its *bold*, _italic_, ~strike~ and `code`."""
    out: list[Markup] = []
    last = 0
    for match in _SLACK_STYLE.finditer(text):
        out.append(escape(text[last : match.start()]))
        bold, italic, strike, code = match.groups()
        if bold is not None:
            out.append(Markup("<strong>{}</strong>").format(_styled(bold)))
        elif italic is not None:
            out.append(Markup("<em>{}</em>").format(_styled(italic)))
        elif strike is not None:
            out.append(Markup("<s>{}</s>").format(_styled(strike)))
        else:
            out.append(Markup("<code>{}</code>").format(code))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _link(url: str, label: Markup | str) -> Markup:
    """An ``<a>`` for an http(s) URL; anything else is just its label."""
    if not _HTTP_URL.match(url):
        return escape(label)
    return Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(url, label)


def mrkdwn_html(text: str) -> Markup:
    """One line of Slack mrkdwn as HTML: links, mention tokens and styles."""
    out: list[Markup] = []
    last = 0
    for match in _SLACK_TOKEN.finditer(text):
        out.append(_styled(_slack_unescape(text[last : match.start()])))
        inner = match.group(1)
        target, _, label = inner.partition("|")
        target = _slack_unescape(target)
        if target.startswith(("!", "@", "#")):
            # Never a working mention here: shown as the marked word Slack would show.
            shown = label or target.lstrip("!@#").split("^")[0]
            out.append(Markup('<span class="mention">@{}</span>').format(_slack_unescape(shown)))
        else:
            shown_label = _styled(_slack_unescape(label)) if label else escape(target)
            out.append(_link(target, shown_label))
        last = match.end()
    out.append(_styled(_slack_unescape(text[last:])))
    return Markup("").join(out)


def mrkdwn_block_html(text: str) -> Markup:
    """A section's mrkdwn: lines, "• " bullet lines as a list, "&gt;" lines as a quote."""
    html: list[Markup] = []
    bullets: list[Markup] = []
    quote: list[Markup] = []
    lines: list[Markup] = []

    def flush() -> None:
        if lines:
            html.append(Markup("<p>{}</p>").format(Markup("<br>").join(lines)))
            lines.clear()
        if bullets:
            items = Markup("").join(Markup("<li>{}</li>").format(item) for item in bullets)
            html.append(Markup("<ul>{}</ul>").format(items))
            bullets.clear()
        if quote:
            html.append(Markup("<blockquote>{}</blockquote>").format(Markup("<br>").join(quote)))
            quote.clear()

    for line in text.split("\n"):
        if line.startswith("• "):
            if lines or quote:
                flush()
            bullets.append(mrkdwn_html(line[2:]))
        elif line.startswith("&gt;"):
            if lines or bullets:
                flush()
            quote.append(mrkdwn_html(line[4:]))
        else:
            if bullets or quote:
                flush()
            lines.append(mrkdwn_html(line))
    flush()
    return Markup("").join(html)


def _text_object(obj: Mapping[str, Any] | None) -> Markup:
    if not obj:
        return Markup("")
    text = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn_block_html(text)
    return escape(text)


def slack_html(blocks: Sequence[Mapping[str, Any]]) -> Markup:
    """Block Kit blocks as HTML (header, section, context, divider, actions, image)."""
    out: list[Markup] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            out.append(Markup('<h3 class="sk-header">{}</h3>').format(_text_object(block["text"])))
        elif kind == "section":
            body = _text_object(block.get("text"))
            fields = Markup("").join(
                Markup('<div class="sk-field">{}</div>').format(_text_object(field))
                for field in block.get("fields", [])
            )
            out.append(Markup('<div class="sk-section">{}{}</div>').format(body, fields))
        elif kind == "context":
            parts = Markup(" ").join(
                _text_object(element) if element.get("type") != "image" else Markup("")
                for element in block.get("elements", [])
            )
            out.append(Markup('<div class="sk-context">{}</div>').format(parts))
        elif kind == "divider":
            out.append(Markup('<hr class="sk-divider">'))
        elif kind == "actions":
            out.append(_buttons(_slack_buttons(block.get("elements", []))))
        elif kind == "image":
            alt = str(block.get("alt_text", ""))
            out.append(Markup('<div class="sk-image">[{}]</div>').format(alt))
    return Markup('<div class="slack">{}</div>').format(Markup("").join(out))


def _slack_buttons(elements: Iterable[Mapping[str, Any]]) -> list[tuple[str, bool]]:
    return [
        (str(element.get("text", {}).get("text", "")), element.get("style") == "primary")
        for element in elements
        if element.get("type") == "button"
    ]


def _buttons(buttons: Iterable[tuple[str, bool]]) -> Markup:
    """Buttons that look like the platform's and do nothing (a preview posts nothing)."""
    drawn = Markup("").join(
        Markup('<button type="button" class="{}" disabled>{}</button>').format(
            "preview-button primary" if primary else "preview-button", label
        )
        for label, primary in buttons
    )
    return Markup('<div class="actions">{}</div>').format(drawn)


# -- Teams ---------------------------------------------------------------------------------------


def card_markdown_html(text: str) -> Markup:
    """One line of a TextBlock's markdown: links, **bold**, _italic_."""
    out: list[Markup] = []
    last = 0
    for match in _CARD_STYLE.finditer(text):
        out.append(escape(text[last : match.start()]))
        label, url, bold, italic = match.groups()
        if url is not None:
            out.append(_link(url, label or url))
        elif bold is not None:
            out.append(Markup("<strong>{}</strong>").format(bold))
        else:
            out.append(Markup("<em>{}</em>").format(italic))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _text_block(text: str) -> Markup:
    """A TextBlock's text: lines, and "- " lines as a list (Teams' markdown lists)."""
    html: list[Markup] = []
    items: list[Markup] = []
    lines: list[Markup] = []
    for line in re.split(r"\r\n|\r|\n", text):
        if line.startswith(("- ", "* ")):
            if lines:
                html.append(Markup("<p>{}</p>").format(Markup("<br>").join(lines)))
                lines = []
            items.append(card_markdown_html(line[2:]))
        else:
            if items:
                listed = Markup("").join(Markup("<li>{}</li>").format(i) for i in items)
                html.append(Markup("<ul>{}</ul>").format(listed))
                items = []
            lines.append(card_markdown_html(line))
    if lines:
        html.append(Markup("<p>{}</p>").format(Markup("<br>").join(lines)))
    if items:
        listed = Markup("").join(Markup("<li>{}</li>").format(i) for i in items)
        html.append(Markup("<ul>{}</ul>").format(listed))
    return Markup("").join(html)


def _classes(element: Mapping[str, Any]) -> str:
    names = [f"ac-{str(element['type']).removeprefix('Action.').lower()}"]
    for prop in ("size", "weight", "color"):
        value = element.get(prop)
        if isinstance(value, str) and value.isalnum():
            names.append(f"ac-{prop}-{value.lower()}")
    if element.get("isSubtle"):
        names.append("ac-subtle")
    if element.get("separator"):
        names.append("ac-separator")
    return " ".join(names)


def _card_element(element: Mapping[str, Any]) -> Markup:
    kind = element.get("type")
    classes = _classes(element)
    if kind == "TextBlock":
        text = str(element.get("text", ""))
        if element.get("style") == "heading":  # a heading holds lines, not paragraphs
            lines = (card_markdown_html(line) for line in re.split(r"\r\n|\r|\n", text))
            return Markup('<h3 class="{}">{}</h3>').format(classes, Markup("<br>").join(lines))
        return Markup('<div class="{}">{}</div>').format(classes, _text_block(text))
    if kind == "RichTextBlock":
        runs = Markup("").join(_text_run(run) for run in element.get("inlines", []))
        return Markup('<p class="{}">{}</p>').format(classes, runs)
    if kind in ("Container", "Column"):
        items = Markup("").join(_card_element(item) for item in element.get("items", []))
        return Markup('<div class="{}">{}</div>').format(classes, items)
    if kind == "ColumnSet":
        columns = Markup("").join(_card_element(column) for column in element.get("columns", []))
        return Markup('<div class="{}">{}</div>').format(classes, columns)
    if kind == "FactSet":
        facts = Markup("").join(
            Markup("<dt>{}</dt><dd>{}</dd>").format(
                card_markdown_html(str(fact.get("title", ""))),
                card_markdown_html(str(fact.get("value", ""))),
            )
            for fact in element.get("facts", [])
        )
        return Markup('<dl class="{}">{}</dl>').format(classes, facts)
    if kind == "ActionSet":
        return _card_actions(element.get("actions", []))
    if kind == "Image":
        return Markup('<div class="{}">[{}]</div>').format(classes, element.get("altText", ""))
    return Markup("")


def _text_run(run: Mapping[str, Any]) -> Markup:
    # A TextRun is plain text in Teams: no markdown, so only escaped here.
    text = escape(str(run.get("text", "")))
    if run.get("weight") == "Bolder":
        return Markup("<strong>{}</strong>").format(text)
    if run.get("italic"):
        return Markup("<em>{}</em>").format(text)
    return text


def _card_actions(actions: Iterable[Mapping[str, Any]]) -> Markup:
    buttons: list[tuple[str, bool]] = []
    links: list[Markup] = []
    for action in actions:
        title = str(action.get("title", ""))
        if action.get("type") == "Action.OpenUrl":
            links.append(_link(str(action.get("url", "")), title))
        else:
            buttons.append((title, action.get("style") == "positive"))
    return _buttons(buttons) + Markup("").join(links)


def card_html(card: Mapping[str, Any]) -> Markup:
    """An Adaptive Card (as Teams receives it) as HTML."""
    body = Markup("").join(_card_element(element) for element in card.get("body", []))
    actions = _card_actions(card.get("actions", [])) if card.get("actions") else Markup("")
    return Markup('<div class="adaptive-card">{}{}</div>').format(body, actions)
