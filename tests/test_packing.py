"""The one packer, with a toy measure: headings on every part, order kept, nothing lost."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messages import (
    Bullets,
    Divider,
    Element,
    Entry,
    Header,
    Message,
    Note,
    Paragraph,
    plain_text,
)
from bot.packing import pack

HEADING = Header("Veckans goda exempel")


def _cost(element: Element) -> tuple[int, int]:
    """A toy measure: one element, and the characters of its plain text."""
    return 1, len(plain_text(Message("x", "x", (element,))))


def _within(part: Message, limits: Sequence[int]) -> bool:
    used = [sum(values) for values in zip(*map(_cost, part.elements), strict=True)]
    return all(value <= limit for value, limit in zip(used, limits, strict=True))


def _digest(entries: int) -> Message:
    elements: list[Element] = [HEADING, Note("summary")]
    for theme in ("A", "B"):
        elements += [Divider(), Header(f"Tema {theme}", level=2)]
        elements += [Entry(f"P{n}", f"{theme} text {n}") for n in range(entries)]
    return Message("digest", "d", tuple(elements), {"marker": "m"})


def _body(parts: list[Message]) -> list[Element]:
    """The parts' elements without the headings the packer repeated."""
    out: list[Element] = list(parts[0].elements)
    for part in parts[1:]:
        themes = [e for e in out if isinstance(e, Header) and e.level == 2]
        repeated = 2 if themes and part.elements[1:2] == (themes[-1],) else 1
        out += part.elements[repeated:]
    return out


def test_each_part_fits_starts_with_the_heading_and_nothing_is_lost() -> None:
    message = _digest(30)
    limits = (12, 400)
    parts = pack(message, _cost, limits)
    assert len(parts) > 3
    assert all(part.elements[0] == HEADING for part in parts)
    assert all(_within(part, limits) for part in parts)
    assert _body(parts) == list(message.elements)
    assert parts[0].metadata == {"marker": "m"} and all(not p.metadata for p in parts[1:])


def test_a_part_that_starts_inside_a_theme_names_the_theme() -> None:
    parts = pack(_digest(30), _cost, (12, 10_000))
    for part in parts[1:]:
        second, third = part.elements[1], part.elements[2]
        if isinstance(third, Entry):
            assert second == Header(f"Tema {third.text[0]}", level=2)


def test_a_message_that_fits_is_one_unchanged_part() -> None:
    message = _digest(3)
    assert pack(message, _cost, (100, 10_000)) == [message]


def test_only_an_element_too_big_for_a_part_of_its_own_is_cut() -> None:
    text = " ".join(f"ord{n}" for n in range(400))
    message = Message(
        "x",
        "x",
        (HEADING, Entry("Anna", "kort"), Entry("Bo", text), Bullets(tuple("abcdefgh"), "B")),
    )
    limits = (50, 600)
    parts = pack(message, _cost, limits)
    assert all(part.elements[0] == HEADING and _within(part, limits) for part in parts)
    body = [element for part in parts for element in part.elements[1:]]
    assert body[0] == Entry("Anna", "kort")  # small entries stay whole
    cut = [e for e in body if isinstance(e, Entry | Paragraph) and e != body[0]]
    assert cut[0] == Entry("Bo", cut[0].text) and len(cut) > 3
    assert all(isinstance(e, Paragraph) and e.user for e in cut[1:])
    assert " ".join(e.text for e in cut).split() == text.split()
    assert body[-1] == Bullets(tuple("abcdefgh"), "B")


def test_a_list_too_big_for_any_part_is_cut_between_items() -> None:
    items = tuple(f"punkt {n} " * 5 for n in range(20))
    parts = pack(Message("x", "x", (HEADING, Bullets(items, "Lista"))), _cost, (5, 300))
    lists = [e for part in parts for e in part.elements if isinstance(e, Bullets)]
    assert len(lists) > 1 and lists[0].title == "Lista"
    assert all(b.title is None for b in lists[1:])
    assert tuple(item for b in lists for item in b.items) == items


_ELEMENTS = st.lists(
    st.one_of(
        st.builds(Entry, st.text(max_size=20), st.text(max_size=300)),
        st.builds(Paragraph, st.text(max_size=300)),
        st.builds(Header, st.text(min_size=1, max_size=20), st.just(2)),
        st.just(Divider()),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(_ELEMENTS, st.integers(4, 30), st.integers(150, 2_000))
def test_any_message_packs_within_the_limits_in_order(
    elements: list[Element], count: int, chars: int
) -> None:
    message = Message("x", "x", (HEADING, *elements))
    parts = pack(message, _cost, (count, chars))
    assert all(part.elements[0] == HEADING for part in parts)
    assert all(_within(part, (count, chars)) for part in parts)
    # Nothing lost, nothing added: the texts in order, but for the repeated headings and cuts.
    shown = "".join(
        "".join(e.text for e in part.elements[1:] if isinstance(e, Entry | Paragraph))
        for part in parts
    )
    original = "".join(e.text for e in elements if isinstance(e, Entry | Paragraph))
    assert "".join(shown.split()) == "".join(original.split())
