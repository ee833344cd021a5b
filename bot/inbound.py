"""What people do, as neutral events: every adapter turns a platform payload into one of these.

:class:`bot.inbound_handler.InboundHandler` decides what each event means (which forum, which theme
period, whether a text counts, which button does what); an adapter only translates a payload into
an event and delivers the handler's :class:`bot.messages.Reply`. Forms the core asks an adapter to
open are described here too (:data:`Form`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from bot.domain import Language, Platform, Source

if TYPE_CHECKING:
    from bot.dialogue import Actor, ThemeEditor
    from bot.domain import ForumInfo
    from bot.forum_admin import SettingsForm

# Button ids the core routes on (the ids of buttons the core's messages carry live with them:
# bot.posts.SHARE_OPEN/SHARE_UNDO, bot.dialogue.FORGET_CONFIRM, bot.forum_admin.SETTINGS_OPEN).
SUBSCRIBE = "home_subscribe"  # value: the forum's id
UNSUBSCRIBE = "home_unsubscribe"

# Form ids: what an adapter names a submitted form.
SHARE_FORM = "share_form"  # values: text, anonymous ("true"), period ("2026-11"), channel
SETTINGS_FORM = "settings_form"  # values: the settings' keys
THEME_FORM = "theme_form"  # values: month, cycle, the theme's inputs (title_sv …)
MONTH_FORM = "theme_open"  # values: month (the theme form of that month is wanted)
MONTH, CYCLE = "month", "cycle"  # the theme forms' month, and the cycle that saving changes:
OWN_CYCLE, SHARED_CYCLE = "own", "shared"  # the forum's own, or the shared default
MEETING_FORM = "meeting_form"  # values: date, time, place, link, agenda (bot.meeting_form)
LOGBOOK_FORM = "logbook_form"  # values: text (a private logbook entry)
# The share form's choice: a good example (the default) or a trend, whose link is in ``url``.
SHARE_KIND, SHARE_URL = "kind", "url"
PRACTICE_KIND, TREND_KIND = "practice", "trend"

CURRENT_THEME = "current"
"""A thread id meaning "the current theme's thread" (a terminal shows one theme at a time)."""


@dataclass(frozen=True)
class Place:
    """Where something happened: a platform's channel (or chat), and its thread.

    ``ref`` is the platform's reference to the channel (a Teams conversation reference) and
    ``channel_name`` its name, kept up to date on the forum when given; ``direct`` is a chat
    with the bot rather than a channel (no forum lives there).
    """

    platform: Platform
    workspace_id: str
    channel_id: str
    thread_id: str | None = None
    direct: bool = False
    ref: Mapping[str, Any] | None = None
    channel_name: str | None = None


@dataclass(frozen=True)
class MessageRef:
    """A platform message: its id, its thread, when it was written, a link to it if known."""

    message_id: str
    thread_id: str | None = None
    written_at: datetime | None = None  # None: now
    permalink: str | None = None


@dataclass(frozen=True)
class CommandGiven:
    """A command written to the bot (``/ledarforum …``, a mention, a private chat)."""

    actor: Actor
    place: Place
    text: str
    message_id: str | None = None
    # (url, title) of the message's link previews, as SavedMessage.links: ``trend <url>`` takes
    # the title of its link's preview rather than fetching the page.
    previews: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ThreadReplied:
    """A message in a thread; ``addressed`` when it mentions the bot (then it may be a command)."""

    actor: Actor
    place: Place
    message: MessageRef
    text: str
    addressed: bool = False
    previews: tuple[tuple[str, str], ...] = ()  # as CommandGiven's


@dataclass(frozen=True)
class MessageEdited:
    """A message was edited: a good practice stored from it follows."""

    place: Place
    message_id: str
    text: str
    edited_at: datetime | None = None  # None: now


@dataclass(frozen=True)
class MessageDeleted:
    """A message was deleted: a good practice stored from it goes too."""

    place: Place
    message_id: str


@dataclass(frozen=True)
class SavedMessage:
    """An existing message someone saves, as the platform tells it."""

    saver: Actor
    message: MessageRef
    author_id: str
    author_name: str
    text: str  # "" for what is no person's text (a bot's post)
    # (url, title) of each link preview the platform made (Slack's unfurl attachments): a trend
    # takes its title from here rather than fetching the page.
    links: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MessageSaved:
    """Someone saves an existing message as a good practice (a reaction, a shortcut).

    ``load`` asks the platform for the message (None: nothing to save); it is called only once
    the core knows the save counts, so a reaction elsewhere costs no platform call. ``reaction``
    is the emoji used, or None when the person asked for the save outright. The forum's
    ``trend_reaction`` stores the message's link as a trend instead.
    """

    place: Place
    source: Source
    load: Callable[[], SavedMessage | None]
    reaction: str | None = None


@dataclass(frozen=True)
class Reacted:
    """Someone reacted to a message (any emoji, a Teams like), or took it back (``added`` False).

    A stored example counts the distinct people who appreciated it (the year in review); a
    reaction on any other message changes nothing. ``reaction`` tells two emojis of one person
    apart, so taking one back keeps them counted while the other stays.
    """

    actor: Actor
    place: Place
    message_id: str
    reaction: str
    added: bool = True


@dataclass(frozen=True)
class ButtonPressed:
    """A button of one of the core's messages; ``forum_ref`` is the forum the card names, if any."""

    actor: Actor
    place: Place
    action_id: str
    value: str | int | None = None
    forum_ref: str | int | None = None


@dataclass(frozen=True)
class FormSubmitted:
    """A submitted form; ``submission_id`` tells a second submission of the same form."""

    actor: Actor
    place: Place
    form_id: str
    values: Mapping[str, object]  # as the platform sent them: checked by the core
    submission_id: str = ""
    forum_ref: str | int | None = None
    submitted_at: datetime | None = None  # None: now


InboundEvent = (
    CommandGiven
    | ThreadReplied
    | MessageEdited
    | MessageDeleted
    | MessageSaved
    | Reacted
    | ButtonPressed
    | FormSubmitted
)


# -- forms an adapter opens -------------------------------------------------------------------


@dataclass(frozen=True)
class ShareForm:
    """The share form, for a forum (and a theme period) when known."""

    lang: Language
    forum_id: int | None = None
    period: str | None = None


@dataclass(frozen=True)
class MonthPicker:
    """A choice of the month whose theme an organiser edits."""

    lang: Language
    forum: ForumInfo


@dataclass(frozen=True)
class ThemeForm:
    """The theme form of a month; ``typed`` and ``errors`` bring back a refused submission."""

    lang: Language
    editor: ThemeEditor
    typed: Mapping[str, str] | None = None
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MeetingForm:
    """The organisers' form for a new meeting; ``typed`` and ``errors`` bring back a refused one."""

    lang: Language
    forum: ForumInfo
    typed: Mapping[str, str] | None = None
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LogbookForm:
    """A form for one private logbook entry; ``typed`` and ``errors`` bring back a refused one."""

    lang: Language
    forum_id: int | None = None
    typed: str | None = None
    errors: Mapping[str, str] = field(default_factory=dict)


Form: TypeAlias = "ShareForm | SettingsForm | MonthPicker | ThemeForm | MeetingForm | LogbookForm"
