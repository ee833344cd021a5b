"""The year wheel as SVG: the layout of :mod:`bot.wheel.layout` drawn as vector shapes and text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from xml.sax.saxutils import escape, quoteattr

from bot.domain import CycleDocument, Language
from bot.wheel import colours
from bot.wheel.layout import (
    CENTRE,
    FONT_FAMILY,
    R_BAND,
    R_DOTS,
    R_HUB,
    R_MARK,
    R_OUTER,
    SIZE,
    TextBlock,
    Wheel,
    layout,
    point,
)


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def annulus_path(start: float, end: float, inner: float, outer: float) -> str:
    """The path data of a ring slice from *start* to *end* (degrees clockwise from the top)."""
    ax, ay = point(start, outer)
    bx, by = point(end, outer)
    cx, cy = point(end, inner)
    dx, dy = point(start, inner)
    large = 1 if end - start > 180 else 0
    return (
        f"M{_n(ax)} {_n(ay)} A{_n(outer)} {_n(outer)} 0 {large} 1 {_n(bx)} {_n(by)} "
        f"L{_n(cx)} {_n(cy)} A{_n(inner)} {_n(inner)} 0 {large} 0 {_n(dx)} {_n(dy)} Z"
    )


def _text(block: TextBlock, fill: str) -> str:
    """One ``<text>`` per line: each line has its own place in the wedge, and its own box (the
    browser tests measure every text's box against its neighbours')."""
    weight = ' font-weight="bold"' if block.bold else ""
    out = []
    for line, x, y, box in zip(
        block.lines, block.xs, block.baselines(), block.line_boxes(), strict=True
    ):
        out.append(
            f'<text class="{block.kind}" x="{_n(x)}" y="{_n(y)}" text-anchor="middle"'
            f' font-size="{_n(block.size)}"{weight} fill="{fill}"'
            f' data-box="{_n(box.x)} {_n(box.y)} {_n(box.width)} {_n(box.height)}">'
            f"{escape(line)}</text>"
        )
    return "".join(out)


def render(wheel: Wheel) -> str:
    """The SVG document of a laid-out wheel."""
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {_n(SIZE)} {_n(SIZE)}" width="{_n(SIZE)}" height="{_n(SIZE)}" '
        f'role="img" aria-labelledby="wheel-title wheel-desc" lang="{wheel.lang}" '
        f"font-family={quoteattr(FONT_FAMILY)}>",
        f'<title id="wheel-title">{escape(wheel.title)}</title>',
        f'<desc id="wheel-desc">{escape(wheel.description)}</desc>',
        f'<circle cx="{_n(CENTRE)}" cy="{_n(CENTRE)}" r="{_n(R_OUTER)}" fill="{colours.PAPER}"/>',
    ]
    texts_of: dict[int, list[TextBlock]] = {}
    for block in wheel.texts:
        if block.month is not None:
            texts_of.setdefault(block.month, []).append(block)
    for sector in wheel.sectors:
        fill = colours.sector_fill(sector.month, sector.current)
        band = colours.BAND_CURRENT if sector.current else colours.BAND
        current = " current" if sector.current else ""
        out.append(f'<g class="month{current}" data-month="{sector.month}">')
        out.append(f"<title>{escape(sector.tooltip)}</title>")
        inner = annulus_path(sector.start, sector.end, R_HUB, R_BAND)
        outer = annulus_path(sector.start, sector.end, R_BAND, R_OUTER)
        out.append(
            f'<path class="sector{current}" d="{inner}"'
            f' fill="{fill}" stroke="{colours.DIVIDER}" stroke-width="2"/>'
        )
        out.append(
            f'<path class="band{current}" d="{outer}"'
            f' fill="{band}" stroke="{colours.PAPER}" stroke-width="2"/>'
        )
        out.append("</g>")
    # Every text above every sector, and transparent to the pointer, so hovering it shows the
    # sector's tooltip beneath.
    out.append('<g class="labels" pointer-events="none">')
    for sector in wheel.sectors:
        out.append(f'<g class="month-text" data-month="{sector.month}">')
        for block in texts_of.get(sector.month, []):
            colour = {
                "month": colours.BAND_TEXT,
                "title": colours.TITLE_TEXT,
                "delivery": colours.DELIVERY_TEXT,
            }[block.kind]
            out.append(_text(block, colour))
        out.append("</g>")
    out.append("</g>")
    out.append(
        f'<circle class="hub" cx="{_n(CENTRE)}" cy="{_n(CENTRE)}" r="{_n(R_HUB)}"'
        f' fill="{colours.PAPER}" stroke="{colours.BAND}" stroke-width="3"/>'
    )
    for block in wheel.texts:
        if block.kind == "year":
            out.append(_text(block, colours.BAND))
    for angle, label in wheel.meetings:
        x, y = point(angle, R_DOTS)
        out.append(
            f'<circle class="meeting" cx="{_n(x)}" cy="{_n(y)}" r="6" fill="{colours.MEETING}">'
            f"<title>{escape(label)}</title></circle>"
        )
    if wheel.today_angle is not None:
        tip = point(wheel.today_angle, R_MARK)
        left = point(wheel.today_angle - 2.2, R_MARK + 22)
        right = point(wheel.today_angle + 2.2, R_MARK + 22)
        corners = " ".join(f"{_n(x)},{_n(y)}" for x, y in (tip, left, right))
        out.append(f'<polygon class="today" points="{corners}" fill="{colours.TODAY}"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def wheel_svg(
    doc: CycleDocument,
    lang: Language,
    *,
    year: int,
    today: date | None = None,
    meetings: Iterable[date] = (),
) -> str:
    """The year wheel of *doc* for *year* in *lang*, as an SVG document."""
    return render(layout(doc, lang, year=year, today=today, meetings=meetings))
