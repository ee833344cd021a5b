"""Modals and the App Home as Block Kit views, and reading submitted forms back: pure functions.

The ids here are what Slack sends back (``callback_id``, ``block_id``, ``action_id``); the
listeners route on them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    TimePickerElement,
)
from slack_sdk.models.views import View

from bot import inbound, logbook_chat, meeting_form, theme_form
from bot.commands import AdminVerb, Command, Verb
from bot.dialogue import ThemeEditor
from bot.domain import CycleDocument, ForumInfo, Language, ThemeContent
from bot.forum_admin import SettingsForm
from bot.i18n import month_name, t
from bot.messages import Entry, Picture
from bot.posts import SHARE_OPEN, current_theme
from bot.services import stats, trends
from bot.services.contributions import MAX_TEXT_CHARS, ContributionError, clean_text, validate_text
from bot.services.settings import KEYS
from bot.services.stats import Participation
from bot.timing import Period
from handlers.slack import render

SHARE_FORM = inbound.SHARE_FORM
THEME_FORM = inbound.THEME_FORM
SHARE_SHORTCUT = "share_good_example"
SAVE_SHORTCUT = "save_good_example"
HOME_EDIT = "home_edit_theme"
HOME_SUBSCRIBE = inbound.SUBSCRIBE
HOME_UNSUBSCRIBE = inbound.UNSUBSCRIBE
CYCLE_CHOICE = inbound.CYCLE
CYCLE_OWN = inbound.OWN_CYCLE
CYCLE_SHARED = inbound.SHARED_CYCLE

MEETING_FORM = inbound.MEETING_FORM
LOGBOOK_FORM = inbound.LOGBOOK_FORM
LOGBOOK_WRITE = logbook_chat.LOGBOOK_WRITE
SHARE_KIND, SHARE_URL = inbound.SHARE_KIND, inbound.SHARE_URL

SHARE_MAX = 3000  # Slack's limit for a text input
MODAL_TITLE = 24


def _plain(text: str, limit: int = MODAL_TITLE) -> PlainTextObject:
    return PlainTextObject(text=render.plain(text, limit), emoji=True)


def _text_input(
    block_id: str,
    label: str,
    *,
    initial: str = "",
    multiline: bool = False,
    max_length: int = 3000,
    optional: bool = False,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=_plain(label, 2000),
        optional=optional,
        element=PlainTextInputElement(
            action_id=block_id,
            multiline=multiline,
            max_length=min(max_length, 3000),
            initial_value=initial[: min(max_length, 3000)] or None,
        ),
    )


# -- the share form -------------------------------------------------------------------------------


def share_modal(lang: Language, channel_id: str = "") -> dict[str, Any]:
    """The form for sharing a good practice; *channel_id* is the forum it was opened from."""
    blocks: list[Block] = []
    if channel_id:
        forum_line = t(lang, "modal.share.forum", channel=f"<#{channel_id}>")
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=forum_line)]))
    practice = Option(value=inbound.PRACTICE_KIND, text=_plain(t(lang, "forms.share.practice"), 75))
    trend = Option(value=inbound.TREND_KIND, text=_plain(t(lang, "forms.share.trend"), 75))
    blocks.append(
        InputBlock(
            block_id=SHARE_KIND,
            label=_plain(t(lang, "forms.share.kind"), 2000),
            element=RadioButtonsElement(
                action_id=SHARE_KIND, options=[practice, trend], initial_option=practice
            ),
        )
    )
    # Optional for Slack: a trend's comment may be empty; share_errors asks for a practice's text.
    text = _text_input(
        "text", t(lang, "modal.share.label"), multiline=True, max_length=SHARE_MAX, optional=True
    )
    text.hint = _plain(t(lang, "modal.share.hint"), 2000)
    blocks.append(text)
    url = _text_input(
        SHARE_URL, t(lang, "forms.share.url"), max_length=trends.MAX_URL_CHARS, optional=True
    )
    url.hint = _plain(t(lang, "forms.share.url_hint"), 2000)
    blocks.append(url)
    blocks.append(
        InputBlock(
            block_id="options",
            label=_plain(t(lang, "modal.share.display"), 2000),
            optional=True,
            element=CheckboxesElement(
                action_id="options",
                options=[
                    Option(value="anonymous", text=_plain(t(lang, "modal.share.anonymous"), 75))
                ],
            ),
        )
    )
    return _modal(SHARE_FORM, lang, "modal.share", {"channel": channel_id}, blocks)


@dataclass(frozen=True)
class ShareSubmission:
    """What the share form sent: a good example, or a trend (its link in ``url``)."""

    text: str
    anonymous: bool
    channel_id: str
    kind: str = inbound.PRACTICE_KIND
    url: str = ""

    @property
    def trend(self) -> bool:
        """True when the person chose "a trend (a link)"."""
        return self.kind == inbound.TREND_KIND


def read_share(view: dict[str, Any]) -> ShareSubmission:
    """The share form's values (a form without the choice, opened before it existed: a practice)."""
    values = view.get("state", {}).get("values", {})
    text = _typed(values, "text")
    chosen = (values.get("options", {}).get("options", {}) or {}).get("selected_options") or []
    anonymous = any(option.get("value") == "anonymous" for option in chosen)
    kind = (values.get(SHARE_KIND, {}).get(SHARE_KIND) or {}).get("selected_option") or {}
    is_trend = kind.get("value") == inbound.TREND_KIND
    return ShareSubmission(
        text,
        anonymous,
        _metadata(view).get("channel", ""),
        inbound.TREND_KIND if is_trend else inbound.PRACTICE_KIND,
        _typed(values, SHARE_URL).strip(),
    )


