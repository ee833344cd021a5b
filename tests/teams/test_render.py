"""Adaptive Card rendering: pure functions, no HTTP."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from microsoft_teams.api.activities.message import MessageActivityInput

from bot.domain import Platform
from bot.messages import (
    Actions,
    Bullets,
    Button,
    Divider,
    Entry,
    FileAttachment,
    Header,
    LinkItem,
    Links,
    Message,
    Note,
    Paragraph,
)
from handlers.teams import render
from tests.digests import assert_headed_and_whole, large_digest


def _raw(message: Message) -> str:
    return json.dumps(render.card_json(render.card_of(message)), ensure_ascii=False)


def test_inert_breaks_tags_entities_and_templates_but_keeps_the_characters() -> None:
    text = "<at>Anna</at> &amp; {{DATE(2026-01-01T00:00:00Z)}}"
    made = render.inert(text)
    assert "<at>" not in made and "&amp;" not in made and "{{" not in made
    assert made.replace("\u200b", "") == text


@given(st.text())
def test_inert_never_leaves_a_tag_opening(text: str) -> None:
    made = render.inert(text)
    assert "<a" not in made and "&a" not in made and "{{" not in made
    assert made.replace("\u200b", "") == text.replace("\u200b", "")


def test_user_text_goes_into_plain_text_runs() -> None:
    message = Message("x", "x", (Paragraph("**bold** [link](https://evil.test)", user=True),))
    body = render.card_json(render.card_of(message))["body"]
    assert body[0]["type"] == "RichTextBlock"
    assert body[0]["inlines"][0]["type"] == "TextRun"


def test_only_plain_http_links_become_links() -> None:
    message = Message(
        "x",
        "x",
        (
            Links(
                (
                    LinkItem("Budget [2027]", "https://intranet.test/budget"),
                    LinkItem("Bad", "javascript:alert(1)"),
                )
            ),
        ),
    )
    text = render.card_json(render.card_of(message))["body"][0]["text"]
    assert text == "[Budget (2027)](https://intranet.test/budget) · Bad"


def test_buttons_submit_their_action_with_the_extra_data() -> None:
    message = Message("theme", "t", (Actions((Button("share_open", "Dela", "2026-11", True),)),))
    action = render.card_json(render.card_of(message, data={"forum": 7}))["body"][0]["actions"][0]
    assert action == {
        "type": "Action.Submit",
        "title": "Dela",
        "style": "positive",
        "data": {"forum": 7, "action": "share_open", "value": "2026-11"},
    }


def test_a_divider_draws_a_separator_before_the_next_element() -> None:
    message = Message("x", "x", (Header("A"), Divider(), Note("b"), Bullets(("c",), title="T")))
    body = render.card_json(render.card_of(message))["body"]
    assert body[1]["type"] == "Container" and body[1]["separator"] is True
    assert len(body) == 3


def test_a_small_message_is_not_split() -> None:
    message = Message("x", "x", (Header("A"), Paragraph("b")))
    assert render.split(message) == [message]


def test_split_keeps_every_part_under_the_limit_and_drops_nothing() -> None:
    entries = tuple(
        Entry(f"Person {n}", f"Text {n} " + "ö" * 400, f"https://t.test/{n}", "fredag")
        for n in range(200)
    )
    message = Message("digest", "d", (Header("Veckan"), *entries), {"event_type": "e"})
    parts = render.split(message)
    assert len(parts) > 3
    assert all(render.card_bytes(render.card_of(p)) <= render.CARD_BYTES for p in parts)
    assert all(p.elements[0] == Header("Veckan") for p in parts)  # the heading on every card
    assert [e for p in parts for e in p.elements[1:]] == list(entries)
    assert parts[0].metadata == message.metadata


def test_a_huge_text_is_cut_into_pieces_that_each_fit() -> None:
    text = "ä" * 30_000 + " " + "😀" * 20_000
    parts = render.split(Message("x", "x", (Entry("A", text),)))
    assert all(render.card_bytes(render.card_of(p)) <= render.CARD_BYTES for p in parts)
    shown = "".join(_raw(p) for p in parts).replace("\u200b", "")
    assert shown.count("ä") == 30_000 and shown.count("😀") == 20_000


def test_the_share_form_carries_its_forum_period_and_nonce() -> None:
    card = render.card_json(render.share_form("en", forum_id=3, period="2026-11", nonce="n1"))
    ids = [item.get("id") for item in card["body"] if "id" in item]
    assert ids == ["kind", "text", "url", "anonymous"]
    assert card["actions"][0]["data"] == {
        "action": "share_submit",
        "forum": 3,
        "form": "n1",
        "period": "2026-11",
    }
    assert card["body"][3]["isMultiline"] is True


def test_files_arrive_as_cards_with_their_whole_content() -> None:
    content = "\n".join(f"rad {n}" for n in range(5000))
    parts = render.file_messages(FileAttachment("data.txt", content, "Dina data"))
    shown = "".join(_raw(p) for p in parts).replace("\u200b", "")
    assert "data.txt" in shown
    assert all(f"rad {n}" in shown for n in (0, 2500, 4999))


def test_a_digest_of_2000_fits_teams_with_its_heading_on_every_card() -> None:
    message = large_digest(Platform.TEAMS, 2000)
    parts = render.split(message)
    assert len(parts) > 10
    assert_headed_and_whole(message, parts)
    for part in parts:
        activity = MessageActivityInput().add_card(render.card_of(part, data={"forum": 1}))
        sent = json.dumps(activity.model_dump(by_alias=True, exclude_none=True), ensure_ascii=False)
        assert len(sent.encode("utf-8")) <= 28_000  # what Teams accepts in one activity
        first = render.card_json(render.card_of(part))["body"][0]
        assert first["text"] == "Veckans goda exempel" and first["style"] == "heading"
