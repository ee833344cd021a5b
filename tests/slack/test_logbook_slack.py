"""The logbook in Slack over real HTTP: ``/ledarforum logg <text>`` answers ephemerally with the
share button, ``logg`` lists only my own entries ephemerally, the button shares an entry once."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.services.logbook import LOGBOOK_SHARE
from bot.storage.models import LogbookEntry
from fakes.slack.signing import block_actions_payload
from tests.slack.conftest import CHANNEL, Served

TEXT = "Jag testade att börja mötet med fem minuters tystnad."


def _entries(served: Served) -> list[LogbookEntry]:
    with served.core.db.transaction() as session:
        rows = list(session.scalars(select(LogbookEntry).order_by(LogbookEntry.id)))
        session.expunge_all()
    return rows


def _channel_posts(served: Served) -> list[str]:
    return [json.dumps(m) for m in served.slack.posted_messages(CHANNEL)]


def test_logg_stores_privately_and_answers_ephemerally_with_the_share_button(
    served: Served,
) -> None:
    assert served.command(f"logg {TEXT}", trigger="1.2.log").status_code == 200
    served.idle()
    [entry] = _entries(served)
    assert (entry.user_id, entry.text, entry.platform) == ("U1", TEXT, "slack")
    [answer] = served.slack.responses
    assert answer.payload["response_type"] == "ephemeral"
    blocks = json.dumps(answer.payload["blocks"], ensure_ascii=False)
    assert LOGBOOK_SHARE in blocks and "Dela som gott exempel" in blocks
    assert TEXT not in json.dumps(answer.payload, ensure_ascii=False)  # no echo needed
    assert not any(TEXT in post for post in _channel_posts(served))
    assert served.count() == 0  # no good example until it is shared


def test_logg_without_text_lists_only_my_entries_ephemerally(served: Served) -> None:
    served.command(f"logg {TEXT}", trigger="1.2.a")
    served.command("log Alex's own note about delegating", user="U2", trigger="1.2.b")
    served.idle()
    served.command("logg", trigger="1.2.c")
    served.idle()
    listing = served.slack.responses[-1].payload
    assert listing["response_type"] == "ephemeral"
    shown = json.dumps(listing, ensure_ascii=False)
    assert TEXT in shown and "delegating" not in shown and LOGBOOK_SHARE in shown


def test_the_share_button_shares_my_entry_once_and_nobody_elses(served: Served) -> None:
    served.command(f"logg {TEXT}", trigger="1.2.d")
    served.idle()
    [entry] = _entries(served)
    stranger = block_actions_payload(
        LOGBOOK_SHARE, str(entry.id), user_id="U2", response_url=served.slack.new_response_url()
    )
    assert served.interact(stranger).status_code == 200
    served.idle()
    assert served.count() == 0
    for _ in range(2):  # a double click stores it once
        mine = block_actions_payload(
            LOGBOOK_SHARE, str(entry.id), user_id="U1", response_url=served.slack.new_response_url()
        )
        assert served.interact(mine).status_code == 200
        served.idle()
    [stored] = served.contributions()
    assert (stored.text, stored.author_id) == (TEXT, "U1")
    [entry] = _entries(served)
    assert entry.shared_contribution_id == stored.id
    answers = [r.payload for r in served.slack.responses]
    assert all(a.get("response_type", "ephemeral") == "ephemeral" for a in answers)
