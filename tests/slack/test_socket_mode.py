"""Socket Mode: the same listeners, driven through Bolt's dispatch as the Socket Mode handler does
(a ``socket_mode`` request, no signature), with the same inbox and the same rules."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy import select

from bot.core import open_core
from bot.domain import Platform
from bot.services import forums
from bot.storage.db import Database, make_engine
from bot.storage.models import Contribution
from bot.timing import utcnow
from fakes.slack import FakeSlackAPI
from fakes.slack.signing import event_callback, message_event, slash_command
from handlers.slack.app import SlackAdapter, slack_clients
from handlers.slack.poster import ChannelPacer, SlackPoster
from tests.slack.conftest import CHANNEL, TEAM, settings_for


@pytest.fixture
def adapter(database_url: str, slack: FakeSlackAPI) -> Iterator[SlackAdapter]:
    settings = settings_for(
        database_url, slack.url, slack_signing_secret=None, slack_app_token="xapp-test"
    )
    core = open_core(settings, database=Database(make_engine(database_url)))
    poster = SlackPoster(slack_clients(settings, core.db.engine), ChannelPacer(0))
    core.posters[Platform.SLACK] = poster
    built = SlackAdapter(core, poster)
    built.start()
    yield built
    built.stop()
    core.close()


def _dispatch(adapter: SlackAdapter, body: dict[str, object], retry: int | None = None) -> int:
    headers = {"x-slack-retry-num": str(retry)} if retry else None
    request = AsyncBoltRequest(body=body, mode="socket_mode", headers=headers)
    return asyncio.run(adapter.app.async_dispatch(request)).status


def _idle(adapter: SlackAdapter) -> None:
    deadline = time.monotonic() + 10
    while adapter.inbox.count("pending", "processing"):
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_thread_reply_and_command_over_socket_mode(
    adapter: SlackAdapter, slack: FakeSlackAPI
) -> None:
    core = adapter.core
    with core.db.transaction() as session:
        forum = forums.find(session, CHANNEL)
    assert forum is not None
    theme = core.publisher.post_theme(forum, utcnow())
    assert theme.message_id
    event = json.loads(
        event_callback(
            TEAM,
            message_event("Via socket", channel=CHANNEL, thread_ts=theme.message_id),
            "EvSOCK1",
        )
    )
    assert _dispatch(adapter, event) == 200
    assert _dispatch(adapter, event, retry=1) == 200
    command = dict(
        parse_qsl(
            slash_command("dela Också via socket", response_url=slack.new_response_url()).decode()
        )
    )
    assert _dispatch(adapter, command) == 200
    _idle(adapter)

    with core.db.transaction() as session:
        texts = sorted(session.scalars(select(Contribution.text)))
    assert texts == ["Också via socket", "Via socket"]


def test_database_down_gives_no_ack_over_socket_mode(adapter: SlackAdapter) -> None:
    adapter.recorder.db = adapter.inbox.db = Database(
        make_engine("sqlite:////nonexistent/dir/ledarforum.db")
    )
    event = json.loads(
        event_callback(TEAM, message_event("x", channel=CHANNEL, thread_ts="1.000001"))
    )
    assert _dispatch(adapter, event) == 500
