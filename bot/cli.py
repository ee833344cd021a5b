"""The ``ledarforum`` command line (see the README and CONTRACT.md for the commands).

Exit codes: 0 done (also when nothing was due), 1 failed, 2 bad input or usage. Errors are one
sentence on stderr, never a bare traceback. The platform adapters come from the composition root
(:mod:`handlers.main`) through :class:`Adapters`, so this module stays platform-neutral.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.config import ConfigError, Settings, load_settings, parse_workers
from bot.core import Core
from bot.cycle_file import (
    CycleFileError,
    dump_cycle_csv,
    dump_cycle_json,
    dump_cycle_yaml,
    load_cycle,
)
from bot.domain import CycleDocument, ForumInfo, Platform
from bot.i18n import t
from bot.messages import plain_text
from bot.services import audit, cohorts, cycles, forums, library, stats
from bot.services import export as exports
from bot.services import settings as forum_settings
from bot.services.digest import excerpt
from bot.services.publishing import Result
from bot.storage.db import Database
from bot.timing import Period, ensure_aware, utcnow

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Adapters(Protocol):
    """What the composition root provides: the core with platform posters, and the servers."""

    def open(self, settings: Settings, *, console: bool = False) -> Core:
        """The core with every configured platform's poster registered."""
        ...

    def run(self, core: Core) -> int:
        """Serve every configured platform (or the console forum) until stopped."""
        ...

    def console(self, core: Core, stdin: TextIO, stdout: TextIO) -> int:
        """The console forum on *stdin* and *stdout*."""
        ...

    def teams_package(self, settings: Settings, path: str) -> str:
        """Write the Teams app package to *path*; returns the file written."""
        ...


