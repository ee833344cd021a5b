"""When a theme comes back: examples remember their theme's key, and next year's theme post on the
same key (or one that follows it) names last year's examples and links to them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from bot.core import Core
from bot.domain import Bilingual, CycleDocument, ForumInfo, Language, Platform, Source, ThemeContent
from bot.messages import Links, Message, Note, plain_text
from bot.services import comeback, contributions, cycles, forums
from bot.storage.models import Contribution
from bot.timing import Period
from handlers.console.render import render as console_render
from handlers.slack import render as slack_render
from handlers.teams import render as teams_render
from tests.support import RecordingPoster
from tests.test_services import share

MARCH_2026 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
MARCH_2027 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 10:00 on the first working day, Stockholm
PUBLIC = "https://ledarforum.example.se"


def theme(
    month: int, title_sv: str, *, key: str | None = None, follows: tuple[str, ...] = ()
) -> ThemeContent:
    return ThemeContent(
        month=month,
        title=Bilingual(title_sv, f"{title_sv} (en)"),
        why_now=Bilingual("Därför nu.", "Because now."),
        questions=(Bilingual("Fråga ett?", "Question one?"), Bilingual("Fråga två?", "Two?")),
        explicit_key=key,
        follows=follows,
    )


APPRAISALS = theme(3, "Medarbetarsamtal", key="medarbetarsamtal")
FEBRUARY = theme(2, "Budget")


def make_forum(
    core: Core,
    channel: str = "C1",
    *,
    language: Language = "sv",
    platform: Platform = Platform.SLACK,
) -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session,
            platform,
            "T1",
            channel,
            language=language,
            timezone="Europe/Stockholm",
        )
    return forum


def use_cycle(core: Core, forum: ForumInfo, *themes: ThemeContent) -> None:
    doc = CycleDocument("Test", {item.month: item for item in themes})
    with core.db.transaction() as session:
        cycles.replace(session, cycles.forum_key(forum.id), doc, actor="test")


def found_ids(core: Core, forum: ForumInfo, period: Period, item: ThemeContent) -> set[int]:
    with core.db.transaction() as session:
        return {found.id for found in comeback.last_year(session, forum, period, item)}


def stored_keys(core: Core) -> dict[int, str | None]:
    with core.db.transaction() as session:
        rows = session.execute(select(Contribution.id, Contribution.theme_key))
        return {row_id: key for row_id, key in rows}


# --------------------------------------------------------------------------------------------------
# Recording and finding


def test_an_example_keeps_its_themes_key_explicit_or_made_from_the_title(core: Core) -> None:
    forum = make_forum(core)
    use_cycle(core, forum, APPRAISALS, FEBRUARY)
    march = share(core, forum, "m1", MARCH_2026)
    february = share(core, forum, "m2", datetime(2026, 2, 10, 9, tzinfo=UTC))
    july = share(core, forum, "m3", datetime(2026, 7, 10, 9, tzinfo=UTC))  # no theme in July
    assert stored_keys(core) == {march: "medarbetarsamtal", february: "budget", july: None}


def test_march_2027_finds_march_2026_of_the_same_key_only(core: Core) -> None:
    forum, other = make_forum(core), make_forum(core, "C2")
    use_cycle(core, forum, APPRAISALS, FEBRUARY)
    use_cycle(core, other, APPRAISALS)
    wanted = {share(core, forum, f"m{i}", MARCH_2026.replace(day=2 + i)) for i in range(3)}
    share(core, other, "o1", MARCH_2026)  # another forum's, same key and month
    share(core, forum, "b1", datetime(2026, 2, 10, 9, tzinfo=UTC))  # another month
    share(core, forum, "old", datetime(2025, 3, 10, 9, tzinfo=UTC))  # two years back
    # Another month's example that happens to carry the same key is not last March's.
    april = share(core, forum, "a1", datetime(2026, 4, 10, 9, tzinfo=UTC))
    with core.db.transaction() as session:
        session.execute(
            update(Contribution)
            .where(Contribution.id == april)
            .values(theme_key="medarbetarsamtal")
        )
    assert found_ids(core, forum, Period(2027, 3), APPRAISALS) == wanted
    with core.db.transaction() as session:
        items = comeback.last_year(session, forum, Period(2027, 3), APPRAISALS, limit=2)
    assert len(items) == 2
    assert all(item.theme_key == "medarbetarsamtal" for item in items)
    assert items[0].created_at <= items[1].created_at  # oldest first
    assert found_ids(core, other, Period(2027, 3), APPRAISALS) != wanted


def test_a_renamed_theme_that_follows_the_old_key_finds_its_examples(core: Core) -> None:
    forum = make_forum(core)
    use_cycle(core, forum, APPRAISALS)
    wanted = {share(core, forum, "m1", MARCH_2026), share(core, forum, "m2", MARCH_2026)}
    renamed = theme(3, "Utvecklingssamtal", follows=("medarbetarsamtal",))
    unlinked = theme(3, "Utvecklingssamtal")
    assert renamed.key == "utvecklingssamtal"
    assert found_ids(core, forum, Period(2027, 3), renamed) == wanted
    assert found_ids(core, forum, Period(2027, 3), unlinked) == set()
    # The explicit link holds when the theme moved to April too.
    moved = replace(renamed, month=4)
    assert found_ids(core, forum, Period(2027, 4), moved) == wanted


def test_examples_saved_without_a_key_count_by_their_title(core: Core) -> None:
    forum = make_forum(core)
    use_cycle(core, forum, theme(3, "Medarbetarsamtal & lön"))
    legacy = share(core, forum, "m1", MARCH_2026)
    with core.db.transaction() as session:
        session.execute(update(Contribution).values(theme_key=None))
    assert found_ids(core, forum, Period(2027, 3), theme(3, "Medarbetarsamtal & lön")) == {legacy}
    keyed = theme(3, "Ny titel", key="medarbetarsamtal-lon")
    assert found_ids(core, forum, Period(2027, 3), keyed) == {legacy}
    follower = theme(5, "Löneprocessen", follows=("medarbetarsamtal-lon",))
    assert found_ids(core, forum, Period(2027, 5), follower) == {legacy}
    assert found_ids(core, forum, Period(2027, 3), theme(3, "Något annat")) == set()


def test_summary_names_the_key_the_library_lists_them_under(core: Core) -> None:
    forum = make_forum(core)
    use_cycle(core, forum, APPRAISALS)
    share(core, forum, "m1", MARCH_2026)
    renamed = theme(3, "Utvecklingssamtal", follows=("medarbetarsamtal",))
    with core.db.transaction() as session:
        summary = comeback.summary(session, forum, Period(2027, 3), renamed)
        nothing = comeback.summary(session, forum, Period(2027, 3), theme(3, "Annat"))
    assert summary == comeback.LastYear(1, "medarbetarsamtal")
    assert nothing is None
    assert summary.library_url(PUBLIC + "/", 7) == (
        f"{PUBLIC}/forums/7/library?theme=medarbetarsamtal"
    )


# --------------------------------------------------------------------------------------------------
# The theme post


def _posted(poster: RecordingPoster) -> Message:
    posts = poster.theme_posts()
    assert len(posts) == 1
    return posts[0].message


def _comeback_lines(message: Message) -> list[Links | Note]:
    lines: list[Links | Note] = []
    for element in message.elements:
        linked = isinstance(element, Links) and "library" in element.links[0].url
        said = isinstance(element, Note) and element.text.startswith(("Förra året", "Last year"))
        if linked or said:
            assert isinstance(element, Links | Note)
            lines.append(element)
    return lines


def _four_last_march(core: Core, forum: ForumInfo) -> None:
    use_cycle(core, forum, APPRAISALS)
    for i in range(4):
        share(core, forum, f"m{i}", MARCH_2026.replace(day=2 + i))


def test_the_core_gives_the_publisher_the_public_url(core: Core) -> None:
    assert core.publisher.public_url == core.settings.public_url


@pytest.mark.parametrize(
    ("language", "label"),
    [
        ("sv", "Förra året på det här temat: 4 goda exempel"),
        ("en", "Last year on this theme: 4 good examples"),
    ],
)
def test_the_theme_post_links_to_last_years_examples(
    core: Core, poster: RecordingPoster, language: Language, label: str
) -> None:
    forum = make_forum(core, language=language)
    _four_last_march(core, forum)
    core.publisher.public_url = PUBLIC
    assert core.publisher.post_theme(forum, MARCH_2027).status == "posted"
    message = _posted(poster)
    (line,) = _comeback_lines(message)
    assert isinstance(line, Links)
    assert line.links[0].label == label
    assert line.links[0].url == f"{PUBLIC}/forums/{forum.id}/library?theme=medarbetarsamtal"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "sv",
            "Förra året på det här temat: 4 goda exempel. "
            "Hitta dem med /ledarforum sök följt av ett ord.",
        ),
        (
            "en",
            "Last year on this theme: 4 good examples. "
            "Find them with /ledarforum search followed by a word.",
        ),
    ],
)
def test_without_a_reachable_public_url_the_post_points_to_search(
    core: Core, poster: RecordingPoster, language: Language, text: str
) -> None:
    forum = make_forum(core, language=language)
    _four_last_march(core, forum)
    assert core.settings.public_url.startswith("http://localhost")  # the default
    core.publisher.post_theme(forum, MARCH_2027)
    (line,) = _comeback_lines(_posted(poster))
    assert line == Note(text)


def test_one_example_is_singular_and_teams_names_its_mention(core: Core) -> None:
    forum = make_forum(core, platform=Platform.TEAMS)
    core.posters[Platform.TEAMS] = core.posters[Platform.SLACK]
    use_cycle(core, forum, APPRAISALS)
    share(core, forum, "m1", MARCH_2026)
    core.publisher.post_theme(forum, MARCH_2027)
    (line,) = _comeback_lines(_posted(core.posters[Platform.TEAMS]))  # type: ignore[arg-type]
    assert line == Note(
        "Förra året på det här temat: 1 gott exempel. "
        "Hitta det med @Ledarforum sök följt av ett ord."
    )


def test_a_console_forum_may_link_to_localhost(core: Core, poster: RecordingPoster) -> None:
    forum = make_forum(core, "console", platform=Platform.CONSOLE)
    _four_last_march(core, forum)
    core.publisher.post_theme(forum, MARCH_2027)
    (line,) = _comeback_lines(_posted(poster))
    assert isinstance(line, Links)
    assert line.links[0].url.startswith(f"{core.settings.public_url}/forums/{forum.id}/library")


def test_no_line_when_last_year_had_nothing_on_the_theme(
    core: Core, poster: RecordingPoster
) -> None:
    forum = make_forum(core)
    use_cycle(core, forum, APPRAISALS, FEBRUARY)
    share(core, forum, "b1", datetime(2026, 2, 10, 9, tzinfo=UTC))  # last February, not March
    core.publisher.public_url = PUBLIC
    core.publisher.post_theme(forum, MARCH_2027)
    message = _posted(poster)
    assert _comeback_lines(message) == []
    assert "Förra året" not in plain_text(message)


def test_the_count_is_the_one_at_posting_time_and_the_post_goes_out_once(
    core: Core, poster: RecordingPoster
) -> None:
    forum = make_forum(core)
    _four_last_march(core, forum)
    core.publisher.public_url = PUBLIC
    assert core.publisher.post_theme(forum, MARCH_2027).status == "posted"
    share(core, forum, "late", MARCH_2026.replace(day=20))
    assert core.publisher.post_theme(forum, MARCH_2027).status == "already"
    (line,) = _comeback_lines(_posted(poster))
    assert isinstance(line, Links) and "4 goda exempel" in line.links[0].label


def test_every_renderer_shows_the_line(core: Core, poster: RecordingPoster) -> None:
    forum = make_forum(core)
    _four_last_march(core, forum)
    core.publisher.public_url = PUBLIC
    core.publisher.post_theme(forum, MARCH_2027)
    message = _posted(poster)
    url = f"{PUBLIC}/forums/{forum.id}/library?theme=medarbetarsamtal"
    label = "Förra året på det här temat: 4 goda exempel"
    slack = json.dumps(slack_render.blocks_of(message), ensure_ascii=False)
    assert f"<{url}|{label}>" in slack
    teams = json.dumps(teams_render.card_json(teams_render.card_of(message)), ensure_ascii=False)
    assert f"[{label}]({url})" in teams
    assert f"→ {label}: {url}" in console_render(message)


def test_the_search_hint_renders_on_every_platform(core: Core, poster: RecordingPoster) -> None:
    forum = make_forum(core)
    _four_last_march(core, forum)
    core.publisher.post_theme(forum, MARCH_2027)
    message = _posted(poster)
    hint = "Förra året på det här temat: 4 goda exempel"
    assert hint in json.dumps(slack_render.blocks_of(message), ensure_ascii=False)
    teams = json.dumps(teams_render.card_json(teams_render.card_of(message)), ensure_ascii=False)
    assert hint in teams
    assert hint in console_render(message)


def test_recording_never_fails_on_a_title_without_letters(core: Core) -> None:
    forum = make_forum(core)
    use_cycle(core, forum, theme(3, "???"))
    with core.db.transaction() as session:
        stored = contributions.record(
            session,
            forum,
            contributions.NewContribution(
                "U1",
                "Person U1",
                "Ett exempel",
                Source.CONSOLE,
                "C1",
                "x",
                MARCH_2026,
            ),
            now=MARCH_2026,
        )
    assert stored_keys(core) == {stored.id: None}
    assert found_ids(core, forum, Period(2027, 3), theme(3, "???")) == set()
