"""The one core handler of what people do: each neutral event, in process, on SQLite and PostgreSQL.

Slack, Teams and the console only translate a payload into one of these events and deliver the
reply; everything decided here is decided once for all of them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.core import Core
from bot.dialogue import FORGET_CONFIRM, Actor
from bot.domain import ForumInfo, Platform, Source
from bot.forum_admin import SETTINGS_OPEN, SettingsForm
from bot.inbound import (
    CURRENT_THEME,
    MONTH_FORM,
    SETTINGS_FORM,
    SHARE_FORM,
    SUBSCRIBE,
    THEME_FORM,
    ButtonPressed,
    CommandGiven,
    FormSubmitted,
    MessageDeleted,
    MessageEdited,
    MessageRef,
    MessageSaved,
    Place,
    SavedMessage,
    ShareForm,
    ThemeForm,
    ThreadReplied,
)
from bot.inbound_handler import InboundHandler
from bot.messages import Reply
from bot.posts import SHARE_OPEN, SHARE_UNDO
from bot.services import forums, subscriptions
from bot.storage.models import Contribution, ThemePost

WORKSPACE = "T1"
WRITTEN = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
LEADER = Actor(Platform.SLACK, WORKSPACE, "U1", "Kim", "sv-SE")
ORGANISER = Actor(Platform.SLACK, WORKSPACE, "UORG", "Org", "sv-SE")
HERE = Place(Platform.SLACK, WORKSPACE, "C1")


def _forum(core: Core, workspace: str = WORKSPACE, channel: str = "C1") -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, workspace, channel, language="sv", timezone="Europe/Stockholm"
        )
    return forum


def _theme_post(core: Core, forum: ForumInfo) -> str:
    """The month's theme posted in *forum*: the id of its thread."""
    result = core.publisher.post_theme(forum, core.dialogue.clock())
    assert result.status == "posted"
    with core.db.transaction() as session:
        thread = session.scalar(select(ThemePost.message_id).where(ThemePost.forum_id == forum.id))
    assert thread
    return thread


def _stored(core: Core) -> list[Contribution]:
    with core.db.transaction() as session:
        rows = list(session.scalars(select(Contribution).order_by(Contribution.id)))
        session.expunge_all()
    return rows


def _kinds(reply: Reply) -> list[str]:
    return [message.kind for message in [*reply.private, *reply.public]]


def _reply(thread: str, message_id: str, text: str, *, addressed: bool = False) -> ThreadReplied:
    place = Place(Platform.SLACK, WORKSPACE, "C1", thread)
    link = f"https://chat.test/{message_id}"
    return ThreadReplied(
        LEADER, place, MessageRef(message_id, thread, WRITTEN, link), text, addressed
    )


def test_a_reply_under_a_theme_post_is_stored_once_in_its_period(core: Core) -> None:
    handler = InboundHandler(core.dialogue)
    forum = _forum(core)
    thread = _theme_post(core, forum)

    first = handler.handle(_reply(thread, "r1", "Vi har gåmöten varje fredag"))
    again = handler.handle(_reply(thread, "r1", "Vi har gåmöten varje fredag"))  # a retry

    assert _kinds(first) == ["confirmation"] and _kinds(again) == ["info"]  # already there
    assert first.forum == forum
    [row] = _stored(core)
    assert (row.period, row.source, row.permalink) == (
        "2026-11",
        "thread_reply",
        "https://chat.test/r1",
    )
    assert row.created_at == WRITTEN and row.author_name == "Kim"
    # Another thread, a reply without a text, a channel that is no forum: nothing at all.
    assert _kinds(handler.handle(_reply("elsewhere", "r2", "Ett exempel"))) == []
    assert _kinds(handler.handle(_reply(thread, "r3", "\x00\x01 "))) == []
    other = ThreadReplied(
        LEADER, Place(Platform.SLACK, WORKSPACE, "C9", thread), MessageRef("r4", thread), "Hej"
    )
    assert handler.handle(other) == Reply()
    assert len(_stored(core)) == 1


