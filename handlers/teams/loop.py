"""The one event loop the Teams SDK lives on, in a daemon thread.

The SDK's HTTP client binds to the first event loop that uses it, so every SDK call of the process
runs on this loop: requests to ``/api/messages`` are handed over to it from the web server's loop,
and the synchronous poster (the scheduler, ``ledarforum post-theme``) submits its calls to it with
:func:`asyncio.run_coroutine_threadsafe` and waits. Nothing ever blocks this loop: the adapter's
database and dialogue work runs in worker threads.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """An asyncio event loop running in a daemon thread until :meth:`stop`."""

    def __init__(self, name: str = "teams-sdk") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """True while the loop runs."""
        return self._loop is not None and self._loop.is_running()

    def start(self) -> None:
        """Start the loop (once; later calls do nothing)."""
        with self._lock:
            if self._loop is not None:
                return
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

            self._thread = threading.Thread(target=run, name=self.name, daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run *coroutine* on the loop and wait for its result (never from the loop itself)."""
        loop = self._require()
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("LoopThread.run() called on its own loop; await instead")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)

    async def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Await *coroutine* run on this loop, from another event loop (the web server's)."""
        loop = self._require()
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, loop))

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop and wait for its thread."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None:
            loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout)

    def _require(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the Teams event loop is not running")
        return self._loop
