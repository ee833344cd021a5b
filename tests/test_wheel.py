"""The year wheel: SVG structure, no overlapping text, escaping, contrast and the PNG."""

from __future__ import annotations

import io
import itertools
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from PIL import Image

from bot.cycle_file import load_default_cycle
from bot.domain import Bilingual, CycleDocument, Language, ThemeContent
from bot.wheel import colours, wheel_png, wheel_svg
from bot.wheel.layout import Box, Wheel, fit, layout, measure

SVG = "{http://www.w3.org/2000/svg}"
LONG_SV = (
    "Kompetensförsörjningsplaneringens långsiktiga uppföljning och utvärdering av "
    "arbetsmiljöarbetet i samtliga verksamhetsområden under hela läsåret"
)
LONG_EN = (
    "The long-term follow-up and evaluation of the systematic work environment management "
    "and the competence development plans across every department during the academic year"
)


def _parse(svg: str) -> ET.Element:
    """Our own SVG, parsed to check it (no untrusted input, so no XML bombs to fear)."""
    return ET.fromstring(svg)  # noqa: S314


def _theme(month: int, title: Bilingual, delivery: Bilingual | None = None) -> ThemeContent:
    question = Bilingual("Vad gör du?", "What do you do?")
    return ThemeContent(
        month=month,
        title=title,
        why_now=Bilingual("Därför.", "Because."),
        questions=(question, question),
        delivery=delivery,
    )


def long_cycle() -> CycleDocument:
    """Twelve very long titles and deliveries, and unbreakable words."""
    themes = {
        month: _theme(
            month,
            Bilingual(f"{LONG_SV} {month}", f"{LONG_EN} {month}"),
            Bilingual("Medarbetarsamtalsdokumentationsunderlag" * 3, "Documentation" * 8),
        )
        for month in range(1, 13)
    }
    return CycleDocument(name="Lång", themes=themes)


def _overlaps(wheel: Wheel) -> list[tuple[Box, Box]]:
    return [(a, b) for a, b in itertools.combinations(wheel.text_boxes(), 2) if a.overlaps(b)]


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("which", ["default", "long"])
def test_no_two_texts_overlap_and_each_stays_in_its_box(lang: Language, which: str) -> None:
    doc = load_default_cycle() if which == "default" else long_cycle()
    wheel = layout(doc, lang, year=2026, today=date(2026, 11, 23), meetings=[date(2026, 3, 4)])
    assert _overlaps(wheel) == []
    for sector in wheel.sectors:
        inside = [t for t in wheel.texts if t.month == sector.month and t.kind != "month"]
        assert inside, sector.month
        for text in inside:
            assert sector.label_box.contains(text.box), (sector.month, text.lines)
            for line in text.lines:
                assert measure(line, text.size, bold=text.bold) <= sector.label_box.width + 0.01
    # The layout's boxes hold every line it draws: nothing is wider than its box.
    assert all(t.box.width > 0 and t.box.height > 0 for t in wheel.texts)


def test_the_label_boxes_of_neighbours_never_meet() -> None:
    wheel = layout(CycleDocument(name=""), "sv", year=2026)
    boxes = [sector.label_box for sector in wheel.sectors]
    assert [(a, b) for a, b in itertools.combinations(boxes, 2) if a.overlaps(b)] == []


def test_long_titles_are_shortened_with_an_ellipsis_and_kept_whole_in_the_tooltip() -> None:
    wheel = layout(long_cycle(), "sv", year=2026)
    titles = [t for t in wheel.texts if t.kind == "title"]
    assert all(t.lines[-1].endswith("…") for t in titles)
    assert all(LONG_SV in sector.tooltip for sector in wheel.sectors)