def test_a_message_to_the_bot_is_a_command_unless_it_answers_a_theme(core: Core) -> None:
    handler = InboundHandler(core.dialogue)
    thread = _theme_post(core, _forum(core))

    assert _kinds(handler.handle(_reply(thread, "a1", "hjälp", addressed=True))) == ["help"]
    said = handler.handle(_reply(thread, "a2", "Vi roterar mötesledare", addressed=True))
    assert _kinds(said) == ["confirmation"]
    # Outside a theme's thread an unknown word is answered with the help.
    outside = handler.handle(_reply("", "a3", "Vi roterar mötesledare", addressed=True))
    assert _kinds(outside) == ["help"]
    assert [row.source_message_id for row in _stored(core)] == ["a2"]


def test_edits_and_deletions_follow_the_stored_practice(core: Core) -> None:
    handler = InboundHandler(core.dialogue)
    thread = _theme_post(core, _forum(core))
    handler.handle(_reply(thread, "r1", "Första versionen"))

    assert handler.handle(MessageEdited(HERE, "r1", "Andra versionen")) == Reply()
    [row] = _stored(core)
    assert row.text == "Andra versionen" and row.edited_at == core.dialogue.clock()
    # The same message id in a chat with the bot is another message.
    handler.handle(MessageDeleted(Place(Platform.SLACK, WORKSPACE, "C1", direct=True), "r1"))
    assert len(_stored(core)) == 1
    handler.handle(MessageDeleted(HERE, "r1"))
    assert _stored(core) == []


def test_a_configured_forum_is_adopted_by_the_workspace_that_first_speaks(core: Core) -> None:
    handler = InboundHandler(core.dialogue)
    configured = _forum(core, workspace=forums.UNKNOWN_WORKSPACE)

    reply = handler.handle(CommandGiven(LEADER, HERE, "tema", "c1"))

    assert _kinds(reply) == ["theme"]
    with core.db.transaction() as session:
        adopted = forums.get(session, configured.id)
    assert adopted is not None and adopted.workspace_id == WORKSPACE
    assert reply.forum == adopted


def test_a_channel_reference_and_name_are_kept_up_to_date(core: Core) -> None:
    handler = InboundHandler(core.dialogue)
    forum = _forum(core)
    ref = {"service_url": "https://smba.test/new/", "channel_id": "C1"}
    place = Place(Platform.SLACK, WORKSPACE, "C1", ref=ref, channel_name="Ledarforum")

    handler.handle(MessageDeleted(place, "nothing"))

    with core.db.transaction() as session:
        updated = forums.get(session, forum.id)
    assert updated is not None
    assert (updated.conversation_ref, updated.name) == (ref, "Ledarforum")


def test_a_reaction_saves_only_with_the_forums_emoji_asking_the_platform_only_then(
    core: Core,
) -> None:
    handler = InboundHandler(core.dialogue)
    forum = _forum(core)
    thread = _theme_post(core, forum)
    asked: list[str] = []

    def load() -> SavedMessage:
        asked.append("load")
        message = MessageRef("old1", thread, WRITTEN, "https://chat.test/old1")
        return SavedMessage(LEADER, message, "U2", "Alex", "Vi bjuder in en kund")

    assert handler.handle(MessageSaved(HERE, Source.REACTION, load, "thumbsup")) == Reply()
    assert asked == []
    saved = handler.handle(MessageSaved(HERE, Source.REACTION, load, forum.reaction))

    assert asked == ["load"] and _kinds(saved) == ["confirmation"]
    assert [note.user_id for note in saved.notify] == ["U2"]  # the author hears of it
    [row] = _stored(core)
    assert (row.author_id, row.saved_by_id, row.period) == ("U2", "U1", "2026-11")
    # A shortcut outside any forum says so.
    elsewhere = Place(Platform.SLACK, WORKSPACE, "C9")
    refused = handler.handle(MessageSaved(elsewhere, Source.MESSAGE_SHORTCUT, load))
    assert _kinds(refused) == ["error"]


