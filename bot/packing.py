"""One packer for every platform: a long message cut into parts that each fit its limits.

A platform gives only its measure: what one element costs, in one or more units (Slack counts
blocks and characters of block JSON, Teams bytes of the card), and how much a part may hold.
The packer fills parts greedily, in order, so every element lands in exactly one part. It
repeats the message's heading (its first element, when that is a title) at the top of every
part, and, when a part starts inside a section, that section's heading (a digest's theme), so
each part reads on its own. An element is cut (with :func:`bot.messages.pieces`) only when it
cannot fit even a part of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from operator import add, le

from bot.messages import Bullets, Divider, Element, Entry, Header, Message, Paragraph, pieces

Cost = Callable[[Element], Sequence[int]]


def pack(message: Message, cost: Cost, limits: Sequence[int]) -> list[Message]:
    """*message* as parts whose elements' costs add up to at most *limits*, unit by unit.

    *cost* gives an element's cost in the same units as *limits* (what it adds to a part, so
    separators included; what a part costs when empty is already taken off *limits*). The first
    part keeps the message's metadata (it tags the post that stands for the whole message).
    """
    elements = message.elements
    first = elements[0] if elements else None
    heading = first if isinstance(first, Header) and first.level == 1 else None
    zero = tuple(0 for _ in limits)
    heading_cost = tuple(cost(heading)) if heading is not None else zero
    parts: list[list[Element]] = []
    current: list[Element] = []
    used: Sequence[int] = zero
    fresh = True  # nothing but repeated headings in the current part yet
    section: Header | None = None  # the level-2 heading the coming elements belong to
    section_cost: Sequence[int] = zero
    pending = list(reversed(elements))  # a stack: a cut element's pieces go back on top
    while pending:
        element = pending.pop()
        need = cost(element)
        total = tuple(map(add, used, need))
        if not all(map(le, total, limits)):
            if not fresh:
                parts.append(current)
                current, used = [], zero
                if heading is not None:
                    current, used = [heading], heading_cost
                if section is not None and not isinstance(element, Header | Divider):
                    current.append(section)
                    used = tuple(map(add, used, section_cost))
                fresh = True
                total = tuple(map(add, used, need))
            if not all(map(le, total, limits)):
                cut = _cut(element)
                if cut:  # too big for any part: its pieces are packed instead
                    pending.extend(reversed(cut))
                    continue
        current.append(element)
        used, fresh = total, False
        if isinstance(element, Header):
            section, section_cost = (element, need) if element.level == 2 else (None, zero)
    parts.append(current)
    return [
        replace(message, elements=tuple(part), metadata=message.metadata if index == 0 else {})
        for index, part in enumerate(parts)
    ]


def _cut(element: Element) -> list[Element]:
    """*element* in about two halves, in order; empty when it cannot be cut any further.

    An entry keeps its author on the first piece; the rest of its text follows as paragraphs
    of the same person's text.
    """
    match element:
        case Paragraph(text=text) if len(text) > 1:
            return [replace(element, text=piece) for piece in pieces(text, (len(text) + 1) // 2)]
        case Entry(text=text) if len(text) > 1:
            head, *rest = pieces(text, (len(text) + 1) // 2)
            return [replace(element, text=head), *(Paragraph(piece, user=True) for piece in rest)]
        case Bullets(items=items, title=title) if len(items) > 1:
            half = len(items) // 2
            return [Bullets(items[:half], title), Bullets(items[half:])]
    return []