def share_errors(view: dict[str, Any], lang: Language) -> dict[str, str]:
    """What is wrong with a submitted share form (block id → message; empty when fine).

    A good example needs its text (:func:`validate_text`); a trend needs a whole http(s) link,
    checked as ``trend <url>`` checks it, and its comment may be empty.
    """
    form = read_share(view)
    if not form.trend:
        try:
            validate_text(form.text)
        except ContributionError as problem:
            if problem.key == "share.error.empty":  # that text tells the command, not the form
                return {"text": t(lang, "forms.share.empty")}
            return {"text": t(lang, problem.key, **problem.params)}
        return {}
    errors: dict[str, str] = {}
    try:
        trends.check_url(form.url)
    except ContributionError:
        errors[SHARE_URL] = t(lang, "forms.share.url_error")
    if len(clean_text(form.text)) > MAX_TEXT_CHARS:
        errors["text"] = t(lang, "share.error.too_long", limit=MAX_TEXT_CHARS)
    return errors


def _typed(values: dict[str, Any], block: str) -> str:
    """What was typed into the text input *block* (its action id is the same)."""
    return str((values.get(block, {}).get(block) or {}).get("value") or "")


def json_object(text: str | None) -> dict[str, Any]:
    """A JSON object from a button value or private metadata; {} for anything else."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    return json_object(view.get("private_metadata"))


# -- the theme form -------------------------------------------------------------------------------


def theme_modal(lang: Language, editor: ThemeEditor) -> dict[str, Any]:
    """The organisers' form to change one month's theme, in both languages.

    It names the cycle saving changes and how many forums follow it; a configured organiser
    also chooses between the forum's own cycle and the shared one (checked again on saving).
    """
    intro = t(lang, "modal.theme.intro", month=month_name(lang, editor.month))
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=render.escape(intro)))]
    which = render.escape(editor.describe(lang))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=which)]))
    if editor.may_edit_shared:
        own = Option(value=CYCLE_OWN, text=_plain(t(lang, "cycle.edit.option_own"), 75))
        shared_label = t(lang, "cycle.edit.option_shared", count=editor.shared.followers)
        blocks.append(
            InputBlock(
                block_id=CYCLE_CHOICE,
                label=_plain(t(lang, "cycle.edit.choose"), 2000),
                element=RadioButtonsElement(
                    action_id=CYCLE_CHOICE,
                    options=[own, Option(value=CYCLE_SHARED, text=_plain(shared_label, 75))],
                    initial_option=own,
                ),
            )
        )
    for name, initial in theme_form.initial(editor.theme).items():
        field = name.rsplit("_", 1)[0]
        blocks.append(
            _text_input(
                name,
                t(lang, f"modal.theme.{name}"),
                initial=initial,
                multiline=field != "title",
                max_length=theme_form.LIMITS[field],
                optional=field == "delivery",
            )
        )
    metadata = {"forum": editor.forum.id, "month": editor.month}
    return _modal(THEME_FORM, lang, "modal.theme", metadata, blocks)


@dataclass(frozen=True)
class ThemeSubmission:
    """The theme form's values, and what is wrong with them (block id → message)."""

    forum_id: int
    month: int
    theme: ThemeContent
    errors: dict[str, str]
    shared: bool  # the shared cycle was chosen (only configured organisers see the choice)


