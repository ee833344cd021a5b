"""The cycle editor: a year's twelve months, a month's theme form with a preview, copying a year
forward, and uploading a cycle file with the difference shown before it is applied.

Every route is for the forum's organisers (:func:`handlers.site.sessions.forum_for` with
``organiser=True``: 403 for anyone else, on GET and POST alike) and every POST checks its CSRF
token first (:func:`handlers.site.sessions.form`). Saving goes through the same core path as the
chat editor (:meth:`bot.dialogue.Dialogue.edit_theme`: the organiser check again, audit-logged with
the signed-in person); applying a file through :func:`bot.services.cycles.replace`, the function
behind ``ledarforum schedule import``. A checked file travels to the apply step in a hidden field
signed with the site's key, so what is applied is exactly what was checked and shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, TypeVar

from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.core import Core
from bot.cycle_file import CycleFileError, load_cycle, validate_theme
from bot.cycle_file.diff import Change, diff, link_line
from bot.dialogue import Actor
from bot.domain import (
    MAX_QUESTIONS,
    MIN_QUESTIONS,
    Bilingual,
    CycleDocument,
    ForumInfo,
    Language,
    Link,
    ThemeContent,
)
from bot.i18n import month_name, t
from bot.services import cycles, meetings, signin
from bot.services.forums import moments
from bot.timing import Period, period_at
from handlers.site import sessions
from handlers.site.language import page_language
from handlers.site.preview import theme_preview
from handlers.site.templating import Pages

MAX_UPLOAD = 256 * 1024  # bytes of an uploaded cycle file (the shipped cycle is about 20 KiB)
# A form post may carry a file of MAX_UPLOAD bytes signed and encoded: room for that and more.
MAX_POST = 4 * MAX_UPLOAD
APPLY_SECONDS = 3600  # how long a checked file may wait for its Apply
SUFFIXES = (".yaml", ".yml", ".csv", ".json")
FIRST_YEAR, LAST_YEAR = 2000, 2100
NOTICES = ("saved", "copied", "applied")
OWN = "own"  # the upload target "the forum's own cycle"; otherwise a year

_T = TypeVar("_T")


@dataclass(frozen=True)
class MonthForm:
    """The month form's fields as typed (shown again as they were, valid or not)."""

    none: bool = False
    title_sv: str = ""
    title_en: str = ""
    why_now_sv: str = ""
    why_now_en: str = ""
    questions_sv: str = ""
    questions_en: str = ""
    delivery_sv: str = ""
    delivery_en: str = ""
    links: str = ""

    @classmethod
    def of(cls, theme: ThemeContent | None) -> MonthForm:
        """The form filled with *theme* (empty for a themeless month, ready to be filled)."""
        if theme is None:
            return cls()
        return cls(
            title_sv=theme.title.sv,
            title_en=theme.title.en,
            why_now_sv=theme.why_now.sv,
            why_now_en=theme.why_now.en,
            questions_sv="\n".join(q.sv for q in theme.questions),
            questions_en="\n".join(q.en for q in theme.questions),
            delivery_sv=theme.delivery.sv if theme.delivery else "",
            delivery_en=theme.delivery.en if theme.delivery else "",
            links="\n".join(link_line(link.title, link.url) for link in theme.links),
        )

    @classmethod
    def posted(cls, data: FormData) -> MonthForm:
        """The fields of a posted form (missing ones empty, line breaks made plain)."""

        def text(name: str) -> str:
            value = data.get(name)
            return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else ""

        names = [f.name for f in dataclasses.fields(cls) if f.name != "none"]
        return cls(none=data.get("none") == "1", **{name: text(name) for name in names})


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def parse_links(text: str, lang: Language, problems: list[str]) -> tuple[Link, ...]:
    """``title | url`` or ``title sv | title en | url`` a line; a bad line adds a problem."""
    links: list[Link] = []
    for number, line in enumerate(_lines(text), 1):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 2 and all(parts):
            links.append(Link(Bilingual(parts[0], parts[0]), parts[1]))
        elif len(parts) == 3 and all(parts):
            links.append(Link(Bilingual(parts[0], parts[1]), parts[2]))
        else:
            problems.append(t(lang, "editor.error.link_line", line=number))
    return tuple(links)


