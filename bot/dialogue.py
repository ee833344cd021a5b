"""The conversation with a person: parsed commands and shares in, neutral replies out.

Every adapter calls this one place, so Slack, Teams and the console answer alike. Organiser
checks happen here, on the server, for every admin command (adapters may check earlier too).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import EllipsisType
from zoneinfo import ZoneInfo

from bot import forum_admin, linkfetch, logbook_chat, trend_chat
from bot.commands import AdminVerb, Command, Verb, parse
from bot.domain import ForumInfo, Language, Platform, Source, ThemeContent, is_language
from bot.i18n import month_name, t
from bot.inbound import ShareForm
from bot.messages import (
    Actions,
    Bullets,
    Button,
    FileAttachment,
    Header,
    Message,
    Notification,
    Paragraph,
    Reply,
)
from bot.metrics import Metrics
from bot.posts import (
    admin_help,
    current_theme,
    digest_post,
    error,
    for_platform,
    help_message,
    info,
    invocation,
    publish_outcome,
    save_confirmation,
    save_notice,
    search_results,
    share_confirmation,
    year_overview,
)
from bot.services import (
    contributions,
    cycles,
    forums,
    library,
    meetings,
    organisers,
    preferences,
    privacy,
    stats,
    subscriptions,
    trends,
)
from bot.services import digest as digests
from bot.services.contributions import ContributionError, NewContribution
from bot.services.publishing import Publisher
from bot.storage.db import Database
from bot.timing import Period, digest_moment_at_or_before, period_at, shift_digest_moment, utcnow
from bot.trend_titles import TitleFiller
from bot.wheel import chat as wheel_chat

FORGET_CONFIRM = "forget_confirm"
SEARCH_RESULTS = 5  # a chat answer shows the best few; the library page shows the rest
CONFIRM_WORDS = frozenset({"bekräfta", "bekrafta", "confirm", "ja", "yes"})
_USER_REF = re.compile(r"^<?@?([A-Za-z0-9_:.\-]{2,128})(?:\|[^>]*)?>?$")


@dataclass(frozen=True)
class Actor:
    """The person talking to the bot.

    ``locale`` is their platform's language setting where the platform tells it (Slack's
    ``users.info`` locale, a Teams activity's ``locale``), as given: ``"en-US"``, ``"sv-SE"``.
    """

    platform: Platform
    workspace_id: str
    user_id: str
    name: str
    locale: str | None = None

    @property
    def ref(self) -> str:
        """How the audit log names them."""
        return f"{self.platform.value}:{self.workspace_id}:{self.user_id}"


@dataclass(frozen=True)
class ThemeEditor:
    """What a theme form shows: the month's theme and which cycle saving it changes."""

    forum: ForumInfo
    month: int
    theme: ThemeContent | None  # as the forum shows it now
    own: cycles.EditTarget  # the forum's own cycle, what a forum organiser edits
    shared: cycles.EditTarget  # the shared default
    may_edit_shared: bool  # a configured organiser, who may choose the shared default

    def describe(self, lang: Language, *, shared: bool = False) -> str:
        """Which cycle the form changes and how many forums follow it."""
        if shared:
            return t(lang, "cycle.edit.shared", count=self.shared.followers)
        year = cycles.year_of(self.own.key)
        if year is not None:
            return t(
                lang, "cycle.edit.year" if self.own.exists else "cycle.edit.year_new", year=year
            )
        if self.own.exists:
            return t(lang, "cycle.edit.own")
        return t(lang, "cycle.edit.copy", count=self.shared.followers)


def answer_language(
    chosen: Language | None,
    word: Language | None,
    locale: str | None,
    forum: ForumInfo | None,
    default: Language,
) -> Language:
    """The rule of :meth:`Dialogue.language_for`, for callers that looked the choice up
    themselves (a batch of replies): the person's choice, the command word's language, the
    platform locale's, the forum's (else *default*)."""
    fallback = forum.language if forum else default
    return chosen or word or locale_language(locale) or fallback


def locale_language(locale: str | None) -> Language | None:
    """Our language for a platform locale ("en-US", "sv_SE", "en"); None for any other."""
    tag = (locale or "").replace("_", "-").split("-")[0].casefold()
    return tag if is_language(tag) else None


def user_ref(text: str) -> str | None:
    """A user id from a mention (``<@U123|name>``, ``@U123``, ``U123``)."""
    match = _USER_REF.match(text.strip())
    return match.group(1) if match else None