def read_theme(
    view: dict[str, Any], lang: Language, keep: ThemeContent | None = None
) -> ThemeSubmission:
    """The submitted theme, validated by the cycle file's rules; *keep* supplies its links."""
    typed = theme_values(view)
    meta = _metadata(view)
    month = _int(meta.get("month"))
    form = theme_form.read(typed, month, lang, keep)
    shared = typed[CYCLE_CHOICE] == CYCLE_SHARED
    return ThemeSubmission(_int(meta.get("forum")), month, form.theme, form.errors, shared)


def theme_values(view: dict[str, Any]) -> dict[str, str]:
    """What was typed into the theme form (input name → text), its month and cycle choice."""
    values = view.get("state", {}).get("values", {})
    typed = {
        name: str((values.get(name, {}).get(name) or {}).get("value") or "")
        for name in theme_form.NAMES
    }
    chosen = (values.get(CYCLE_CHOICE, {}).get(CYCLE_CHOICE) or {}).get("selected_option") or {}
    typed[CYCLE_CHOICE] = str(chosen.get("value") or "")
    typed[inbound.MONTH] = str(_int(_metadata(view).get("month")))
    return typed


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


# -- the App Home ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeData:
    """Everything the Home tab shows one person."""

    lang: Language
    forum: ForumInfo | None
    period: Period | None
    theme: ThemeContent | None
    cycle: CycleDocument | None
    mine: Sequence[Entry]
    subscribed: bool
    organiser: bool
    participation: Participation | None = None  # organisers only: group figures, no names
    wheel: str | None = None  # the year wheel's public URL, when Slack can fetch it


def home_view(data: HomeData) -> dict[str, Any]:
    """The Home tab: the current theme, the year, my latest examples, the digest subscription."""
    lang = data.lang
    blocks: list[Block] = [HeaderBlock(text=_plain(t(lang, "home.header"), 150))]
    if data.forum is None or data.period is None:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=render.escape(t(lang, "forum.none"))))
        )
        return View(type="home", blocks=blocks).to_dict()
    forum_line = t(lang, "home.forum", channel=f"<#{data.forum.channel_id}>")
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=forum_line)]))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{t(lang, 'home.current')}*")))
    theme_message = current_theme(data.period, data.theme, lang)
    blocks += [b for e in theme_message.elements for b in render.element_blocks(e)]
    share = ButtonElement(
        text=_plain(t(lang, "theme.share_button"), 75),
        action_id=SHARE_OPEN,
        value=data.period.key,
        style="primary",
    )
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(text=render.escape(t(lang, "help.cmd.share"))), accessory=share
        )
    )
    blocks.append(DividerBlock())
    blocks.append(HeaderBlock(text=_plain(t(lang, "year.header"), 150)))
    if data.wheel:
        alt = t(lang, "wheel.chat.alt", year=data.period.year)
        blocks += render.element_blocks(Picture(data.wheel, alt))
    blocks += _year(data)
    if data.participation is not None:
        blocks.append(DividerBlock())
        blocks.append(HeaderBlock(text=_plain(t(lang, "stats.home.header"), 150)))
        blocks += _participation(data.participation, data.period, lang)
    blocks.append(DividerBlock())
    blocks.append(SectionBlock(text=MarkdownTextObject(text=f"*{t(lang, 'home.mine')}*")))
    if data.mine:
        blocks += [b for entry in data.mine for b in render.element_blocks(entry)]
    else:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=t(lang, "home.mine_none"))]))
    blocks.append(DividerBlock())
    write = ButtonElement(
        text=_plain(t(lang, "forms.logbook.button"), 75), action_id=LOGBOOK_WRITE, value="home"
    )
    logbook = render.escape(t(lang, "forms.logbook.home"))
    blocks.append(SectionBlock(text=MarkdownTextObject(text=logbook), accessory=write))
    blocks.append(DividerBlock())
    toggle = ButtonElement(
        text=_plain(t(lang, "home.unsubscribe" if data.subscribed else "home.subscribe"), 75),
        action_id=HOME_UNSUBSCRIBE if data.subscribed else HOME_SUBSCRIBE,
        value=str(data.forum.id),
    )
    state = t(lang, "home.subscribed" if data.subscribed else "home.not_subscribed")
    blocks.append(
        SectionBlock(text=MarkdownTextObject(text=render.escape(state)), accessory=toggle)
    )
    return View(type="home", blocks=blocks).to_dict()


def _participation(found: Participation, period: Period, lang: Language) -> list[Block]:
    """This month and the year against last year, and the share of the channel's members."""
    lines = "\n".join(f"• {line}" for line in stats.trend_lines(found, period.month, lang))
    notes = f"{stats.members_text(lang, found.members)} {t(lang, 'stats.home.note')}"
    return [
        SectionBlock(text=MarkdownTextObject(text=render.fit(lines, 3000))),
        ContextBlock(elements=[MarkdownTextObject(text=render.escape(notes))]),
    ]


