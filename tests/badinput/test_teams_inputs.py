"""Hostile input to the Teams endpoint over real HTTP, as the Teams service would post it (the app
in its development mode, answering a fake connector): every request gets a clear answer (200, or
400 for a body that is not an activity, 413 for one too large), a person who wrote something gets a
translated answer in their chat, nothing is stored wrongly, no listener crashes (a crash would be
a 500 and an unsettled row in ``inbound_events``), and the app still answers ``/healthz``.

The Slack side is ``tests/badinput/test_slack_inputs.py``; its hostile texts are reused here.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.core import Core
from bot.domain import ForumInfo, Platform
from bot.i18n import t
from bot.services import forums
from bot.services.contributions import MAX_TEXT_CHARS, clean_text
from bot.storage.models import Contribution, InboundEvent
from fakes.teams_connector import FakeTeamsConnector, Posted
from handlers.teams.app import MAX_BODY_BYTES, TeamsAdapter
from handlers.teams.sender import Limits
from handlers.web import build_web_app
from tests.badinput.test_slack_inputs import HOSTILE_TEXTS
from tests.support import FakeClock
from tests.teams.conftest import Served
from tests.teams.support import (
    BOT_ID,
    CHANNEL,
    LEADER,
    ORGANISER,
    TEAM,
    TENANT,
    bot_added,
    channel_message,
    message_delete,
    message_update,
    personal_message,
    teams_id,
)

pytestmark = [
    pytest.mark.slow,  # hundreds of hostile activities over HTTP
    pytest.mark.filterwarnings("ignore::DeprecationWarning:microsoft_teams"),
]

FRIDAY = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # the digest moment, 14:00 in Stockholm

# No pacing: a test here sends dozens of answers to one chat (pacing is tested in tests/teams).
UNPACED = Limits(
    thread_rate=1000.0,
    thread_window_rate=1000.0,
    thread_window_burst=1000.0,
    tenant_rate=1000.0,
    tenant_burst=1000.0,
    backoff=0.01,
    max_backoff=0.05,
)


@dataclass
class Web:
    """The whole web app (``/healthz`` and ``/api/messages``) served over HTTP."""

    core: Core
    connector: FakeTeamsConnector
    http: httpx.Client
    root: str | None = None  # the theme post, once a test has set the forum up

    def send(self, activity: Any) -> httpx.Response:
        """POST *activity* (any JSON value) to ``/api/messages``."""
        return self.http.post("/api/messages", json=activity)

    def post(self, content: Any, **headers: str) -> httpx.Response:
        """POST raw *content* to ``/api/messages``."""
        return self.http.post(
            "/api/messages",
            content=content,
            headers={"content-type": "application/json", **headers},
        )


@pytest.fixture
def web(teams_core: Core, connector: FakeTeamsConnector) -> Iterator[Web]:
    """The app as ``ledarforum serve`` builds it, with the Teams adapter's route."""
    adapter = TeamsAdapter(teams_core, limits=UNPACED)
    teams_core.posters[Platform.TEAMS] = adapter.poster
    try:
        with (
            Served(build_web_app(teams_core, adapter.routes())) as served,
            httpx.Client(base_url=served.url, timeout=30) as client,
        ):
            yield Web(teams_core, connector, client)
    finally:
        adapter.stop()


# -- helpers -----------------------------------------------------------------------------------


def _setup(web: Web, clock: FakeClock) -> tuple[ForumInfo, str]:
    """A forum in the channel (set up by the organiser) and this month's theme post."""
    response = web.send(channel_message(web.connector.url, "admin setup", user=ORGANISER))
    assert response.status_code == 200
    with web.core.db.transaction() as session:
        forum = forums.by_channel(session, Platform.TEAMS, TENANT, CHANNEL)
    assert forum is not None
    root = web.core.publisher.post_theme(forum, clock()).message_id
    assert root is not None
    return forum, root


def _contributions(core: Core) -> list[Contribution]:
    with core.db.transaction() as session:
        rows = list(session.scalars(select(Contribution).order_by(Contribution.id)))
        session.expunge_all()
        return rows


def _stored(core: Core, source_message_id: str) -> list[str]:
    return [c.text for c in _contributions(core) if c.source_message_id == source_message_id]


def _private(connector: FakeTeamsConnector, user: str = LEADER) -> list[Posted]:
    """Everything the bot wrote to *user*: in the chat it opened and in the person's own chat."""
    chat = connector.chat_with(teams_id(user))
    opened = connector.in_conversation(chat) if chat else []
    return opened + connector.in_conversation(f"a:chat-{user}")


