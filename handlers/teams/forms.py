"""Teams' meeting and logbook forms: Adaptive Cards sent to the person's 1:1 chat.

What comes back is the core's (:mod:`bot.meeting_form`, :func:`bot.logbook_chat.submit_form`),
which checks again (a card can be forged); a refused submission comes back as the same card with
what was typed and each problem above its field. These are only the cards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from microsoft_teams.cards import (
    AdaptiveCard,
    CardElement,
    DateInput,
    SubmitAction,
    TextBlock,
    TextInput,
    TimeInput,
)

from bot import meeting_form
from bot.i18n import t
from bot.inbound import LogbookForm, MeetingForm
from handlers.teams.render import MAX_FORM_CHARS, inert

MEETING_SUBMIT = "meeting_submit"  # the meeting card's button: add the meeting
LOGBOOK_SUBMIT = "logbook_submit"  # the logbook card's button: keep the entry
LOGBOOK_TEXT = "text"


def _problem(errors: Mapping[str, str], name: str) -> list[CardElement]:
    if name not in errors:
        return []
    return [TextBlock(text=inert(errors[name]), wrap=True, color="Attention")]


def meeting_card(form: MeetingForm) -> AdaptiveCard:
    """The organisers' form for a new meeting: date, time, place or video link, agenda note."""
    lang, typed, errors = form.lang, dict(form.typed or {}), dict(form.errors)
    title = t(lang, "forms.meeting.title")
    intro = t(lang, "forms.meeting.intro", channel=form.forum.name or form.forum.channel_id)
    body: list[CardElement] = [
        TextBlock(text=inert(title), size="Large", weight="Bolder"),
        TextBlock(text=inert(intro), wrap=True),
    ]
    body += _problem(errors, meeting_form.DATE)
    body.append(
        DateInput(
            id=meeting_form.DATE,
            label=t(lang, "forms.field.date"),
            value=typed.get(meeting_form.DATE) or None,
        )
    )
    body += _problem(errors, meeting_form.TIME)
    body.append(
        TimeInput(
            id=meeting_form.TIME,
            label=t(lang, "forms.field.time"),
            value=typed.get(meeting_form.TIME) or None,
        )
    )
    for name in (meeting_form.PLACE, meeting_form.LINK, meeting_form.AGENDA):
        body += _problem(errors, name)
        body.append(
            TextInput(
                id=name,
                label=t(lang, f"forms.field.{name}"),
                placeholder=inert(t(lang, f"forms.meeting.hint.{name}")),
                value=typed.get(name) or None,
                is_multiline=name == meeting_form.AGENDA,
                max_length=meeting_form.LIMITS[name],
            )
        )
    data = {"action": MEETING_SUBMIT, "forum": form.forum.id}
    submit = SubmitAction(title=t(lang, "forms.meeting.submit"), style="positive", data=data)
    return AdaptiveCard(body=body, actions=[submit], fallback_text=title)


def logbook_card(form: LogbookForm, nonce: str) -> AdaptiveCard:
    """A form for one private logbook entry; *nonce* makes a second submission the same one."""
    lang = form.lang
    title = t(lang, "forms.logbook.title")
    body: list[CardElement] = [
        TextBlock(text=inert(title), size="Large", weight="Bolder"),
        TextBlock(text=inert(t(lang, "logbook.private")), wrap=True, is_subtle=True),
    ]
    body += _problem(form.errors, LOGBOOK_TEXT)
    body.append(
        TextInput(
            id=LOGBOOK_TEXT,
            label=t(lang, "forms.logbook.label"),
            placeholder=inert(t(lang, "forms.logbook.hint")),
            is_multiline=True,
            is_required=True,
            error_message=t(lang, "forms.logbook.empty"),
            max_length=MAX_FORM_CHARS,
            value=form.typed or None,
        )
    )
    data: dict[str, Any] = {"action": LOGBOOK_SUBMIT, "form": nonce}
    if form.forum_id is not None:
        data["forum"] = form.forum_id
    submit = SubmitAction(title=t(lang, "forms.logbook.submit"), style="positive", data=data)
    return AdaptiveCard(body=body, actions=[submit], fallback_text=title)