def _year(data: HomeData) -> list[Block]:
    lang = data.lang
    assert data.cycle is not None and data.period is not None and data.forum is not None
    blocks: list[Block] = []
    for month in range(1, 13):
        theme = data.cycle.theme_for(month)
        title = theme.title.get(lang) if theme else t(lang, "year.no_theme")
        marker = " ◀" if month == data.period.month else ""
        line = f"*{month_name(lang, month).capitalize()}*: {render.fit(title, 500)}{marker}"
        edit = None
        if data.organiser:
            edit = ButtonElement(
                text=_plain(t(lang, "home.edit"), 75),
                action_id=f"{HOME_EDIT}:{month}",  # unique per button in the view
                value=json.dumps({"forum": data.forum.id, "month": month}),
            )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=line), accessory=edit))
    return blocks


# -- the settings form ----------------------------------------------------------------------------

SETTINGS_FORM = inbound.SETTINGS_FORM


def settings_modal(form: SettingsForm) -> dict[str, Any]:
    """The organisers' form of a forum's settings: one text field per setting, as typed in chat.

    What is typed is read by the core's one validator (:mod:`bot.services.settings`), so the
    form, ``admin settings KEY=VALUE`` and the command line accept the same values.
    """
    lang = form.lang
    intro = t(lang, "settings.modal.intro", channel=f"<#{form.forum.channel_id}>")
    blocks: list[Block] = [ContextBlock(elements=[MarkdownTextObject(text=intro)])]
    for field in form.fields:
        block = _text_input(field.key, field.label, initial=field.value, max_length=100)
        block.hint = _plain(field.hint, 2000)
        blocks.append(block)
    return _modal(SETTINGS_FORM, lang, "settings.modal", {"forum": form.forum.id}, blocks)


def _modal(
    callback: str, lang: Language, texts: str, metadata: dict[str, Any], blocks: list[Block]
) -> dict[str, Any]:
    """A form: *texts* names its title and submit label keys (``{texts}.title``,
    ``{texts}.submit``); *metadata* comes back with the submission."""
    return View(
        type="modal",
        callback_id=callback,
        title=_plain(t(lang, f"{texts}.title")),
        submit=_plain(t(lang, f"{texts}.submit")),
        close=_plain(t(lang, "modal.close")),
        private_metadata=json.dumps(metadata),
        blocks=blocks,
    ).to_dict()


@dataclass(frozen=True)
class SettingsSubmission:
    """The settings form's values (block id, the setting's key → what was typed)."""

    forum_id: int
    values: dict[str, str]


def read_settings(view: dict[str, Any]) -> SettingsSubmission:
    """The submitted settings form; only the form's own fields are read."""
    values = view.get("state", {}).get("values", {})
    typed = {
        key: str((values.get(key, {}).get(key) or {}).get("value") or "")
        for key in KEYS
        if key in values
    }
    return SettingsSubmission(_int(_metadata(view).get("forum")), typed)


# -- the meeting form -----------------------------------------------------------------------------


def meeting_modal(form: inbound.MeetingForm) -> dict[str, Any]:
    """The organisers' form for a new meeting: date, time, place or video link, agenda note.

    What comes back is checked by :mod:`bot.meeting_form`, with the text command's rules.
    """
    lang, typed = form.lang, dict(form.typed or {})
    intro = t(lang, "forms.meeting.intro", channel=f"<#{form.forum.channel_id}>")
    day, clock = typed.get(meeting_form.DATE, ""), typed.get(meeting_form.TIME, "")
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(text=intro)]),
        InputBlock(
            block_id=meeting_form.DATE,
            label=_plain(t(lang, "forms.field.date"), 2000),
            element=DatePickerElement(action_id=meeting_form.DATE, initial_date=day or None),
        ),
        InputBlock(
            block_id=meeting_form.TIME,
            label=_plain(t(lang, "forms.field.time"), 2000),
            element=TimePickerElement(action_id=meeting_form.TIME, initial_time=clock or None),
        ),
    ]
    for name, multiline in (
        (meeting_form.PLACE, False),
        (meeting_form.LINK, False),
        (meeting_form.AGENDA, True),
    ):
        block = _text_input(
            name,
            t(lang, f"forms.field.{name}"),
            initial=typed.get(name, ""),
            multiline=multiline,
            max_length=meeting_form.LIMITS[name],
            optional=True,  # a place or a link: checked together by the core
        )
        block.hint = _plain(t(lang, f"forms.meeting.hint.{name}"), 2000)
        blocks.append(block)
    return _modal(MEETING_FORM, lang, "forms.meeting", {"forum": form.forum.id}, blocks)