def _texts(posted: Posted) -> str:
    """Every text of a message's cards, flattened (what a reader sees)."""
    return json.dumps(posted.cards, ensure_ascii=False).replace("\u200b", "")


def _is_thanks(posted: Posted) -> bool:
    return "share_undo" in json.dumps(posted.cards)


def _expected(text: str) -> str | None:
    """What a share of *text* stores, or None when it is refused (empty or too long)."""
    cleaned = clean_text(text)
    return cleaned if cleaned and len(cleaned) <= MAX_TEXT_CHARS else None


def _refusal(text: str) -> str:
    """The translated reason a share of *text* is refused."""
    if clean_text(text):
        return t("sv", "share.error.too_long", limit=MAX_TEXT_CHARS)
    return t("sv", "share.error.empty")


def _assert_healthy(web: Web) -> None:
    """``/healthz`` answers, the connector refused nothing, and every activity was settled."""
    assert web.http.get("/healthz").status_code == 200
    refused = [(r.method, r.path, r.status) for r in web.connector.requests() if r.status >= 400]
    assert refused == []
    with web.core.db.transaction() as session:
        unsettled = [
            (row.kind, row.status, row.error)
            for row in session.scalars(select(InboundEvent).where(InboundEvent.platform == "teams"))
            if row.status != "done"
        ]
    assert unsettled == []


def _shared_once_or_refused(web: Web, activity: dict[str, Any], text: str, label: str) -> None:
    """*activity* shared *text*: stored once as written (cleaned) and thanked, or refused."""
    before = len(_private(web.connector))
    response = web.send(activity)
    assert response.status_code == 200, label
    answers = _private(web.connector)[before:]
    assert len(answers) == 1, label
    stored = _stored(web.core, activity["id"])
    expected = _expected(text)
    if expected is None:
        assert stored == [], label
        assert not _is_thanks(answers[0]), label
        assert _refusal(text) in _texts(answers[0]), label
    else:
        assert stored == [expected], label
        assert _is_thanks(answers[0]), label
    assert web.send(activity).status_code == 200, label  # Teams delivers it again: no change
    assert _stored(web.core, activity["id"]) == stored, label
    assert len(_private(web.connector)) == before + 1, label


# -- hostile texts as people write them --------------------------------------------------------


def test_hostile_thread_replies_are_stored_as_written_or_refused_with_a_message(
    web: Web, clock: FakeClock
) -> None:
    _, root = _setup(web, clock)
    for n, text in enumerate(HOSTILE_TEXTS):
        # Teams sends a message's text as HTML: what a person typed arrives escaped.
        reply = channel_message(
            web.connector.url,
            html.escape(text, quote=False),
            root=root,
            mention=False,
            timestamp=clock(),
        )
        if clean_text(text):
            _shared_once_or_refused(web, reply, text, f"hostile text #{n}")
            continue
        # Nothing to share (a picture, whitespace): ignored without an answer, as in Slack.
        before = len(_private(web.connector))
        assert web.send(reply).status_code == 200, n
        assert len(_private(web.connector)) == before, n
        assert _stored(web.core, reply["id"]) == [], n
    _assert_healthy(web)


def test_hostile_commands_get_one_answer_and_a_share_is_stored_as_written_or_refused(
    web: Web, clock: FakeClock
) -> None:
    forum, _ = _setup(web, clock)
    for n, text in enumerate(HOSTILE_TEXTS):
        for activity in (
            personal_message(web.connector.url, html.escape(text, quote=False)),
            channel_message(web.connector.url, "blahonga " + html.escape(text, quote=False)),
        ):
            before = len(_private(web.connector))
            assert web.send(activity).status_code == 200, n
            answers = _private(web.connector)[before:]
            assert answers, n  # help, or "I do not know that word" with the help
            assert all(not _is_thanks(answer) for answer in answers), n
    assert _contributions(web.core) == []
    assert web.connector.in_conversation(CHANNEL)[1:] == []  # only the theme post, no answer

    for n, text in enumerate(HOSTILE_TEXTS):
        share = channel_message(web.connector.url, "dela " + html.escape(text, quote=False))
        if clean_text(text):
            _shared_once_or_refused(web, share, text, f"hostile text #{n}")
            continue
        before = len(_private(web.connector))
        assert web.send(share).status_code == 200
        [form] = _private(web.connector)[before:]  # without text: the share form, privately
        assert form.cards[0]["actions"][0]["data"]["forum"] == forum.id
    _assert_healthy(web)


