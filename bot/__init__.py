"""Ledarforum's platform-neutral core: the domain, the services, storage, texts and the CLI.

Chat commands are parsed in :mod:`bot.commands` and answered in :mod:`bot.dialogue`; posts are
built as neutral messages in :mod:`bot.posts`; :mod:`bot.services` holds one module per
capability and :mod:`bot.storage` the database. Nothing here imports a platform, the scheduler or
an adapter: those live in ``handlers`` and ``schedules``.
"""
