"""The floor: a plain Bolt ``AsyncApp`` whose listeners only ack, on Bolt's own aiohttp server.

This is what a Slack developer would write for speed (issue 15), so every serving row is a
ratio against it. Run as ``python -m benchmarks.async_floor``; reads ``PORT``,
``SLACK_SIGNING_SECRET``, ``SLACK_BOT_TOKEN`` and ``SLACK_API_URL`` from the environment.
"""

from __future__ import annotations

import os
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def build(port: int) -> AsyncApp:
    """The floor app, its aiohttp server bound to loopback with a ``GET /readyz`` added."""
    app = AsyncApp(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=AsyncWebClient(
            token=os.environ.get("SLACK_BOT_TOKEN"), base_url=os.environ["SLACK_API_URL"]
        ),
        # Without it Bolt runs the listener as a task and polls for its ack every 10 ms, which
        # would put a 10 ms sleep into the floor's every slash command: with it the listener
        # runs inline and its ack is the answer, the fastest a Bolt app acknowledges.
        process_before_response=True,
    )

    @app.command("/ledarforum")
    async def command(ack: AsyncAck) -> None:
        await ack()

    @app.event("message")
    async def message(ack: AsyncAck, **_: Any) -> None:
        await ack()

    async def readyz(_: web.Request) -> web.Response:
        return web.Response(text="ready")

    # app.server() is cached per port and path, so app.start() below serves this same
    # aiohttp application, now with the readiness route the suite polls for start-up time.
    app.server(port=port, host="127.0.0.1").web_app.router.add_get("/readyz", readyz)
    return app


if __name__ == "__main__":
    PORT = int(os.environ["PORT"])
    build(PORT).start(port=PORT, host="127.0.0.1")
