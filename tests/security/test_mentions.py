"""Re-posted user text can never notify anyone, on either platform (property-based).

Hypothesis builds texts from the mention syntaxes of Slack (``<!channel>``, ``<@U1>``,
``<!subteam^S1>``, ``@here`` …) and Teams (``<at>…</at>``), mixed with arbitrary text, and puts them
wherever a person's words appear: a paragraph of user text, a digest entry's author and text, and
a message's fallback. The rendered JSON must contain no live mention.
"""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messages import Entry, Message, Paragraph
from handlers.slack import render as slack_render
from handlers.teams import render as teams_render

MENTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S1>",
    "<!subteam^S1|@ledare>",
    "<@U1>",
    "<@U1|kim>",
    "<@W123ABC>",
    "<#C1>",
    "<#C1|allmänt>",
    "<!date^1392734382^{date}|x>",
    "<at>Kim</at>",
    "<at id='0'>x</at>",
    "<AT>x</AT>",
    "@channel",
    "@here",
    "@everyone",
    "@Channel",
    "@HERE",
    "&lt;!channel&gt;",
    "<https://evil.example|klicka>",
]

texts = st.lists(
    st.one_of(st.sampled_from(MENTIONS), st.text(max_size=20)), min_size=1, max_size=8
).map("".join)

# Slack: any "<" in mrkdwn opens a control sequence; escaped text has none.
SLACK_LIVE = re.compile(r"<[!@#]|<https?:|(?<![\w\u2060])@(channel|here|everyone)\b", re.I)
# Teams: a mention is an <at> tag; inert text breaks every tag with a zero-width space.
TEAMS_LIVE = re.compile(r"<\s*at\b|<\s*/\s*at\s*>", re.I)


def _message(text: str) -> Message:
    return Message(
        "digest",
        text,
        (Paragraph(text, user=True), Entry(author=text, text=text), Entry("K", text)),
    )


def _slack_user_texts(message: Message) -> list[str]:
    """Every mrkdwn text of the rendered blocks, plus the notification fallback."""
    found: list[str] = [slack_render.fallback_text(message)]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(slack_render.blocks_of(message))
    return found


@settings(max_examples=300, deadline=None)
@given(texts)
def test_slack_rendering_has_no_live_mention(text: str) -> None:
    for rendered in _slack_user_texts(_message(text)):
        assert not SLACK_LIVE.search(rendered), rendered


@settings(max_examples=300, deadline=None)
@given(texts)
def test_teams_rendering_has_no_live_mention(text: str) -> None:
    card = teams_render.card_json(teams_render.card_of(_message(text)))
    rendered = json.dumps(card, ensure_ascii=False)
    assert not TEAMS_LIVE.search(rendered), rendered
    assert "msteams" not in card  # no mention entities are ever attached


@given(st.sampled_from(MENTIONS))
def test_the_text_itself_survives_for_readers(token: str) -> None:
    """Defusing must not drop the words: a reader still sees what the person wrote."""
    [paragraph] = [
        b for b in slack_render.blocks_of(Message("x", "x", (Paragraph(token, user=True),)))
    ]
    shown = paragraph["text"]["text"]
    readable = shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert readable.replace("\u2060", "") == token
