"""Answers in the asker's language and texts that are true, over real HTTP with signed requests.

The language of an answer: the person's choice, else the language of the command word they used,
else their Slack locale (``users.info``), else the forum's (Swedish here).
"""

from __future__ import annotations

import json
import re

import pytest

from tests.slack.conftest import ORGANISER, Served

pytestmark = pytest.mark.slow  # a few seconds each: an app and its inbox worker per test


def answer(served: Served, text: str, user: str = "U1") -> str:
    """The private answer to ``/ledarforum <text>``: the acknowledgement's or a later one."""
    before = len(served.slack.responses)
    response = served.command(text, user=user)
    assert response.status_code == 200
    if response.content:  # refused at once, in the acknowledgement
        as_json = response.headers.get("content-type", "").startswith("application/json")
        return str(response.json()["text"]) if as_json else response.text
    served.idle()
    posts = served.slack.responses[before:]
    assert posts, f"no answer to {text!r}"
    return " ".join(json.dumps(post.payload, ensure_ascii=False) for post in posts)


def test_an_english_word_gets_english_unless_a_language_was_chosen(served: Served) -> None:
    assert served.forum().language == "sv"
    assert "how it works" in answer(served, "help")
    assert "så här fungerar det" in answer(served, "hjälp")
    assert "Theme of the month" in answer(served, "theme")
    assert "Månadens tema" in answer(served, "tema")
    # A chosen language wins over the word.
    assert "English" in answer(served, "language en")
    assert "how it works" in answer(served, "hjälp")
    assert "svenska" in answer(served, "språk sv")
    assert "så här fungerar det" in answer(served, "help")


def test_the_slack_locale_decides_when_the_word_is_both_languages(served: Served) -> None:
    served.slack.add_user("UENG", "Sam Reed", locale="en-US")
    served.slack.add_user("UFIN", "Aino Virtanen", locale="fi-FI")
    served.slack.add_user(ORGANISER, "Org Anisatör", locale="en-GB")
    assert "Commands for organisers" in answer(served, "admin", ORGANISER)
    assert "how it works" in answer(served, "?", "UENG")
    assert "så här fungerar det" in answer(served, "?", "UFIN")  # not ours: the forum's
    assert "så här fungerar det" in answer(served, "hjälp", "UENG")  # the word comes first
    # Refused in the acknowledgement, before any work is recorded: still in their language.
    assert (
        answer(served, "admin setup", "UENG") == "This command is for the forum's organisers only."
    )
    assert answer(served, "admin setup", "UFIN") == (
        "Det här kommandot är bara för forumets organisatörer."
    )
    asked = [call.params for call in served.slack.calls_to("users.info")]
    assert all(str(params.get("include_locale")).lower() in {"1", "true"} for params in asked)
    assert len([p for p in asked if p["user"] == "UENG"]) == 1  # cached: Slack's tier 4


def test_organiser_outcomes_name_the_month_and_say_what_happened(served: Served) -> None:
    posted = answer(served, "admin post-theme", ORGANISER)
    assert re.search(r"Klart: temat för [a-zåäö]+ \d{4} är postat\.", posted), posted
    assert "är redan postat" in answer(served, "admin post-theme", ORGANISER)
    # No good examples this week: nothing to post, however often it is asked for.
    for _ in range(2):
        empty = answer(served, "admin digest", ORGANISER)
        assert '"Inget att posta: ' in empty, empty
        assert " kl. " in empty and "+00:00" not in empty and "redan" not in empty