class Dialogue:
    """Answers commands and records shares for every adapter."""

    def __init__(
        self,
        db: Database,
        publisher: Publisher,
        *,
        configured_organisers: tuple[str, ...] = (),
        default_language: Language = "sv",
        default_timezone: str = "Europe/Stockholm",
        clock: Callable[[], datetime] = utcnow,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.publisher = publisher
        self.metrics = metrics or publisher.metrics
        self.configured_organisers = configured_organisers
        self.default_language = default_language
        self.default_timezone = default_timezone
        self.clock = clock
        # A trend's link title when no unfurl gave one (tests replace it: no network).
        self.fetch_title: Callable[[str], str | None] = linkfetch.fetch_title
        # The same fetch after the answer, where the answer may not wait (Teams); looked up at
        # each call so a replaced fetch_title counts.
        self.titles = TitleFiller(db, lambda url: self.fetch_title(url))

    # -- who and where -------------------------------------------------------------------------

    def language_for(
        self, actor: Actor, forum: ForumInfo | None, word: Language | None = None
    ) -> Language:
        """The language of an answer to a person, the first of these that is known.

        Their own choice (``språk``/``language``); the language of the command *word* they just
        used, when it belongs to one language (see :attr:`bot.commands.Command.language`); their
        platform's locale, when it is Swedish or English; the forum's language.
        """
        with self.db.transaction() as session:
            chosen = preferences.language_of(
                session, actor.platform.value, actor.workspace_id, actor.user_id
            )
        return answer_language(chosen, word, actor.locale, forum, self.default_language)

    def is_organiser(self, actor: Actor, forum: ForumInfo | None) -> bool:
        """True when *actor* may administer *forum* (or every forum, for None).

        Only configured organisers administer a forum of another workspace: a role stored in one
        workspace (even for all its forums) never reaches another one's forum named by id.
        """
        if forum is not None and (
            forum.platform is not actor.platform
            or forum.workspace_id not in ("", actor.workspace_id)
        ):
            return actor.user_id in self.configured_organisers
        with self.db.transaction() as session:
            return organisers.is_organiser(
                session,
                actor.platform.value,
                actor.workspace_id,
                actor.user_id,
                forum.id if forum else None,
                self.configured_organisers,
            )

    def forum_for(self, actor: Actor, channel_id: str) -> ForumInfo | None:
        """The forum of a channel; from elsewhere (a DM, App Home) the person's own forum.

        With several forums in a workspace, a person's own is the one they last shared in, else
        one they subscribe to, else the workspace's first.
        """
        with self.db.transaction() as session:
            forum = forums.by_channel(session, actor.platform, actor.workspace_id, channel_id)
            if forum is not None:
                return forum
            candidates = [
                candidate
                for candidate in forums.all_forums(session, actor.platform)
                if candidate.workspace_id == actor.workspace_id
            ]
            if len(candidates) <= 1:
                return candidates[0] if candidates else None
            by_id = {candidate.id: candidate for candidate in candidates}
            recent = contributions.recent_by_author(
                session, actor.platform.value, actor.workspace_id, actor.user_id
            )
            for row in recent:
                if row.forum_id in by_id:
                    return by_id[row.forum_id]
            for candidate in candidates:
                if subscriptions.is_subscribed(session, candidate.id, actor.user_id):
                    return candidate
            return candidates[0]

    # -- commands ------------------------------------------------------------------------------

    def handle_text(
        self, actor: Actor, channel_id: str, text: str, *, message_id: str | None = None
    ) -> Reply:
        """Parse and answer what a person wrote after ``/ledarforum`` or an @mention."""
        return self.handle(actor, channel_id, parse(text), message_id=message_id)

    def handle(
        self,
        actor: Actor,
        channel_id: str,
        command: Command,
        *,
        message_id: str | None = None,
        previews: Sequence[tuple[str, str]] = (),
        forum: ForumInfo | EllipsisType | None = ...,
    ) -> Reply:
        """Answer a parsed command; *previews* are its message's link previews (url, title).

        *forum*: the channel's forum (or None) when the caller has looked it up already by the
        same rule (:meth:`forum_for` or the adopting :func:`bot.places.forum_at`).
        """
        if forum is ...:
            forum = self.forum_for(actor, channel_id)
        lang = self.language_for(actor, forum, command.language)
        verb = command.verb
        if verb is Verb.HELP:
            organiser = self.is_organiser(actor, forum)
            shown = help_message(
                lang, organiser=organiser, unknown=command.unknown, platform=actor.platform
            )
            return Reply([shown])
        if verb is Verb.LANGUAGE:
            return self._language(actor, command.rest, lang)
        if verb is Verb.MY_DATA:
            return self._my_data(actor, lang)
        if verb is Verb.FORGET_ME:
            return self.forget_me(actor, lang, confirmed=command.rest.casefold() in CONFIRM_WORDS)
        if verb is Verb.ADMIN:
            return self._admin(actor, channel_id, forum, lang, command)
        if verb is Verb.LOGBOOK:  # private, and kept even before the person has a forum
            return logbook_chat.answer(self, actor, forum, lang, command.rest, message_id)
        if forum is None:
            return Reply([error(lang, "forum.none")])
        if verb is Verb.THEME:
            with self.db.transaction() as session:
                current = cycles.current(session, forum, self.clock())
            return Reply([current_theme(current.period, current.theme, lang, actor.platform)])
        if verb is Verb.YEAR:
            with self.db.transaction() as session:
                current = cycles.current(session, forum, self.clock())
                doc = cycles.for_forum(session, forum, current.period.year)
                # The wheel by its public URL, keyed by the forum's feed token (bot.wheel.chat).
                picture = wheel_chat.picture_url(
                    session, self.publisher.public_url, forum, lang, actor=actor.ref
                )
                zone = ZoneInfo(forum.timezone)
                booked = meetings.of_year(session, forum, current.period.year)
                days = [meeting.starts_at.astimezone(zone).date() for meeting in booked]
            files = []
            if picture is None and forum.platform is Platform.SLACK:
                # No address Slack can fetch: the wheel goes as a file to the person's DM.
                files = [wheel_chat.picture_file(doc, forum, lang, self.clock(), days)]
            answer = year_overview(doc, current.period, lang, picture)
            return Reply([answer], pictures=files)
        if verb is Verb.SEARCH:
            return Reply([self._search(forum, command.rest, lang)])
        if verb is Verb.SHARE:
            if not command.rest:
                return Reply(form=ShareForm(lang, forum.id))
            return self.share(
                actor,
                forum,
                command.rest,
                Source.SHARE_COMMAND,
                message_id=message_id or f"share:{uuid.uuid4().hex}",
                created_at=self.clock(),
            )
        if verb is Verb.TREND:
            url, comment = trends.split_command(command.rest)
            return trend_chat.share(
                self,
                actor,
                forum,
                url,
                comment,
                Source.SHARE_COMMAND,
                message_id=message_id or f"trend:{uuid.uuid4().hex}",
                created_at=self.clock(),
                previews=previews,
            )
        if verb is Verb.DIGEST:
            return Reply([self.preview_digest(forum, self.clock(), lang)])
        if verb is Verb.SUBSCRIBE:
            with self.db.transaction() as session:
                new = subscriptions.subscribe(session, forum.id, actor.user_id)
            return Reply([info(lang, "subscribe.done" if new else "subscribe.already")])
        with self.db.transaction() as session:  # Verb.UNSUBSCRIBE
            was = subscriptions.unsubscribe(session, forum.id, actor.user_id)
        return Reply([info(lang, "unsubscribe.done" if was else "unsubscribe.not")])

    def preview_digest(self, forum: ForumInfo, at: datetime, lang: Language) -> Message:
        """The digest in progress: contributions stored since the latest digest moment to *at*."""
        when = forums.moments(forum)
        upcoming = shift_digest_moment(digest_moment_at_or_before(at, when), when, 1)
        with self.db.transaction() as session:
            start, _ = digests.window(session, forum.id, upcoming, when)
            digest = digests.load(session, forum.id, start, at)
        return digest_post(forum, digest, lang, preview=True)

    def _search(self, forum: ForumInfo, query: str, lang: Language) -> Message:
        """The forum's best-matching examples, privately (``sök``/``search``)."""
        try:
            library.check(query)
        except library.SearchError as problem:
            return error(lang, problem.key, **problem.params)
        with self.db.transaction() as session:
            found = library.search(session, forum.id, query, limit=SEARCH_RESULTS + 1)
        return search_results(query, found[:SEARCH_RESULTS], lang, more=len(found) > SEARCH_RESULTS)

    def _language(self, actor: Actor, rest: str, lang: Language) -> Reply:
        choice = rest.strip().casefold()[:2]
        if not is_language(choice):
            return Reply([error(lang, "language.usage")])
        with self.db.transaction() as session:
            preferences.set_language(
                session, actor.platform.value, actor.workspace_id, actor.user_id, choice
            )
        return Reply([info(choice, "language.done")])

    # -- sharing -------------------------------------------------------------------------------

    def share(
        self,
        actor: Actor,
        forum: ForumInfo,
        text: str,
        source: Source,
        *,
        message_id: str,
        created_at: datetime,
        permalink: str | None = None,
        anonymous: bool = False,
        period: Period | None = None,
        author_id: str | None = None,
        author_name: str | None = None,
        channel_id: str | None = None,
    ) -> Reply:
        """Store a good practice once and thank the person who shared it (privately).

        With *author_id*, *actor* saved an existing message written by that person: the actor
        is recorded as its saver, and an author who is someone else is told privately, with a
        button to take it out again.
        """
        lang = self.language_for(actor, forum)
        new = NewContribution(
            author_id=author_id or actor.user_id,
            author_name=author_name or actor.name,
            text=text,
            source=source,
            channel_id=channel_id or forum.channel_id,
            source_message_id=message_id,
            created_at=created_at,
            permalink=permalink,
            anonymous=anonymous,
            period=period,
            saved_by_id=actor.user_id if author_id else None,
            saved_by_name=actor.name if author_id else None,
        )
        try:
            with self.db.transaction() as session:
                recorded = contributions.record(session, forum, new, now=self.clock())
        except ContributionError as exc:
            return Reply([error(lang, exc.key, **exc.params)])
        if recorded.created:
            self.metrics.contributions_stored.labels(source.value).inc()
        theme = recorded.theme
        title = theme.title.get(lang) if theme else None
        if new.author_id == actor.user_id:
            return Reply([share_confirmation(lang, recorded.id, title, created=recorded.created)])
        thanks = save_confirmation(
            lang, recorded.id, new.author_name, title, created=recorded.created
        )
        reply = Reply([thanks])
        if recorded.created:
            reply.notify.append(self._save_notice(actor, forum, new, recorded.id))
        return reply

    def _save_notice(
        self, saver: Actor, forum: ForumInfo, new: NewContribution, contribution_id: int
    ) -> Notification:
        """The word to the author of a message *saver* saved, in the author's language."""
        author = Actor(saver.platform, saver.workspace_id, new.author_id, new.author_name)
        message = save_notice(
            forum,
            self.language_for(author, forum),
            contribution_id,
            saver=saver.name,
            author=new.author_name,
            text=new.text,
            link=new.permalink,
            written_at=new.created_at,
        )
        return Notification(new.author_id, message)

    def undo(self, actor: Actor, contribution_id: int, forum: ForumInfo | None = None) -> Reply:
        """Remove a contribution on the request of its author or of whoever saved it."""
        lang = self.language_for(actor, forum)
        with self.db.transaction() as session:
            author = contributions.undo(
                session, contribution_id, actor.platform.value, actor.workspace_id, actor.user_id
            )
        if author is None:
            key = "share.undo_missing"
        else:
            key = "share.undone" if author == actor.user_id else "save.undone"
        return Reply([info(lang, key)])

    # -- privacy -------------------------------------------------------------------------------

    def _my_data(self, actor: Actor, lang: Language) -> Reply:
        with self.db.transaction() as session:
            data = privacy.collect(session, actor.platform.value, actor.workspace_id, actor.user_id)
        files = [
            FileAttachment(
                "ledarforum-my-data.json", privacy.as_json(data, lang), t(lang, "data.title")
            ),
            FileAttachment(
                "ledarforum-my-data.txt", privacy.as_text(data, lang), t(lang, "data.title")
            ),
        ]
        count = len(data["contributions"])
        return Reply([info(lang, "data.ready", count=count)], files=files)

    def forget_me(self, actor: Actor, lang: Language, *, confirmed: bool) -> Reply:
        """Ask for confirmation, or erase everything stored about the person."""
        if not confirmed:
            key = for_platform(lang, "forget.confirm", actor.platform)
            text = t(lang, key, command=invocation(actor.platform))
            button = Button(FORGET_CONFIRM, t(lang, "forget.button"), "yes", primary=True)
            return Reply([Message("confirm", text, (Paragraph(text), Actions((button,))))])
        with self.db.transaction() as session:
            removed = privacy.forget(
                session, actor.platform.value, actor.workspace_id, actor.user_id
            )
        return Reply([info(lang, "forget.done", count=removed["contributions"])])

    # -- organisers ----------------------------------------------------------------------------

    def _admin(
        self,
        actor: Actor,
        channel_id: str,
        forum: ForumInfo | None,
        lang: Language,
        command: Command,
    ) -> Reply:
        admin = command.admin or AdminVerb.HELP
        here = forum if forum is not None and forum.channel_id == channel_id else None
        if admin is AdminVerb.SETUP:
            if not self.is_organiser(actor, here):
                return Reply([error(lang, "admin.denied")])
            return self.setup(actor, channel_id, lang)
        if not self.is_organiser(actor, forum):
            return Reply([error(lang, "admin.denied")])
        if admin is AdminVerb.HELP:
            return Reply([admin_help(lang, command.unknown)])
        if forum is None:
            return Reply([error(lang, "forum.none")])
        now = self.clock()
        if admin is AdminVerb.POST_THEME:
            result = self.publisher.post_theme(forum, now)
            return Reply([publish_outcome(forum, lang, result.kind, result.status, result.key)])
        if admin is AdminVerb.DIGEST:
            result = self.publisher.post_digest(forum, now)
            return Reply([publish_outcome(forum, lang, result.kind, result.status, result.key)])
        if admin is AdminVerb.SCHEDULE:
            with self.db.transaction() as session:
                current = cycles.current(session, forum, now)
                doc = cycles.for_forum(session, forum, current.period.year)
            how = info(lang, for_platform(lang, "admin.schedule", actor.platform))
            return Reply([year_overview(doc, current.period, lang), how])
        if admin is AdminVerb.STATS:
            return Reply([self._stats(forum, lang)])
        if admin in (AdminVerb.SETTINGS, AdminVerb.LOG):
            return forum_admin.answer(self, actor, forum, lang, command)
        if admin is AdminVerb.MEETING:
            with self.db.transaction() as session:
                answer = meetings.admin_answer(
                    session, forum, lang, command.rest, actor=actor.ref, now=now
                )
            return Reply([answer])
        return self._organisers(actor, forum, lang, command.rest)

    def may_edit_shared(self, actor: Actor) -> bool:
        """True for the configured organisers, the only ones who may edit the shared cycle."""
        return actor.user_id in self.configured_organisers

    def theme_editor(
        self, actor: Actor, forum: ForumInfo, month: int, *, year: int | None = None
    ) -> ThemeEditor | None:
        """What the theme form of *month* shows *actor*; None when they may not edit it.

        *year* defaults to the year of that month's current or coming theme.
        """
        if not 1 <= month <= 12 or not self.is_organiser(actor, forum):
            return None
        year = cycles.coming_year(forum, month, self.clock()) if year is None else year
        this_year = self.this_year(forum)
        with self.db.transaction() as session:
            theme = cycles.for_forum(session, forum, year).theme_for(month)
            own = cycles.edit_target(session, forum, shared=False, year=year, this_year=this_year)
            shared = cycles.edit_target(session, forum, shared=True)
        return ThemeEditor(forum, month, theme, own, shared, self.may_edit_shared(actor))

    def edit_theme(
        self,
        actor: Actor,
        forum: ForumInfo,
        month: int,
        theme: ThemeContent | None,
        *,
        shared: bool = False,
        year: int | None = None,
    ) -> cycles.EditTarget | None:
        """Save a month's theme edited from *forum*; the cycle changed, or None when refused.

        Checked here for every adapter: a forum's organisers change the forum's cycle for that
        *year* when it has one (default: the year of the month's current or coming theme), else
        the forum's own cycle (copied from the default on the first edit); only configured
        organisers the default.
        """
        if not 1 <= month <= 12 or not self.is_organiser(actor, forum):
            return None
        if shared and not self.may_edit_shared(actor):
            return None
        year = cycles.coming_year(forum, month, self.clock()) if year is None else year
        this_year = self.this_year(forum)
        with self.db.transaction() as session:
            return cycles.set_theme(
                session,
                forum,
                theme,
                month,
                actor=actor.ref,
                shared=shared,
                year=year,
                this_year=this_year,
            )

    def this_year(self, forum: ForumInfo) -> int:
        """The year of the forum's current theme period (edits of later years keep it as is)."""
        return period_at(self.clock(), forums.moments(forum)).year

    def setup(self, actor: Actor, channel_id: str, lang: Language) -> Reply:
        """Make a channel a forum and its creator an organiser of it."""
        with self.db.transaction() as session:
            forum, created = forums.ensure_forum(
                session,
                actor.platform,
                actor.workspace_id,
                channel_id,
                language=lang,
                timezone=self.default_timezone,
                actor=actor.ref,
            )
            organisers.add(
                session,
                actor.platform.value,
                actor.workspace_id,
                actor.user_id,
                forum.id,
                actor=actor.ref,
            )
        return Reply([info(lang, "admin.setup.done" if created else "admin.setup.already")])

    def _organisers(self, actor: Actor, forum: ForumInfo, lang: Language, rest: str) -> Reply:
        parts = rest.split()
        action = parts[0].casefold() if parts else ""
        target = user_ref(parts[1]) if len(parts) == 2 else None
        if action not in {"add", "lägg-till", "remove", "ta-bort"} or target is None:
            with self.db.transaction() as session:
                people = organisers.of_forum(
                    session, actor.platform.value, actor.workspace_id, forum.id
                )
            listing = ", ".join(people) or "-"
            return Reply([info(lang, "admin.organisers.usage", people=listing)])
        where = (actor.platform.value, actor.workspace_id)
        with self.db.transaction() as session:
            if action in {"add", "lägg-till"}:
                added = organisers.add(
                    session,
                    *where,
                    target,
                    forum.id,
                    actor=actor.ref,
                    configured=self.configured_organisers,
                )
                key = "admin.organisers.added" if added else "admin.organisers.already"
            elif (
                target == actor.user_id
                and target not in self.configured_organisers
                and organisers.is_last(session, *where, target, forum.id)
            ):  # a forum keeps someone who can appoint the next organiser
                return Reply([error(lang, "admin.organisers.last")])
            else:
                removed = organisers.remove(session, *where, target, forum.id, actor=actor.ref)
                still = organisers.is_organiser(
                    session, *where, target, forum.id, self.configured_organisers
                )
                if still:  # an organiser of every forum: this forum's list cannot change that
                    key = "admin.organisers.everywhere"
                else:
                    key = "admin.organisers.removed" if removed else "admin.organisers.not"
        return Reply([info(lang, key, user=target)])

    def participation(
        self, forum: ForumInfo, year: int | None = None
    ) -> tuple[stats.Participation, Period]:
        """The forum's participation in *year* (default: the current theme period's year) and
        the current period; the channel's member count is asked of the platform at most once a
        day (:func:`bot.services.stats.member_count`)."""
        now = self.clock()
        with self.db.transaction() as session:
            period = cycles.current(session, forum, now).period
        poster = self.publisher.posters.get(forum.platform)
        found = stats.forum_participation(self.db, forum, poster, year=year or period.year, now=now)
        return found, period

    def _stats(self, forum: ForumInfo, lang: Language) -> Message:
        with self.db.transaction() as session:
            overview = stats.forum_stats(session, forum.id)
        # The trend: this month against the same month last year, the share of the members.
        trend, period = self.participation(forum)
        trend_items = (
            Paragraph(t(lang, "stats.trend")),
            Bullets(stats.trend_lines(trend, period.month, lang)),
            Paragraph(stats.members_text(lang, trend.members)),
        )
        items = tuple(
            t(
                lang,
                "admin.stats.line",
                month=month_name(lang, Period.parse(p.period).month),
                year=Period.parse(p.period).year,
                count=p.contributions,
                people=t(lang, "admin.stats.people", count=p.contributors),
            )
            for p in overview.periods
        )
        summary = t(lang, "admin.stats.summary", total=overview.total, subs=overview.subscribers)
        ended = (
            (Paragraph(t(lang, "admin.stats.ended", count=overview.ended)),)
            if overview.ended
            else ()
        )
        return Message(
            "stats",
            summary,
            (
                Header(t(lang, "admin.stats.header")),
                Paragraph(summary),
                *ended,
                *trend_items,
                Bullets(items),
            ),
        )
