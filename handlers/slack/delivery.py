"""Delivering the core's :class:`bot.messages.Reply` to one person in Slack.

Private answers go where the person is: the slash command's or button's ``response_url``
(ephemeral, works in any channel), else an ephemeral message in the channel, else a direct
message. Files, and notifications for other people, go to a direct-message channel with the bot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import meeting_form
from bot.forum_admin import SettingsForm
from bot.inbound import Form, LogbookForm, MeetingForm, ShareForm, ThemeForm
from bot.messages import Message, Reply
from bot.posts import error
from handlers.slack import render, response_urls
from handlers.slack.poster import SlackPoster
from handlers.slack.views import (
    logbook_modal,
    meeting_modal,
    settings_modal,
    share_modal,
    theme_modal,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    """Who gets the answer, and the ways Slack gave us to reach them."""

    user_id: str
    channel_id: str = ""
    response_url: str = ""
    thread_ts: str | None = None
    replace: bool = False  # replace the message a button was clicked in (response_url only)
    trigger: str = ""  # a slash command's trigger id: a form may open with it


def open_form(client: WebClient, form: Form, trigger: str, channel_id: str = "") -> bool:
    """Open *form* as a modal with a *trigger* id; False when Slack would not.

    A refused form comes back in the modal itself (errors before the ack) and the month
    picker is the Home tab's calendar: neither opens here.
    """
    if isinstance(form, ShareForm):
        view = share_modal(form.lang, channel_id)
    elif isinstance(form, SettingsForm):
        view = settings_modal(form)
    elif isinstance(form, ThemeForm) and form.typed is None:
        view = theme_modal(form.lang, form.editor)
    elif isinstance(form, MeetingForm) and form.typed is None:
        view = meeting_modal(form)
    elif isinstance(form, LogbookForm) and form.typed is None:
        view = logbook_modal(form.lang, channel_id)
    else:
        return False
    try:
        client.views_open(trigger_id=trigger, view=view)
    except SlackApiError as exc:
        log.info("form not opened (%s)", exc.response.get("error"))
        return False
    return True


class Responder:
    """Sends replies through one workspace's client."""

    def __init__(self, client: WebClient, poster: SlackPoster) -> None:
        self.client = client
        self.poster = poster

    def deliver(self, reply: Reply, to: Recipient) -> None:
        """Send every part of *reply* to *to*."""
        if reply.form is not None:
            self.open_form(reply.form, to)
        for message in reply.public:
            if to.channel_id:
                self.poster.post_in(self.client, to.channel_id, message)
        for message in reply.private:
            self.private(message, to)
        for note in reply.notify:  # someone else: a direct message, which stays until read
            try:
                self.poster.send_direct_in(self.client, note.user_id, note.message)
            except SlackApiError as exc:  # a gone account: retrying the item would not help
                log.warning("a notification was not sent: %s", exc.response.get("error"))
        for attachment in reply.files:
            channel = self._direct_channel(to.user_id)
            self.client.files_upload_v2(
                channel=channel,
                filename=attachment.filename,
                content=attachment.content,
                title=attachment.title,
            )
        for picture in reply.pictures:
            try:  # the picture adds to the answer already sent: a failed upload loses only it
                self.client.files_upload_v2(
                    channel=self._direct_channel(to.user_id),
                    filename=picture.filename,
                    content=picture.data,
                    title=picture.title,
                )
            except SlackApiError as exc:
                log.warning("the year wheel was not uploaded: %s", exc.response.get("error"))

    def open_form(self, form: Form, to: Recipient) -> None:
        """Open *form* with the trigger; a share form that cannot open says how to share."""
        opened = bool(to.trigger) and open_form(self.client, form, to.trigger, to.channel_id)
        if not opened and isinstance(form, ShareForm):
            self.private(error(form.lang, "share.error.empty"), to)
        elif not opened and isinstance(form, MeetingForm | LogbookForm) and form.errors:
            # Refused after the modal closed (a booked time, the forum's past): said privately.
            self.private(meeting_form.refused(form.lang, form.errors), to)

    def private(self, message: Message, to: Recipient) -> None:
        """One private message, by the first way that works."""
        for index, part in enumerate(render.split(message)):
            text, blocks = render.fallback_text(part), render.blocks_of(part)
            replace = to.replace and index == 0
            if to.response_url and self._respond(to.response_url, text, blocks, replace=replace):
                continue
            if to.channel_id and not to.channel_id.startswith("D"):
                try:
                    self.client.chat_postEphemeral(
                        channel=to.channel_id,
                        user=to.user_id,
                        text=text,
                        blocks=blocks,
                        thread_ts=to.thread_ts,
                    )
                    continue
                except SlackApiError as exc:  # not in the channel: fall back to a DM
                    log.info("ephemeral refused (%s), sending a DM", exc.response.get("error"))
            self.poster.send_direct_in(self.client, to.user_id, part)

    @staticmethod
    def _respond(url: str, text: str, blocks: list[dict[str, object]], *, replace: bool) -> bool:
        return response_urls.respond(url, text, blocks, replace=replace)

    def _direct_channel(self, user_id: str) -> str:
        return str(self.client.conversations_open(users=user_id)["channel"]["id"])
