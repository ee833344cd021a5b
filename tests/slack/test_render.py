"""Block Kit rendering: Slack's limits, splitting without loss, and defused user text."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.domain import Platform
from bot.messages import (
    Actions,
    Bullets,
    Button,
    Divider,
    Element,
    Entry,
    Header,
    Message,
    Note,
    Paragraph,
)
from fakes.slack import MAX_BLOCKS_JSON_CHARS, validate_message_blocks
from handlers.slack import render
from tests.digests import assert_headed_and_whole, large_digest


def _accepted(message: Message) -> list[dict[str, object]]:
    blocks = render.blocks_of(message)
    assert validate_message_blocks(blocks) is None
    return blocks


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a & b", "a &amp; b"),
        ("<!channel> hej", "&lt;!channel&gt; hej"),
        ("<@U123|kim>", "&lt;@U123|kim&gt;"),
        ("<#C1|allmänt>", "&lt;#C1|allmänt&gt;"),
        ("<!subteam^S1>", "&lt;!subteam^S1&gt;"),
    ],
)
def test_escape_neutralises_every_token(raw: str, shown: str) -> None:
    assert render.escape(raw) == shown


def test_defuse_breaks_broadcast_words_too() -> None:
    out = render.defuse("Hej @here och @Channel, inte @herr")
    assert "@here" not in out and "@Channel" not in out and "@herr" in out


def test_fit_never_cuts_an_entity() -> None:
    text = "&" * 1000
    out = render.fit(text, 101)
    assert len(out) <= 101 and out.endswith("…")
    assert out[:-1].replace("&amp;", "") == ""


def test_header_is_cut_to_150_and_long_paragraph_splits_into_sections() -> None:
    message = Message("x", "fallback", (Header("R" * 400), Paragraph("ord " * 3000)))
    blocks = _accepted(message)
    assert len(blocks[0]["text"]["text"]) == 150  # type: ignore[index]
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) > 3
    assert all(len(b["text"]["text"]) <= 3000 for b in sections)  # type: ignore[index]


def test_user_text_is_verbatim_and_defused() -> None:
    message = Message(
        "x", "f", (Paragraph("<!here> tack", user=True), Entry("<@U1>", "<!channel>"))
    )
    blocks = _accepted(message)
    text = json.dumps(blocks)
    assert "<!here>" not in text and "<!channel>" not in text and "<@U1>" not in text
    assert all(b["text"]["verbatim"] for b in blocks)  # type: ignore[index]


def test_links_are_kept_only_when_safe() -> None:
    assert render.link("https://x.se/a?b=1&c=2", "Länk") == "<https://x.se/a?b=1&amp;c=2|Länk>"
    assert render.link("javascript:alert(1)", "<bad>") == "&lt;bad&gt;"


def test_split_keeps_every_entry_once_and_metadata_on_the_first_part() -> None:
    entries = tuple(
        Entry(f"Person {n}", f"Exempel {n} " + "x" * 280, "https://s.test/p", "idag")
        for n in range(150)
    )
    message = Message(
        "digest",
        "Veckans goda exempel",
        (
            Header("Veckans goda exempel"),
            Divider(),
            Header("Tema", level=2),
            *entries,
            Note("slut"),
        ),
        metadata={"event_type": "ledarforum_digest", "event_payload": {"marker": "m"}},
    )
    parts = render.split(message)
    assert len(parts) > 2
    assert parts[0].metadata and all(not part.metadata for part in parts[1:])
    seen = [e.text for part in parts for e in part.elements if isinstance(e, Entry)]
    assert seen == [e.text for e in entries]
    for part in parts:
        blocks = _accepted(part)
        assert len(blocks) <= render.MAX_BLOCKS
        assert render.json_size(blocks) <= render.MAX_BLOCKS_JSON
    for part in parts[1:]:  # each continuation repeats the digest's and its theme's heading
        assert part.elements[:2] == (Header("Veckans goda exempel"), Header("Tema", level=2))


def test_a_message_that_fits_is_one_part_and_buttons_render() -> None:
    message = Message(
        "t",
        "f",
        (Paragraph("kort"), Actions((Button("share_open", "Dela " * 30, "v", primary=True),))),
    )
    [part] = render.split(message)
    blocks = _accepted(part)
    button = blocks[1]["elements"][0]  # type: ignore[index]
    assert button["action_id"] == "share_open" and button["style"] == "primary"
    assert len(button["text"]["text"]) <= 75


def test_many_bullets_and_empty_fallback() -> None:
    message = Message("y", "", (Bullets(tuple(f"punkt {n}" for n in range(40)), "Rubrik"),))
    assert render.fallback_text(message) == "Ledarforum"
    parts = render.split(message)
    assert sum(len(render.blocks_of(p)) for p in parts) >= 4


def test_slack_escaped_input_is_stored_as_typed() -> None:
    assert render.unescape("A &amp; B &lt;3 &amp;lt;") == "A & B <3 &lt;"
    assert render.escape(render.unescape("x &amp; y")) == "x &amp; y"


# Characters that matter to mrkdwn, mentions and JSON, mixed with anything else.
_TRICKY = st.sampled_from(
    ["&", "<", ">", "|", "@here", "<!channel>", "\n", "\r", "\u2028", '"', "\\"]
)
_TEXTS = st.lists(st.one_of(_TRICKY, st.text(max_size=40)), max_size=40).map("".join)


def _sdk(element: Element) -> list[dict[str, Any]]:
    """The element rendered through slack_sdk objects alone (the path without shortcuts)."""
    return [block.to_dict() for block in render.element_blocks(element)]


def _exact(blocks: object) -> str:
    return json.dumps(blocks, ensure_ascii=False)  # not sorted: key order must match too


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=render.SECTION_CHARS) | _TEXTS.filter(bool))
def test_entry_section_is_exactly_what_slack_sdk_builds(text: str) -> None:
    made = SectionBlock(text=MarkdownTextObject(text=text, verbatim=True)).to_dict()
    assert _exact(render.entry_section(text)) == _exact(made)


@settings(max_examples=300, deadline=None)
@given(
    author=_TEXTS,
    text=_TEXTS | st.text(min_size=2500, max_size=3200) | st.just("rad\n" * 80),
    link=st.none()
    | _TEXTS
    | st.integers(0, 3100).map(lambda n: "https://s.test/" + "p" * n)
    | st.just("https://s.test/p?a=1&b=2"),
    when=st.none() | _TEXTS,
)
def test_a_rendered_entry_equals_the_slack_sdk_rendering(
    author: str, text: str, link: str | None, when: str | None
) -> None:
    entry = Entry(author, text, link, when)
    try:
        expected = _sdk(entry)
    except SlackObjectFormationError:  # too long for a section: still refused
        with pytest.raises(SlackObjectFormationError):
            render.blocks_of(Message("x", "x", (entry,)))
        return
    assert _exact(render.blocks_of(Message("x", "x", (entry,)))) == _exact(expected)
    # The size split() measures is the size of that JSON.
    assert render._measured(entry).weight == render.json_size(expected)


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_escape_is_the_per_character_mapping(text: str) -> None:
    entities = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
    assert render.escape(text) == "".join(entities.get(char, char) for char in text)


def _digest(tag: str, entries: int = 150) -> Message:
    return Message(
        "digest",
        "Veckans goda exempel",
        (
            Header(f"Veckans goda exempel {tag}"),
            Divider(),
            Header(f"Tema {tag}", level=2),
            *(
                Entry(f"Person {n}", f"{tag} {n} " + "x" * 280, "https://s.test/p", "idag")
                for n in range(entries)
            ),
            Note(f"slut {tag}"),
        ),
        metadata={"event_type": "ledarforum_digest"},
    )


def test_split_and_blocks_of_render_each_element_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: Counter[Element] = Counter()
    original = render._render

    def counting(element: Element) -> Any:
        rendered[element] += 1
        return original(element)

    monkeypatch.setattr(render, "_render", counting)
    message = _digest("en gång")
    parts = render.split(message)
    assert len(parts) > 2
    blocks = [render.blocks_of(part) for part in parts]
    assert rendered and max(rendered.values()) == 1  # the repeated heading included
    # What comes out is what rendering each part afresh through slack_sdk gives.
    for part, got in zip(parts, blocks, strict=True):
        assert _exact(got) == _exact([b for e in part.elements for b in _sdk(e)])


def test_blocks_handed_out_are_never_shared() -> None:
    parts = render.split(_digest("egna"))
    first, second = render.blocks_of(parts[0]), render.blocks_of(parts[1])
    heading = second[1]
    assert heading == first[2] and heading is not first[2]  # the repeated group heading
    first[2]["text"]["text"] = "ändrad"
    assert render.blocks_of(parts[1])[1] == heading
    again = render.blocks_of(parts[0])
    assert again == render.blocks_of(parts[0]) and again[3] is not render.blocks_of(parts[0])[3]
    assert again[2]["text"]["text"] != "ändrad"


def test_a_digest_of_2000_fits_slack_with_its_heading_on_every_part() -> None:
    message = large_digest(Platform.SLACK, 2000)
    parts = render.split(message)
    assert len(parts) > 10
    assert_headed_and_whole(message, parts)
    for part in parts:
        blocks = _accepted(part)  # the fake Slack's block rules, 13,000 characters included
        assert len(blocks) <= 50 and render.json_size(blocks) <= MAX_BLOCKS_JSON_CHARS
        assert blocks[0]["type"] == "header" and "Veckans goda exempel" in json.dumps(blocks[0])