class UsageError(Exception):
    """Bad input on the command line (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = _Parser(prog="ledarforum", description="Ledarforum: a continuous leaders' forum.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="serve every configured platform (console if none)")
    run.add_argument(
        "--workers",
        help="processes doing the slow work beside the server (0: in the server; "
        "default by core count, see docs/performance.md)",
    )
    commands.add_parser("console", help="the local forum in the terminal")

    post = commands.add_parser("post-theme", help="post the theme that is due")
    post.add_argument("--forum", help="a forum's channel id or id (default: every forum)")
    post.add_argument("--at", help="ISO 8601 moment (default now; no offset = forum local time)")

    digest = commands.add_parser("digest", help="post the digest that is due")
    digest.add_argument("--forum")
    digest.add_argument("--at")
    digest.add_argument("--preview", action="store_true", help="print the digest in progress")

    schedule = commands.add_parser("schedule", help="the yearly cycle")
    schedule_commands = schedule.add_subparsers(dest="action", required=True, parser_class=_Parser)
    validate = schedule_commands.add_parser("validate", help="check a yearly-cycle file")
    validate.add_argument("file")
    imported = schedule_commands.add_parser("import", help="replace a cycle from a file")
    imported.add_argument("file")
    imported.add_argument("--forum")
    exported = schedule_commands.add_parser("export", help="print a cycle")
    exported.add_argument("--forum")
    exported.add_argument(
        "--format", choices=["yaml", "csv", "ics", "json", "svg", "png"], default="yaml"
    )
    exported.add_argument("--lang", choices=["sv", "en"], help="the wheel's language (svg, png)")
    exported.add_argument("--output", help="write to this file instead of standard output")

    db = commands.add_parser("db", help="the database")
    db_commands = db.add_subparsers(dest="action", required=True, parser_class=_Parser)
    db_commands.add_parser("upgrade", help="apply migrations")

    teams = commands.add_parser("teams", help="Microsoft Teams")
    teams_commands = teams.add_subparsers(dest="action", required=True, parser_class=_Parser)
    package = teams_commands.add_parser("package", help="write the app package to upload")
    package.add_argument("--output", default="ledarforum-teams.zip", help="file or directory")

    export = commands.add_parser("export", help="the collected good practices")
    export.add_argument("--forum")
    export.add_argument("--format", choices=["csv", "json", "md"], default="csv")

    forum = commands.add_parser("forum", help="a forum's settings")
    forum_commands = forum.add_subparsers(dest="action", required=True, parser_class=_Parser)
    shown = forum_commands.add_parser(
        "show", help="print a forum's settings (default: every forum)"
    )
    shown.add_argument("--forum")
    changed = forum_commands.add_parser("set", help="change a forum's settings, audit-logged")
    changed.add_argument("--forum", required=True)
    changed.add_argument("values", nargs="+", metavar="KEY=VALUE")

    audit_log = commands.add_parser("audit", help="the audit log, newest first")
    audit_log.add_argument("--forum", help="one forum's entries (default: every entry)")
    audit_log.add_argument("--format", choices=["text", "json"], default="text")
    audit_log.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")

    login = commands.add_parser("login-link", help="print a one-time sign-in link (15 minutes)")
    login.add_argument("--user", required=True, help="the person's user id on their platform")
    login.add_argument("--platform", choices=["slack", "teams", "console"], default="slack")
    login.add_argument("--workspace", help="Slack team or Teams tenant id (default: the only one)")

    found = commands.add_parser("search", help="search the good practices, best match first")
    found.add_argument("query", help="words to look for (a word also finds longer words)")
    found.add_argument("--forum", help="a forum's channel id or id (default: every forum)")
    found.add_argument("--year", type=int, help="only examples of this year's themes")
    found.add_argument("--format", choices=["text", "json"], default="text")

    participation = commands.add_parser(
        "stats", help="participation per month and theme, last year beside it (no names)"
    )
    participation.add_argument("--forum", help="a forum's channel id or id (default: every forum)")
    participation.add_argument("--year", type=int, help="calendar year (default: this year)")
    participation.add_argument("--format", choices=["text", "csv", "json"], default="text")

    cohort_list = commands.add_parser(
        "cohorts", help="every cohort's participation side by side, last year beside it (no names)"
    )
    cohort_list.add_argument("--year", type=int, help="calendar year (default: this year)")
    cohort_list.add_argument("--format", choices=["text", "csv", "json"], default="text")

    meeting = commands.add_parser("meetings", help="a forum's meetings")
    meeting_commands = meeting.add_subparsers(dest="action", required=True, parser_class=_Parser)
    meetings_in = meeting_commands.add_parser(
        "import", help="add meetings from a YAML, JSON or CSV file (all or none)"
    )
    meetings_in.add_argument("file")
    meetings_in.add_argument("--forum", help="a forum's channel id or id (default: the only one)")
    meetings_out = meeting_commands.add_parser("export", help="print a forum's meetings")
    meetings_out.add_argument("--forum", help="a forum's channel id or id (default: the only one)")
    meetings_out.add_argument("--format", choices=["yaml", "csv", "ics"], default="yaml")

    year_review = commands.add_parser(
        "review", help="the year in review: themes, appreciated examples, trends, meetings"
    )
    year_review.add_argument("--forum", help="a forum's channel id or id (default: every forum)")
    year_review.add_argument("--year", type=int, help="calendar year (default: this year)")
    year_review.add_argument("--format", choices=["md", "json"], default="md")
    year_review.add_argument(
        "--post", action="store_true", help="post it in the forum's channel (once per year)"
    )
    return parser


def _read_cycle(path: str) -> tuple[str, str]:
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"{path}: no such file.")
    try:
        return file.read_text(encoding="utf-8"), file.name
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: the file is not UTF-8 text.") from exc


def _report(path: str, error: CycleFileError, lang: str, err: TextIO) -> int:
    for problem in error.problems:
        print(f"{path}:{problem.line}: {problem.message('sv' if lang == 'sv' else 'en')}", file=err)
    return EXIT_USAGE


def _parse_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(
            f"--at must be an ISO 8601 moment such as 2026-11-27T14:00, not {value!r}."
        ) from exc


def _forums(core: Core, ref: str | None) -> list[ForumInfo]:
    with core.db.transaction() as session:
        if ref is None:
            return forums.all_forums(session)
        forum = forums.find(session, ref)
    if forum is None:
        raise UsageError(f"--forum {ref}: no such forum.")
    return [forum]


def _moment(at: datetime | None, forum: ForumInfo) -> datetime:
    return utcnow() if at is None else ensure_aware(at, ZoneInfo(forum.timezone))


def _print_results(results: list[Result], out: TextIO) -> int:
    if not results:
        print("No forums: nothing was due.", file=out)
        return EXIT_OK
    for result in results:
        line = f"forum {result.forum_id}: {result.kind} {result.key}: {result.status}"
        print(line + (f" ({result.error})" if result.error else ""), file=out)
    return EXIT_OK if all(result.ok for result in results) else EXIT_FAILED


def _schedule(
    args: argparse.Namespace, settings: Settings, adapters: Adapters, out: TextIO, err: TextIO
) -> int:
    if args.action == "validate":
        text, name = _read_cycle(args.file)
        try:
            doc = load_cycle(text, name)
        except CycleFileError as exc:
            return _report(args.file, exc, settings.language, err)
        meetings_part = f", {len(doc.meetings)} meetings" if doc.meetings else ""
        print(f"{args.file}: OK, {len(doc.themes)} themes{meetings_part}.", file=out)
        return EXIT_OK
    if args.action == "import":
        text, name = _read_cycle(args.file)
        try:
            doc = load_cycle(text, name)
        except CycleFileError as exc:
            return _report(args.file, exc, settings.language, err)
        core = adapters.open(settings)
        added = kept = 0
        try:
            target = _forums(core, args.forum)[0] if args.forum else None
            key = cycles.forum_key(target.id) if target else cycles.DEFAULT_KEY
            # The file's meetings are a forum's: the one named, or the only one there is.
            home = target or _meetings_forum(core, doc)
            with core.db.transaction() as session:  # cycle and meetings, all or nothing
                cycles.replace(session, key, doc, actor=f"cli:{getpass.getuser()}")
                following = cycles.followers(session, key)
                if home is not None:
                    added, kept = _import_cycle_meetings(session, home, doc, args.file)
        finally:
            core.close()
        forums_word = "forum" if following == 1 else "forums"
        print(
            f"{args.file}: imported {len(doc.themes)} themes into the {key} cycle,"
            f" followed by {following} {forums_word}.",
            file=out,
        )
        if doc.meetings:
            print(f"{args.file}: {added} meetings added, {kept} already there.", file=out)
        return EXIT_OK
    if args.format == "png" and args.output is None and out.isatty():
        raise UsageError("a PNG is binary: use --output FILE or redirect standard output.")
    core = adapters.open(settings)
    try:
        forum = _forums(core, args.forum)[0] if args.forum else None
        # The wheel shows this year (in the forum's zone) with today marked.
        today = utcnow().astimezone(ZoneInfo(forum.timezone if forum else settings.timezone))
        with core.db.transaction() as session:
            if forum is not None:
                doc = cycles.for_forum(session, forum, today.year)
                if args.format in ("yaml", "json"):  # its meetings: list, read back by import
                    from bot.services import meetings

                    doc = meetings.with_stored(session, forum, doc)
            else:
                doc = cycles.load(session, cycles.DEFAULT_KEY) or CycleDocument(name="")
        if args.format in ("svg", "png"):
            lang = args.lang or (forum.language if forum else settings.language)
            # Imported here: only this command draws, so no other one loads Pillow and fonts.
            if args.format == "svg":
                from bot.wheel.svg import wheel_svg

                picture = wheel_svg(doc, lang, year=today.year, today=today.date()).encode()
            else:
                from bot.wheel.png import wheel_png

                picture = wheel_png(doc, lang, year=today.year, today=today.date())
            if args.output:
                Path(args.output).write_bytes(picture)
            elif args.format == "svg":
                out.write(picture.decode())
            else:
                binary: BinaryIO | None = getattr(out, "buffer", None)
                if binary is None:
                    raise UsageError("this output takes no binary data: use --output FILE.")
                out.flush()
                binary.write(picture)
                binary.flush()
            return EXIT_OK
        if args.format == "yaml":
            text = dump_cycle_yaml(doc)
        elif args.format == "csv":
            text = dump_cycle_csv(doc)
        elif args.format == "json":
            text = dump_cycle_json(doc)
        else:
            calendar_forum = forum or ForumInfo(
                id=0,
                platform=Platform.CONSOLE,
                workspace_id="",
                channel_id="",
                name="",
                language=settings.language,
                timezone=settings.timezone,
            )
            text = exports.cycle_calendar(doc, calendar_forum, utcnow(), calendar_forum.language)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            out.write(text)
    finally:
        core.close()
    return EXIT_OK


def _meetings_forum(core: Core, doc: CycleDocument) -> ForumInfo | None:
    """Whose meetings a cycle file without ``--forum`` holds: the only forum's, else none."""
    if not doc.meetings:
        return None
    found = _forums(core, None)
    if len(found) != 1:
        raise UsageError("the file has meetings: give --forum, there is not exactly one forum.")
    return found[0]