def theme_of(
    form: MonthForm, month: int, existing: ThemeContent | None, lang: Language
) -> tuple[ThemeContent | None, list[str]]:
    """The theme a month form describes and its problems in *lang* (the cycle file's rules).

    Fields the form does not show (a theme's key, what it follows) are kept from *existing*.
    """
    if form.none:
        return None, []
    problems: list[str] = []
    sv, en = _lines(form.questions_sv), _lines(form.questions_en)
    if len(sv) != len(en):
        problems.append(t(lang, "editor.error.questions_pair", sv=len(sv), en=len(en)))
    delivery = None
    if form.delivery_sv.strip() or form.delivery_en.strip():
        if not (form.delivery_sv.strip() and form.delivery_en.strip()):
            problems.append(t(lang, "editor.error.delivery_half"))
        delivery = Bilingual(form.delivery_sv.strip(), form.delivery_en.strip())
    fields: dict[str, Any] = {
        "title": Bilingual(form.title_sv.strip(), form.title_en.strip()),
        "why_now": Bilingual(form.why_now_sv.strip(), form.why_now_en.strip()),
        "questions": tuple(Bilingual(q_sv, q_en) for q_sv, q_en in zip(sv, en, strict=False)),
        "delivery": delivery,
        "links": parse_links(form.links, lang, problems),
    }
    if existing is not None and existing.month == month:
        theme = dataclasses.replace(existing, **fields)
    else:
        theme = ThemeContent(month=month, **fields)
    problems += [problem.message(lang) for problem in validate_theme(theme)]
    return theme, problems


@dataclass(frozen=True)
class MonthRow:
    """One month of the year page."""

    month: int
    theme: ThemeContent | None


def _year_of(core: Core, forum: ForumInfo) -> int:
    """The year of the theme current now in the forum's time zone."""
    return period_at(core.dialogue.clock(), moments(forum)).year


def _year_param(value: str | None, fallback: int) -> int:
    if value is None or value == "":
        return fallback
    if not value.isascii() or not value.isdigit() or not FIRST_YEAR <= int(value) <= LAST_YEAR:
        raise HTTPException(404)
    return int(value)


def _checked_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise HTTPException(404)
    return year


def _source(core: Core, session: Any, forum: ForumInfo, year: int) -> tuple[str, int | None]:
    """What an edit of *year* changes, for the sentence above the months (``editor.source.*``)."""
    return cycles.edit_source(session, forum, year, core.dialogue.this_year(forum))


