"""Teams' theme editor: organisers change a month's theme with cards in their 1:1 chat.

``admin schedule`` brings a month picker; choosing a month brings the theme form (the same fields
as Slack's modal, :mod:`bot.theme_form`), naming the cycle saving changes and how many forums
follow it; a configured organiser may choose the shared cycle. What comes back is the core's
(:class:`bot.inbound_handler.InboundHandler`), which checks the organiser again: a card can be
forged. These are only the cards.
"""

from __future__ import annotations

from collections.abc import Mapping

from microsoft_teams.cards import (
    AdaptiveCard,
    CardElement,
    Choice,
    ChoiceSetInput,
    SubmitAction,
    TextBlock,
    TextInput,
)

from bot import inbound, theme_form
from bot.dialogue import ThemeEditor
from bot.domain import ForumInfo, Language
from bot.i18n import month_name, t
from handlers.teams.render import inert

THEME_OPEN = "theme_open"  # the month picker's button: the theme form of the chosen month
THEME_SUBMIT = "theme_submit"  # the theme form's button: save it
ACTIONS = (THEME_OPEN, THEME_SUBMIT)
MONTH, CYCLE = inbound.MONTH, inbound.CYCLE
OWN, SHARED = inbound.OWN_CYCLE, inbound.SHARED_CYCLE


def month_picker(lang: Language, forum: ForumInfo) -> AdaptiveCard:
    """A card to choose the month whose theme to edit."""
    choices = [Choice(title=month_name(lang, m).capitalize(), value=str(m)) for m in range(1, 13)]
    body: list[CardElement] = [
        TextBlock(text=inert(t(lang, "teams.theme.pick")), wrap=True),
        ChoiceSetInput(id=MONTH, choices=choices, value="1", label=t(lang, "teams.theme.month")),
    ]
    data = {"action": THEME_OPEN, "forum": forum.id}
    submit = SubmitAction(title=t(lang, "home.edit"), data=data)
    return AdaptiveCard(body=body, actions=[submit], fallback_text=t(lang, "teams.theme.pick"))


def theme_card(
    lang: Language,
    editor: ThemeEditor,
    typed: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> AdaptiveCard:
    """The theme form of one month: which cycle it changes, then both languages' fields.

    *typed* and *errors* bring back a refused submission with what was wrong next to its field.
    """
    title = t(lang, "modal.theme.title")
    intro = t(lang, "modal.theme.intro", month=month_name(lang, editor.month))
    body: list[CardElement] = [
        TextBlock(text=inert(title), size="Large", weight="Bolder"),
        TextBlock(text=inert(intro), wrap=True),
        TextBlock(text=inert(editor.describe(lang)), wrap=True, weight="Bolder"),
    ]
    problems = dict(errors or {})
    if CYCLE in problems:
        body.append(TextBlock(text=inert(problems[CYCLE]), wrap=True, color="Attention"))
    if editor.may_edit_shared:
        shared = t(lang, "cycle.edit.option_shared", count=editor.shared.followers)
        body.append(
            ChoiceSetInput(
                id=CYCLE,
                label=t(lang, "cycle.edit.choose"),
                style="expanded",
                value=OWN,
                choices=[
                    Choice(title=t(lang, "cycle.edit.option_own"), value=OWN),
                    Choice(title=shared, value=SHARED),
                ],
            )
        )
    values = dict(typed) if typed is not None else theme_form.initial(editor.theme)
    for name in theme_form.NAMES:
        field = name.rsplit("_", 1)[0]
        if name in problems:
            body.append(TextBlock(text=inert(problems[name]), wrap=True, color="Attention"))
        body.append(
            TextInput(
                id=name,
                label=inert(t(lang, f"modal.theme.{name}")),
                value=values.get(name) or None,
                is_multiline=field != "title",
                max_length=theme_form.LIMITS[field],
            )
        )
    data = {"action": THEME_SUBMIT, "forum": editor.forum.id, "month": editor.month}
    submit = SubmitAction(title=t(lang, "modal.theme.submit"), style="positive", data=data)
    return AdaptiveCard(body=body, actions=[submit], fallback_text=title)
