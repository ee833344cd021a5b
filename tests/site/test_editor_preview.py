"""The editor's preview: the theme post rendered by the platform's own renderer, then as HTML.

Every text of the rendered blocks (or card) is in the HTML, everything is escaped, links are only
http(s), and a Slack ``<!channel>`` typed into a theme cannot become a ping.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from bot.domain import Bilingual, ForumInfo, Link, Platform, ThemeContent
from bot.posts import theme_post
from bot.timing import Period
from handlers.console.render import render as console_render
from handlers.site.preview import card_html, mrkdwn_html, slack_html, theme_preview
from handlers.slack import render as slack
from handlers.teams import render as teams

PERIOD = Period(2026, 12)
HOSTILE = ThemeContent(
    month=12,
    title=Bilingual("<!channel> Årets <script>alert(1)</script> avslut", "Year end"),
    why_now=Bilingual(
        'Vi *summerar* & firar <img src=x onerror="alert(1)"> @here <@U123> <https://evil.test|x>',
        "Why now",
    ),
    questions=(
        Bilingual("Vad är ni _stolta_ över?", "What are you proud of?"),
        Bilingual("Vad tar ni med till 2027?", "What do you take into 2027?"),
    ),
    delivery=Bilingual("Verksamhetsberättelse", "Annual report"),
    links=(
        Link(Bilingual("Mall för berättelsen", "Template"), "https://example.org/mall?a=1&b=2"),
        Link(Bilingual("Skript", "Script"), "javascript:alert(1)"),
    ),
)


def _forum(platform: Platform) -> ForumInfo:
    return ForumInfo(7, platform, "T1", "C1", "ledningsgruppen", "sv", "Europe/Stockholm")


def _visible(markup: str) -> str:
    """The text a reader sees: tags dropped, entities read."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def _words(text: str) -> list[str]:
    """The words of a rendered text, without the markup characters the HTML turns into tags."""
    text = re.sub(r"<(https?://[^|>]+)\|([^>]*)>", r"\2", text)  # Slack links: their label
    text = re.sub(r"\[([^\]]*)\]\((https?://[^)]+)\)", r"\1", text)  # card links: their label
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    words = [word.strip("*_~") for word in text.split()]
    return [word for word in words if word and word not in {"•", "-"}]


def _slack_texts(blocks: list[dict[str, Any]]) -> list[str]:
    texts: list[str] = []
    for block in blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if "text" in element:
                inner = element["text"]
                texts.append(inner["text"] if isinstance(inner, dict) else inner)
    return texts


def _card_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        if node.get("type", "").startswith("Action.") and isinstance(node.get("title"), str):
            found.append(node["title"])
        return found + [text for value in node.values() for text in _card_texts(value)]
    if isinstance(node, list):
        return [text for item in node for text in _card_texts(item)]
    return []


def test_every_slack_text_is_in_the_html() -> None:
    forum = _forum(Platform.SLACK)
    blocks = [
        b for part in slack.split(theme_post(forum, PERIOD, HOSTILE)) for b in slack.blocks_of(part)
    ]
    shown = _visible(str(theme_preview(forum, PERIOD, HOSTILE)))
    texts = _slack_texts(blocks)
    assert len(texts) >= 6
    for text in texts:
        for word in _words(text):
            assert word in shown, (word, text)
    assert "Dela ett gott exempel" in shown  # the button, drawn


def test_every_teams_text_is_in_the_html() -> None:
    forum = _forum(Platform.TEAMS)
    message = theme_post(forum, PERIOD, HOSTILE)
    cards = [teams.card_json(teams.card_of(part)) for part in teams.split(message)]
    shown = _visible(str(theme_preview(forum, PERIOD, HOSTILE)))
    texts = [text for card in cards for text in _card_texts(card.get("body", []))]
    assert len(texts) >= 6
    for text in texts:
        for word in _words(text):
            assert word in shown, (word, text)


def test_console_is_the_printed_text() -> None:
    forum = _forum(Platform.CONSOLE)
    markup = str(theme_preview(forum, PERIOD, HOSTILE))
    assert markup.count("<pre") == 1
    inner = re.search(r"<pre[^>]*>(.*)</pre>", markup, re.S)
    assert inner is not None
    assert html.unescape(inner.group(1)) == console_render(theme_post(forum, PERIOD, HOSTILE))


@pytest.mark.parametrize("platform", list(Platform))
def test_hostile_text_is_escaped_and_only_http_links_are_links(platform: Platform) -> None:
    markup = str(theme_preview(_forum(platform), PERIOD, HOSTILE))
    assert "<script" not in markup and "<img" not in markup and 'onerror="' not in markup
    assert re.search("&lt;\u200b?script&gt;", markup)  # Teams adds a zero-width space
    hrefs = re.findall(r'href="([^"]*)"', markup)
    assert all(href.startswith(("https://", "http://")) for href in hrefs)
    assert "javascript:" not in " ".join(hrefs)
    if platform is not Platform.CONSOLE:
        assert 'href="https://example.org/mall?a=1&amp;b=2"' in markup
        assert "evil.test" not in " ".join(hrefs)  # typed link syntax is no link


def test_a_typed_channel_broadcast_is_no_ping() -> None:
    forum = _forum(Platform.SLACK)
    blocks = [
        b for part in slack.split(theme_post(forum, PERIOD, HOSTILE)) for b in slack.blocks_of(part)
    ]
    # Slack parses mentions in mrkdwn only (a header is plain text): none reaches it there.
    mrkdwn = [
        text["text"]
        for block in blocks
        for text in [block.get("text"), *block.get("elements", [])]
        if isinstance(text, dict) and text.get("type") == "mrkdwn"
    ]
    assert mrkdwn and not any("<!" in text or "<@" in text for text in mrkdwn)
    markup = str(theme_preview(forum, PERIOD, HOSTILE))
    assert "&lt;!channel&gt;" in markup  # shown as the characters typed
    assert 'class="mention"' not in markup


def test_a_real_mention_token_is_shown_marked_never_working() -> None:
    markup = str(
        mrkdwn_html("Hej <!channel> och <@U1|Lea> *nu* <https://a.test/?x=1&amp;y=2|länk>")
    )
    assert markup.count('class="mention"') == 2 and "<!" not in markup and "<@" not in markup
    assert "<strong>nu</strong>" in markup
    assert '<a href="https://a.test/?x=1&amp;y=2"' in markup and ">länk</a>" in markup
    assert "<a" not in str(mrkdwn_html("<javascript:alert(1)|klick>"))


def test_block_kinds_and_card_elements() -> None:
    blocks = [
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "_liten_ text"}]},
        {
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Öppna"}}],
        },
    ]
    markup = str(slack_html(blocks))
    assert "<hr" in markup and "<em>liten</em>" in markup
    assert re.search(r"<button[^>]*disabled[^>]*>Öppna</button>", markup)
    card = {
        "body": [
            {"type": "TextBlock", "text": "**Fet** [Länk](https://a.test)", "size": "Large"},
            {"type": "FactSet", "facts": [{"title": "Månad", "value": "<b>Mars</b>"}]},
            {"type": "ActionSet", "actions": [{"type": "Action.Submit", "title": "Spara"}]},
        ]
    }
    markup = str(card_html(card))
    assert "<strong>Fet</strong>" in markup and '<a href="https://a.test"' in markup
    assert "<dt>Månad</dt><dd>&lt;b&gt;Mars&lt;/b&gt;</dd>" in markup
    assert re.search(r"<button[^>]*disabled[^>]*>Spara</button>", markup)
    assert "ac-size-large" in markup
