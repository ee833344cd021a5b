"""OAuth install to many workspaces: slack_sdk's SQLAlchemy stores on our own engine.

The tables come from our migrations (``0002_slack_oauth``), never from ``create_tables()``, so
every instance sees the same schema. Uninstalls and revoked tokens are handled by Bolt's token
revocation listeners, which delete the workspace's rows from the same store. Whoever installs the
app becomes an organiser of every forum in that workspace (only there).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from logging import Logger
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.domain import Platform
from bot.services import organisers
from bot.storage.db import Database

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600
DEFAULT_API_URL = "https://slack.com/api/"
# The least the bot needs: post, answer the command, read thread replies and the commands written
# in its messages tab, reactions and names, open DMs and send exports; metadata is read back from
# our own posts. The same as handlers/slack/manifest.yml (a test compares them).
BOT_SCOPES = (
    "chat:write",
    "commands",
    "channels:history",
    "groups:history",
    "im:history",
    "reactions:read",
    "users:read",
    "im:write",
    "files:write",
    # conversations.info's member count (the share of members who took part, issue 13)
    "channels:read",
    "groups:read",
)


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    """The workspaces' installs (bot tokens), scoped per workspace, in our database."""
    assert settings.slack_client_id is not None
    return SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)


def authorization_url(api_url: str) -> str | None:
    """Where installs start: Slack's default, or the same host as the API (GovSlack)."""
    if api_url == DEFAULT_API_URL or not api_url.endswith("/api/"):
        return None
    return api_url[: -len("api/")] + "oauth/v2/authorize"


class ThreadedInstallationStore(AsyncInstallationStore):
    """The synchronous store for Bolt's asynchronous app: each call in a worker thread, so the
    server's event loop never waits on the database (one engine and schema for both)."""

    def __init__(self, store: SQLAlchemyInstallationStore) -> None:
        self.store = store

    @property
    def logger(self) -> Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.store.save_bot, bot)

    async def async_find_bot(self, **ids: Any) -> Bot | None:
        return await asyncio.to_thread(lambda: self.store.find_bot(**ids))

    async def async_find_installation(self, **ids: Any) -> Installation | None:
        return await asyncio.to_thread(lambda: self.store.find_installation(**ids))

    async def async_delete_bot(self, **ids: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_bot(**ids))

    async def async_delete_installation(self, **ids: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_installation(**ids))

    async def async_delete_all(self, **ids: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_all(**ids))


class ThreadedStateStore(AsyncOAuthStateStore):
    """The OAuth state store, likewise in a worker thread."""

    def __init__(self, store: SQLAlchemyOAuthStateStore) -> None:
        self.store = store

    @property
    def logger(self) -> Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.store.issue, *args, **kwargs)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.store.consume, state)


def oauth_settings(
    settings: Settings, engine: Engine, store: SQLAlchemyInstallationStore
) -> AsyncOAuthSettings:
    """Bolt's OAuth flow on our stores: ``/slack/install`` and ``/slack/oauth_redirect``."""
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url(settings.slack_api_url),
        installation_store=ThreadedInstallationStore(store),
        state_store=ThreadedStateStore(
            SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)
        ),
        callback_options=AsyncCallbackOptions(
            success=installer_becomes_organiser(Database(engine)), failure=_failure
        ),
    )


def installer_becomes_organiser(
    db: Database,
) -> Callable[[AsyncSuccessArgs], Awaitable[BoltResponse]]:
    """Bolt's success hook: whoever installed the app organises every forum of that workspace.

    Only that workspace (``scope *`` there): an install elsewhere gives no role in another one.
    """

    def add(team: str, user: str) -> None:
        with db.transaction() as session:
            organisers.add_everywhere(session, Platform.SLACK.value, team, user)

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        installation = args.installation
        team, user = installation.team_id, installation.user_id
        if team and user:  # an organisation-wide install names no workspace to organise
            try:
                await asyncio.to_thread(add, team, user)
            except SQLAlchemyError as exc:
                log.exception("the installer of %s could not be made an organiser", team)
                return await args.default.failure(
                    AsyncFailureArgs(
                        request=args.request,
                        reason="storage_error",
                        error=exc,
                        suggested_status_code=500,
                        settings=args.settings,
                        default=args.default,
                    )
                )
        return await args.default.success(args)

    return success


async def _failure(args: AsyncFailureArgs) -> BoltResponse:
    return await args.default.failure(args)
