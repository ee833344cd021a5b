"""The platform-neutral core, opened once per process: database, seeds, publisher, dialogue.

Adapters register their posters in :attr:`Core.posters`; nothing here knows which exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.cycle_file import load_cycle, load_default_cycle
from bot.dialogue import Dialogue
from bot.domain import ForumInfo, Platform
from bot.metrics import Metrics
from bot.ports import Poster
from bot.services import cycles, forums
from bot.services.publishing import Publisher
from bot.storage.db import Database
from bot.timing import utcnow

log = logging.getLogger(__name__)


@dataclass
class Core:
    """What every entry point shares."""

    settings: Settings
    db: Database
    publisher: Publisher
    dialogue: Dialogue
    posters: dict[Platform, Poster] = field(default_factory=dict)
    metrics: Metrics = field(default_factory=Metrics)

    def close(self) -> None:
        """Let the digest DMs in flight finish, then release the database."""
        self.publisher.dms.close()
        self.db.dispose()


def open_core(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    database: Database | None = None,
) -> Core:
    """Connect, migrate, seed the default cycle and the configured forums."""
    db = database or Database.connect(settings.database_url)
    seed(db, settings)
    posters: dict[Platform, Poster] = {}
    metrics = Metrics()
    publisher = Publisher(db, posters, clock, metrics, public_url=settings.public_url)
    dialogue = Dialogue(
        db,
        publisher,
        configured_organisers=settings.organisers,
        default_language=settings.language,
        default_timezone=settings.timezone,
        clock=clock,
        metrics=metrics,
    )
    return Core(settings, db, publisher, dialogue, posters, metrics)


def seed(db: Database, settings: Settings) -> None:
    """The default cycle (first start only) and the forums of ``LEDARFORUM_CHANNELS``."""
    if settings.schedule_file is not None:
        path = settings.schedule_file
        doc = load_cycle(path.read_text(encoding="utf-8"), path.name)
    else:
        doc = load_default_cycle()
    with db.transaction() as session:
        if cycles.ensure_default(session, doc):
            log.info("default yearly cycle stored (%d themes)", len(doc.themes))
        for channel in settings.channels:
            ensure_channel_forum(session, settings, channel)


def ensure_channel_forum(session: Session, settings: Settings, channel: str) -> ForumInfo:
    """A Slack forum for a configured channel id (its workspace is learnt from its events)."""
    forum, created = forums.ensure_forum(
        session,
        Platform.SLACK,
        "",
        channel,
        language=settings.language,
        timezone=settings.timezone,
        actor="config:LEDARFORUM_CHANNELS",
    )
    if created:
        log.info("forum created for configured channel %s", channel)
    return forum
