"""When things run: the in-process scheduler, its jobs, and the shipped yearly cycle.

:mod:`schedules.scheduler` plans and runs each forum's theme posts, digests, reminders and
previews (with catch-up, retries and daily housekeeping); :mod:`schedules.jobs` says when each
kind is due and what it does; ``default_cycle.yaml`` (package data) is the yearly cycle stored as
the default when the database has none.
"""
