"""`ledarforum export --format md` shows what leaders wrote as text: no structure, no pings."""

from __future__ import annotations

from bot.services.export import as_markdown


def _item(text: str, author: str | None = "Kim Exempel") -> dict[str, object]:
    return {
        "period": "2026-03",
        "theme_sv": "Medarbetarsamtal",
        "theme_en": "Appraisal talks",
        "author": author,
        "created_at": "2026-03-04T10:00:00+00:00",
        "text": text,
        "permalink": None,
    }


def test_hostile_text_cannot_make_headings_links_or_pings() -> None:
    doc = as_markdown([_item("# Rubrik\n[klicka](javascript:alert(1)) @channel *fet*")], "sv")
    assert "\n# Rubrik" not in doc
    assert "> \\# Rubrik" in doc
    assert "[klicka](" not in doc
    assert "\\[klicka\\]" in doc
    assert "@channel" not in doc
    assert "\\*fet\\*" in doc


def test_anonymous_examples_stay_anonymous() -> None:
    doc = as_markdown([_item("Vi testade gåmöten", author=None)], "en")
    assert "Kim" not in doc
    assert "**Anonymous**" in doc or "**anonymous**" in doc
    assert "> Vi testade gåmöten" in doc
