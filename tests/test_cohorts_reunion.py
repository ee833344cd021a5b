"""The reunion post carries the cohort's year in review (themes, most appreciated examples,
participation, trends, meetings) in the forum's language, within the platform's limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from bot.core import Core
from bot.domain import ForumInfo
from bot.messages import plain_text
from bot.services import cohorts, cycles
from bot.services import review as reviews
from bot.storage.models import Contribution, Meeting
from bot.timing import Period
from handlers.slack import render as slack
from tests.support import FakeClock, RecordingPoster
from tests.test_cohorts import make_forum


def _cohort_year(core: Core) -> tuple[ForumInfo, str]:
    """2026: three examples under March's theme (one appreciated by 3), a trend, a meeting."""
    forum = make_forum(
        core, cohort_name="Kull 2026", cohort_end=date(2026, 6, 30), alumni_rhythm="yearly"
    )
    with core.db.transaction() as session:
        march = cycles.theme_at(session, forum, Period(2026, 3))
        assert march is not None
        for number, (author, reactions) in enumerate((("U1", 0), ("U2", 3), ("U3", 1)), 1):
            session.add(
                Contribution(
                    forum_id=forum.id,
                    platform="slack",
                    workspace_id="T1",
                    period="2026-03",
                    theme_title_sv=march.title.sv,
                    theme_title_en=march.title.en,
                    theme_key=march.key,
                    author_id=author,
                    author_name=f"Ledare {number}",
                    text=f"Exempel nummer {number} om samtal",
                    source="thread",
                    channel_id=forum.channel_id,
                    source_message_id=f"r{number}",
                    created_at=datetime(2026, 3, 10 + number, tzinfo=UTC),
                    reactions=reactions,
                )
            )
        session.add(
            Contribution(
                forum_id=forum.id,
                platform="slack",
                workspace_id="T1",
                period="2026-04",
                author_id="U4",
                author_name="Ledare 4",
                text="Läs före återträffen",
                source="trend_command",
                channel_id=forum.channel_id,
                source_message_id="t1",
                created_at=datetime(2026, 4, 2, tzinfo=UTC),
                kind="trend",
                url="https://rapport.example.se/x",
                url_title="Omvärldsrapporten",
            )
        )
        session.add(
            Meeting(
                forum_id=forum.id,
                starts_at=datetime(2026, 5, 12, 11, 0, tzinfo=UTC),
                minutes=90,
                place="Aulan",
            )
        )
    return forum, march.title.sv


def test_the_reunion_post_holds_the_year_in_review_and_its_link(
    core: Core, clock: FakeClock, poster: RecordingPoster
) -> None:
    forum, march_title = _cohort_year(core)
    core.publisher.public_url = "https://ledarforum.example"
    poster.split_size = 1  # one example a part: the post goes out in parts, in one thread
    at = cohorts.reunion_moment(forum, 2027)
    assert at is not None
    clock.set(at)
    assert cohorts.remind_reunion(core.publisher, forum, at).status == "posted"
    parts = [sent for sent in poster.posts if sent.message.kind == cohorts.REUNION]
    assert len(parts) == 4  # three examples and a trend, each an entry: a part of one each
    assert parts[0].thread_id is None
    assert all(part.thread_id == parts[0].message_id for part in parts[1:])
    text = "\n".join(plain_text(part.message) for part in parts)
    assert "Kull 2026" in text and "2026: 3 goda exempel från 3 personer" in text
    assert march_title in text
    # The most appreciated first: number 2 (3 people) before number 3 (1) before number 1.
    assert text.index("Exempel nummer 2") < text.index("Exempel nummer 3")
    assert text.index("Exempel nummer 3") < text.index("Exempel nummer 1")
    assert "Omvärldsrapporten" in text and "Aulan" in text
    assert f"https://ledarforum.example/forums/{forum.id}/review/2026" in text
    assert cohorts.remind_reunion(core.publisher, forum, at).status == "already"


def test_a_long_review_in_the_reunion_fits_slacks_limits(core: Core) -> None:
    forum, _ = _cohort_year(core)
    forum = replace(forum, language="en")
    with core.db.transaction() as session:
        review = reviews.build(session, forum, 2026, "en", now=datetime(2027, 6, 1, tzinfo=UTC))
    many = tuple(
        replace(theme, examples=theme.examples * 12) for theme in review.themes
    )  # far beyond one Slack message
    long_review = replace(review, themes=many * 4)
    message = cohorts.reunion_post(forum, 2027, ("2026: …",), "https://x.example/r", long_review)
    assert "The year in review 2026:" in plain_text(message)  # the review, in the forum's language
    parts = slack.split(message)
    assert len(parts) > 1
    for part in parts:
        blocks = slack.blocks_of(part)
        assert len(blocks) <= slack.MAX_BLOCKS
        assert slack.json_size(blocks) <= slack.MAX_BLOCKS_JSON
    assert "https://x.example/r" in plain_text(parts[-1])
