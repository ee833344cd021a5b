"""The baseline: a bare Bolt app served like ours (Starlette + uvicorn) whose listeners only ack.

Run as ``python -m benchmarks.baseline_app``; reads ``PORT``, ``SLACK_SIGNING_SECRET``,
``SLACK_BOT_TOKEN`` and ``SLACK_API_URL`` from the environment.
"""

from __future__ import annotations

import os
from typing import Any

import uvicorn
from slack_bolt import Ack, App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


def build() -> Starlette:
    """The bare app: ``/readyz`` and ``POST /slack/events`` dispatched in the thread pool."""
    app = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=WebClient(
            token=os.environ.get("SLACK_BOT_TOKEN"), base_url=os.environ["SLACK_API_URL"]
        ),
        token_verification_enabled=False,
        process_before_response=True,
    )

    @app.command("/ledarforum")
    def command(ack: Ack) -> None:
        ack()

    @app.event("message")
    def message(ack: Ack, **_: Any) -> None:
        ack()

    async def events(request: Request) -> Response:
        body = await request.body()
        response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    async def readyz(_: Request) -> Response:
        return PlainTextResponse("ready")

    return Starlette(
        routes=[
            Route("/readyz", readyz, methods=["GET"]),
            Route("/slack/events", events, methods=["POST"]),
        ]
    )


if __name__ == "__main__":
    uvicorn.run(
        build(),
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        log_level="warning",
        timeout_keep_alive=75,  # as ours (handlers.main.KEEP_ALIVE_SECONDS)
        access_log=False,
        lifespan="off",
    )
