"""The personal export (``mina-data``/``my-data``) as a person gets it: translated, local time."""

from __future__ import annotations

import json
import re

import pytest

from bot.core import Core
from bot.dialogue import Actor
from bot.domain import Language, Platform
from bot.services import preferences, subscriptions
from tests.test_services import FRIDAY, make_forum, share

ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
RAW_WORDS = ("thread_reply", "UTC", "+00:00", "None", "True", "False", "data.")


@pytest.mark.parametrize(
    ("lang", "command", "words"),
    [
        ("sv", "mina-data", ("svar i temats tråd", "svenska", "fredag 27 november", "14.00")),
        (
            "en",
            "my-data",
            ("reply in the theme's thread", "English", "Friday 27 November", "14:00"),
        ),
    ],
)
def test_my_data_is_translated_and_in_the_forums_local_time(
    core: Core, lang: Language, command: str, words: tuple[str, ...]
) -> None:
    forum = make_forum(core)  # Europe/Stockholm; FRIDAY is 13:00 UTC, 14:00 there
    share(core, forum, "m1", FRIDAY, text="Vi testade gåmöten", anonymous=True)
    with core.db.transaction() as session:
        subscriptions.subscribe(session, forum.id, "U1")
        preferences.set_language(session, "slack", "T1", "U1", lang)
    actor = Actor(Platform.SLACK, "T1", "U1", "Person U1")

    reply = core.dialogue.handle_text(actor, forum.channel_id, command)

    files = {attachment.filename: attachment.content for attachment in reply.files}
    text = files["ledarforum-my-data.txt"]
    for word in words:
        assert word in text
    assert "Vi testade gåmöten" in text and "2026" in text
    assert not ISO_MOMENT.search(text), text
    for raw in RAW_WORDS:
        assert raw not in text, (raw, text)
    data = json.loads(files["ledarforum-my-data.json"])
    [item] = data["contributions"]
    assert item["created_at"] == "2026-11-27T14:00+01:00"  # ISO, with the forum's offset
    assert item["source"] == words[0] and item["text"] == "Vi testade gåmöten"
    assert data["subscriptions"][0]["since"].endswith("+01:00")
