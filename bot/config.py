"""Settings: read once at start from the environment (and a ``.env`` file), validated, typed.

A missing or malformed value raises :class:`ConfigError` with one sentence naming the variable.
Nothing here talks to the network: platform credentials are checked when first used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.domain import Language, is_language

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the process is configured with (see docs/configuration.md)."""

    database_url: str = "sqlite:///ledarforum.db"
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_state_secret: str | None = field(default=None, repr=False)
    slack_api_url: str = "https://slack.com/api/"
    teams_client_id: str | None = None
    teams_client_secret: str | None = field(default=None, repr=False)
    teams_tenant_id: str | None = None
    teams_allow_unauthenticated: bool = False
    channels: tuple[str, ...] = ()
    organisers: tuple[str, ...] = ()
    schedule_file: Path | None = None
    timezone: str = "Europe/Stockholm"
    language: Language = "sv"
    host: str = "0.0.0.0"  # noqa: S104 - a server in a container listens on every interface
    port: int = 3000
    log_level: str = "INFO"
    log_format: str = "text"
    # Inbox workers renew their row this often; one silent for the threshold is taken for stopped.
    worker_renew_seconds: float = 2.0
    worker_stale_seconds: float = 10.0
    # An inbox claim is free to take again after its lease even when its process still lives:
    # a worker's batch (Slack), or a claim taken within a request (Teams). Rows per batch.
    inbox_lease_seconds: float = 300.0
    inbox_request_lease_seconds: float = 120.0
    inbox_batch: int = 32  # thread replies of a batch are stored in one transaction
    # Processes doing the slow work (inbox, scheduler) beside the one serving requests; None:
    # by core count (see :func:`worker_processes`), 0: in the serving process itself.
    workers: int | None = None
    # The web pages (issue 13): the base URL people reach, the key that signs cookies (else one
    # generated and kept in the database) and the Microsoft sign-in authority.
    public_url: str = "http://localhost:3000"
    secret_key: str | None = field(default=None, repr=False)
    entra_authority: str = "https://login.microsoftonline.com/organizations"

    @property
    def slack_configured(self) -> bool:
        """True when any Slack transport is configured."""
        return bool(self.slack_app_token or self.slack_signing_secret)

    @property
    def slack_oauth(self) -> bool:
        """True when OAuth install to many workspaces is configured."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def teams_configured(self) -> bool:
        """True when the Teams endpoint should be served."""
        return bool(self.teams_client_id or self.teams_allow_unauthenticated)

    def secrets(self) -> list[str]:
        """Every secret value, so log filters can make sure none is ever printed."""
        values = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.slack_client_secret,
            self.slack_state_secret,
            self.teams_client_secret,
            self.secret_key,
        )
        return [value for value in values if value]


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _bool(env: Mapping[str, str], name: str) -> bool:
    value = (env.get(name) or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}.")


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = env.get(name) or ""
    items = tuple(part.strip() for part in raw.split(",") if part.strip())
    for item in items:
        if not item.replace("-", "").replace("_", "").replace(":", "").isalnum():
            raise ConfigError(f"{name} must be a comma-separated list of ids; {item!r} is not one.")
    return items


def _timezone(env: Mapping[str, str], name: str, default: str) -> str:
    value = _text(env, name) or default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{name} must be an IANA time zone such as Europe/Stockholm, not {value!r}."
        ) from exc
    return value


def _database_url(env: Mapping[str, str]) -> str:
    value = _text(env, "DATABASE_URL") or Settings.database_url
    if "://" not in value:
        raise ConfigError(
            "DATABASE_URL must be an SQLAlchemy URL such as sqlite:///ledarforum.db "
            "or postgresql+psycopg://user@host/db."
        )
    scheme = value.split("://", 1)[0]
    if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
        raise ConfigError(f"DATABASE_URL must use sqlite or postgresql, not {scheme!r}.")
    if scheme in {"postgresql", "postgres", "postgresql+psycopg2"}:
        # We ship psycopg 3: point the common spellings at it rather than at a missing driver.
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def _port(env: Mapping[str, str]) -> int:
    raw = _text(env, "PORT") or "3000"
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"PORT must be a port number between 1 and 65535, not {raw!r}.")
    return int(raw)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < 3600:
        raise ConfigError(f"{name} must be a number of seconds between 0 and 3600, not {raw!r}.")
    return value


def _worker_seconds(env: Mapping[str, str]) -> tuple[float, float]:
    renew = _seconds(env, "LEDARFORUM_WORKER_RENEW_SECONDS", Settings.worker_renew_seconds)
    stale = _seconds(env, "LEDARFORUM_WORKER_STALE_SECONDS", Settings.worker_stale_seconds)
    if stale < 2 * renew:
        # A single late renewal must not make a live worker look stopped.
        raise ConfigError(
            "LEDARFORUM_WORKER_STALE_SECONDS must be at least twice "
            f"LEDARFORUM_WORKER_RENEW_SECONDS ({renew:g}), not {stale:g}."
        )
    return renew, stale


def _count(env: Mapping[str, str], name: str, default: int, most: int) -> int:
    raw = _text(env, name)
    if raw is None:
        return default
    if not raw.isdigit() or not 0 < int(raw) <= most:
        raise ConfigError(f"{name} must be a whole number between 1 and {most}, not {raw!r}.")
    return int(raw)


MAX_WORKERS = 16


def _workers(raw: str | None, name: str = "LEDARFORUM_WORKERS") -> int | None:
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    if not raw.isdigit() or int(raw) > MAX_WORKERS:
        raise ConfigError(f"{name} must be a whole number from 0 to {MAX_WORKERS}, not {raw!r}.")
    return int(raw)


def parse_workers(raw: str) -> int:
    """``--workers N`` as given on the command line (raises :class:`ConfigError`)."""
    found = _workers(raw, "--workers")
    if found is None:
        raise ConfigError("--workers needs a number from 0 to 16.")
    return found


def worker_processes(settings: Settings, cpus: int | None) -> int:
    """How many worker processes ``ledarforum run`` starts.

    Configured, else by core count: the cores beyond the one serving requests, at most four; on
    SQLite one, since its single writer makes more only queue.
    """
    if settings.workers is not None:
        return settings.workers
    spare = max(1, (cpus or 1) - 1)
    return 1 if settings.database_url.startswith("sqlite") else min(spare, 4)


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = _text(env, name) or default
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http(s) URL, not {value!r}.")
    return value if value.endswith("/") else value + "/"


def _public_url(env: Mapping[str, str], port: int) -> str:
    value = _text(env, "LEDARFORUM_PUBLIC_URL") or f"http://localhost:{port}"
    scheme, _, rest = value.partition("://")
    if scheme not in {"http", "https"} or not rest.split("/")[0] or any(c in value for c in " ?#"):
        raise ConfigError(
            f"LEDARFORUM_PUBLIC_URL must be an http(s) URL such as https://ledarforum.example.se, "
            f"not {value!r}."
        )
    return value.rstrip("/")


def _secret_key(env: Mapping[str, str]) -> str | None:
    value = _text(env, "LEDARFORUM_SECRET_KEY")
    if value is not None and len(value) < 32:
        # The value itself is never repeated: it is a secret even when too short.
        raise ConfigError(
            "LEDARFORUM_SECRET_KEY must be at least 32 characters long (or unset, to have one "
            "generated and kept in the database)."
        )
    return value


def _entra_authority(env: Mapping[str, str]) -> str:
    tenant = _text(env, "TEAMS_TENANT_ID") or "organizations"
    value = _text(env, "LEDARFORUM_ENTRA_AUTHORITY") or (
        f"https://login.microsoftonline.com/{tenant}"
    )
    if not value.startswith("https://") or not value[len("https://") :].split("/")[0]:
        raise ConfigError(f"LEDARFORUM_ENTRA_AUTHORITY must be an https URL, not {value!r}.")
    return value.rstrip("/")


def settings_from(env: Mapping[str, str]) -> Settings:
    """Build and validate settings from a mapping of variables (the environment)."""
    language = (_text(env, "LEDARFORUM_LANGUAGE") or "sv").lower()
    if not is_language(language):
        raise ConfigError(f"LEDARFORUM_LANGUAGE must be sv or en, not {language!r}.")
    log_level = (_text(env, "LOG_LEVEL") or "INFO").upper()
    if log_level not in _LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(sorted(_LOG_LEVELS))}.")
    log_format = (_text(env, "LOG_FORMAT") or "text").lower()
    if log_format not in {"text", "json"}:
        raise ConfigError(f"LOG_FORMAT must be text or json, not {log_format!r}.")
    renew, stale = _worker_seconds(env)
    schedule = _text(env, "LEDARFORUM_SCHEDULE")
    if schedule is not None and not Path(schedule).is_file():
        raise ConfigError(f"LEDARFORUM_SCHEDULE names a file that does not exist: {schedule}.")
    client_id = _text(env, "SLACK_CLIENT_ID")
    client_secret = _text(env, "SLACK_CLIENT_SECRET")
    if bool(client_id) != bool(client_secret):
        missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
        raise ConfigError(f"{missing} must be set too when OAuth is configured.")
    return Settings(
        database_url=_database_url(env),
        slack_bot_token=_text(env, "SLACK_BOT_TOKEN"),
        slack_signing_secret=_text(env, "SLACK_SIGNING_SECRET"),
        slack_app_token=_text(env, "SLACK_APP_TOKEN"),
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        slack_state_secret=_text(env, "SLACK_STATE_SECRET"),
        slack_api_url=_url(env, "SLACK_API_URL", Settings.slack_api_url),
        teams_client_id=_text(env, "TEAMS_CLIENT_ID"),
        teams_client_secret=_text(env, "TEAMS_CLIENT_SECRET"),
        teams_tenant_id=_text(env, "TEAMS_TENANT_ID"),
        teams_allow_unauthenticated=_bool(env, "TEAMS_ALLOW_UNAUTHENTICATED"),
        channels=_list(env, "LEDARFORUM_CHANNELS"),
        organisers=_list(env, "LEDARFORUM_ORGANISERS"),
        schedule_file=Path(schedule) if schedule else None,
        timezone=_timezone(env, "LEDARFORUM_TIMEZONE", Settings.timezone),
        language=language,
        host=_text(env, "HOST") or Settings.host,
        port=_port(env),
        log_level=log_level,
        log_format=log_format,
        worker_renew_seconds=renew,
        worker_stale_seconds=stale,
        inbox_lease_seconds=_seconds(
            env, "LEDARFORUM_INBOX_LEASE_SECONDS", Settings.inbox_lease_seconds
        ),
        inbox_request_lease_seconds=_seconds(
            env, "LEDARFORUM_INBOX_REQUEST_LEASE_SECONDS", Settings.inbox_request_lease_seconds
        ),
        inbox_batch=_count(env, "LEDARFORUM_INBOX_BATCH", Settings.inbox_batch, 100),
        workers=_workers(env.get("LEDARFORUM_WORKERS")),
        public_url=_public_url(env, _port(env)),
        secret_key=_secret_key(env),
        entra_authority=_entra_authority(env),
    )


def load_settings(env_file: str | Path = ".env") -> Settings:
    """Settings from the process environment, with a ``.env`` file filling in what is unset."""
    merged = {key: value for key, value in dotenv_values(env_file).items() if value is not None}
    merged.update(os.environ)
    return settings_from(merged)
