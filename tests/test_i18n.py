"""Every text exists in both languages with the same placeholders; dates in the locale's words."""

from __future__ import annotations

import re
import string
from datetime import date
from pathlib import Path

import pytest

from bot.i18n import catalog, long_date, month_name, t

ROOT = Path(__file__).resolve().parents[1]
# Keys named as string literals in calls like t(lang, "key"), info(lang, "key"), error(lang, "key").
_USED = re.compile(r"\b(?:t|info|error|both|tn)\(\s*[\w.]+\s*,\s*\"([a-z_]+(?:\.[a-z_]+)+)\"")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys() -> None:
    sv, en = catalog("sv"), catalog("en")
    assert set(sv) - set(en) == set(), "missing in English"
    assert set(en) - set(sv) == set(), "missing in Swedish"


def test_no_text_is_empty_and_placeholders_match() -> None:
    sv, en = catalog("sv"), catalog("en")
    for key in sv:
        assert sv[key].strip() and en[key].strip(), key
        assert _placeholders(sv[key]) == _placeholders(en[key]), key


def test_every_key_used_in_code_exists() -> None:
    keys = set(catalog("sv"))
    missing = []
    for folder in ("bot", "handlers", "schedules"):
        for path in (ROOT / folder).rglob("*.py"):
            for key in _USED.findall(path.read_text(encoding="utf-8")):
                if key not in keys:
                    missing.append(f"{path.relative_to(ROOT)}: {key}")
    assert not missing


def test_publishing_outcomes_have_texts() -> None:
    keys = set(catalog("en"))
    for kind in ("theme", "digest"):
        for status in (
            "posted",
            "found",
            "already",
            "busy",
            "no_theme",
            "empty",
            "too_late",
            "no_adapter",
            "failed",
        ):
            assert f"publish.{kind}.{status}" in keys


def test_singular_form_is_used_for_one() -> None:
    assert "1 gott exempel" in t("sv", "digest.summary", count=1, start="a", end="b")
    assert "2 goda exempel" in t("sv", "digest.summary", count=2, start="a", end="b")


def test_missing_key_falls_back_to_the_key() -> None:
    assert t("sv", "no.such.key") == "no.such.key"


@pytest.mark.parametrize(("lang", "word"), [("sv", "november"), ("en", "November")])
def test_month_names_in_the_locale(lang: str, word: str) -> None:
    assert month_name(lang, 11) == word  # type: ignore[arg-type]


def test_dates_in_the_locales_words() -> None:
    assert long_date("sv", date(2026, 11, 27)) == "fredag 27 november 2026"
    assert "Friday" in long_date("en", date(2026, 11, 27))