def _text_field(data: FormData, name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


class Editor:
    """The editor's pages for one core."""

    def __init__(self, core: Core, view: Pages) -> None:
        self.core = core
        self.view = view
        self._key: str | None = None

    # -- helpers ---------------------------------------------------------------------------------

    def lang(self, request: Request) -> Language:
        """The reader's language."""
        return page_language(request, self.core.settings.language)

    async def db(self, work: Callable[[Any], _T]) -> _T:
        """*work(session)* in one transaction, off the event loop."""

        def run() -> _T:
            with self.core.db.transaction() as session:
                return work(session)

        return await run_in_threadpool(run)

    async def organiser(self, request: Request) -> tuple[Actor, ForumInfo]:
        """The signed-in organiser and their forum, or the refusal (see ``sessions.forum_for``)."""
        forum_id = int(request.path_params["forum_id"])
        return await run_in_threadpool(
            lambda: sessions.forum_for(request, self.core, forum_id, organiser=True)
        )

    async def signer(self) -> URLSafeTimedSerializer:
        """Signs a checked file for its Apply, with the site's web key (``bot.services.signin``)."""
        if self._key is None:
            self._key = await self.db(lambda s: signin.secret_key(s, self.core.settings))
        return URLSafeTimedSerializer(self._key, salt="ledarforum.cycle-apply")

    def _too_large(self, request: Request) -> bool:
        length = request.headers.get("content-length", "")
        return length.isdigit() and int(length) > MAX_POST

    # -- the year --------------------------------------------------------------------------------

    async def year_page(self, request: Request) -> Response:
        """GET /forums/{id}/cycle?year=: the twelve months, copy, upload."""
        _, forum = await self.organiser(request)
        year = _year_param(request.query_params.get("year"), _year_of(self.core, forum))
        notice = request.query_params.get("notice")
        return await self._year(request, forum, year, notice=notice)

    async def _year(
        self,
        request: Request,
        forum: ForumInfo,
        year: int,
        *,
        notice: str | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        def read(session: Any) -> tuple[CycleDocument, tuple[str, int | None], bool]:
            doc = cycles.for_forum(session, forum, year)
            source = _source(self.core, session, forum, year)
            return doc, source, cycles.has_year(session, forum, year + 1)

        doc, (source, since), next_has_own = await self.db(read)
        lang = self.lang(request)
        context = {
            "forum": forum,
            "organiser": True,
            "year": year,
            "source": source,
            "since": since,
            "months": [MonthRow(month, doc.theme_for(month)) for month in range(1, 13)],
            "next_has_own": next_has_own,
            "notice": t(lang, f"editor.notice.{notice}") if notice in NOTICES else None,
            "error": error,
            "first_year": FIRST_YEAR,
            "last_year": LAST_YEAR,
        }
        return self.view.render(request, "editor_year.html", context, status=status, lang=lang)

    async def copy(self, request: Request) -> Response:
        """POST /forums/{id}/cycle/{year}/copy: this year's cycle becomes next year's own."""
        data = await sessions.form(request)
        actor, forum = await self.organiser(request)
        year = _checked_year(int(request.path_params["year"]))
        if year >= LAST_YEAR:
            raise HTTPException(404)
        replace = data.get("replace") == "1"

        def copy(session: Any) -> str | None:
            try:
                cycles.copy_to_next_year(session, forum, year, actor=actor.ref, replace=replace)
            except cycles.CycleError as refused:
                return refused.message(self.lang(request))
            return None

        refused = await self.db(copy)
        if refused is not None:
            return await self._year(request, forum, year, error=refused, status=409)
        return RedirectResponse(
            f"/forums/{forum.id}/cycle?year={year + 1}&notice=copied", status_code=303
        )

    # -- a month ---------------------------------------------------------------------------------

    async def month_page(self, request: Request) -> Response:
        """GET/POST /forums/{id}/cycle/{year}/{month}: the form, its preview, saving it."""
        if request.method == "POST" and self._too_large(request):
            raise HTTPException(413)
        data = await sessions.form(request) if request.method == "POST" else None
        actor, forum = await self.organiser(request)
        year = _checked_year(int(request.path_params["year"]))
        month = int(request.path_params["month"])
        if not 1 <= month <= 12:
            raise HTTPException(404)
        lang = self.lang(request)

        def read(session: Any) -> tuple[ThemeContent | None, tuple[str, int | None]]:
            theme = cycles.for_forum(session, forum, year).theme_for(month)
            return theme, _source(self.core, session, forum, year)

        existing, source = await self.db(read)
        if data is None:
            form = MonthForm.of(existing)
            return self._month(request, forum, year, month, form, lang, source)
        form = MonthForm.posted(data)
        theme, problems = theme_of(form, month, existing, lang)
        action = _text_field(data, "action")
        if problems:
            return self._month(
                request, forum, year, month, form, lang, source, problems=problems, status=422
            )
        if action != "save":
            preview = None
            if theme is not None:
                period = Period(year, month)
                # The publisher's own message, so the preview has every line the post will have.
                message = await run_in_threadpool(
                    self.core.publisher.theme_message, forum, period, theme
                )
                preview = theme_preview(forum, period, theme, message=message)
            return self._month(request, forum, year, month, form, lang, source, preview=preview)
        saved = await run_in_threadpool(
            lambda: self.core.dialogue.edit_theme(actor, forum, month, theme, year=year)
        )
        if saved is None:
            raise HTTPException(403, t(lang, "editor.error.refused"))
        return RedirectResponse(
            f"/forums/{forum.id}/cycle?year={year}&notice=saved#month-{month}", status_code=303
        )

    def _month(
        self,
        request: Request,
        forum: ForumInfo,
        year: int,
        month: int,
        form: MonthForm,
        lang: Language,
        source: tuple[str, int | None],
        *,
        problems: list[str] | None = None,
        preview: Markup | None = None,
        status: int = 200,
    ) -> Response:
        context = {
            "forum": forum,
            "organiser": True,
            "year": year,
            "month": month,
            "month_title": t(
                lang, "editor.month.title", month=month_name(lang, month).capitalize(), year=year
            ),
            "form": form,
            "source": source[0],
            "since": source[1],
            "problems": problems or [],
            "preview": preview,
            "previewed": request.method == "POST" and not problems,
            "platform": t(lang, f"editor.platform.{forum.platform.value}"),
            "min_questions": MIN_QUESTIONS,
            "max_questions": MAX_QUESTIONS,
        }
        return self.view.render(request, "editor_month.html", context, status=status, lang=lang)

    # -- a file ----------------------------------------------------------------------------------

    async def upload_page(self, request: Request) -> Response:
        """GET /forums/{id}/cycle/upload: choose a file and what it replaces."""
        _, forum = await self.organiser(request)
        return self._upload(request, forum)

    def _upload(
        self,
        request: Request,
        forum: ForumInfo,
        *,
        problems: list[str] | None = None,
        target: str = OWN,
        status: int = 200,
    ) -> Response:
        year = _year_of(self.core, forum)
        context = {
            "forum": forum,
            "organiser": True,
            "problems": problems or [],
            "targets": [OWN, str(year), str(year + 1)],
            "target": target,
            "limit": MAX_UPLOAD // 1024,
        }
        return self.view.render(request, "editor_upload.html", context, status=status)

    def _target(self, forum: ForumInfo, value: str) -> tuple[str, str, int | None]:
        """The cycle key an upload replaces, as posted (``own`` or a year), and the year."""
        if value == OWN:
            return OWN, cycles.forum_key(forum.id), None
        year = _year_param(value, 0)
        return str(year), cycles.year_key(forum.id, year), year

    def _target_words(self, lang: Language, year: int | None) -> str:
        if year is None:
            return t(lang, "editor.upload.target.own")
        return t(lang, "editor.upload.target.year", year=year)

    async def upload(self, request: Request) -> Response:
        """POST /forums/{id}/cycle/upload: check the file; its problems, or what it changes."""
        if self._too_large(request):
            raise HTTPException(413)
        data = await sessions.form(request)
        _, forum = await self.organiser(request)
        lang = self.lang(request)
        target, _, year = self._target(forum, _text_field(data, "target") or OWN)
        upload = data.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            problems = [t(lang, "editor.upload.no_file")]
            return self._upload(request, forum, problems=problems, target=target, status=422)
        name = PurePath(upload.filename.replace("\\", "/")).name
        raw = await upload.read(MAX_UPLOAD + 1)
        problem, text = None, ""
        if not name.lower().endswith(SUFFIXES):
            problem = t(lang, "editor.upload.bad_type")
        elif len(raw) > MAX_UPLOAD:
            problem = t(lang, "editor.upload.too_large", limit=MAX_UPLOAD // 1024)
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                problem = t(lang, "editor.upload.not_text")
        if problem is not None:
            return self._upload(request, forum, problems=[problem], target=target, status=422)
        try:
            doc = await run_in_threadpool(load_cycle, text, name)
        except CycleFileError as error:
            # The same lines as `ledarforum schedule validate`: FILE:LINE: message.
            listed = [f"{name}:{p.line}: {p.message(lang)}" for p in error.problems]
            return self._upload(request, forum, problems=listed, target=target, status=422)
        # With the forum's stored meetings, so the diff lists only the meetings the file adds.
        old = await self.db(
            lambda s: meetings.with_stored(s, forum, cycles.for_forum(s, forum, year))
        )
        signed = (await self.signer()).dumps({"f": forum.id, "t": target, "n": name, "x": text})
        return self._diff(request, forum, diff(old, doc), signed, name, year, lang)

    def _diff(
        self,
        request: Request,
        forum: ForumInfo,
        changes: list[Change],
        signed: str,
        name: str,
        year: int | None,
        lang: Language,
    ) -> Response:
        context = {
            "forum": forum,
            "organiser": True,
            "changes": changes,
            "payload": signed,
            "filename": name,
            "target_words": self._target_words(lang, year),
        }
        return self.view.render(request, "editor_diff.html", context, lang=lang)

    async def apply(self, request: Request) -> Response:
        """POST /forums/{id}/cycle/apply: replace the cycle with the checked file, atomically."""
        if self._too_large(request):
            raise HTTPException(413)
        data = await sessions.form(request)
        actor, forum = await self.organiser(request)
        lang = self.lang(request)
        refused = [t(lang, "editor.apply.refused")]
        try:
            payload = (await self.signer()).loads(
                _text_field(data, "payload"), max_age=APPLY_SECONDS
            )
        except BadSignature:  # also SignatureExpired
            return self._upload(request, forum, problems=refused, status=400)
        if not (
            isinstance(payload, dict)
            and payload.get("f") == forum.id
            and all(isinstance(payload.get(k), str) for k in ("t", "n", "x"))
        ):
            return self._upload(request, forum, problems=refused, status=400)
        target, key, year = self._target(forum, payload["t"])
        try:
            doc = load_cycle(payload["x"], payload["n"])
        except CycleFileError:  # checked before signing; a change of rules since then
            return self._upload(request, forum, problems=refused, target=target, status=400)

        def store(session: Any) -> None:  # the cycle and the file's meetings, all or nothing
            cycles.replace(session, key, doc, actor=actor.ref)
            now = self.core.dialogue.clock()
            meetings.import_all(session, forum, list(doc.meetings), actor=actor.ref, now=now)

        try:
            await self.db(store)
        except meetings.MeetingError as exc:  # a meeting whose time has passed since the upload
            problems = [t(lang, exc.key, **exc.params)]
            return self._upload(request, forum, problems=problems, target=target, status=400)
        shown = year if year is not None else _year_of(self.core, forum)
        return RedirectResponse(
            f"/forums/{forum.id}/cycle?year={shown}&notice=applied", status_code=303
        )


def routes(core: Core, view: Pages) -> list[BaseRoute]:
    """The cycle editor's routes (see WEB.md)."""
    editor = Editor(core, view)
    base = "/forums/{forum_id:int}/cycle"
    return [
        Route(base, editor.year_page, methods=["GET"]),
        Route(f"{base}/upload", editor.upload_page, methods=["GET"]),
        Route(f"{base}/upload", editor.upload, methods=["POST"]),
        Route(f"{base}/apply", editor.apply, methods=["POST"]),
        Route(f"{base}/{{year:int}}/copy", editor.copy, methods=["POST"]),
        Route(f"{base}/{{year:int}}/{{month:int}}", editor.month_page, methods=["GET", "POST"]),
    ]
