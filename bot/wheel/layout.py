"""The year wheel's geometry and text fitting, computed once for the SVG and the PNG renderer.

Twelve 30° sectors, January at the top and the months clockwise; month names in an outer band,
each month's theme title (and, smaller, its delivery) inside its sector, the year in the hub.
Every text is horizontal and fitted into a square box centred on a circle of radius ``r``:
adjacent centres are ``2r·sin 15° ≈ 0.518r`` apart and, for the two kinds of neighbours on a
wheel that starts at the top, at least ``0.448r`` apart along one axis, so boxes no wider and no
taller than ``0.44r`` can never overlap a neighbour's. Titles are wrapped by measured width and
shortened with "…" when they would need more lines than the box holds; the full texts stay in
each sector's tooltip. Pure: no web or database imports.

Widths are measured with DejaVu Sans (the font the PNG is drawn with) times a safety factor,
because browsers draw the SVG with their own fonts (Verdana is a little wider than DejaVu Sans).
"""

from __future__ import annotations

import calendar
import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PIL import ImageFont

from bot.domain import CycleDocument, Language
from bot.i18n import long_date, month_name, t

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
FONT_FAMILY = "DejaVu Sans, Verdana, sans-serif"
SAFETY = 1.18  # a browser's fallback font may be this much wider than DejaVu Sans
BOX_SHARE = 0.44  # box side as a share of the label radius (see the module docstring)

SIZE = 1000.0  # the wheel is laid out in a SIZE × SIZE square; renderers scale it
CENTRE = SIZE / 2
R_OUTER = 470.0  # outer edge of the month band
R_BAND = 410.0  # inner edge of the month band = outer edge of the theme sectors
R_HUB = 92.0  # the hub with the year
R_DOTS = R_BAND - 9  # meeting dots sit just inside the band
R_MARK = R_OUTER + 4  # today's marker points at the band from outside
# The text boxes of the first quadrant's months (January, February, March) as (left, top,
# right, bottom) in units of UNIT from the centre, y downwards; the other months mirror them.
# With label centres on a circle of radius UNIT, neighbours are 0.448·UNIT apart along x
# (January–February) or y (February–March), so the 0.44-wide February box and the 0.44-wide
# January / 0.44-tall March boxes never meet; January may grow inwards and March sideways,
# because their other neighbours (December, April) sit across the axes.
UNIT = (R_DOTS - 8) / 1.316  # February's outer corner stays inside the meeting dots
QUADRANT = {
    1: (0.03, -1.2, 0.47, -0.52),
    2: (0.49, -0.93, 0.93, -0.49),
    3: (0.36, -0.47, 1.2, -0.03),
}
BOX = BOX_SHARE * UNIT


def label_area(month: int) -> Box:
    """The box a month's title and delivery are fitted into."""
    base = {1: 1, 2: 2, 3: 3, 4: 3, 5: 2, 6: 1, 7: 1, 8: 2, 9: 3, 10: 3, 11: 2, 12: 1}[month]
    left, top, right, bottom = QUADRANT[base]
    if month in (4, 5, 6, 7, 8, 9):  # the lower half: mirrored top to bottom
        top, bottom = -bottom, -top
    if month >= 7:  # the left half: mirrored left to right
        left, right = -right, -left
    return Box(
        CENTRE + left * UNIT, CENTRE + top * UNIT, (right - left) * UNIT, (bottom - top) * UNIT
    )


TITLE_SIZES = (17.0, 16.0, 15.0, 14.0, 13.0, 12.0)
TITLE_LINES = 5
DELIVERY_SIZE = 10.5
DELIVERY_LINES = 3
LINE_HEIGHT = 1.2
GAP = 6.0  # between the title and the delivery
MONTH_SIZE = 20.0
YEAR_SIZE = 40.0
ELLIPSIS = "…"
VOWELS = frozenset("aeiouyåäöéü")