def _import_cycle_meetings(
    session: Session, forum: ForumInfo, doc: CycleDocument, file: str
) -> tuple[int, int]:
    """Store the cycle file's meetings in *forum* (a meeting already there is kept)."""
    from bot.services import meetings  # only this command needs it

    try:
        return meetings.import_all(
            session, forum, list(doc.meetings), actor=f"cli:{getpass.getuser()}", now=utcnow()
        )
    except meetings.MeetingError as exc:  # a past meeting: the transaction stores nothing
        where = f" (meeting {exc.params['item']})" if "item" in exc.params else ""
        raise UsageError(f"{file}{where}: {t('en', exc.key, **exc.params)}") from exc


def _forum_settings(args: argparse.Namespace, settings: Settings, core: Core, out: TextIO) -> int:
    lang = settings.language
    if args.action == "show":
        shown = _forums(core, args.forum)
        if not shown:
            print("No forums.", file=out)
        for forum in shown:
            print(f"# forum {forum.id} ({forum.platform.value} {forum.channel_id})", file=out)
            for key, value in forum_settings.current(forum).items():
                print(f"{key}={forum_settings.show(key, value, lang)}", file=out)
        return EXIT_OK
    forum = _forums(core, args.forum)[0]
    try:
        changes = forum_settings.parse_pairs(args.values)
    except forum_settings.SettingsError as problem:
        raise UsageError(problem.message(lang)) from problem
    try:
        with core.db.transaction() as session:
            _, changed = forum_settings.apply(
                session, forum.id, changes, actor=f"cli:{getpass.getuser()}"
            )
    except forum_settings.SettingsError as problem:  # a cohort's dates against the stored ones
        raise UsageError(problem.message(lang)) from problem
    for change in changed:
        print(f"forum {forum.id}: {change.describe(lang)}", file=out)
    if not changed:
        print(f"forum {forum.id}: {t(lang, 'settings.unchanged')}", file=out)
    return EXIT_OK


