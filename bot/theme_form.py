"""The organisers' theme form, for every adapter: its fields, and a theme from what was typed.

The Slack modal and the Teams card show the same eight fields (title, why now, questions and
delivery, each in Swedish and English) and hand what came back to :func:`read`, which validates
with the cycle file's rules. Which cycle saving changes is decided by
:meth:`bot.dialogue.Dialogue.edit_theme`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.cycle_file import DELIVERY_MAX, TITLE_MAX, WHY_NOW_MAX, validate_theme
from bot.domain import Bilingual, Language, ThemeContent
from bot.i18n import t

FIELDS = ("title", "why_now", "questions", "delivery")
LIMITS = {"title": TITLE_MAX, "why_now": WHY_NOW_MAX, "questions": 3000, "delivery": DELIVERY_MAX}
NAMES = tuple(f"{field}_{code}" for field in FIELDS for code in ("sv", "en"))
"""Every input's name (``title_sv`` …), in the order the form shows them."""


def initial(theme: ThemeContent | None) -> dict[str, str]:
    """The inputs' values for *theme* (questions one per line); empty for no theme."""

    def pick(text: Bilingual, code: str) -> str:
        return text.sv if code == "sv" else text.en

    values = dict.fromkeys(NAMES, "")
    if theme is None:
        return values
    for code in ("sv", "en"):
        values[f"title_{code}"] = pick(theme.title, code)
        values[f"why_now_{code}"] = pick(theme.why_now, code)
        values[f"questions_{code}"] = "\n".join(pick(q, code) for q in theme.questions)
        values[f"delivery_{code}"] = pick(theme.delivery, code) if theme.delivery else ""
    return values


@dataclass(frozen=True)
class ThemeInput:
    """A typed theme, and what is wrong with it (input name → message)."""

    theme: ThemeContent
    errors: dict[str, str]


def read(
    values: Mapping[str, str], month: int, lang: Language, keep: ThemeContent | None = None
) -> ThemeInput:
    """The theme typed into the form's inputs, validated; *keep* supplies its links and key."""

    def value(name: str) -> str:
        return (values.get(name) or "").strip()

    def lines(name: str) -> list[str]:
        return [line.strip() for line in value(name).splitlines() if line.strip()]

    questions_sv, questions_en = lines("questions_sv"), lines("questions_en")
    delivery = Bilingual(value("delivery_sv"), value("delivery_en"))
    theme = ThemeContent(
        month=month,
        title=Bilingual(value("title_sv"), value("title_en")),
        why_now=Bilingual(value("why_now_sv"), value("why_now_en")),
        questions=tuple(
            Bilingual(sv, en) for sv, en in zip(questions_sv, questions_en, strict=False)
        ),
        delivery=delivery if delivery.sv or delivery.en else None,
        links=keep.links if keep else (),
        # The form does not show them: an edit keeps the theme's key and what it follows.
        explicit_key=keep.explicit_key if keep else None,
        follows=keep.follows if keep else (),
    )
    errors: dict[str, str] = {}
    if len(questions_sv) != len(questions_en):
        errors["questions_en"] = t(lang, "modal.theme.questions_mismatch")
    for problem in validate_theme(theme):
        errors.setdefault(_input_of(problem.params.get("where", "")), problem.message(lang))
    return ThemeInput(theme, errors)


def _input_of(where: str) -> str:
    """The input a validation problem belongs to ("november.title.sv" → "title_sv")."""
    parts = where.split(".")[1:]
    field = parts[0] if parts and parts[0] in FIELDS else "why_now"
    code = parts[-1] if parts and parts[-1] in ("sv", "en") else "sv"
    return f"{field}_{code}"
