"""OAuth install to many workspaces: slack_sdk's SQLAlchemy stores on our own engine.

The tables come from our migrations (``0002_slack_oauth``), never from ``create_tables()``, so
every instance sees the same schema. Uninstalls and revoked tokens are handled by Bolt's token
revocation listeners, which delete the workspace's rows from the same store.
"""

from __future__ import annotations

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.config import Settings

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600
DEFAULT_API_URL = "https://slack.com/api/"
# The least the bot needs: post, answer the command, read thread replies, reactions and names,
# open DMs and send exports; metadata is read back from our own posts.
BOT_SCOPES = (
    "chat:write",
    "commands",
    "channels:history",
    "groups:history",
    "reactions:read",
    "users:read",
    "im:write",
    "files:write",
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


def oauth_settings(
    settings: Settings, engine: Engine, store: SQLAlchemyInstallationStore
) -> OAuthSettings:
    """Bolt's OAuth flow on our stores: ``/slack/install`` and ``/slack/oauth_redirect``."""
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorization_url(settings.slack_api_url),
        installation_store=store,
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
    )
