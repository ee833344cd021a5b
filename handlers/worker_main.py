"""``python -m handlers.worker_main INDEX WAKE_FD METRICS_FD``: a worker process started afresh.

:class:`handlers.workers.WorkerProcesses` starts this when a forked worker has died (the server
has threads by then, so it never forks again). The settings come pickled on standard input, as
the server has them (command-line overrides included), never in the arguments.
"""

from __future__ import annotations

import pickle
import sys

from bot.config import Settings
from handlers.main import Composition
from handlers.workers import do_work


def main(argv: list[str]) -> int:
    """Open the core as the server did and do the work of worker *INDEX*."""
    index, wake_fd, metrics_fd = (int(arg) for arg in argv[:3])
    settings = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - from our own parent
    if not isinstance(settings, Settings):
        return 2
    core = Composition().open(settings)
    try:
        return do_work(core, index, wake_fd, metrics_fd)
    finally:
        core.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
