"""A large digest as the core builds it, and what every platform's parts of it must keep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain import Bilingual, ForumInfo, Language, Platform
from bot.messages import Entry, Message
from bot.posts import digest_post
from bot.services.digest import Digest, DigestGroup, DigestItem
from bot.timing import Period

END = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)


def large_digest(platform: Platform, entries: int, lang: Language = "sv") -> Message:
    """A digest of *entries* good practices over two themes, with mentions and markup in them."""
    forum = ForumInfo(1, platform, "T1", "C1", "#forum", lang, "Europe/Stockholm")
    periods = (Period(2026, 10), Period(2026, 11))
    groups = tuple(
        DigestGroup(
            period,
            Bilingual(f"Tema {period.month}", f"Theme {period.month}"),
            tuple(
                DigestItem(
                    None if number % 17 == 0 else f"Ledare {number % 40}",
                    f"Exempel {side}-{number:04d}: <!here> & {{{{x}}}} vi gjorde så här. " * 3,
                    f"https://example.test/p/{side}/{number}",
                    END - timedelta(minutes=number),
                )
                for number in range(side, entries, len(periods))
            ),
        )
        for side, period in enumerate(periods)
    )
    return digest_post(forum, Digest(1, END - timedelta(days=7), END, groups), lang)


def assert_headed_and_whole(message: Message, parts: list[Message]) -> None:
    """Every part starts with the message's heading; every entry comes out once, in order."""
    assert all(part.elements[0] == message.elements[0] for part in parts)
    entries = [e for e in message.elements if isinstance(e, Entry)]
    assert [e for part in parts for e in part.elements if isinstance(e, Entry)] == entries