def _audit(args: argparse.Namespace, core: Core, out: TextIO) -> int:
    if args.limit < 1:
        raise UsageError(f"--limit must be 1 or more, not {args.limit}.")
    forum_id = _forums(core, args.forum)[0].id if args.forum else None
    with core.db.transaction() as session:
        entries = [
            audit.as_dict(entry) for entry in audit.recent(session, args.limit, forum_id=forum_id)
        ]
    if args.format == "json":
        out.write(json.dumps(entries, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    if not entries:
        print("The audit log has no entries.", file=out)
    for entry in entries:
        changes = json.dumps(
            {"before": entry["before"], "after": entry["after"]}, ensure_ascii=False
        )
        forum = entry["forum_id"] if entry["forum_id"] is not None else "-"
        print(
            f"{entry['at']} forum {forum} {entry['actor']} {entry['action']} "
            f"{entry['target'] or '-'} {changes}",
            file=out,
        )
    return EXIT_OK


def _meetings(args: argparse.Namespace, core: Core, out: TextIO) -> int:
    from bot.services import meetings  # only this command needs it

    found = _forums(core, args.forum)
    if len(found) != 1:
        raise UsageError("give --forum: there is not exactly one forum.")
    forum, now = found[0], utcnow()
    if args.action == "export":
        with core.db.transaction() as session:
            stored = meetings.listing(session, forum.id)
        out.write(meetings.dump(stored, forum, args.format, now))
        return EXIT_OK
    text, name = _read_cycle(args.file)
    try:
        items = meetings.read_file(text, name)
        with core.db.transaction() as session:  # all or none: a refused meeting adds nothing
            added, kept = meetings.import_all(
                session, forum, items, actor="cli:meetings import", now=now
            )
    except meetings.MeetingError as exc:
        where = f" (meeting {exc.params['item']})" if "item" in exc.params else ""
        raise UsageError(f"{args.file}{where}: {t('en', exc.key, **exc.params)}") from exc
    print(f"{added} meetings added, {kept} already there.", file=out)
    return EXIT_OK


def _review(args: argparse.Namespace, core: Core, out: TextIO) -> int:
    from bot.services import review  # only this command needs it

    if args.year is not None and not 1000 <= args.year <= 9999:
        raise UsageError(f"--year must be a year such as 2026, not {args.year}.")
    now = utcnow()
    year = args.year or now.year
    targets = _forums(core, args.forum)
    if args.post:
        return _print_results([review.post(core.publisher, f, year, at=now) for f in targets], out)
    found = []
    with core.db.transaction() as session:
        for forum in targets:
            found.append(review.so_far(session, forum, year, forum.language, now=now))
    if args.format == "json":
        items = [review.as_dict(item) for item in found]
        out.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    if not found:
        print("No forums.", file=out)
    out.write("\n".join(review.review_markdown(item) for item in found))
    return EXIT_OK


def _stats(args: argparse.Namespace, settings: Settings, core: Core, out: TextIO) -> int:
    if args.year is not None and not 1000 <= args.year <= 9999:
        raise UsageError(f"--year must be a year such as 2026, not {args.year}.")
    found = [core.dialogue.participation(f, args.year)[0] for f in _forums(core, args.forum)]
    if args.format == "csv":
        out.write(stats.as_csv(found))
    elif args.format == "json":
        out.write(stats.as_json(found))
    else:
        if not found:
            print("No forums.", file=out)
        for report in found:
            print(f"# forum {report.forum_id}", file=out)
            out.write(stats.as_text(report, settings.language))
    return EXIT_OK


def _cohorts(args: argparse.Namespace, settings: Settings, core: Core, out: TextIO) -> int:
    if args.year is not None and not 1000 <= args.year <= 9999:
        raise UsageError(f"--year must be a year such as 2026, not {args.year}.")
    now = utcnow()
    year = args.year or now.year
    with core.db.transaction() as session:
        candidates = forums.all_forums(session)
    # Stale member counts are asked of the platforms first (at most once a day per forum).
    rows = cohorts.refreshed_overview(
        core.db, candidates, core.posters, year=year, period=Period(now.year, now.month), now=now
    )
    if args.format == "csv":
        out.write(cohorts.as_csv(rows))
    elif args.format == "json":
        out.write(cohorts.as_json(rows))
    else:
        out.write(cohorts.as_text(rows, settings.language))
    return EXIT_OK


def _search(args: argparse.Namespace, settings: Settings, core: Core, out: TextIO) -> int:
    try:
        library.check(args.query)
    except library.SearchError as problem:
        raise UsageError(t("en", problem.key, **problem.params)) from problem
    if args.year is not None and not 1900 <= args.year <= 9999:
        raise UsageError(f"--year must be a year such as 2026, not {args.year}.")
    lang = settings.language
    with core.db.transaction() as session:
        found = [
            item
            for forum in _forums(core, args.forum)
            for item in library.search(session, forum.id, args.query, year=args.year)
        ]
    if args.format == "json":
        items = [library.as_dict(item) for item in found]
        out.write(json.dumps(items, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    if not found:
        print("No good practices found: try fewer words, or the beginning of a word.", file=out)
    for item in found:
        theme = item.theme_title.get(lang) if item.theme_title else t(lang, "digest.no_theme")
        author = item.author_name or t(lang, "digest.anonymous")
        print(
            f"forum {item.forum_id} #{item.id} {item.period} {theme} · {author}"
            f" · {item.permalink or '-'}",
            file=out,
        )
        print(f"  {excerpt(item.text)}", file=out)
    return EXIT_OK


def _login_link(args: argparse.Namespace, settings: Settings, core: Core, out: TextIO) -> int:
    from bot.services import signin  # only this command needs it

    platform = Platform(args.platform)
    user = args.user.strip()
    if not user or len(user) > 255 or any(char.isspace() for char in user):
        raise UsageError(f"--user must be a user id without spaces, not {args.user!r}.")
    workspace = args.workspace
    with core.db.transaction() as session:
        if workspace is None:
            known = {f.workspace_id for f in forums.all_forums(session, platform) if f.workspace_id}
            if len(known) > 1:
                raise UsageError(
                    f"--workspace is needed: {platform.value} forums are in "
                    f"{', '.join(sorted(known))}."
                )
            # The console adapter's one workspace is "local"; a Slack or Teams forum whose
            # workspace is not learnt yet is seen from any workspace of its platform.
            workspace = known.pop() if known else ("local" if platform is Platform.CONSOLE else "")
        token = signin.create_link(session, platform, workspace, user, now=utcnow())
    print(f"{settings.public_url}/signin/link/{token}", file=out)
    return EXIT_OK


def dispatch(
    args: argparse.Namespace,
    settings: Settings,
    adapters: Adapters,
    stdin: TextIO,
    out: TextIO,
    err: TextIO,
) -> int:
    """Run one parsed command."""
    if args.command == "schedule":
        return _schedule(args, settings, adapters, out, err)
    if args.command == "teams":
        written = adapters.teams_package(settings, args.output)
        print(f"Teams app package written to {written}.", file=out)
        return EXIT_OK
    if args.command == "db":
        Database.connect(settings.database_url).dispose()
        print("The database is up to date.", file=out)
        return EXIT_OK
    if args.command == "console":
        core = adapters.open(settings, console=True)
        try:
            return adapters.console(core, stdin, out)
        finally:
            core.close()
    if args.command == "login-link":
        core = adapters.open(settings)
        try:
            return _login_link(args, settings, core, out)
        finally:
            core.close()
    if args.command == "run":
        if args.workers is not None:
            settings = replace(settings, workers=parse_workers(args.workers))
        core = adapters.open(
            settings, console=not (settings.slack_configured or settings.teams_configured)
        )
        try:
            return adapters.run(core)
        finally:
            core.close()
    if args.command == "review":
        core = adapters.open(settings)
        try:
            return _review(args, core, out)
        finally:
            core.close()
    if args.command == "meetings":
        core = adapters.open(settings)
        try:
            return _meetings(args, core, out)
        finally:
            core.close()
    if args.command in ("forum", "audit", "stats"):
        core = adapters.open(settings)
        try:
            if args.command == "forum":
                return _forum_settings(args, settings, core, out)
            if args.command == "stats":
                return _stats(args, settings, core, out)
            return _audit(args, core, out)
        finally:
            core.close()
    if args.command == "search":
        core = adapters.open(settings)
        try:
            return _search(args, settings, core, out)
        finally:
            core.close()
    if args.command == "cohorts":
        core = adapters.open(settings)
        try:
            return _cohorts(args, settings, core, out)
        finally:
            core.close()
    at = _parse_at(getattr(args, "at", None))
    core = adapters.open(settings)
    try:
        targets = _forums(core, args.forum)
        if args.command == "post-theme":
            results = [core.publisher.post_theme(f, _moment(at, f)) for f in targets]
            return _print_results(results, out)
        if args.command == "digest":
            if args.preview:
                for forum in targets:
                    message = core.dialogue.preview_digest(
                        forum, _moment(at, forum), forum.language
                    )
                    print(f"# forum {forum.id} ({forum.channel_id})", file=out)
                    print(plain_text(message), file=out)
                if not targets:
                    print("No forums: nothing to preview.", file=out)
                return EXIT_OK
            results = [core.publisher.post_digest(f, _moment(at, f)) for f in targets]
            return _print_results(results, out)
        with core.db.transaction() as session:  # export
            items = exports.rows(session, [forum.id for forum in targets])
        if args.format == "csv":
            out.write(exports.as_csv(items))
        elif args.format == "json":
            out.write(exports.as_json(items))
        else:
            out.write(exports.as_markdown(items, settings.language))
        return EXIT_OK
    finally:
        core.close()


def main(argv: Sequence[str] | None, adapters: Adapters) -> int:
    """Parse *argv*, load settings and run the command; returns the exit code."""
    stdin, out, err = sys.stdin, sys.stdout, sys.stderr
    try:
        args = build_parser().parse_args(argv)
        settings = load_settings()
        return dispatch(args, settings, adapters, stdin, out, err)
    except UsageError as exc:
        print(f"ledarforum: {exc}", file=err)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"ledarforum: configuration: {exc}", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_FAILED
    except Exception as exc:
        log.debug("command failed", exc_info=True)
        print(f"ledarforum: failed: {type(exc).__name__}: {exc}".splitlines()[0], file=err)
        return EXIT_FAILED
