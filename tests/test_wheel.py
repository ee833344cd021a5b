"""The year wheel: SVG structure, every line inside its wedge, no overlapping text, readable
line breaks, escaping, contrast and the PNG."""

from __future__ import annotations

import io
import itertools
import math
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from PIL import Image, ImageFont

from bot.cycle_file import load_default_cycle
from bot.domain import Bilingual, CycleDocument, Language, ThemeContent
from bot.wheel import colours
from bot.wheel.layout import (
    CENTRE,
    DEJAVU,
    DEJAVU_BOLD,
    PARTS,
    R_BAND,
    R_HUB,
    Box,
    Wedge,
    Wheel,
    _place,
    layout,
    measure,
    split_word,
    wedge,
    wrap,
)
from bot.wheel.png import wheel_png
from bot.wheel.svg import wheel_svg

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


def _wheel(which: str, lang: Language) -> Wheel:
    doc = load_default_cycle() if which == "default" else long_cycle()
    return layout(doc, lang, year=2026, today=date(2026, 11, 23), meetings=[date(2026, 3, 4)])


# Browsers measure a little differently from Pillow: the check below allows a font this much
# wider than DejaVu Sans, and keeps this far from every edge (a divider's stroke is 2 wide).
WIDER = 1.12
MARGIN = 3.0


def _line_corners(
    text: str, x: float, baseline: float, size: float, bold: bool
) -> list[tuple[float, float]]:
    """The corners of a line's glyph cell (ascent to descent, as a browser's getBBox gives it),
    measured here from the font itself, independently of the layout's own boxes."""
    font = ImageFont.truetype(str(DEJAVU_BOLD if bold else DEJAVU), 100)
    ascent, descent = (metric * size / 100 for metric in font.getmetrics())
    half = font.getlength(text) * size / 100 * WIDER / 2
    return [(x + dx, baseline + dy) for dx in (-half, half) for dy in (-ascent, descent)]


def _outside_wedge(month: int, corners: list[tuple[float, float]]) -> list[str]:
    """What is wrong with a line's corners in month's 30° sector of the ring, by angles and
    radii (the layout computes with half-planes instead)."""
    problems = []
    start, end = math.radians(30 * (month - 1)), math.radians(30 * month)
    for x, y in corners:
        u, w = x - CENTRE, y - CENTRE
        radius = math.hypot(u, w)
        angle = math.atan2(u, -w) % (2 * math.pi)  # clockwise from the top
        # The distance to each divider: radius · sin(the angle between the point and it).
        if radius * math.sin(angle - start) < MARGIN or not start <= angle <= end:
            problems.append(f"crosses the divider at {math.degrees(start):.0f}°")
        if radius * math.sin(end - angle) < MARGIN:
            problems.append(f"crosses the divider at {math.degrees(end):.0f}°")
        if radius > R_BAND - MARGIN:
            problems.append("reaches the month band")
    # The hub: the box's nearest point to the centre (it may be on an edge, not a corner).
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    nearest = (min(max(CENTRE, min(xs)), max(xs)), min(max(CENTRE, min(ys)), max(ys)))
    if math.dist(nearest, (CENTRE, CENTRE)) < R_HUB + 1.5 + MARGIN:
        problems.append("reaches the hub")
    return problems


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("which", ["default", "long"])
def test_every_line_lies_inside_its_own_wedge(lang: Language, which: str) -> None:
    """The fast twin of the browser test: all four corners of every line of a sector's text are
    inside its wedge, with a margin, even for a font wider than the one the layout measures."""
    wheel = _wheel(which, lang)
    wrong = []
    for text in wheel.texts:
        if text.kind not in ("title", "delivery"):
            continue
        assert text.month is not None
        for line, x, baseline in zip(text.lines, text.xs, text.baselines(), strict=True):
            corners = _line_corners(line, x, baseline, text.size, text.bold)
            wrong += [
                (text.month, line, problem) for problem in _outside_wedge(text.month, corners)
            ]
        for box in text.line_boxes():  # and the layout's own, wider boxes pass its own check
            assert wheel.sectors[text.month - 1].wedge.contains(box), (text.month, text.lines)
    assert wrong == []


def test_the_wedge_check_catches_a_line_over_a_divider() -> None:
    """The geometry above is not vacuous: a line centred on March's upper divider fails it."""
    x, y = CENTRE + 250 * math.sin(math.radians(60)), CENTRE - 250 * math.cos(math.radians(60))
    assert _outside_wedge(3, _line_corners("Kompetens", x, y, 17, True))
    assert not _outside_wedge(3, _line_corners("Kompetens", CENTRE + 250, CENTRE - 30, 17, True))


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("which", ["default", "long"])
def test_no_two_lines_overlap_and_every_sector_has_text(lang: Language, which: str) -> None:
    wheel = _wheel(which, lang)
    assert _overlaps(wheel) == []
    assert {t.month for t in wheel.texts if t.kind == "title"} == set(range(1, 13))
    assert all(t.box.width > 0 and t.box.height > 0 for t in wheel.texts)