@dataclass(frozen=True)
class MeetingSubmission:
    """The meeting form's values (input name → text) and the forum it was opened for."""

    forum_id: int
    values: dict[str, str]


def read_meeting(view: dict[str, Any]) -> MeetingSubmission:
    """The submitted meeting form: the pickers' date and time, the typed texts."""
    values = view.get("state", {}).get("values", {})
    day = (values.get(meeting_form.DATE, {}).get(meeting_form.DATE) or {}).get("selected_date")
    clock = (values.get(meeting_form.TIME, {}).get(meeting_form.TIME) or {}).get("selected_time")
    typed = {name: _typed(values, name) for name in meeting_form.FIELDS}
    typed[meeting_form.DATE] = str(day or typed[meeting_form.DATE])
    typed[meeting_form.TIME] = str(clock or typed[meeting_form.TIME])
    return MeetingSubmission(_int(_metadata(view).get("forum")), typed)


def meeting_errors(view: dict[str, Any], lang: Language) -> dict[str, str]:
    """What is wrong with a submitted meeting form, beside its inputs (the forum's past and a
    booked time are known only when the core stores it)."""
    today = datetime.now(UTC).date()
    return meeting_form.field_errors(read_meeting(view).values, lang, today)


# -- the logbook form -----------------------------------------------------------------------------


def logbook_modal(lang: Language, channel_id: str = "") -> dict[str, Any]:
    """A form for one private logbook entry; *channel_id* is where it was opened (its forum)."""
    blocks: list[Block] = [
        ContextBlock(elements=[MarkdownTextObject(text=render.escape(t(lang, "logbook.private")))])
    ]
    text = _text_input("text", t(lang, "forms.logbook.label"), multiline=True, max_length=SHARE_MAX)
    text.hint = _plain(t(lang, "forms.logbook.hint"), 2000)
    blocks.append(text)
    return _modal(LOGBOOK_FORM, lang, "forms.logbook", {"channel": channel_id}, blocks)


@dataclass(frozen=True)
class LogbookSubmission:
    """The logbook form's text and the channel it was opened in ("" for the Home tab)."""

    text: str
    channel_id: str


def read_logbook(view: dict[str, Any]) -> LogbookSubmission:
    """The submitted logbook form."""
    values = view.get("state", {}).get("values", {})
    channel = _metadata(view).get("channel")
    return LogbookSubmission(_typed(values, "text"), channel if isinstance(channel, str) else "")


def logbook_errors(view: dict[str, Any], lang: Language) -> dict[str, str]:
    """What is wrong with a submitted logbook form (the rules of ``logg <text>``)."""
    return logbook_chat.form_errors(read_logbook(view).text, lang)


def _logbook_button_view(lang: Language, body: dict[str, Any]) -> dict[str, Any]:
    channel = str((body.get("channel") or {}).get("id") or "")
    return logbook_modal(lang, channel)


# -- what the listeners route on ------------------------------------------------------------------


def opens_form_at_once(command: Command) -> bool:
    """True for a slash command whose answer is a form to open within Slack's 3 seconds (the
    trigger id expires): an organiser's ``admin settings`` or ``admin meeting add`` without
    further words."""
    if command.verb is not Verb.ADMIN:
        return False
    if command.admin is AdminVerb.SETTINGS:
        return not command.rest
    return command.admin is AdminVerb.MEETING and meeting_form.wants_form(command.rest)


# View callback ids recorded as submissions after a check before the ack (field errors shown in
# the form): callback id → errors of the submitted view, in the person's language.
FORM_CHECKS: dict[str, Callable[[dict[str, Any], Language], dict[str, str]]] = {
    MEETING_FORM: meeting_errors,
    LOGBOOK_FORM: logbook_errors,
}

ORGANISER_FORMS = {THEME_FORM: "title_sv", SETTINGS_FORM: KEYS[0], MEETING_FORM: meeting_form.DATE}
"""Organiser-only forms (callback id → the input a refusal is shown at); the core checks again."""

FORM_BUTTONS: dict[str, Callable[[Language, dict[str, Any]], dict[str, Any]]] = {
    LOGBOOK_WRITE: _logbook_button_view,
}
"""Buttons that open a modal at once: action id → the view to open, given the person's language
and the ``block_actions`` body (``views.open`` with its ``trigger_id``, then ack)."""
