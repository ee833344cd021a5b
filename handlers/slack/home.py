"""The App Home tab: gathered from the services, rendered by :mod:`handlers.slack.views`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.dialogue import Actor, Dialogue
from bot.domain import Platform
from bot.i18n import long_date
from bot.messages import Entry
from bot.services import contributions, cycles, subscriptions
from bot.services.digest import excerpt
from bot.wheel import chat as wheel_chat
from handlers.slack.views import HomeData, home_view

RECENT = 5


def gather(dialogue: Dialogue, team_id: str, user_id: str) -> HomeData:
    """What the Home tab shows *user_id*: their workspace's forum, as of now."""
    actor = Actor(Platform.SLACK, team_id, user_id, user_id)
    forum = dialogue.forum_for(actor, "")
    lang = dialogue.language_for(actor, forum)
    if forum is None:
        return HomeData(lang, None, None, None, None, (), subscribed=False, organiser=False)
    zone = ZoneInfo(forum.timezone)
    with dialogue.db.transaction() as session:
        current = cycles.current(session, forum, dialogue.clock())
        # The months as they come next: what the organiser's edit buttons change.
        cycle = cycles.coming_twelve(session, forum, dialogue.clock())
        rows = contributions.recent_by_author(
            session, Platform.SLACK.value, team_id, user_id, RECENT
        )
        mine = tuple(
            Entry(
                author=row.author_name,
                text=excerpt(row.text),
                link=row.permalink,
                when=long_date(lang, row.created_at.astimezone(zone)),
            )
            for row in rows
        )
        subscribed = subscriptions.is_subscribed(session, forum.id, user_id)
        wheel = wheel_chat.picture_url(
            session, dialogue.publisher.public_url, forum, lang, actor=actor.ref
        )
    organiser = dialogue.is_organiser(actor, forum)
    # Organisers see the group's participation; the member count is asked at most once a day.
    found = dialogue.participation(forum)[0] if organiser else None
    return HomeData(
        lang,
        forum,
        current.period,
        current.theme,
        cycle,
        mine,
        subscribed=subscribed,
        organiser=organiser,
        participation=found,
        wheel=wheel,
    )


def publish(client: WebClient, dialogue: Dialogue, team_id: str, user_id: str) -> None:
    """Render and publish the Home tab of *user_id*."""
    view = home_view(gather(dialogue, team_id, user_id))
    client.views_publish(user_id=user_id, view=view)
