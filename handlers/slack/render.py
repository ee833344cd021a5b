"""Block Kit rendering of neutral messages: pure functions, no Web API and no database.

Every text that reaches Slack's mrkdwn is escaped (``&``, ``<``, ``>``), so a ``<!channel>`` or
``<@U123>`` typed by a person arrives as harmless characters and pings nobody; text written by
people additionally gets ``verbatim`` and a word joiner after ``@`` in ``@channel``, ``@here`` and
``@everyone``, so Slack's automatic parsing cannot turn it into a broadcast either.

:func:`split` gives :func:`bot.packing.pack` Slack's measure (50 blocks and about 12,000
characters of block JSON per message); within a block, texts are cut to 3,000 characters per
section and 150 per header.
"""

from __future__ import annotations

import json
import re
import weakref
from typing import Any, NamedTuple

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.messages import (
    Actions,
    Bullets,
    Divider,
    Element,
    Entry,
    Header,
    Links,
    Message,
    Note,
    Paragraph,
    Picture,
    pieces,
)
from bot.packing import pack

MAX_BLOCKS = 50
SECTION_CHARS = 3000
HEADER_CHARS = 150
CONTEXT_CHARS = 2000
IMAGE_ALT_CHARS = 2000
BUTTON_CHARS = 75
VALUE_CHARS = 2000
BUTTONS_PER_BLOCK = 25
BULLETS_PER_SECTION = 10
# Slack refuses messages whose blocks exceed about 13,000 characters of JSON; keep a margin.
MAX_BLOCKS_JSON = 12_000
FALLBACK_CHARS = 3000
# Raw characters per piece when a long paragraph is cut: escaping may grow the text.
PIECE_CHARS = 2400
ELLIPSIS = "…"
MAX_QUOTED_LINES = 60

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")
# One encoder for every measurement: json.dumps() with options builds a new one per call.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def escape(text: str) -> str:
    """Text escaped for mrkdwn: ``&``, ``<`` and ``>`` become entities (no mention survives)."""
    # ``&`` first, so the entities made for ``<`` and ``>`` are not escaped again.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack's message text as the person typed it (Slack sends ``&``, ``<``, ``>`` escaped)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def defuse(text: str) -> str:
    """A person's text, escaped and with broadcast words (``@here``) that cannot notify."""
    return _BROADCAST.sub(lambda match: "@\u2060" + match.group(1), escape(text))


def fit(text: str, limit: int, *, user: bool = False) -> str:
    """*text* escaped (and defused for *user* text), cut with an ellipsis to at most *limit* chars.

    The cut is made on the raw text, so an entity such as ``&amp;`` is never split.
    """
    convert = defuse if user else escape
    whole = convert(text)
    if len(whole) <= limit:
        return whole
    low, high = 0, len(text)
    while low < high:  # the longest raw prefix whose converted form leaves room for "…"
        middle = (low + high + 1) // 2
        if len(convert(text[:middle])) + len(ELLIPSIS) <= limit:
            low = middle
        else:
            high = middle - 1
    return convert(text[:low]).rstrip() + ELLIPSIS


def plain(text: str, limit: int) -> str:
    """Plain text (headers, buttons, modal titles) cut to *limit* characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def link(url: str, label: str) -> str:
    """A mrkdwn link, or just the escaped label when the URL is not a plain http(s) URL."""
    shown = fit(label.replace("|", "/"), 500) or escape(url)
    if not _SAFE_URL.match(url):
        return shown
    return f"<{url.replace('&', '&amp;')}|{shown}>"


def _mrkdwn(text: str, *, user: bool = False) -> MarkdownTextObject:
    return MarkdownTextObject(text=text, verbatim=True if user else None)


def _section(text: str, *, user: bool = False) -> SectionBlock:
    return SectionBlock(text=_mrkdwn(text, user=user))


def _lines_to_sections(lines: list[str]) -> list[Block]:
    """Already-escaped lines packed into sections of at most 3,000 characters."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_CHARS and current:
            blocks.append(_section(current))
            candidate = line
        current = candidate
    if current:
        blocks.append(_section(current))
    return blocks


def _entry_text(entry: Entry) -> str:
    head = f"*{fit(entry.author, 200, user=True)}*"
    if entry.when:
        when = link(entry.link, entry.when) if entry.link else escape(entry.when)
        head += f" · {when}"
    elif entry.link:
        head += f" · {link(entry.link, '↗')}"
    text = entry.text
    if text.count("\n") > MAX_QUOTED_LINES:  # each quoted line costs a ">": keep it bounded
        text = " ".join(text.split())
    room = SECTION_CHARS - len(head) - 2 - 2 * (text.count("\n") + 1)
    body = fit(text, room, user=True)
    quoted = "\n".join(f">{line}" for line in body.splitlines() or [""])
    return f"{head}\n{quoted}"


