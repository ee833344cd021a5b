"""The difference between two yearly cycles, per month and field, named in both languages."""

from __future__ import annotations

from dataclasses import replace

from bot.cycle_file import load_default_cycle
from bot.cycle_file.diff import Change, diff, link_line
from bot.domain import Bilingual, CycleDocument, Link, ThemeContent


def _theme(month: int = 3) -> ThemeContent:
    return ThemeContent(
        month=month,
        title=Bilingual("Medarbetarsamtal", "Appraisal talks"),
        why_now=Bilingual("Våren är samtalens tid.", "Spring is the season of talks."),
        questions=(
            Bilingual("Hur förbereder ni?", "How do you prepare?"),
            Bilingual("Vad?", "What?"),
        ),
        delivery=Bilingual("Samtalsplan", "Talk plan"),
        links=(Link(Bilingual("Guide", "Guide"), "https://example.org/guide"),),
    )


def test_the_same_cycle_has_no_changes() -> None:
    shipped = load_default_cycle()
    assert diff(shipped, shipped) == []
    assert diff(shipped, CycleDocument(shipped.name, dict(shipped.themes))) == []


def test_each_changed_field_is_one_change_with_before_and_after() -> None:
    old = CycleDocument("Plan", {3: _theme()})
    changed = replace(
        _theme(),
        title=Bilingual("Medarbetarsamtal", "Staff reviews"),
        questions=(*_theme().questions, Bilingual("Och sedan?", "And then?")),
        delivery=None,
        links=(Link(Bilingual("Mall", "Template"), "https://example.org/mall"),),
    )
    changes = diff(old, CycleDocument("Plan 2027", {3: changed}))
    assert [(c.month, c.field) for c in changes] == [
        (None, "name"),
        (3, "title.en"),
        (3, "questions.sv"),
        (3, "questions.en"),
        (3, "delivery.sv"),
        (3, "delivery.en"),
        (3, "links"),
    ]
    by_field = {c.field: c for c in changes}
    assert (by_field["name"].before, by_field["name"].after) == ("Plan", "Plan 2027")
    assert by_field["title.en"] == Change(3, "title.en", "Appraisal talks", "Staff reviews")
    assert by_field["questions.sv"].after == "Hur förbereder ni?\nVad?\nOch sedan?"
    assert (by_field["delivery.en"].before, by_field["delivery.en"].after) == ("Talk plan", None)
    assert by_field["links"].before == "Guide | https://example.org/guide"
    assert by_field["links"].after == "Mall | Template | https://example.org/mall"


def test_a_month_added_or_removed_is_one_change() -> None:
    old = CycleDocument("", {3: _theme(3)})
    new = CycleDocument("", {4: _theme(4)})
    changes = diff(old, new)
    assert [(c.month, c.field) for c in changes] == [(3, "theme"), (4, "theme")]
    assert changes[0].after is None and "Medarbetarsamtal" in (changes[0].before or "")
    assert changes[1].before is None and "How do you prepare?" in (changes[1].after or "")


def test_labels_in_both_languages() -> None:
    change = Change(3, "why_now.sv", "a", "b")
    assert change.label("sv") == "Mars · Varför nu (svenska)"
    assert change.label("en") == "March · Why now (Swedish)"
    assert Change(None, "name", None, "x").label("sv") == "Årscykelns namn"


def test_theme_keys_and_follows_are_compared_when_themes_have_them() -> None:
    if "follows" not in {f for f in ThemeContent.__dataclass_fields__}:
        return  # cycle files without theme keys: nothing to compare
    old = CycleDocument("", {3: _theme()})
    new = CycleDocument("", {3: replace(_theme(), follows=("utvecklingssamtal",))})
    assert diff(old, new) == [Change(3, "follows", None, "utvecklingssamtal")]


def test_a_link_line_reads_back_unambiguously() -> None:
    assert link_line(Bilingual("A", "A"), "https://x.test") == "A | https://x.test"
    assert link_line(Bilingual("A", "B"), "https://x.test") == "A | B | https://x.test"