MENTIONS: list[tuple[str, str]] = [
    # (the message's HTML as Teams sends it, what is stored)
    ("&lt;at&gt;Rektor&lt;/at&gt; gör så här", "<at>Rektor</at> gör så här"),
    ("<at>Rektor</at> och vi andra testade gåmöten", "Rektor och vi andra testade gåmöten"),
    (
        '&lt;at id="0"&gt;Alla&lt;/at&gt; &lt;at&gt;everyone&lt;/at&gt; läs detta',
        '<at id="0">Alla</at> <at>everyone</at> läs detta',
    ),
]


def test_no_mention_is_injected_when_contributions_are_posted_again(
    web: Web, clock: FakeClock
) -> None:
    forum, root = _setup(web, clock)
    for n, (sent, stored) in enumerate(MENTIONS):
        reply = channel_message(
            web.connector.url, sent, root=root, mention=False, name="<at>Rektor</at>"
        )
        reply["entities"] = [
            {"type": "mention", "text": "<at>Rektor</at>", "mentioned": {"id": "29:rektor"}}
        ]
        reply["timestamp"] = clock().isoformat()
        assert web.send(reply).status_code == 200
        assert _stored(web.core, reply["id"]) == [stored], n
    value = {"action": "share_submit", "forum": forum.id, "form": "m", "text": "<at>Alla</at> hej"}
    assert web.send(personal_message(web.connector.url, value=value)).status_code == 200
    share = channel_message(web.connector.url, "dela &lt;at&gt;Rektor&lt;/at&gt; ett tips")
    assert web.send(share).status_code == 200
    assert len(_contributions(web.core)) == len(MENTIONS) + 2
    web.connector.reset()

    assert web.core.publisher.post_digest(forum, FRIDAY).status == "posted"
    parts = web.connector.in_conversation(CHANNEL)
    assert parts
    for part in parts:
        raw = json.dumps(part.activity, ensure_ascii=False)
        assert "<at" not in raw.lower()
        assert "entities" not in part.activity
    everything = "".join(_texts(part) for part in parts)
    assert "<at>Rektor</at> gör så här" in everything  # shown, as characters
    assert "<at>Alla</at> hej" in everything
    _assert_healthy(web)


# -- bodies that are not activities ------------------------------------------------------------

MALFORMED_BODIES: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("truncated", b"{"),
    ("list", b"[]"),
    ("list-of-numbers", b"[1, 2]"),
    ("string", b'"an activity"'),
    ("number", b"42"),
    ("null", b"null"),
    ("bool", b"true"),
    ("binary", b"\xff\xfe\x00binary"),
    ("latin-1", b'{"type": "message", "text": "\xe5"}'),
    ("deep-list", b'{"type": "message", "value": ' + b"[" * 100_000),
    ("deep-object", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
    ("trailing-garbage", b'{"type": "message"} trailing'),
    ("nan", b'{"type": NaN}'),
]


def test_bodies_that_are_not_activities_get_400_or_413(web: Web, clock: FakeClock) -> None:
    _, root = _setup(web, clock)
    web.connector.reset()
    bodies = list(MALFORMED_BODIES)
    # A well-formed reply but for a lone surrogate: valid JSON, yet no text Python can encode.
    reply = channel_message(web.connector.url, "Hej LONE", root=root, mention=False)
    bodies.append(("lone-surrogate", json.dumps(reply).replace("LONE", "\\ud800").encode()))
    for name, body in bodies:
        response = web.post(body)
        assert response.status_code == 400, name
        assert response.json()["error"], name

    huge = json.dumps({"type": "message", "text": "x" * (MAX_BODY_BYTES + 10)}).encode()
    assert web.post(huge).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size shows only while reading
        for start in range(0, len(huge), 65_536):
            yield huge[start : start + 65_536]

    assert web.post(chunks()).status_code == 413
    assert web.connector.requests() == []
    assert _contributions(web.core) == []
    _assert_healthy(web)


# -- activities that are odd, incomplete or of the wrong types ---------------------------------


def _without(*keys: str) -> Callable[[dict[str, Any]], None]:
    def change(activity: dict[str, Any]) -> None:
        for key in keys:
            activity.pop(key, None)

    return change


