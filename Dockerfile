# syntax=docker/dockerfile:1
# Ledarforum: build a wheel, install it with its pinned dependencies into /opt/venv, and ship only
# that venv on a slim Python. Build with `docker build -t ledarforum .` or `docker compose build`.

FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src
RUN python -m venv /opt/venv

# Only what the wheel is built from: a change elsewhere in the repo does not rebuild the image.
COPY pyproject.toml README.md constraints.txt ./
COPY bot ./bot
COPY handlers ./handlers
COPY schedules ./schedules

# A wheel (not `pip install .`) so the image gets exactly what a release ships: package data
# missing from pyproject.toml fails here and in tests/test_deploy.py, not in production.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/venv/bin/pip install --constraint constraints.txt /wheels/*.whl \
 && /opt/venv/bin/ledarforum --help > /dev/null


FROM python:3.11-slim AS runtime

LABEL org.opencontainers.image.title="Ledarforum" \
      org.opencontainers.image.description="Theme of the month, good examples and a weekly digest in Slack, Teams or the terminal." \
      org.opencontainers.image.licenses="MIT"

# The database defaults to a SQLite file on the /data volume; compose overrides it with PostgreSQL.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite:////data/ledarforum.db \
    HOST=0.0.0.0 \
    PORT=3000

# The year wheel is drawn as a PNG with DejaVu Sans (å, ä and ö); slim ships no fonts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

# A fixed uid/gid, so operators can chown bind mounts to 10001; the passwd entry lets the console
# forum (getpass.getuser) find a name.
RUN groupadd --system --gid 10001 ledarforum \
 && useradd --system --uid 10001 --gid ledarforum --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin ledarforum \
 && mkdir -p /app /data \
 && chown ledarforum:ledarforum /app /data

COPY --from=builder /opt/venv /opt/venv
COPY --chmod=0755 docker/docker-entrypoint.sh /usr/local/bin/docker-entrypoint

WORKDIR /app
# Declared after the chown so a fresh named volume starts out owned by the bot's user.
VOLUME ["/data"]
# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001

EXPOSE 3000

# slim has no curl: urllib raises on a refused connection or a non-2xx answer, so the exit is 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)"]

ENTRYPOINT ["/usr/local/bin/docker-entrypoint"]
CMD ["run"]
