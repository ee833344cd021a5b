"""Adaptive Card rendering of neutral messages: pure functions, no SDK client and no database.

Texts written by people (contributions, author names, file contents) go into ``TextRun`` elements
of a ``RichTextBlock``, which Teams shows as plain text: no markdown, no links. On top of that every
text is made inert (:func:`inert`): a zero-width space after each ``<`` and ``&`` and inside ``{{``,
so neither an ``<at>…</at>`` tag, an HTML entity nor a ``{{DATE(…)}}`` template survives, while the
reader sees the same characters. A mention in Teams also needs an entity on the activity, and this
module never produces one.

:func:`split` gives :func:`bot.packing.pack` Teams' measure: each card stays under
:data:`CARD_BYTES`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    CardElement,
    Choice,
    ChoiceSetInput,
    Container,
    Image,
    OpenUrlAction,
    RichTextBlock,
    SubmitAction,
    TextBlock,
    TextInput,
    TextRun,
    ToggleInput,
)

from bot import inbound
from bot.domain import Language
from bot.forum_admin import SettingsForm
from bot.i18n import t
from bot.messages import (
    Actions,
    Bullets,
    Button,
    Divider,
    Element,
    Entry,
    FileAttachment,
    Header,
    Links,
    Message,
    Note,
    Paragraph,
    Picture,
    PostFile,
)
from bot.packing import pack

# Teams refuses a message above about 28 KB; the activity around the card needs a little room.
CARD_BYTES = 26_000
SHARE_SUBMIT = "share_submit"
FORM_TEXT = "text"
FORM_ANONYMOUS = "anonymous"
MAX_FORM_CHARS = 10_000

_ZW = "\u200b"
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_SAFE_URL = re.compile(r"^https?://[^\s<>()\[\]\"']+$")


def inert(text: str) -> str:
    """*text* with nothing Teams would interpret: tags, entities and templates are broken."""
    return text.replace("<", "<" + _ZW).replace("&", "&" + _ZW).replace("{{", "{" + _ZW + "{")


def _markdown_label(text: str) -> str:
    # A link label must not close the link early or open another one.
    return inert(text).replace("[", "(").replace("]", ")")


def _link(label: str, url: str) -> str:
    """A markdown link, or just the label when the URL is not a plain http(s) URL."""
    if not _SAFE_URL.match(url):
        return _markdown_label(label)
    return f"[{_markdown_label(label)}]({url})"


def _user_text(text: str, *, bold: bool = False) -> RichTextBlock:
    # A TextRun is plain text: markdown in a person's text stays characters.
    run: list[CardElement] = [TextRun(text=inert(text), weight="Bolder" if bold else None)]
    return RichTextBlock(inlines=run)


def _button(button: Button, data: Mapping[str, Any]) -> SubmitAction:
    # Action.Submit: in a channel or a chat Teams sends a message activity whose value is this
    # data plus the card's inputs, which the adapter routes on "action".
    return SubmitAction(
        title=button.label,
        style="positive" if button.primary else None,
        data={**data, "action": button.action, "value": button.value},
    )


def _element(element: Element, data: Mapping[str, Any]) -> CardElement | None:
    match element:
        case Header(text=text, level=level):
            return TextBlock(
                text=inert(text),
                size="Large" if level == 1 else "Medium",
                weight="Bolder",
                wrap=True,
                style="heading" if level == 1 else None,
            )
        case Paragraph(text=text, user=True):
            return _user_text(text)
        case Paragraph(text=text):
            return TextBlock(text=inert(text), wrap=True)
        case Bullets(items=items, title=title):
            listing = TextBlock(text="\r".join(f"- {inert(item)}" for item in items), wrap=True)
            if not title:
                return listing
            heading = TextBlock(text=inert(title), weight="Bolder", wrap=True)
            return Container(items=[heading, listing])
        case Links(links=links):
            return TextBlock(text=" · ".join(_link(i.label, i.url) for i in links), wrap=True)
        case Entry(author=author, text=text, link=link, when=when):
            parts: list[CardElement] = [_user_text(author, bold=True), _user_text(text)]
            if when or link:
                shown = when or link or ""
                meta = _link(shown, link) if link else inert(shown)
                parts.append(TextBlock(text=meta, size="Small", is_subtle=True, wrap=True))
            return Container(items=parts, spacing="Medium")
        case Note(text=text):
            return TextBlock(text=inert(text), size="Small", is_subtle=True, wrap=True)
        case Actions(buttons=buttons):
            return ActionSet(actions=[_button(button, data) for button in buttons])
        case Divider():
            return None
        case Picture(url=url, alt=alt):
            return Image(url=url, alt_text=alt, size="Stretch")
    raise TypeError(f"unknown element {element!r}")


def card_of(message: Message, *, data: Mapping[str, Any] | None = None) -> AdaptiveCard:
    """*message* as one Adaptive Card; *data* rides along in every button's submit data."""
    body: list[CardElement] = []
    separate = False
    for element in message.elements:
        rendered = _element(element, data or {})
        if rendered is None:  # a divider: the next element gets a separator line
            separate = bool(body)
            continue
        if separate:
            rendered = Container(items=[rendered], separator=True, spacing="Medium")
            separate = False
        body.append(rendered)
    if message.files:  # Teams takes no file with a channel post: a link to it instead
        body.append(ActionSet(actions=[_file_action(file) for file in message.files]))
    return AdaptiveCard(body=body, fallback_text=inert(message.fallback))


