"""The App Home: theme, year, my examples, the subscription toggle; organisers edit a month's
theme in a modal, validated, audit-logged and shown at once."""

from __future__ import annotations

import json

from bot.services import audit, cycles
from fakes.slack.signing import block_actions_payload, view_submission_payload
from handlers.slack.views import HOME_EDIT, HOME_SUBSCRIBE, THEME_FORM
from tests.slack.conftest import ORGANISER, Served


def _open_home(served: Served, user: str) -> dict[str, object]:
    served.send_event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    served.idle()
    view = served.slack.home_view(user)
    assert view is not None
    return view


def _actions(view: dict[str, object]) -> list[str]:
    text = json.dumps(view)
    return [a for a in (HOME_EDIT, HOME_SUBSCRIBE, "share_open") if a in text]


def test_home_shows_the_theme_year_and_subscription(served: Served) -> None:
    view = _open_home(served, "U1")
    assert view["type"] == "home"
    assert HOME_SUBSCRIBE in _actions(view) and HOME_EDIT not in _actions(view)
    served.interact(
        block_actions_payload(HOME_SUBSCRIBE, str(served.forum().id), view={"id": "VH"})
    )
    served.idle()
    assert "home_unsubscribe" in json.dumps(served.slack.home_view("U1"))


def test_organiser_edits_a_month_and_sees_it_at_once(served: Served) -> None:
    view = _open_home(served, ORGANISER)
    assert HOME_EDIT in _actions(view)
    forum = served.forum()
    value = json.dumps({"forum": forum.id, "month": 3})
    click = block_actions_payload(
        f"{HOME_EDIT}:3",
        value,
        user_id=ORGANISER,
        view={"id": "VH"},
        trigger_id=served.slack.new_trigger_id(),
    )
    assert served.interact(click).status_code == 200
    [opened] = served.slack.views("views.open")
    assert opened["view"]["callback_id"] == THEME_FORM

    def submit(questions_en: str) -> dict[str, object]:
        fields = {
            "title_sv": "Nytt tema",
            "title_en": "New theme",
            "why_now_sv": "För att det är dags.",
            "why_now_en": "Because it is time.",
            "questions_sv": "Fråga ett?\nFråga två?",
            "questions_en": questions_en,
            "delivery_sv": "",
            "delivery_en": "",
        }
        values = {k: {k: {"type": "plain_text_input", "value": v}} for k, v in fields.items()}
        payload = view_submission_payload(
            THEME_FORM, values, private_metadata=value, user_id=ORGANISER
        )
        response = served.interact(payload)
        return response.json() if response.content else {}

    refused = submit("Only one?")
    assert refused["response_action"] == "errors" and "questions_en" in refused["errors"]
    assert submit("Question one?\nQuestion two?") == {}
    served.idle()
    with served.core.db.transaction() as session:
        # March as it comes next: the one the button edits, whatever month it is now.
        theme = cycles.coming_twelve(session, forum, served.core.dialogue.clock()).theme_for(3)
        entries = audit.recent(session)
    assert theme is not None and theme.title.en == "New theme"
    assert any(entry.action == "theme.update" for entry in entries)
    assert "Nytt tema" in json.dumps(served.slack.home_view(ORGANISER), ensure_ascii=False)
