"""The organisers' meeting form, for every adapter: its fields, their checks, and saving it.

``admin möte lägg till`` / ``admin meeting add`` without the rest opens it (Slack modal, Teams
card; the console, which has no forms, explains the text syntax instead). Each field is checked
with the parts of :mod:`bot.services.meetings` the text command uses, so the form, the chat
command, the cycle file and the CLI accept the same meetings; a problem is reported beside its
field and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.domain import ForumInfo, Language, Platform
from bot.i18n import t
from bot.inbound import MeetingForm
from bot.messages import Bullets, Message, Note, Paragraph, Reply
from bot.posts import error, info, invocation
from bot.services import meetings
from bot.services.meetings import AGENDA_MAX, PLACE_MAX, MeetingError, NewMeeting

if TYPE_CHECKING:
    from bot.dialogue import Actor, Dialogue

DATE, TIME, PLACE, LINK, AGENDA = "date", "time", "place", "link", "agenda"
FIELDS = (DATE, TIME, PLACE, LINK, AGENDA)
"""Every input's name, in the order the form shows them."""
LIMITS = {DATE: 10, TIME: 5, PLACE: PLACE_MAX, LINK: meetings.LINK_MAX, AGENDA: AGENDA_MAX}
_ADD_WORDS = ("lägg till", "lagg till", "add")

# The field a refusal of the whole meeting belongs to (found only when it is stored).
_FIELD_OF = {"meetings.error.past": DATE, "meetings.error.exists": TIME}


def wants_form(rest: str) -> bool:
    """True for ``admin möte lägg till`` / ``admin meeting add`` with nothing after it."""
    return " ".join(rest.split()).casefold() in _ADD_WORDS


def typed(values: Mapping[str, object]) -> dict[str, str]:
    """The form's inputs as text (anything that is not a string counts as empty)."""
    return {name: value if isinstance(value := values.get(name), str) else "" for name in FIELDS}


def field_errors(
    values: Mapping[str, str], lang: Language, today: date | None = None
) -> dict[str, str]:
    """What is wrong with the typed meeting, input by input (empty when it may be stored).

    With *today* (UTC), a date that has passed in every time zone is refused here already;
    whether the moment lies in the forum's past is known only when it is stored.
    """
    errors: dict[str, str] = {}

    def check(name: str, parse: Callable[[], object]) -> None:
        try:
            parse()
        except MeetingError as exc:
            errors.setdefault(name, t(lang, exc.key, **exc.params))

    day, clock = values.get(DATE, "").strip(), values.get(TIME, "").strip()
    check(DATE, lambda: meetings.parse_day(day))
    if DATE not in errors and today is not None and meetings.parse_day(day) < today - timedelta(1):
        errors[DATE] = t(lang, "meetings.error.past")
    check(TIME, lambda: meetings.parse_clock(clock))
    place, link = values.get(PLACE, ""), values.get(LINK, "").strip()
    if len(" ".join(place.split())) > PLACE_MAX:
        errors[PLACE] = t(lang, "meetings.error.place_long", limit=PLACE_MAX)
    if link:
        check(LINK, lambda: meetings.check_link(link))
    elif not place.strip():
        errors[PLACE] = t(lang, "meetings.error.where")
    if len(values.get(AGENDA, "").strip()) > AGENDA_MAX:
        errors[AGENDA] = t(lang, "meetings.error.agenda_long", limit=AGENDA_MAX)
    return errors


def build(values: Mapping[str, str]) -> NewMeeting:
    """The typed meeting, by the service's own constructor (:class:`MeetingError` if bad)."""
    return meetings.new_meeting(
        values.get(DATE, ""),
        values.get(TIME, ""),
        place=values.get(PLACE, ""),
        link=values.get(LINK) or None,
        agenda=values.get(AGENDA) or None,
    )


def form_for(
    dialogue: Dialogue, actor: Actor, forum: ForumInfo | None, word: Language | None = None
) -> MeetingForm | None:
    """An empty meeting form of *forum*; None when there is no forum or *actor* may not add."""
    if forum is None or not dialogue.is_organiser(actor, forum):
        return None
    return MeetingForm(dialogue.language_for(actor, forum, word), forum)


def console_help(lang: Language, platform: Platform) -> Reply:
    """What a terminal answers instead of a form: how to add a meeting in one line."""
    text = t(lang, "meetings.error.usage")
    example = t(lang, "forms.meeting.console", command=invocation(platform))
    return Reply([Message("info", text, (Paragraph(text), Note(example)))])


def submit(
    dialogue: Dialogue, actor: Actor, forum: ForumInfo | None, values: Mapping[str, object]
) -> Reply:
    """Store a submitted meeting form when *actor* organises *forum* (checked again: a
    submission can be forged); a bad value comes back as the form with its errors."""
    lang = dialogue.language_for(actor, forum)
    if forum is None or not dialogue.is_organiser(actor, forum):
        return Reply([error(lang, "admin.denied")])
    form = typed(values)
    errors = field_errors(form, lang)
    if not errors:
        try:
            with dialogue.db.transaction() as session:
                added = meetings.add(
                    session, forum, build(form), actor=actor.ref, now=dialogue.clock()
                )
                line = meetings.describe(added, forum, lang)
        except MeetingError as exc:  # the forum's past, a booked time: known only now
            errors = {_FIELD_OF.get(exc.key, DATE): t(lang, exc.key, **exc.params)}
    if errors:
        return Reply(form=MeetingForm(lang, forum, form, errors), forum=forum)
    return Reply([info(lang, "meetings.added", id=added.id, line=line)], forum=forum)


def refused(lang: Language, errors: Mapping[str, str]) -> Message:
    """A refused form told in a message, where the form itself cannot show it again."""
    text = t(lang, "forms.refused")
    items = tuple(
        f"{t(lang, f'forms.field.{name}')}: {problem}" for name, problem in errors.items()
    )
    return Message("error", text, (Paragraph(text), Bullets(items)))