def _with(**values: Any) -> Callable[[dict[str, Any]], None]:
    def change(activity: dict[str, Any]) -> None:
        for key, value in values.items():
            activity[key.replace("from_", "from").replace("service_url", "serviceUrl")] = value

    return change


def _nested(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(activity: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = activity
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value

    return change


def _card(value: Any) -> Callable[[dict[str, Any]], None]:
    """A card submission (Action.Submit): the value, no text and no mention."""

    def change(activity: dict[str, Any]) -> None:
        activity["value"] = value
        activity["text"] = ""
        activity.pop("entities", None)

    return change


ACK = 200  # acknowledged and ignored: an activity kind or name the bot does not handle
BAD = 400  # not an activity Teams sends: refused

# (id, change to a thread reply under the theme post, expected status)
ODD_ACTIVITIES: list[tuple[str, Callable[[dict[str, Any]], None], int]] = [
    ("no-type", _without("type"), BAD),
    ("type-number", _with(type=7), BAD),
    ("type-empty", _with(type=""), ACK),
    ("type-unknown", _with(type="foo"), ACK),
    ("type-case", _with(type="MESSAGE"), ACK),
    ("event-unknown-name", _with(type="event", name="application/vnd.foo"), ACK),
    ("event-no-name", _with(type="event"), BAD),
    ("invoke-unknown-name", _with(type="invoke", name="foo/bar"), ACK),
    ("invoke-no-name", _with(type="invoke"), BAD),
    ("typing", _with(type="typing"), ACK),
    ("no-id", _without("id"), BAD),
    ("id-number", _with(id=5), BAD),
    ("id-empty", _with(id=""), BAD),
    ("no-from", _without("from"), BAD),
    ("from-string", _with(from_="29:x"), BAD),
    ("from-no-id", _with(from_={"name": "x"}), BAD),
    ("from-id-number", _with(from_={"id": 5}), BAD),
    ("from-id-empty", _with(from_={"id": ""}), BAD),
    ("no-recipient", _without("recipient"), BAD),
    ("no-conversation", _without("conversation"), BAD),
    ("conversation-string", _with(conversation=CHANNEL), BAD),
    ("conversation-no-id", _with(conversation={"conversationType": "channel"}), BAD),
    ("conversation-id-empty", _nested("conversation.id", ""), BAD),
    ("conversation-id-nul", _nested("conversation.id", CHANNEL + "\x00;messageid=1"), BAD),
    ("conversation-id-huge", _nested("conversation.id", "19:" + "x" * 40_000), BAD),
    ("tenant-huge", _nested("conversation.tenantId", "t" * 500), BAD),
    ("tenant-nul", _nested("channelData.tenant.id", "t\x00"), BAD),
    ("conversation-type-odd", _nested("conversation.conversationType", "galaxy"), ACK),
    ("no-service-url", _without("serviceUrl"), BAD),
    ("service-url-number", _with(service_url=5), BAD),
    ("service-url-ftp", _with(service_url="ftp://127.0.0.1/"), BAD),
    ("service-url-file", _with(service_url="file:///etc/passwd"), BAD),
    ("service-url-js", _with(service_url="javascript:alert(1)"), BAD),
    ("service-url-no-host", _with(service_url="http://"), BAD),
    ("service-url-relative", _with(service_url="/v3"), BAD),
    ("text-number", _with(text=5), BAD),
    ("text-list", _with(text=["a"]), BAD),
    ("text-object", _with(text={"a": 1}), BAD),
    ("entities-object", _with(entities={"type": "mention"}), BAD),
    ("entities-strings", _with(entities=["mention"]), BAD),
    ("mention-without-mentioned", _with(entities=[{"type": "mention", "text": "<at>x</at>"}]), BAD),
    ("channel-data-string", _with(channelData="x"), BAD),
    ("channel-data-tenant-list", _nested("channelData.tenant", []), BAD),
    ("timestamp-garbage", _with(timestamp="yesterday"), BAD),
    ("timestamp-number", _with(timestamp=1e300), BAD),
    ("value-string", _card("share_submit"), ACK),
    ("value-list", _card([{"action": "share_submit"}]), ACK),
    ("value-action-number", _card({"action": 5, "forum": 1}), ACK),
    ("value-unknown-action", _card({"action": "drop_tables"}), ACK),
    ("reply-to-id-number", _with(replyToId=5), BAD),
    ("from-name-nul", _nested("from.name", "Lea\x00"), BAD),
    ("from-aad-id-not-ascii", _nested("from.aadObjectId", "åäö"), BAD),
    ("channel-name-nul", _nested("channelData.channel.name", "Forum\x00"), BAD),
    (
        "invoke-card-action",  # Action.Execute: the bot's cards only use Action.Submit
        _with(
            type="invoke",
            name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": "share_submit", "data": {}}},
        ),
        ACK,
    ),
]


def test_odd_activities_get_a_clear_answer_and_store_nothing(web: Web, clock: FakeClock) -> None:
    _, root = _setup(web, clock)
    for name, change, status in ODD_ACTIVITIES:
        activity = channel_message(web.connector.url, "Ett gott exempel", root=root, mention=False)
        change(activity)
        response = web.send(activity)
        assert response.status_code == status, name
        if status == BAD:
            assert response.json()["error"], name
        assert _contributions(web.core) == [], name
        _assert_healthy(web)

    # Well formed, but from an id Teams will not open a chat with: the reply is stored, the
    # thank-you is refused for good (400), and that is not a 500 Teams would deliver again.
    stranger = channel_message(web.connector.url, "Ett gott exempel", root=root, mention=False)
    stranger["from"] = {"id": "not-a-teams-user", "name": "Okänd"}
    assert web.send(stranger).status_code == 200
    assert web.send(stranger).status_code == 200  # delivered again: tried again, no harm
    assert _stored(web.core, stranger["id"]) == ["Ett gott exempel"]
    with web.core.db.transaction() as session:
        row = session.scalars(select(InboundEvent).order_by(InboundEvent.id.desc())).first()
        assert row is not None
        assert (row.status, row.attempts, row.error) == ("failed", 2, "SendFailed: HTTP 400")
    refused = [r.path for r in web.connector.requests() if r.status >= 400]
    assert refused == ["/v3/conversations"] * 2


def test_odd_edits_change_nothing_and_hostile_ones_are_followed_as_written(
    web: Web, clock: FakeClock
) -> None:
    _, root = _setup(web, clock)
    reply = channel_message(web.connector.url, "Vi har gåmöten", root=root, mention=False)
    assert web.send(reply).status_code == 200
    url = web.connector.url
    odd: list[tuple[str, dict[str, Any], int]] = [
        ("edit-unknown-id", message_update(url, "nope", "Nytt", root=root), ACK),
        ("delete-unknown-id", message_delete(url, "nope", root=root), ACK),
        ("delete-other-channel", message_delete(url, reply["id"], root=root), ACK),
    ]
    odd[-1][1]["conversation"]["id"] = f"19:other@thread.tacv2;messageid={root}"
    odd[-1][1]["channelData"]["channel"]["id"] = "19:other@thread.tacv2"
    for name, kind, event, status in (
        ("edit-undelete-event", "messageUpdate", "undeleteMessage", ACK),
        ("edit-wrong-event", "messageUpdate", "softDeleteMessage", BAD),
        ("delete-wrong-event", "messageDelete", "editMessage", BAD),
    ):
        activity = message_update(url, reply["id"], "Nytt", root=root)
        activity["type"] = kind
        activity["channelData"]["eventType"] = event
        odd.append((name, activity, status))
    no_text = message_update(url, reply["id"], "", root=root)
    del no_text["text"]
    odd.append(("edit-without-text", no_text, ACK))
    no_data = message_update(url, reply["id"], "Nytt", root=root)
    del no_data["channelData"]
    odd.append(("edit-without-channel-data", no_data, BAD))
    for name, activity, status in odd:
        assert web.send(activity).status_code == status, name
        assert [c.text for c in _contributions(web.core)] == ["Vi har gåmöten"], name
    _assert_healthy(web)

    for n, text in enumerate(HOSTILE_TEXTS):
        expected = _expected(text)
        if expected is None:
            continue  # an emptied message removes the practice, checked last
        edit = message_update(url, reply["id"], html.escape(text, quote=False), root=root)
        edit["timestamp"] = f"2026-11-23T10:{n:02d}:00+00:00"
        assert web.send(edit).status_code == 200, n
        assert _stored(web.core, reply["id"]) == [expected], n
    emptied = message_update(url, reply["id"], " \n ", root=root)
    assert web.send(emptied).status_code == 200
    assert _stored(web.core, reply["id"]) == []
    _assert_healthy(web)


def test_odd_installations_are_answered_and_never_crash(web: Web) -> None:
    url = web.connector.url
    # (id, activity, status, welcome messages posted in the team's General channel)
    cases: list[tuple[str, dict[str, Any], int, int]] = []
    for name, members, welcomes in (
        ("members-empty", [], 0),
        ("members-someone-else", [{"id": "29:someone"}], 0),
        ("members-bot-twice", [{"id": BOT_ID}, {"id": BOT_ID}], 1),
        ("members-odd-fields", [{"id": BOT_ID, "role": "x", "extra": [1]}], 1),
    ):
        activity = bot_added(url)
        activity["membersAdded"] = members
        cases.append((name, activity, ACK, welcomes))
    for name, odd in (
        ("members-not-a-list", {"id": BOT_ID}),
        ("members-strings", [BOT_ID]),
        ("members-without-id", [{"name": "Ledarforum"}]),
        ("members-name-number", [{"id": BOT_ID, "name": 5}]),
    ):
        activity = bot_added(url)
        activity["membersAdded"] = odd
        cases.append((name, activity, BAD, 0))
    removed = bot_added(url)
    removed["membersRemoved"] = removed.pop("membersAdded")
    cases.append(("bot-removed", removed, ACK, 0))
    no_team = bot_added(url)
    del no_team["channelData"]
    cases.append(("no-channel-data", no_team, ACK, 1))
    group = bot_added(url)
    group["conversation"] = {"id": "19:group@thread.v2", "conversationType": "groupChat"}
    cases.append(("group-chat", group, ACK, 0))
    for action, status in (("add", ACK), ("remove", ACK), ("add-upgrade", ACK), ("foo", ACK)):
        install = bot_added(url)
        install["type"] = "installationUpdate"
        install["action"] = action
        cases.append((f"installation-{action}", install, status, 0))
    for name, activity, status, welcomes in cases:
        before = len(web.connector.in_conversation(TEAM))
        assert web.send(activity).status_code == status, name
        assert web.send(activity).status_code == status, name  # delivered again
        assert len(web.connector.in_conversation(TEAM)) == before + welcomes, name
    assert web.connector.in_conversation("19:group@thread.v2") == []
    assert _contributions(web.core) == []
    _assert_healthy(web)


def _submit(value: dict[str, Any]) -> Callable[[ForumInfo], dict[str, Any]]:
    return lambda forum: value


# (id, the value of a card submitted in the personal chat, stored)
ODD_CARDS: list[tuple[str, Callable[[ForumInfo], dict[str, Any]], bool]] = [
    ("forum-superscript", _submit({"action": "share_submit", "forum": "²", "text": "Ett"}), False),
    ("forum-huge", _submit({"action": "share_submit", "forum": "9" * 40, "text": "Ett"}), False),
    ("forum-huge-int", _submit({"action": "share_submit", "forum": 10**30, "text": "Ett"}), False),
    ("forum-negative", _submit({"action": "share_submit", "forum": -1, "text": "Ett"}), False),
    ("forum-true", _submit({"action": "share_submit", "forum": True, "text": "Ett"}), False),
    ("forum-float", _submit({"action": "share_submit", "forum": 1.0, "text": "Ett"}), False),
    ("forum-list", _submit({"action": "share_submit", "forum": [1], "text": "Ett"}), False),
    (
        "text-list",
        lambda f: {"action": "share_submit", "forum": f.id, "form": "a", "text": ["Ett"]},
        False,
    ),
    ("text-number", lambda f: {"action": "share_submit", "forum": f.id, "text": 5}, False),
    ("text-object", lambda f: {"action": "share_submit", "forum": f.id, "text": {"a": 1}}, False),
    (
        "period-13",
        lambda f: {"action": "share_submit", "forum": f.id, "period": "2026-13", "text": "Ett"},
        True,
    ),
    (
        "period-arabic-digits",
        lambda f: {"action": "share_submit", "forum": f.id, "period": "٢٠٢٦-١١", "text": "Två"},
        True,
    ),
    (
        "period-newline",
        lambda f: {"action": "share_submit", "forum": f.id, "period": "2026-11\n", "text": "Tre"},
        True,
    ),
    (
        "form-nul",
        lambda f: {"action": "share_submit", "forum": f.id, "form": "\x00", "text": "Fyra"},
        True,
    ),
    (
        "form-list",
        lambda f: {"action": "share_submit", "forum": f.id, "form": ["x"], "text": "Fem"},
        True,
    ),
    (
        "anonymous-list",
        lambda f: {"action": "share_submit", "forum": f.id, "anonymous": [1], "text": "Sex"},
        True,
    ),
    ("undo-superscript", lambda f: {"action": "share_undo", "forum": f.id, "value": "²"}, False),
    ("undo-huge", lambda f: {"action": "share_undo", "forum": f.id, "value": "9" * 40}, False),
    ("undo-huge-int", lambda f: {"action": "share_undo", "forum": f.id, "value": 10**30}, False),
    ("undo-negative", lambda f: {"action": "share_undo", "forum": f.id, "value": "-1"}, False),
    (
        "open-period-13",
        lambda f: {"action": "share_open", "forum": f.id, "value": "2026-13"},
        False,
    ),
    ("open-nul", lambda f: {"action": "share_open", "forum": f.id, "value": "\x00"}, False),
    ("open-forum-true", _submit({"action": "share_open", "forum": True}), False),
    ("unknown-action", lambda f: {"action": "drop_tables", "forum": f.id}, False),
]


def test_hostile_and_odd_card_submissions_are_answered_and_never_stored_wrongly(
    web: Web, clock: FakeClock
) -> None:
    forum, _ = _setup(web, clock)
    for n, text in enumerate(HOSTILE_TEXTS):
        value = {
            "action": "share_submit",
            "forum": forum.id,
            "period": "2026-11",
            "form": f"form-{n}",
            "text": text,  # an Input.Text value: plain text, not HTML
            "anonymous": "false",
        }
        submit = personal_message(web.connector.url, value=value)
        before = len(_private(web.connector))
        assert web.send(submit).status_code == 200, n
        [answer] = _private(web.connector)[before:]
        stored = _stored(web.core, f"form:form-{n}")
        expected = _expected(text)
        assert stored == ([expected] if expected else []), n
        assert _is_thanks(answer) is (expected is not None), n

    for name, make, stores in ODD_CARDS:
        before = len(_contributions(web.core))
        submit = personal_message(web.connector.url, value=make(forum))
        assert web.send(submit).status_code == 200, name
        after = _contributions(web.core)
        assert len(after) == before + int(stores), name
        for row in after[before:]:
            assert row.period == "2026-11", name
            assert row.text in {"Ett", "Två", "Tre", "Fyra", "Fem", "Sex"}, name
            assert row.source_message_id.isprintable(), name
    forms = [p for p in _private(web.connector) if "share_submit" in json.dumps(p.cards)]
    assert forms and all('"period"' not in json.dumps(form.cards) for form in forms)
    _assert_healthy(web)


# -- fuzzing ------------------------------------------------------------------------------------

_ACTIVITY_KEYS = [
    "type",
    "id",
    "from",
    "recipient",
    "conversation",
    "serviceUrl",
    "channelData",
    "entities",
    "value",
    "text",
    "timestamp",
    "replyToId",
    "name",
    "membersAdded",
    "action",
]
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["message", "invoke", "event", "conversationUpdate", "messageUpdate"])
)
_json = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(_ACTIVITY_KEYS) | st.text(max_size=8), children, max_size=4
        )
    ),
    max_leaves=12,
)
_FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@_FUZZ
@given(activity=st.dictionaries(st.sampled_from(_ACTIVITY_KEYS) | st.text(max_size=8), _json))
def test_arbitrary_json_objects_are_never_a_server_error(
    web: Web, activity: dict[str, Any]
) -> None:
    response = web.send(activity)
    assert response.status_code in {200, 400}
    assert _contributions(web.core) == []
    _assert_healthy(web)


@_FUZZ
@given(changes=st.dictionaries(st.sampled_from(_ACTIVITY_KEYS), _json, min_size=1, max_size=3))
def test_a_thread_reply_with_fields_replaced_is_never_a_server_error(
    web: Web, clock: FakeClock, changes: dict[str, Any]
) -> None:
    if web.root is None:
        web.root = _setup(web, clock)[1]
    before = len(_contributions(web.core))
    reply = channel_message(web.connector.url, "Vi har gåmöten", root=web.root, mention=False)
    reply.update(changes)
    response = web.send(reply)
    assert response.status_code in {200, 400}
    after = _contributions(web.core)
    assert len(after) - before in {0, 1}
    assert all(c.text == clean_text(c.text) and c.text for c in after)
    _assert_healthy(web)