def _file_action(file: PostFile) -> OpenUrlAction:
    """Open the file's public address, or the file itself as a data link when it has none."""
    url = file.link or f"data:{file.media_type};base64,{base64.b64encode(file.data).decode()}"
    return OpenUrlAction(title=inert(file.title), url=url)


def card_json(card: AdaptiveCard) -> dict[str, Any]:
    """The card as Teams receives it."""
    dumped: dict[str, Any] = card.model_dump(by_alias=True, exclude_none=True)
    return dumped


def card_bytes(card: AdaptiveCard) -> int:
    """The card's size on the wire (compact UTF-8 JSON, as the HTTP client sends it)."""
    return _json_bytes(card_json(card))


def _json_bytes(value: Any) -> int:
    return len(_COMPACT.encode(value).encode("utf-8"))


# What a divider adds: the container that draws a separator above the next element.
_DIVIDER_BYTES = _json_bytes(
    Container(items=[], separator=True, spacing="Medium").model_dump(
        by_alias=True, exclude_none=True
    )
)


def _cost(element: Element) -> tuple[int]:
    """Bytes *element* adds to a card's body (a comma included), without submit data."""
    rendered = _element(element, {})
    if rendered is None:
        return (_DIVIDER_BYTES,)
    return (_json_bytes(rendered.model_dump(by_alias=True, exclude_none=True)) + 1,)


def split(message: Message, limit: int = CARD_BYTES) -> list[Message]:
    """*message* as parts whose cards each fit in *limit* bytes (see :func:`bot.packing.pack`)."""
    empty = card_bytes(card_of(replace(message, elements=())))
    return pack(message, _cost, (limit - empty,))


def share_form(
    lang: Language, *, forum_id: int, period: str | None, nonce: str, text: str = ""
) -> AdaptiveCard:
    """The "share a good practice" form: a good example or a trend (a link), a text, an
    anonymity toggle and a submit button.

    The *nonce* identifies this form, so submitting it twice stores the practice once. The text
    is not required by the card: a trend's comment may be empty (the core checks a practice's).
    """
    data: dict[str, Any] = {"action": SHARE_SUBMIT, "forum": forum_id, "form": nonce}
    if period:
        data["period"] = period
    body: list[CardElement] = [
        TextBlock(text=inert(t(lang, "teams.form.title")), size="Large", weight="Bolder"),
        TextBlock(text=inert(t(lang, "teams.form.intro")), wrap=True),
        ChoiceSetInput(
            id=inbound.SHARE_KIND,
            label=t(lang, "forms.share.kind"),
            style="expanded",
            value=inbound.PRACTICE_KIND,
            choices=[
                Choice(title=t(lang, "forms.share.practice"), value=inbound.PRACTICE_KIND),
                Choice(title=t(lang, "forms.share.trend"), value=inbound.TREND_KIND),
            ],
        ),
        TextInput(
            id=FORM_TEXT,
            label=t(lang, "teams.form.label"),
            placeholder=t(lang, "teams.form.placeholder"),
            is_multiline=True,
            max_length=MAX_FORM_CHARS,
            value=text or None,
        ),
        TextInput(
            id=inbound.SHARE_URL,
            label=t(lang, "forms.share.url"),
            placeholder=t(lang, "forms.share.url_hint"),
            max_length=2000,
        ),
        ToggleInput(
            id=FORM_ANONYMOUS,
            title=t(lang, "teams.form.anonymous"),
            value="false",
            value_on="true",
            value_off="false",
        ),
    ]
    submit = SubmitAction(title=t(lang, "teams.form.submit"), style="positive", data=data)
    return AdaptiveCard(body=body, actions=[submit], fallback_text=t(lang, "teams.form.title"))


def file_messages(attachment: FileAttachment, *, limit: int = CARD_BYTES) -> list[Message]:
    """A file delivered in the chat as cards: its title, then its content as plain text."""
    elements: tuple[Element, ...] = (
        Header(attachment.title),
        Note(attachment.filename),
        Paragraph(attachment.content, user=True),
    )
    return split(Message("file", attachment.title, elements), limit)


SETTINGS_SUBMIT = "settings_submit"


def settings_form(form: SettingsForm) -> AdaptiveCard:
    """A forum's settings as a card: one text field per setting, as typed in chat, and Save.

    Teams sends the fields back with ``action`` and ``forum``; the core validates them (the same
    rules as ``admin settings KEY=VALUE``) and answers in the chat.
    """
    lang = form.lang
    intro = t(lang, "settings.modal.intro", channel=form.forum.name or form.forum.channel_id)
    body: list[CardElement] = [
        TextBlock(text=inert(t(lang, "settings.header")), size="Large", weight="Bolder"),
        TextBlock(text=inert(intro), wrap=True),
    ]
    for field in form.fields:
        body.append(
            TextInput(
                id=field.key,
                label=inert(field.label),
                placeholder=inert(field.hint),
                value=field.value,
                max_length=100,
            )
        )
    data = {"action": SETTINGS_SUBMIT, "forum": form.forum.id}
    submit = SubmitAction(title=t(lang, "settings.modal.submit"), style="positive", data=data)
    return AdaptiveCard(body=body, actions=[submit], fallback_text=t(lang, "settings.header"))