def test_the_span_of_a_wedge_holds_a_box_of_that_width() -> None:
    for month in range(1, 13):
        area = wedge(month)
        upper, lower = area.heights()
        for top in range(int(upper), int(lower), 7):
            span = area.span(top, top + 20)
            if span is not None:
                assert area.contains(Box(span[0], top, span[1] - span[0], 20)), (month, top)
                wider = Box(span[0] - 2, top, span[1] - span[0] + 2, 20)
                assert not area.contains(wider), (month, top)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_default_cycle_breaks_lines_readably(lang: Language) -> None:
    """Whole words where they fit; a word is cut only before a known second part; a dash stays
    with the word before it."""
    wheel = _wheel("default", lang)
    for text in wheel.texts:
        for i, line in enumerate(text.lines):
            assert line.strip() not in {"–", "-"} and not line.startswith(("–", "- ")), text.lines
            if line.endswith("-") and text.kind == "title":
                following = text.lines[i + 1].casefold()
                assert following.startswith(PARTS), text.lines
    lines = [line for text in wheel.texts for line in text.lines]
    for bad in ("Medarbe-", "Halvårsuppföljnin-", "verksamhetsberät-", "Medarbetarsamtal-"):
        assert bad not in lines
    if lang == "en":
        assert any(line.endswith("start –") for line in lines), lines
    titles = [text for text in wheel.texts if text.kind == "title"]
    assert min(text.size for text in titles) >= 12
    assert sum(1 for text in titles if text.size == 17) >= 9  # most at the largest size


def test_a_long_word_splits_at_a_readable_place() -> None:
    width = measure("Medarbetarsam-", 17, bold=True) + 1  # room for more than "Medarbetar-"
    assert split_word("Medarbetarsamtal", 17, width, bold=True) == ("Medarbetar-", "samtal")
    width = measure("Halvårsuppfölj-", 12, bold=True) + 1
    assert split_word("Halvårsuppföljningen", 12, width, bold=True) == ("Halvårs-", "uppföljningen")
    width = measure("verksamhetsberät-", 10) + 1
    assert split_word("verksamhetsberättelsen", 10, width) == ("verksamhets-", "berättelsen")
    # A word with its own hyphen is cut there, and gets no second one.
    assert split_word("half-yearly", 12, measure("half-year", 12)) == ("half-", "yearly")
    # No known part and no syllable that fits: cut where the line is full.
    head, tail = split_word("Xxxxxxxxxxxxxxxxxxxx", 12, 80, bold=True)
    assert head.endswith("-") and head[:-1] + tail == "Xxxxxxxxxxxxxxxxxxxx"
    assert split_word("Medarbetarsamtal", 17, 5, bold=True) == ("", "Medarbetarsamtal")


def test_long_titles_are_shortened_with_an_ellipsis_and_kept_whole_in_the_tooltip() -> None:
    wheel = layout(long_cycle(), "sv", year=2026)
    titles = [t for t in wheel.texts if t.kind == "title"]
    assert all(t.lines[-1].endswith("…") for t in titles)
    assert all(len(t.lines) >= 2 for t in titles)  # as much as fits, not just a first word
    assert all(LONG_SV in sector.tooltip for sector in wheel.sectors)


def test_a_short_title_keeps_the_largest_size_and_whole_words() -> None:
    doc = CycleDocument(name="", themes={5: _theme(5, Bilingual("Lönerevision", "Salary"))})
    (title,) = [t for t in layout(doc, "sv", year=2026).texts if t.kind == "title" and t.month == 5]
    assert (title.lines, title.size) == (("Lönerevision",), 17.0)
    lines = wrap("Kompetensförsörjning och utveckling", 14, 120, bold=True)
    assert "".join(lines).replace("-", "").replace(" ", "") == "Kompetensförsörjningochutveckling"


def test_a_delivery_without_room_is_left_to_the_tooltip() -> None:
    """Where the title fills the room, the delivery is not drawn at all (no unreadable scrap);
    in the wheel there is room, and the tooltip has the delivery whole in any case."""
    small = Wedge(30.0, 60.0, inner=100.0, outer=170.0)
    title, delivery = _place(small, "Lönerevision", "Planen klar i maj.")
    assert title.lines and title.complete and delivery is None
    doc = CycleDocument(
        name="", themes={2: _theme(2, Bilingual(LONG_SV, LONG_EN), Bilingual("Plan klar.", "x"))}
    )
    wheel = layout(doc, "sv", year=2026)
    (shown,) = [t for t in wheel.texts if t.kind == "delivery" and t.month == 2]
    assert shown.lines == ("Plan klar.",)
    assert "Plan klar." in wheel.sectors[1].tooltip


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
    january = root.find(f".//{SVG}g[@class='month-text'][@data-month='1']")
    assert january is not None
    lines = [el.text or "" for el in january.iter(f"{SVG}text") if el.get("class") == "title"]
    assert len(lines) >= 2  # one <text> per line, each placed in the wedge
    assert " ".join(lines) == "Lika villkor och inkludering i praktiken"
