"""The composition root: settings → core → adapters (and, in ``run``, the servers).

The only place that knows every adapter; ``bot/`` never imports from here.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Sequence
from typing import TextIO

from bot import cli, logs
from bot.config import Settings
from bot.core import Core, open_core
from bot.domain import Platform
from handlers.console.forum import ConsoleForum, ConsolePoster, ensure_console_forum


def _console_only(settings: Settings) -> bool:
    return not (settings.slack_configured or settings.teams_configured or settings.slack_bot_token)


class Composition:
    """Builds the core with the configured platforms' posters (see :class:`bot.cli.Adapters`)."""

    def open(self, settings: Settings, *, console: bool = False) -> Core:
        """The core, migrated and seeded, with posters for the configured platforms."""
        logs.configure(settings.log_level, settings.log_format, settings.secrets())
        core = open_core(settings)
        if console or _console_only(settings):
            core.posters[Platform.CONSOLE] = ConsolePoster(sys.stdout)
            with core.db.transaction() as session:
                ensure_console_forum(session, core, getpass.getuser())
        return core

    def run(self, core: Core) -> int:
        """Serve the configured platforms; with none configured, open the console forum."""
        if _console_only(core.settings):
            return self.console(core, sys.stdin, sys.stdout)
        print(
            "ledarforum: no chat adapter is available in this build yet; "
            "unset the Slack and Teams variables to use the console forum.",
            file=sys.stderr,
        )
        return cli.EXIT_FAILED

    def console(self, core: Core, stdin: TextIO, stdout: TextIO) -> int:
        """The console forum."""
        return ConsoleForum(core, stdin, stdout).run()


def main(argv: Sequence[str] | None = None) -> int:
    """The ``ledarforum`` console script."""
    return cli.main(argv, Composition())


if __name__ == "__main__":
    sys.exit(main())
