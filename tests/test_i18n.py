"""Every text exists in both languages with the same placeholders; dates in the locale's words."""

from __future__ import annotations

import re
import string
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po

from bot.domain import ForumInfo, Language, Platform
from bot.i18n import (
    LOCALES_DIR,
    Text,
    catalog,
    date_time,
    long_date,
    month_name,
    month_year,
    plural_forms,
    t,
)
from bot.posts import publish_outcome

ROOT = Path(__file__).resolve().parents[1]
LANGS: tuple[Language, ...] = ("sv", "en")
# Keys named as string literals in calls like t(lang, "key"), info(lang, "key"), error(lang, "key").
_USED = re.compile(r"\b(?:t|info|error|both|tn)\(\s*[\w.]+\s*,\s*\"([a-z_]+(?:\.[a-z_]+)+)\"")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _forms(text: Text) -> tuple[str, ...]:
    return text if isinstance(text, tuple) else (text,)


def test_both_languages_have_the_same_keys() -> None:
    sv, en = catalog("sv"), catalog("en")
    assert set(sv) - set(en) == set(), "missing in English"
    assert set(en) - set(sv) == set(), "missing in Swedish"
    for lang in LANGS:
        for key, text in catalog(lang).items():
            plural = isinstance(sv[key], tuple)
            assert isinstance(text, tuple) == plural, f"{key}: plural in one language only"
            assert not plural or len(text) == plural_forms(lang), f"{key}: forms in {lang}"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_each_key_is_defined_once_and_singulars_are_plural_entries(lang: Language) -> None:
    seen: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                key = message.id if isinstance(message.id, str) else message.id[0]
                if key:
                    assert key not in seen, f"{key} in both {seen[key]} and {path.name}"
                    seen[key] = path.name
                    assert not key.endswith(".one"), f"{key}: a singular is msgstr[0]"


def test_no_text_is_empty_and_placeholders_match() -> None:
    sv, en = catalog("sv"), catalog("en")
    for key in sv:
        forms = _forms(sv[key]) + _forms(en[key])
        assert all(form.strip() for form in forms), key
        assert len({frozenset(_placeholders(form)) for form in forms}) == 1, key


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
    assert "0 goda exempel" in t("sv", "digest.summary", count=0, start="a", end="b")
    assert t("en", "admin.stats.people", count=1) == "1 person"
    assert t("en", "admin.stats.people", count=21) == "21 people"


# A number followed by a plural word (perhaps after an adjective): "1 personer", "1 good examples".
_UNGRAMMATICAL = {
    "sv": re.compile(
        r"\b1 (?:\w+ )?(?:personer|goda|frågor|länkar|celler|kolumner|prenumeranter|dagar|tecken)\b"
    ),
    "en": re.compile(
        r"\b1 (?:\w+ )?(?:people|persons|examples|practices|questions|links|cells|columns"
        r"|subscribers|days|characters|problems)\b"
    ),
}


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("count", [0, 1, 2])
def test_every_message_renders_with_every_count(lang: Language, count: int) -> None:
    for key, text in catalog(lang).items():
        params: dict[str, object] = {n: "X" for form in _forms(text) for n in _placeholders(form)}
        params["count"] = count
        rendered = t(lang, key, **params)
        assert "{" not in rendered, key
        assert not _UNGRAMMATICAL[lang].search(rendered), f"{key}: {rendered}"


def test_singular_and_plural_differ() -> None:
    # In one language at least: Swedish "1 exempel", "2 exempel" is right, English is not.
    for key, text in catalog("en").items():
        if isinstance(text, tuple):
            differ = set()
            for lang in LANGS:
                forms = _forms(catalog(lang)[key])
                params = {name: "X" for form in forms for name in _placeholders(form)}
                one, two = (t(lang, key, **{**params, "count": n}) for n in (1, 2))
                differ.add(one != two.replace("2", "1"))
            assert True in differ, f"{key}: singular and plural agree"


def test_every_message_with_a_count_is_a_plural_message() -> None:
    for lang in LANGS:
        for key, text in catalog(lang).items():
            if any("count" in _placeholders(form) for form in _forms(text)):
                assert isinstance(text, tuple), f"{key} ({lang}) counts without plural forms"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_forms_follow_babels_plural_rule(lang: Language) -> None:
    rule = Locale.parse({"sv": "sv_SE", "en": "en_GB"}[lang]).plural_form
    singular = t(lang, "admin.stats.people", count=1).removeprefix("1 ")
    for n in range(0, 112):
        chosen = t(lang, "admin.stats.people", count=n).removeprefix(f"{n} ")
        assert (chosen == singular) == (rule(n) == "one"), n


def test_a_plural_message_needs_its_count() -> None:
    assert t("sv", "cycle.error.question_count", count="1", where="w", min=2, max=5) == (
        "w har 1 fråga: ange mellan 2 och 5."
    )
    with pytest.raises(ValueError):
        t("sv", "admin.stats.people")


def test_missing_key_falls_back_to_the_key() -> None:
    assert t("sv", "no.such.key") == "no.such.key"


@pytest.mark.parametrize(("lang", "word"), [("sv", "november"), ("en", "November")])
def test_month_names_in_the_locale(lang: str, word: str) -> None:
    assert month_name(lang, 11) == word  # type: ignore[arg-type]


def test_dates_in_the_locales_words() -> None:
    assert long_date("sv", date(2026, 11, 27)) == "fredag 27 november 2026"
    assert "Friday" in long_date("en", date(2026, 11, 27))
    assert month_year("sv", 2026, 11) == "november 2026"
    assert month_year("en", 2026, 11) == "November 2026"


def test_moments_in_the_forums_time_zone_and_the_readers_words() -> None:
    moment = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)
    assert date_time("sv", moment, "Europe/Stockholm") == "fredag 27 november kl. 14.00"
    assert date_time("en", moment, "Europe/Stockholm") == "Friday 27 November at 14:00"
    assert date_time("en", moment, "America/New_York") == "Friday 27 November at 08:00"
    summer = datetime(2026, 6, 5, 12, 30, tzinfo=UTC)
    assert date_time("sv", summer, "Europe/Stockholm") == "fredag 5 juni kl. 14.30"


def test_publishing_outcomes_name_the_month_or_the_local_moment() -> None:
    forum = ForumInfo(1, Platform.SLACK, "T1", "C1", "#forum", "sv", "Europe/Stockholm")
    theme = publish_outcome(forum, "sv", "theme", "posted", "2026-11").fallback
    assert theme == "Klart: temat för november 2026 är postat."
    moment = datetime(2026, 11, 27, 13, 0, tzinfo=UTC).isoformat()
    digest = publish_outcome(forum, "en", "digest", "empty", moment).fallback
    assert digest == (
        "Nothing to post: no good examples were shared in the week up to"
        " Friday 27 November at 14:00."
    )
    for status in ("posted", "found", "already", "busy", "empty", "too_late", "failed"):
        for lang in LANGS:
            text = publish_outcome(forum, lang, "digest", status, moment).fallback
            assert "2026-11-27" not in text and "+00:00" not in text and "13:00" not in text
