"""Modals and the App Home as Block Kit views, and reading submitted forms back: pure functions.

The ids here are what Slack sends back (``callback_id``, ``block_id``, ``action_id``); the
listeners route on them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot import inbound, theme_form
from bot.dialogue import ThemeEditor
from bot.domain import CycleDocument, ForumInfo, Language, ThemeContent
from bot.forum_admin import SettingsForm
from bot.i18n import month_name, t
from bot.messages import Entry, Picture
from bot.posts import SHARE_OPEN, current_theme
from bot.services import stats
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
    text = _text_input("text", t(lang, "modal.share.label"), multiline=True, max_length=SHARE_MAX)
    text.hint = _plain(t(lang, "modal.share.hint"), 2000)
    blocks.append(text)
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
    return View(
        type="modal",
        callback_id=SHARE_FORM,
        title=_plain(t(lang, "modal.share.title")),
        submit=_plain(t(lang, "modal.share.submit")),
        close=_plain(t(lang, "modal.close")),
        private_metadata=json.dumps({"channel": channel_id}),
        blocks=blocks,
    ).to_dict()


@dataclass(frozen=True)
class ShareSubmission:
    """What the share form sent."""

    text: str
    anonymous: bool
    channel_id: str


def read_share(view: dict[str, Any]) -> ShareSubmission:
    """The share form's values."""
    values = view.get("state", {}).get("values", {})
    text = (values.get("text", {}).get("text", {}) or {}).get("value") or ""
    chosen = (values.get("options", {}).get("options", {}) or {}).get("selected_options") or []
    anonymous = any(option.get("value") == "anonymous" for option in chosen)
    return ShareSubmission(text, anonymous, _metadata(view).get("channel", ""))


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
    return View(
        type="modal",
        callback_id=THEME_FORM,
        title=_plain(t(lang, "modal.theme.title")),
        submit=_plain(t(lang, "modal.theme.submit")),
        close=_plain(t(lang, "modal.close")),
        private_metadata=json.dumps({"forum": editor.forum.id, "month": editor.month}),
        blocks=blocks,
    ).to_dict()


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
    return View(
        type="modal",
        callback_id=SETTINGS_FORM,
        title=_plain(t(lang, "settings.modal.title")),
        submit=_plain(t(lang, "settings.modal.submit")),
        close=_plain(t(lang, "modal.close")),
        private_metadata=json.dumps({"forum": form.forum.id}),
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