def test_buttons_undo_forget_subscribe_and_open_forms(core: Core) -> None:
    handler = InboundHandler(core.dialogue)
    forum = _forum(core)
    elsewhere = _forum(core, workspace="T2", channel="C2")
    thread = _theme_post(core, forum)
    handler.handle(_reply(thread, "r1", "Ett gott exempel"))
    [row] = _stored(core)

    undone = handler.handle(ButtonPressed(LEADER, HERE, SHARE_UNDO, str(row.id)))
    assert _kinds(undone) == ["info"] and _stored(core) == []
    assert _kinds(handler.handle(ButtonPressed(LEADER, HERE, SHARE_UNDO, "x"))) == ["info"]

    handler.handle(ButtonPressed(LEADER, Place(Platform.SLACK, WORKSPACE, ""), SUBSCRIBE, forum.id))
    handler.handle(ButtonPressed(LEADER, HERE, SUBSCRIBE, str(elsewhere.id)))  # not this workspace
    with core.db.transaction() as session:
        assert subscriptions.is_subscribed(session, forum.id, LEADER.user_id)
        assert not subscriptions.is_subscribed(session, elsewhere.id, LEADER.user_id)

    opened = handler.handle(ButtonPressed(LEADER, HERE, SHARE_OPEN, "2026-11"))
    assert opened.form == ShareForm("sv", forum.id, "2026-11")
    settings = handler.handle(ButtonPressed(ORGANISER, HERE, SETTINGS_OPEN, forum_ref=forum.id))
    assert isinstance(settings.form, SettingsForm) and settings.form.forum == forum
    denied = handler.handle(ButtonPressed(LEADER, HERE, SETTINGS_OPEN, forum_ref=forum.id))
    assert denied.form is None and _kinds(denied) == ["error"]
    asked = handler.handle(CommandGiven(LEADER, HERE, "glöm-mig"))
    assert _kinds(asked) == ["confirm"]
    assert _kinds(handler.handle(ButtonPressed(LEADER, HERE, FORGET_CONFIRM, "yes"))) == ["info"]


def test_forms_share_once_change_settings_and_edit_a_theme(core: Core) -> None:
    handler = InboundHandler(core.dialogue)
    forum = _forum(core)
    values = {"text": "Vi firar små framsteg", "anonymous": True, "period": "2026-11"}
    form = FormSubmitted(LEADER, HERE, SHARE_FORM, values, "f1", forum_ref=forum.id)

    assert _kinds(handler.handle(form)) == ["confirmation"]
    assert _kinds(handler.handle(form)) == ["info"]  # submitted twice: stored once
    [row] = _stored(core)
    assert (row.source, row.anonymous, row.source_message_id) == ("form", True, "form:f1")
    forged = FormSubmitted(LEADER, HERE, SHARE_FORM, {"text": ["a"]}, "f2", forum_ref=forum.id)
    assert _kinds(handler.handle(forged)) == ["error"] and len(_stored(core)) == 1

    settings = FormSubmitted(ORGANISER, HERE, SETTINGS_FORM, {"language": "en"}, forum_ref=forum.id)
    assert _kinds(handler.handle(settings)) == ["info"]
    with core.db.transaction() as session:
        changed = forums.get(session, forum.id)
    assert changed is not None and changed.language == "en"
    denied = FormSubmitted(LEADER, HERE, SETTINGS_FORM, {"language": "sv"}, forum_ref=forum.id)
    assert _kinds(handler.handle(denied)) == ["error"]

    month = handler.handle(
        FormSubmitted(ORGANISER, HERE, MONTH_FORM, {"month": "3"}, forum_ref=forum.id)
    )
    assert isinstance(month.form, ThemeForm) and month.form.editor.month == 3
    typed = {"month": 3, "title_sv": "Vår mars", "title_en": ""}
    wrong = handler.handle(FormSubmitted(ORGANISER, HERE, THEME_FORM, typed, forum_ref=forum.id))
    assert isinstance(wrong.form, ThemeForm) and wrong.form.errors  # back with what was wrong


def test_the_console_answers_the_theme_on_screen(core: Core) -> None:
    handler = InboundHandler(core.dialogue)
    with core.db.transaction() as session:
        forums.ensure_forum(
            session,
            Platform.CONSOLE,
            "local",
            "console",
            language="sv",
            timezone="Europe/Stockholm",
        )
    me = Actor(Platform.CONSOLE, "local", "me", "me")
    place = Place(Platform.CONSOLE, "local", "console")

    said = handler.handle(ThreadReplied(me, place, MessageRef("console:1", CURRENT_THEME), "Hej"))

    assert _kinds(said) == ["confirmation"]
    [row] = _stored(core)
    assert (row.source, row.period) == ("console", "2026-11")
