"""A local fake of the Slack Web API: a real HTTP server on 127.0.0.1 for adapter tests.

``slack_sdk.WebClient(base_url=fake.url, token="xoxb-test")`` talks to it exactly as it talks to
Slack: form, JSON and multipart bodies, ``Authorization: Bearer`` tokens, HTTP 429 with
``Retry-After``, and Slack's error payloads (``{"ok": false, "error": ...}`` with HTTP 200).

What it models, and where it is strict on purpose (each rule follows Slack's documented limits,
see ``/work/shared/design/SLACK-NOTES.md``):

* Block Kit validation for messages (50 blocks, section 3,000, header 150 plain text, context 10,
  actions 25, button 75, ids 255, unique ``block_id``) and views (100 blocks, title/submit/close
  24, ``private_metadata`` 3,000); ``msg_blocks_too_long`` above 13,000 characters of compact
  block JSON; ``msg_too_long`` above 40,000 characters of text.
* Messages are stored per (team, channel): ``conversations.history`` / ``conversations.replies``
  return them newest-first / thread-order, with ``metadata`` only when ``include_all_metadata``.
* ``users.info`` returns ``locale`` only with ``include_locale=true``, as Slack does.
* :meth:`FakeSlackAPI.deactivate_user` makes DMs to a person fail for good (``user_disabled``
  from ``conversations.open``, or e.g. ``account_inactive`` from ``chat.postMessage``).
* Trigger ids issued by :meth:`FakeSlackAPI.new_trigger_id` expire after 3 s and are single use.
* Rate limits and injected faults are off until asked for.

Everything is in memory and guarded by one lock; accessors return deep copies.

Where it lives: :mod:`fakes.slack.api` puts :class:`FakeSlackAPI` together from the HTTP server
(:mod:`~fakes.slack.server`, on :mod:`~fakes.slack.transport`), the state it shares
(:mod:`~fakes.slack.state`, :mod:`~fakes.slack.records`, :mod:`~fakes.slack.params`) and one
module per family of Web API methods: :mod:`~fakes.slack.auth` (auth, OAuth, team),
:mod:`~fakes.slack.chat` (messages and reactions), :mod:`~fakes.slack.conversations`,
:mod:`~fakes.slack.users`, :mod:`~fakes.slack.views` (modals and the Home tab),
:mod:`~fakes.slack.files`, and :mod:`~fakes.slack.faults` (rate limits, on
:mod:`~fakes.slack.limits`, and injected faults). :mod:`~fakes.slack.blocks` is the Block Kit
validation; :mod:`fakes.slack.signing` signs requests and builds the bodies Slack sends to an app.
"""

from fakes.slack.api import FakeSlackAPI
from fakes.slack.blocks import (
    MAX_BLOCKS_JSON_CHARS,
    MAX_MESSAGE_BLOCKS,
    MAX_TEXT_CHARS,
    MAX_VIEW_BLOCKS,
    blocks_json_length,
    validate_message_blocks,
    validate_view,
)
from fakes.slack.records import DEFAULT_TEAM, DEFAULT_TOKEN, Call, Fault, ResponsePost, UploadedFile

__all__ = [
    "DEFAULT_TEAM",
    "DEFAULT_TOKEN",
    "MAX_BLOCKS_JSON_CHARS",
    "MAX_MESSAGE_BLOCKS",
    "MAX_TEXT_CHARS",
    "MAX_VIEW_BLOCKS",
    "Call",
    "FakeSlackAPI",
    "Fault",
    "ResponsePost",
    "UploadedFile",
    "blocks_json_length",
    "validate_message_blocks",
    "validate_view",
]