@functools.cache
def _font(bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = DEJAVU_BOLD if bold else DEJAVU
    if path.exists():
        return ImageFont.truetype(str(path), 100)
    return ImageFont.load_default(size=100)


@functools.cache
def _length(text: str, bold: bool) -> float:
    return float(_font(bold).getlength(text))


def measure(text: str, size: float, *, bold: bool = False) -> float:
    """The width of *text* at font *size*, with the safety factor for other fonts."""
    return _length(text, bold) * size / 100 * SAFETY


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle: left, top, width, height."""

    x: float
    y: float
    width: float
    height: float

    def overlaps(self, other: Box) -> bool:
        """True when the two share any area (touching edges do not count)."""
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )

    def contains(self, other: Box, slack: float = 0.01) -> bool:
        """True when *other* lies inside this box."""
        return (
            other.x >= self.x - slack
            and other.y >= self.y - slack
            and other.x + other.width <= self.x + self.width + slack
            and other.y + other.height <= self.y + self.height + slack
        )


@dataclass(frozen=True)
class TextBlock:
    """Horizontal lines of text centred on ``(cx, ·)``; ``box`` is what they cover."""

    kind: str  # "month", "title", "delivery", "year"
    lines: tuple[str, ...]
    size: float
    cx: float
    top: float  # the top of the first line's box
    box: Box
    bold: bool = False
    month: int | None = None

    @property
    def line_height(self) -> float:
        """Distance between baselines."""
        return self.size * LINE_HEIGHT

    def baselines(self) -> list[float]:
        """The y of each line's alphabetic baseline (roughly 0.8 em below its top)."""
        return [self.top + i * self.line_height + self.size * 0.95 for i in range(len(self.lines))]


@dataclass(frozen=True)
class Sector:
    """One month's slice."""

    month: int
    start: float  # degrees clockwise from the top
    end: float
    name: str
    title: str | None  # the full theme title, None for a month without a theme
    delivery: str | None
    tooltip: str
    current: bool
    label_box: Box  # the box its title and delivery are fitted into


@dataclass(frozen=True)
class Wheel:
    """Everything both renderers draw."""

    lang: Language
    year: int
    title: str
    description: str
    sectors: tuple[Sector, ...]
    texts: tuple[TextBlock, ...]
    today_angle: float | None
    meetings: tuple[tuple[float, str], ...]  # angle, tooltip

    def text_boxes(self) -> list[Box]:
        """The box of every text, for overlap checks."""
        return [text.box for text in self.texts]


def point(angle: float, radius: float) -> tuple[float, float]:
    """The point at *angle* degrees clockwise from the top, *radius* from the centre."""
    rad = math.radians(angle)
    return CENTRE + radius * math.sin(rad), CENTRE - radius * math.cos(rad)


def date_angle(day: date) -> float:
    """The angle of a date: its month's sector, split evenly by the days of the month."""
    days = calendar.monthrange(day.year, day.month)[1]
    return 30.0 * (day.month - 1) + 30.0 * (day.day - 0.5) / days


def _split_word(word: str, size: float, width: float, bold: bool) -> list[str]:
    """A word too wide for a line, cut with hyphens where the line is full."""
    parts: list[str] = []
    rest = word
    while measure(rest, size, bold=bold) > width and len(rest) > 1:
        fits = [n for n in range(1, len(rest)) if measure(rest[:n] + "-", size, bold=bold) <= width]
        cut = fits[-1] if fits else 1
        if len(rest) - cut < 3 and cut > 3:  # no lonely "n" on the next line
            cut = max(3, len(rest) - 3)
        # Prefer a syllable break close by: the next line starts with a consonant and a vowel.
        syllables = [
            n
            for n in range(max(2, cut - 4), cut + 1)
            if len(rest) - n >= 3
            and rest[n].casefold() not in VOWELS
            and rest[n + 1].casefold() in VOWELS
            and rest[n - 1].isalpha()
        ]
        if syllables:
            cut = syllables[-1]
        parts.append(rest[:cut] + "-")
        rest = rest[cut:]
    parts.append(rest)
    return parts


def wrap(text: str, size: float, width: float, *, bold: bool = False) -> list[str]:
    """Greedy word wrap by measured width; a too-long word is cut with hyphens."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if measure(candidate, size, bold=bold) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        pieces = _split_word(word, size, width, bold)
        lines += pieces[:-1]
        line = pieces[-1]
    if line:
        lines.append(line)
    return lines


def shorten(lines: list[str], count: int, size: float, width: float, *, bold: bool) -> list[str]:
    """At most *count* lines; when something is cut, the last kept line ends with "…"."""
    if len(lines) <= count:
        return lines
    kept = lines[:count]
    last = kept[-1].rstrip("-")
    while last and measure(last + ELLIPSIS, size, bold=bold) > width:
        last = last[:-1].rstrip()
    kept[-1] = last.rstrip(" ,.;:–-") + ELLIPSIS
    return kept


def fit(
    text: str, sizes: Iterable[float], width: float, max_lines: int, *, bold: bool = False
) -> tuple[list[str], float]:
    """The size at which *text* wraps into *max_lines* lines with the fewest words cut, else
    the smallest size, shortened with "…"."""
    chosen = list(sizes)
    fitting: list[tuple[int, float, list[str]]] = []
    for size in chosen:
        lines = wrap(text, size, width, bold=bold)
        if len(lines) <= max_lines:
            cuts = sum(1 for line in lines if line.endswith("-") and not line.endswith(" -"))
            fitting.append((cuts, -size, lines))
    if fitting:
        # Fewest words cut first (a smaller font reads better than a word in pieces), then
        # the largest size.
        cuts, negative_size, lines = min(fitting, key=lambda found: found[:2])
        return lines, -negative_size
    size = chosen[-1]
    return shorten(wrap(text, size, width, bold=bold), max_lines, size, width, bold=bold), size


def _block(
    kind: str,
    lines: Sequence[str],
    size: float,
    cx: float,
    top: float,
    *,
    bold: bool = False,
    month: int | None = None,
) -> TextBlock:
    width = max((measure(line, size, bold=bold) for line in lines), default=0.0)
    height = len(lines) * size * LINE_HEIGHT
    box = Box(cx - width / 2, top, width, height)
    return TextBlock(kind, tuple(lines), size, cx, top, box, bold, month)


def _sector_texts(month: int, title: str, delivery: str | None, area: Box) -> list[TextBlock]:
    """The title (and the delivery when a line of it fits) centred in *area*."""
    cx = area.x + area.width / 2
    # Leave the delivery at least a line when there is one.
    reserve = GAP + DELIVERY_SIZE * LINE_HEIGHT if delivery else 0.0
    room_lines = int((area.height - reserve) // (TITLE_SIZES[-1] * LINE_HEIGHT))
    title_lines, title_size = fit(
        title, TITLE_SIZES, area.width, max(1, min(TITLE_LINES, room_lines)), bold=True
    )
    while len(title_lines) * title_size * LINE_HEIGHT > area.height - reserve:
        title_lines = shorten(
            [*title_lines, ""], len(title_lines) - 1, title_size, area.width, bold=True
        )
    title_height = len(title_lines) * title_size * LINE_HEIGHT
    delivery_lines: list[str] = []
    room = area.height - title_height - GAP
    fits_lines = min(DELIVERY_LINES, int(room // (DELIVERY_SIZE * LINE_HEIGHT)))
    if delivery and fits_lines >= 1:
        delivery_lines = shorten(
            wrap(delivery, DELIVERY_SIZE, area.width),
            fits_lines,
            DELIVERY_SIZE,
            area.width,
            bold=False,
        )
    height = title_height
    if delivery_lines:
        height += GAP + len(delivery_lines) * DELIVERY_SIZE * LINE_HEIGHT
    top = area.y + (area.height - height) / 2
    blocks = [_block("title", title_lines, title_size, cx, top, bold=True, month=month)]
    if delivery_lines:
        blocks.append(
            _block(
                "delivery",
                delivery_lines,
                DELIVERY_SIZE,
                cx,
                top + title_height + GAP,
                month=month,
            )
        )
    return blocks


def _band_block(month: int, label: str, size: float, bold: bool) -> TextBlock:
    mx, my = point(30.0 * month - 15.0, (R_OUTER + R_BAND) / 2)
    return _block("month", [label], size, mx, my - size * LINE_HEIGHT / 2, bold=bold, month=month)


def _inside_band(box: Box, margin: float = 2.0) -> bool:
    """True when *box* lies wholly in the month band's ring."""
    nearest_x = min(max(CENTRE, box.x), box.x + box.width)
    nearest_y = min(max(CENTRE, box.y), box.y + box.height)
    corners = [(box.x + dx, box.y + dy) for dx in (0.0, box.width) for dy in (0.0, box.height)]
    return math.dist((nearest_x, nearest_y), (CENTRE, CENTRE)) >= R_BAND + margin and all(
        math.dist(corner, (CENTRE, CENTRE)) <= R_OUTER - margin for corner in corners
    )


def _band_names(lang: Language, current: int | None) -> list[TextBlock]:
    """The months' names in the band, horizontal: the full names when every one fits at a
    readable size, else every name shortened to three letters (the full name is in the
    sector's tooltip); all at one size, so the band reads evenly."""
    full = [month_name(lang, month) for month in range(1, 13)]
    for names, smallest in ((full, 14.0), ([name[:3] for name in full], 9.0)):
        labels = [name[:1].upper() + name[1:] for name in names]
        size = MONTH_SIZE
        while size >= smallest:
            blocks = [
                _band_block(month, label, size, month == current)
                for month, label in enumerate(labels, start=1)
            ]
            if all(_inside_band(block.box) for block in blocks):
                return blocks
            size -= 1
    return blocks


def layout(
    doc: CycleDocument,
    lang: Language,
    *,
    year: int,
    today: date | None = None,
    meetings: Iterable[date] = (),
) -> Wheel:
    """The wheel of *doc* in *lang* for *year*; *today* is marked when it falls in *year*."""
    sectors: list[Sector] = []
    texts: list[TextBlock] = []
    current = today.month if today is not None and today.year == year else None
    for month in range(1, 13):
        start, end = 30.0 * (month - 1), 30.0 * month
        name = month_name(lang, month)
        theme = doc.theme_for(month)
        title = theme.title.get(lang) if theme else None
        delivery = theme.delivery.get(lang) if theme and theme.delivery else None
        if title is None:
            tooltip = f"{name}: {t(lang, 'wheel.no_theme')}"
        elif delivery:
            tooltip = f"{name}: {title}. {t(lang, 'wheel.delivery', text=delivery)}"
        else:
            tooltip = f"{name}: {title}"
        area = label_area(month)
        sectors.append(
            Sector(month, start, end, name, title, delivery, tooltip, month == current, area)
        )
        shown = title if title is not None else t(lang, "wheel.no_theme")
        texts += _sector_texts(month, shown, delivery, area)
    texts += _band_names(lang, current)
    year_text = str(year)
    texts.append(
        _block(
            "year", [year_text], YEAR_SIZE, CENTRE, CENTRE - YEAR_SIZE * LINE_HEIGHT / 2, bold=True
        )
    )
    today_angle = date_angle(today) if current is not None and today is not None else None
    dots = tuple(
        (date_angle(day), t(lang, "wheel.meeting", date=long_date(lang, day)))
        for day in sorted(meetings)
        if day.year == year
    )
    overview = "; ".join(
        f"{sector.name}: {sector.title or t(lang, 'wheel.no_theme')}" for sector in sectors
    )
    description = t(lang, "wheel.desc", year=year, months=overview)
    if today is not None and current is not None:
        description += " " + t(lang, "wheel.today", date=long_date(lang, today))
    return Wheel(
        lang=lang,
        year=year,
        title=t(lang, "wheel.title", name=doc.name or t(lang, "wheel.name"), year=year),
        description=description,
        sectors=tuple(sectors),
        texts=tuple(texts),
        today_angle=today_angle,
        meetings=dots,
    )
