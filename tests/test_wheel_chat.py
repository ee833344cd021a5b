"""The year wheel in chat: the `årscykel`/`year` answer shows it by its public URL."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from PIL import Image

from bot.core import Core
from bot.dialogue import Actor
from bot.domain import Platform
from bot.messages import Message, Picture, plain_text
from bot.services import calendar_feed, forums
from bot.wheel.chat import reachable
from handlers.slack.render import element_blocks
from handlers.teams.render import card_of
from tests.slack.conftest import CHANNEL, Served, make_served, served, slack  # noqa: F401

PUBLIC = "https://ledarforum.example.se"


def _year_answer(core: Core, word: str = "årscykel") -> Message:
    with core.db.transaction() as session:
        forums.ensure_forum(
            session, Platform.SLACK, "T1", "C1", language="sv", timezone="Europe/Stockholm"
        )
    actor = Actor(Platform.SLACK, "T1", "ULEADER", "Lea Ledare")
    reply = core.dialogue.handle_text(actor, "C1", f"/ledarforum {word}")
    assert len(reply.private) == 1
    return reply.private[0]


def test_the_year_answer_shows_the_wheel_by_its_public_url(core: Core) -> None:
    core.publisher.public_url = PUBLIC
    answer = _year_answer(core)
    pictures = [e for e in answer.elements if isinstance(e, Picture)]
    assert len(pictures) == 1
    url = urlsplit(pictures[0].url)
    assert f"{url.scheme}://{url.netloc}" == PUBLIC and url.query == "lang=sv"
    token = url.path.removeprefix("/wheel/").removesuffix(".png")
    with core.db.transaction() as session:
        forum = calendar_feed.forum_for_token(session, token)
    assert forum is not None and forum.channel_id == "C1"
    assert "2026" in pictures[0].alt and "Årshjulet" in pictures[0].alt
    # Asking again shows the same address (one live token per forum).
    again = [e for e in _year_answer(core, "year").elements if isinstance(e, Picture)]
    assert again[0].url.split("?")[0] == pictures[0].url.split("?")[0]
    assert again[0].url.endswith("lang=en")


def test_no_picture_when_the_platform_cannot_fetch_it(core: Core) -> None:
    assert core.publisher.public_url is not None and "localhost" in core.publisher.public_url
    answer = _year_answer(core)
    assert not [e for e in answer.elements if isinstance(e, Picture)]
    assert not reachable("http://127.0.0.1:3000") and not reachable("http://a.localhost")
    assert reachable(PUBLIC)


def test_every_renderer_shows_a_picture() -> None:
    picture = Picture("https://ledarforum.example.se/wheel/abc.png?lang=sv", "Årshjulet för 2026")
    blocks = [block.to_dict() for block in element_blocks(picture)]
    assert blocks == [{"type": "image", "image_url": picture.url, "alt_text": "Årshjulet för 2026"}]
    card = card_of(Message("year", "x", (picture,))).model_dump(by_alias=True, exclude_none=True)
    images = [item for item in card["body"] if item.get("type") == "Image"]
    assert images and images[0]["url"] == picture.url
    assert images[0]["altText"] == "Årshjulet för 2026"
    text = plain_text(Message("year", "x", (picture,)))
    assert picture.url in text and "Årshjulet" in text


def test_the_slack_app_home_shows_the_wheel_when_slack_can_fetch_it(core: Core) -> None:
    from handlers.slack.home import gather
    from handlers.slack.views import home_view

    _year_answer(core)  # makes the forum
    without = home_view(gather(core.dialogue, "T1", "ULEADER"))
    assert not [b for b in without["blocks"] if b["type"] == "image"]
    core.publisher.public_url = PUBLIC
    home = home_view(gather(core.dialogue, "T1", "ULEADER"))
    images = [b for b in home["blocks"] if b["type"] == "image"]
    assert len(images) == 1 and images[0]["image_url"].startswith(f"{PUBLIC}/wheel/")


def test_without_a_public_url_slack_gets_the_wheel_as_a_file_in_the_dm(served: Served) -> None:  # noqa: F811
    response = served.command("årscykel", user="U7")
    assert response.status_code == 200
    served.idle()
    [answer] = served.slack.responses
    assert answer.payload["response_type"] == "ephemeral"
    [upload] = [f for f in served.slack.files if f.completed]
    assert upload.filename == "arshjul-2026.png" and upload.title.startswith("Årshjulet")
    assert upload.channel is not None and upload.channel != CHANNEL  # the DM, not the forum
    picture = Image.open(io.BytesIO(upload.content))
    assert picture.format == "PNG" and picture.size == (1200, 1200)


def test_the_console_and_teams_answers_carry_no_file(core: Core) -> None:
    answer = core.dialogue.handle_text(
        Actor(Platform.CONSOLE, "local", "me", "me"), "console", "/ledarforum årscykel"
    )
    assert answer.pictures == []