def test_a_short_title_keeps_the_largest_size_and_whole_words() -> None:
    lines, size = fit("Lönerevision", (17.0, 12.0), 400, 3, bold=True)
    assert (lines, size) == (["Lönerevision"], 17.0)
    lines, _ = fit("Kompetensförsörjning och utveckling", (17.0, 14.0), 120, 4, bold=True)
    assert "".join(lines).replace("-", "").replace(" ", "") == "Kompetensförsörjningochutveckling"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_svg_parses_and_has_twelve_sectors_each_with_its_full_theme(lang: Language) -> None:
    doc = load_default_cycle()
    svg = wheel_svg(doc, lang, year=2026, today=date(2026, 11, 23), meetings=[date(2026, 3, 4)])
    root = _parse(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("viewBox") == "0 0 1000 1000"
    assert "DejaVu Sans" in (root.get("font-family") or "")
    title = root.find(f"{SVG}title")
    assert title is not None and "2026" in (title.text or "")
    desc = root.find(f"{SVG}desc")
    word = "januari" if lang == "sv" else "January"
    assert desc is not None and word in (desc.text or "")
    sectors = [p for p in root.iter(f"{SVG}path") if "sector" in (p.get("class") or "").split()]
    assert len(sectors) == 12
    groups = [g for g in root.iter(f"{SVG}g") if "month" in (g.get("class") or "").split()]
    assert len(groups) == 12
    november = groups[10]
    assert "current" in (november.get("class") or "")
    tip = november.find(f"{SVG}title")
    theme = doc.themes[11]
    assert tip is not None and theme.title.get(lang) in (tip.text or "")
    assert theme.delivery is not None and theme.delivery.get(lang) in (tip.text or "")
    assert root.find(f".//{SVG}polygon[@class='today']") is not None
    assert len(root.findall(f".//{SVG}circle[@class='meeting']")) == 1


def test_no_today_marker_in_another_year() -> None:
    root = _parse(wheel_svg(load_default_cycle(), "sv", year=2027, today=date(2026, 11, 2)))
    assert root.find(f".//{SVG}polygon[@class='today']") is None
    assert not [g for g in root.iter(f"{SVG}g") if "current" in (g.get("class") or "")]


def test_hostile_text_is_escaped() -> None:
    evil = '<script>alert("x")</script> & "quotes" ]]>'
    doc = CycleDocument(
        name=evil, themes={1: _theme(1, Bilingual(evil, evil), Bilingual(evil, evil))}
    )
    svg = wheel_svg(doc, "en", year=2026)
    root = _parse(svg)  # still well-formed
    assert "<script" not in svg
    assert not list(root.iter(f"{SVG}script"))
    assert any('<script>alert("x")' in (el.text or "") for el in root.iter(f"{SVG}title"))


def test_colours_meet_wcag_aa() -> None:
    for text, ground in colours.PAIRS:
        assert colours.contrast(text, ground) >= 4.5, (text, ground)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_png_is_a_png_of_the_stated_size(lang: Language) -> None:
    data = wheel_png(load_default_cycle(), lang, year=2026, today=date(2026, 11, 23), size=600)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (600, 600)
    # The current month's band is drawn in its own colour, at the top left (November).
    pixels = image.convert("RGB")
    colours_seen = {pixels.getpixel((x, y)) for x in range(0, 600, 7) for y in range(0, 600, 7)}
    assert colours.rgb(colours.BAND_CURRENT) in colours_seen


def test_swedish_letters_are_drawn_not_boxes() -> None:
    """Å, ä and ö differ from A, a and o in the picture (a font without them draws one box)."""
    from bot.wheel.png import _font

    font = _font(40, True)
    masks = {letter: bytes(font.getmask(letter)) for letter in "åäöAao"}
    assert masks["å"] != masks["a"] and masks["ä"] != masks["a"] and masks["ö"] != masks["o"]
    assert len({masks["å"], masks["ä"], masks["ö"]}) == 3


def test_the_lines_of_a_text_read_as_words() -> None:
    doc = CycleDocument(
        name="", themes={1: _theme(1, Bilingual("Lika villkor och inkludering i praktiken", "x"))}
    )
    root = _parse(wheel_svg(doc, "sv", year=2026))
    titles = [el for el in root.iter(f"{SVG}text") if el.get("class") == "title"]
    words = " ".join("".join(titles[0].itertext()).split())
    assert words == "Lika villkor och inkludering i praktiken"
