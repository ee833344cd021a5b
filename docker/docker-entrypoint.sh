#!/bin/sh
# The image's entrypoint: wait for PostgreSQL (bounded), apply migrations, then become `ledarforum`
# with the container's arguments (default `run`), so signals reach the bot directly.
set -e

# Seconds to wait for PostgreSQL to answer before giving up (compose's health gate usually makes
# this instant; Kubernetes and plain `docker run` have no such gate).
wait_seconds=${LEDARFORUM_DB_WAIT:-60}

wait_for_postgres() {
  case "${DATABASE_URL:-}" in
    postgres*) ;;
    *) return 0 ;;
  esac
  case "$wait_seconds" in
    '' | *[!0-9]*)
      echo "docker-entrypoint: LEDARFORUM_DB_WAIT must be a whole number of seconds, not '$wait_seconds'." >&2
      exit 2
      ;;
  esac
  # The Python beside `ledarforum` has its SQLAlchemy and driver, so the URL is read as the bot reads it.
  python=$(dirname "$(command -v ledarforum)")/python
  [ -x "$python" ] || python=python3
  waited=0
  until error=$("$python" - 2>&1 <<'PY'
import os
import sys

import sqlalchemy

try:
    url = os.environ["DATABASE_URL"]
    with sqlalchemy.create_engine(url, connect_args={"connect_timeout": 3}).connect():
        pass
except sqlalchemy.exc.OperationalError as exc:
    # Not up yet (refused, unknown host, starting up): worth waiting for. The driver's first
    # line names host and port, never the password.
    print(str(exc.orig or exc).strip().splitlines()[0])
    sys.exit(1)
except Exception:
    # A malformed URL or a missing driver will not heal by waiting; `ledarforum db upgrade`
    # reports it in its own words.
    pass
PY
  ); do
    if [ "$waited" -ge "$wait_seconds" ]; then
      echo "docker-entrypoint: the database in DATABASE_URL did not answer within ${wait_seconds} seconds: $error" >&2
      exit 1
    fi
    if [ "$waited" -eq 0 ]; then
      echo "docker-entrypoint: waiting up to ${wait_seconds} seconds for the database in DATABASE_URL to answer." >&2
    fi
    sleep 2
    waited=$((waited + 2))
  done
}

wait_for_postgres
# Its one-line report goes to stderr, so `docker run … schedule export > cycle.yaml` stays clean.
ledarforum db upgrade >&2
exec ledarforum "$@"