def element_blocks(element: Element) -> list[Block]:
    """The Block Kit blocks of one neutral element."""
    match element:
        case Header(text=text, level=1):
            return [HeaderBlock(text=PlainTextObject(text=plain(text, HEADER_CHARS), emoji=True))]
        case Header(text=text):
            return [_section(f"*{fit(text, SECTION_CHARS - 2)}*")]
        case Paragraph(text=text, user=user):
            cut = pieces(text, PIECE_CHARS)
            return [_section(fit(piece, SECTION_CHARS, user=user), user=user) for piece in cut]
        case Bullets(items=items, title=title):
            # At most ten items a section, so a long list reads in short, even chunks.
            lines = [f"*{fit(title, 500)}*"] if title else []
            blocks: list[Block] = []
            for start in range(0, max(len(items), 1), BULLETS_PER_SECTION):
                chunk = items[start : start + BULLETS_PER_SECTION]
                lines += [f"• {fit(item, SECTION_CHARS - 2)}" for item in chunk]
                blocks += _lines_to_sections(lines)
                lines = []
            return blocks
        case Links(links=links):
            return _lines_to_sections([" · ".join(link(item.url, item.label) for item in links)])
        case Entry():
            return [_section(_entry_text(element), user=True)]
        case Note(text=text):
            return [ContextBlock(elements=[_mrkdwn(fit(text, CONTEXT_CHARS))])]
        case Divider():
            return [DividerBlock()]
        case Picture(url=url, alt=alt):
            return [ImageBlock(image_url=url, alt_text=plain(alt, IMAGE_ALT_CHARS))]
        case Actions(buttons=buttons):
            return [
                ActionsBlock(
                    elements=[
                        ButtonElement(
                            text=PlainTextObject(text=plain(b.label, BUTTON_CHARS), emoji=True),
                            action_id=b.action,
                            value=b.value[:VALUE_CHARS] or None,
                            style="primary" if b.primary else None,
                        )
                        for b in buttons[start : start + BUTTONS_PER_BLOCK]
                    ]
                )
                for start in range(0, len(buttons), BUTTONS_PER_BLOCK)
            ]
    return []


def entry_section(text: str) -> dict[str, Any]:
    """``SectionBlock(text=MarkdownTextObject(text=text, verbatim=True)).to_dict()``, made directly.

    A digest is thousands of entries and slack_sdk's ``to_dict`` (which validates through
    ``dir()``) dominated its rendering. Same keys in the same (sorted) order; a test compares the
    two. Only for texts slack_sdk accepts (1 to 3,000 characters), see :func:`_render`.
    """
    return {"text": {"text": text, "type": "mrkdwn", "verbatim": True}, "type": "section"}


# The JSON of ``[entry_section(text)]`` is this many characters plus the JSON string of *text*.
_ENTRY_JSON = len(_COMPACT.encode([entry_section("")])) - len('""')


def _copied(value: Any) -> Any:
    """A deep copy of JSON-shaped data (far cheaper than copy.deepcopy or rendering again)."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


class _Rendering(NamedTuple):  # a NamedTuple: thousands are made, and quickly
    """An element's blocks (how many and their compact JSON size) and how to make them.

    The blocks kept here never leave it: every caller gets its own copy, so a memoised rendering
    can be shared (and read from several threads) without anyone mutating it for the others.
    """

    block_count: int
    weight: int
    section: str | None  # an entry's text: its blocks are [entry_section(section)]
    blocks: tuple[dict[str, Any], ...]  # any other element's

    def fresh(self) -> list[dict[str, Any]]:
        """The blocks, for a caller to keep."""
        if self.section is not None:
            return [entry_section(self.section)]
        copy: list[dict[str, Any]] = _copied(list(self.blocks))
        return copy


def _render(element: Element) -> _Rendering:
    if type(element) is Entry:  # the hot shape of a digest
        text = _entry_text(element)
        if 0 < len(text) <= SECTION_CHARS:
            # Only the text is kept: a digest's worth of dicts would be garbage collector work.
            return _Rendering(1, _ENTRY_JSON + len(_COMPACT.encode(text)), text, ())
    blocks = [block.to_dict() for block in element_blocks(element)]
    return _Rendering(len(blocks), json_size(blocks), None, tuple(blocks))


# What split() rendered to measure, reused by blocks_of() so that posting a part does not render
# every element again. Rendering is a pure function of the (frozen) element, so equal elements
# share an entry; an entry goes away with its element.
_rendered: weakref.WeakKeyDictionary[Element, _Rendering] = weakref.WeakKeyDictionary()


def _measured(element: Element) -> _Rendering:
    """The element rendered, at most once while it is alive."""
    try:
        found = _rendered.get(element)
        if found is None:
            found = _rendered[element] = _render(element)
    except TypeError:  # not hashable (a list where a tuple belongs): render without the memo
        return _render(element)
    return found


def blocks_of(message: Message) -> list[dict[str, Any]]:
    """The message's blocks as JSON-ready dicts."""
    return [block for element in message.elements for block in _measured(element).fresh()]


def fallback_text(message: Message) -> str:
    """The notification text sent beside the blocks (escaped and defused, never empty).

    It can carry text people wrote (a theme title from the form), so it is treated as user text.
    """
    return fit(message.fallback or "Ledarforum", FALLBACK_CHARS, user=True)


def json_size(blocks: list[dict[str, Any]]) -> int:
    """Characters of compact block JSON (what Slack's ``msg_blocks_too_long`` measures)."""
    return len(_COMPACT.encode(blocks))


def _cost(element: Element) -> tuple[int, int]:
    """Blocks and characters of JSON *element* adds to a message (a comma included)."""
    rendering = _measured(element)
    return rendering.block_count, rendering.weight + 1


def split(message: Message) -> list[Message]:
    """*message* as parts that each fit Slack's limits (see :func:`bot.packing.pack`).

    Each element is rendered once here; :func:`blocks_of` reuses that.
    """
    return pack(message, _cost, (MAX_BLOCKS, MAX_BLOCKS_JSON - len("[]")))
