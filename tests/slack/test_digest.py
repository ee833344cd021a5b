"""Digest delivery through the real Slack poster: split within Block Kit limits, nothing dropped,
nobody pinged, DMs to subscribers, and a pace of about one message per second per channel."""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections.abc import Callable
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Source
from bot.services import contributions, forums, subscriptions
from bot.services.contributions import NewContribution
from bot.services.digest import excerpt
from bot.timing import digest_moment_at_or_before, shift_digest_moment, utcnow
from fakes.slack import MAX_BLOCKS_JSON_CHARS, blocks_json_length
from handlers.slack.poster import CHANNEL_INTERVAL
from tests.slack.conftest import CHANNEL, Served

PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C999", "<!subteam^")


def _contribute(served: Served, texts: list[str]) -> None:
    forum = served.forum()
    moment = digest_moment_at_or_before(utcnow(), forums.moments(forum))
    with served.core.db.transaction() as session:
        for number, text in enumerate(texts):
            when = moment + timedelta(minutes=number + 1)
            contributions.record(
                session,
                forum,
                NewContribution(
                    author_id=f"U{number % 7}",
                    author_name=f"Ledare {number % 7}",
                    text=text,
                    source=Source.THREAD_REPLY,
                    channel_id=CHANNEL,
                    source_message_id=f"{1_800_000_000 + number}.000100",
                    created_at=when,
                    permalink=f"https://fake.slack.test/archives/{CHANNEL}/p{number}",
                ),
                now=when,
            )


def _post_digest(served: Served) -> str:
    forum = served.forum()
    moment = shift_digest_moment(
        digest_moment_at_or_before(utcnow(), forums.moments(forum)), forums.moments(forum), 1
    )
    result = served.core.publisher.post_digest(forum, moment)
    assert result.status == "posted", result
    return str(result.message_id)


def test_a_digest_of_200_is_split_in_a_thread_and_nothing_is_dropped(served: Served) -> None:
    texts = [f"Exempel nummer {n:03d}: " + "vi gjorde så här. " * 14 for n in range(200)]
    _contribute(served, texts)
    root = _post_digest(served)
    posts = served.slack.posted_messages(CHANNEL)
    assert len(posts) > 1
    assert posts[0]["ts"] == root and posts[0]["thread_ts"] is None
    assert posts[0]["metadata"]["event_type"] == "ledarforum_digest"
    assert all(post["thread_ts"] == root for post in posts[1:])
    everything = ""
    for post in posts:
        assert len(post["blocks"]) <= 50
        assert blocks_json_length(post["blocks"]) <= MAX_BLOCKS_JSON_CHARS
        for block in post["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= 150
        everything += json.dumps(post["blocks"], ensure_ascii=False)
    for number in range(200):
        assert everything.count(f"Exempel nummer {number:03d}:") == 1


def test_mentions_in_a_contribution_ping_nobody(served: Served) -> None:
    _contribute(
        served,
        ["Hej <!channel> och <@U123>, se <#C999|allmänt> & <!subteam^S1|@x> <!here> @everyone"],
    )
    _post_digest(served)
    [post] = served.slack.posted_messages(CHANNEL)
    sent = json.dumps(post["blocks"], ensure_ascii=False) + post["text"]
    for ping in PINGS:
        assert ping not in sent
    assert "&lt;!channel&gt;" in sent and "&lt;@U123&gt;" in sent and " &amp; " in sent
    assert "@\u2060everyone" in sent
    section = next(b for b in post["blocks"] if "&lt;!channel&gt;" in json.dumps(b))
    assert section["text"]["verbatim"] is True


def test_subscribers_get_the_digest_by_dm_at_a_steady_pace(
    make_served: Callable[..., Served],
) -> None:
    served = make_served(pace=CHANNEL_INTERVAL)
    served.slack.rate_limit(per_channel_per_second=1.0)
    _contribute(served, [f"Exempel {n}: " + "text " * 120 for n in range(60)])
    with served.core.db.transaction() as session:
        subscriptions.subscribe(session, served.forum().id, "U2")
    _post_digest(served)
    assert served.slack.rejected == []  # the pace kept us inside Slack's limit
    channel_posts = served.slack.posted_messages(CHANNEL)
    direct = served.slack.posted_messages("DU2")
    assert len(channel_posts) >= 2 and len(direct) == len(channel_posts)
    stamps = [float(post["ts"]) for post in channel_posts]
    assert all(later - earlier >= 0.9 for earlier, later in itertools.pairwise(stamps))


# Every character re's \s matches (Unicode whitespace, \x1c-\x1f included), in runs and alone.
_WHITESPACE = "".join(re.findall(r"\s", "".join(map(chr, range(sys.maxunicode + 1)))))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_WHITESPACE) | st.characters(), max_size=400))
def test_excerpts_collapse_whitespace_as_the_regex_did(text: str) -> None:
    # excerpt() joins str.split() instead of re.sub(r"\s+", " ", text).strip() (faster).
    flat = re.sub(r"\s+", " ", text).strip()
    assert excerpt(text, limit=10_000) == flat
    assert excerpt(text) == excerpt(flat)
