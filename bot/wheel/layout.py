"""The year wheel's geometry and text fitting, computed once for the SVG and the PNG renderer.

Twelve 30° sectors, January at the top and the months clockwise; month names in an outer band,
each month's theme title (and, smaller, its delivery) inside its sector, the year in the hub.
Every text is horizontal, and every line of it lies wholly inside its own month's wedge (between
the two dividers, outside the hub, inside the meeting dots), so no line crosses into a neighbour
and no two months' lines can meet. A wedge is a shape, not a box: each line gets the width the
wedge has at that line's height (:meth:`Wedge.span`), and the lines of a text share one centre
line where the wedge allows it. Texts are wrapped at spaces first; then set smaller; only then is
a long word split (at a likely compound joint); what still does not fit is shortened with "…".
The full texts stay in each sector's tooltip. Pure: no web or database imports.

Widths are measured with DejaVu Sans (the font the PNG is drawn with) times a safety factor,
because browsers draw the SVG with their own fonts (Verdana is a little wider than DejaVu Sans),
and each line's box is the font's whole cell (ascent to descent), not just its letters.
"""

from __future__ import annotations

import calendar
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.domain import CycleDocument, Language
from bot.i18n import long_date, month_name, t

if TYPE_CHECKING:
    from PIL import ImageFont

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
FONT_FAMILY = "DejaVu Sans, Verdana, sans-serif"
SAFETY = 1.18  # a browser's fallback font may be this much wider than DejaVu Sans

SIZE = 1000.0  # the wheel is laid out in a SIZE × SIZE square; renderers scale it
CENTRE = SIZE / 2
R_OUTER = 470.0  # outer edge of the month band
R_BAND = 410.0  # inner edge of the month band = outer edge of the theme sectors
R_HUB = 92.0  # the hub with the year
R_DOTS = R_BAND - 9  # meeting dots sit just inside the band
R_MARK = R_OUTER + 4  # today's marker points at the band from outside
# Where a sector's text may go: clear of the hub's stroke, of the meeting dots (radius 6) and
# of the dividers (stroke 2) by a few units each.
R_TEXT_IN = R_HUB + 8.0
R_TEXT_OUT = R_DOTS - 12.0
EDGE = 6.0  # from a divider's centre line to the nearest text

TITLE_SIZES = (17.0, 16.0, 15.0, 14.0, 13.0, 12.0)  # 12 is the smallest that reads at page size
TITLE_LINES = 5
DELIVERY_SIZES = (10.5, 9.5)
DELIVERY_LINES = 3
LINE_HEIGHT = 1.2
ASCENT = 0.95  # from a line's top to its baseline, in em: DejaVu's cell is 0.93 + 0.24 em
GAP = 6.0  # between the title and the delivery
STEP = 4.0  # the vertical positions tried for a sector's text
MONTH_SIZE = 20.0
YEAR_SIZE = 40.0
ELLIPSIS = "…"
DASHES = frozenset("-–—")
VOWELS = frozenset("aeiouyåäöéü")
# Common second parts of the cycle's compounds: a split before one reads as two words.
PARTS = (
    "samtal",
    "uppföljning",
    "utveckling",
    "utvärdering",
    "försörjning",
    "planering",
    "plan",
    "arbete",
    "miljö",
    "berättelse",
    "dokument",
    "underlag",
    "verksamhet",
    "kompetens",
    "revision",
    "grupp",
    "möte",
    "ledning",
    "medarbetar",
    "anställd",
    "management",
    "development",
    "environment",
)


@functools.cache
def _font(bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont  # Pillow only when a wheel is laid out, not when imported

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
        """True when the two share any area (touching edges do not count, even a rounding
        error apart)."""
        eps = 1e-6
        return (
            self.x < other.x + other.width - eps
            and other.x < self.x + self.width - eps
            and self.y < other.y + other.height - eps
            and other.y < self.y + self.height - eps
        )

    def corners(self) -> list[tuple[float, float]]:
        """The four corners."""
        return [(self.x + dx, self.y + dy) for dx in (0.0, self.width) for dy in (0.0, self.height)]


@dataclass(frozen=True)
class TextBlock:
    """Horizontal lines of text, one under the other; line ``i`` is centred on ``xs[i]``."""

    kind: str  # "month", "title", "delivery", "year"
    lines: tuple[str, ...]
    size: float
    xs: tuple[float, ...]
    top: float  # the top of the first line's box
    bold: bool = False
    month: int | None = None

    @property
    def line_height(self) -> float:
        """Distance between baselines."""
        return self.size * LINE_HEIGHT

    def baselines(self) -> list[float]:
        """The y of each line's alphabetic baseline."""
        return [
            self.top + i * self.line_height + self.size * ASCENT for i in range(len(self.lines))
        ]

    def line_boxes(self) -> list[Box]:
        """Each line's box: its measured width (with the safety factor) by one line's height."""
        boxes = []
        for i, (line, x) in enumerate(zip(self.lines, self.xs, strict=True)):
            width = measure(line, self.size, bold=self.bold)
            boxes.append(
                Box(x - width / 2, self.top + i * self.line_height, width, self.line_height)
            )
        return boxes

    @property
    def box(self) -> Box:
        """What all its lines cover."""
        boxes = self.line_boxes()
        left = min(b.x for b in boxes)
        right = max(b.x + b.width for b in boxes)
        return Box(left, self.top, right - left, len(self.lines) * self.line_height)


@dataclass(frozen=True)
class Wedge:
    """Where a month's text may go: its 30° slice of the ring between the hub and the dots."""

    start: float  # degrees clockwise from the top
    end: float
    inner: float = R_TEXT_IN
    outer: float = R_TEXT_OUT
    edge: float = EDGE

    def _normals(self) -> list[tuple[float, float]]:
        # A point p (from the centre, y down) is inside the angle when n·p >= edge for both
        # normals: the start ray's turned clockwise, the end ray's turned back.
        a, b = math.radians(self.start), math.radians(self.end)
        return [(math.cos(a), math.sin(a)), (-math.cos(b), -math.sin(b))]

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - a dozen frozen wedges, asked again and again
    def span(self, top: float, bottom: float) -> tuple[float, float] | None:
        """The x range a box from *top* to *bottom* may take, or None when no box fits."""
        w0, w1 = top - CENTRE, bottom - CENTRE
        lo, hi = -math.inf, math.inf
        for nx, ny in self._normals():
            for w in (w0, w1):
                if abs(nx) < 1e-9:
                    if ny * w < self.edge:
                        return None
                    continue
                bound = (self.edge - ny * w) / nx
                if nx > 0:
                    lo = max(lo, bound)
                else:
                    hi = min(hi, bound)
        far = max(abs(w0), abs(w1))
        if far >= self.outer:
            return None
        reach = math.sqrt(self.outer**2 - far**2)
        lo, hi = max(lo, -reach), min(hi, reach)
        near = 0.0 if w0 <= 0 <= w1 else min(abs(w0), abs(w1))
        if near < self.inner:  # keep clear of the hub, on the side the wedge is on
            hole = math.sqrt(self.inner**2 - near**2)
            if lo + hi >= 0:
                lo = max(lo, hole)
            else:
                hi = min(hi, -hole)
        if hi - lo <= 0:
            return None
        return CENTRE + lo, CENTRE + hi

    def contains(self, box: Box) -> bool:
        """True when *box* lies inside the wedge (every corner, and clear of the hub)."""
        for x, y in box.corners():
            u, w = x - CENTRE, y - CENTRE
            if any(nx * u + ny * w < self.edge - 1e-6 for nx, ny in self._normals()):
                return False
            if math.hypot(u, w) > self.outer + 1e-6:
                return False
        nearest_x = min(max(CENTRE, box.x), box.x + box.width)
        nearest_y = min(max(CENTRE, box.y), box.y + box.height)
        return math.dist((nearest_x, nearest_y), (CENTRE, CENTRE)) >= self.inner - 1e-6

    def heights(self) -> tuple[float, float]:
        """The wedge's extent from top to bottom."""
        ys = [
            CENTRE - radius * math.cos(math.radians(self.start + step / 4))
            for radius in (self.inner, self.outer)
            for step in range(round((self.end - self.start) * 4) + 1)
        ]
        return min(ys), max(ys)


def wedge(month: int) -> Wedge:
    """The wedge a month's title and delivery are fitted into."""
    return Wedge(30.0 * (month - 1), 30.0 * month)


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
    wedge: Wedge  # where its title and delivery are fitted


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
        """The box of every line of text, for overlap checks."""
        return [box for text in self.texts for box in text.line_boxes()]


def point(angle: float, radius: float) -> tuple[float, float]:
    """The point at *angle* degrees clockwise from the top, *radius* from the centre."""
    rad = math.radians(angle)
    return CENTRE + radius * math.sin(rad), CENTRE - radius * math.cos(rad)


def date_angle(day: date) -> float:
    """The angle of a date: its month's sector, split evenly by the days of the month."""
    days = calendar.monthrange(day.year, day.month)[1]
    return 30.0 * (day.month - 1) + 30.0 * (day.day - 0.5) / days


@functools.cache
def tokens(text: str) -> tuple[str, ...]:
    """The words of *text*, a lone dash kept with the word before it ("start –")."""
    words: list[str] = []
    for word in text.split():
        if words and all(c in DASHES for c in word):
            words[-1] += " " + word
        else:
            words.append(word)
    return tuple(words)


@functools.cache
def _split_points(word: str) -> tuple[tuple[int, ...], ...]:
    """Where *word* may be cut, best kind first: after a hyphen it has; before a known second
    part; after a consonant and before a consonant and a vowel ("Medar|betar"); anywhere."""
    low = word.casefold()
    n = len(word)
    hyphens = [i for i in range(2, n - 1) if word[i - 1] in DASHES]
    parts = [
        i
        for i in range(4, n - 3)
        if word[i - 1].isalpha() and any(low.startswith(part, i) for part in PARTS)
    ]
    syllables = [
        i
        for i in range(4, n - 3)
        if low[i - 1].isalpha()
        and low[i - 1] not in VOWELS
        and low[i].isalpha()
        and low[i] not in VOWELS
        and low[i + 1] in VOWELS
    ]
    anywhere = list(range(2, n - 2)) or list(range(1, n))
    return tuple(tuple(points) for points in (hyphens, parts, syllables, anywhere))


def _cut(word: str, size: float, width: float, bold: bool) -> tuple[str, str, int]:
    """*word* cut in two so the first part (with its hyphen) fits *width*: at the best kind of
    place that fits, and of those the one that fills the line most; with the kind's rank.
    ("", word, 4) when no cut fits."""
    # The longest head that fits (widths grow with the letters, so a bisection finds it).
    low, high = 0, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(word[:middle] + "-", size, bold=bold) <= width:
            low = middle
        else:
            high = middle - 1
    for rank, points in enumerate(_split_points(word)):
        fitting = [i for i in points if i <= low or (i == low + 1 and word[i - 1] in DASHES)]
        if fitting:
            i = max(fitting)
            head = word[:i] if word[i - 1] in DASHES else word[:i] + "-"
            return head, word[i:], rank
    return "", word, 4


def split_word(word: str, size: float, width: float, *, bold: bool = False) -> tuple[str, str]:
    """*word* cut in two so the first part (with its hyphen) fits *width*, at the most readable
    place that does: after a hyphen, before a known second part ("Medarbetar-" "samtal"), at a
    syllable, else anywhere. ("", word) when no cut fits."""
    head, tail, _rank = _cut(word, size, width, bold)
    return head, tail


def ellipsize(text: str, size: float, width: float, *, bold: bool = False) -> str:
    """*text* cut to fit *width* with "…" at the end: whole words dropped first, then letters."""
    text = text.rstrip("-")
    while text:
        candidate = text.rstrip(" ,.;:–—-") + ELLIPSIS
        if measure(candidate, size, bold=bold) <= width:
            return candidate
        text = text.rsplit(" ", 1)[0] if " " in text.strip() else text[:-1]
        text = text.rstrip()
    return ""


def wrap(text: str, size: float, width: float, *, bold: bool = False) -> list[str]:
    """*text* wrapped into lines of one *width* (no shortening): see :func:`flow`."""
    shaped = flow(text, size, lambda _top: (0.0, width), 0.0, 999, bold=bold)
    return [line for line, _lo, _hi in shaped.lines]


@dataclass(frozen=True)
class Flowed:
    """A text wrapped into a wedge from a given top."""

    lines: tuple[tuple[str, float, float], ...]  # each line and the x range it may take
    size: float
    top: float
    complete: bool  # every word is shown
    splits: int  # words cut in two
    worst_cut: int = 0  # the least readable kind of cut (see _split_points)

    @property
    def bottom(self) -> float:
        """Below the last line."""
        return self.top + len(self.lines) * self.size * LINE_HEIGHT

    @property
    def shown(self) -> int:
        """How many letters it shows."""
        return sum(len(line) for line, _lo, _hi in self.lines)


def flow(
    text: str,
    size: float,
    span: Callable[[float], tuple[float, float] | None],
    top: float,
    max_lines: int,
    *,
    bold: bool = False,
    split: bool = True,
) -> Flowed:
    """Greedy wrapping from *top* down, each line as wide as ``span(line_top)`` allows (None: no
    room); words are cut only when *split*. When words are left over, the last line ends with
    "…"."""
    height = size * LINE_HEIGHT
    queue = list(tokens(text))
    lines: list[tuple[str, float, float]] = []
    splits = worst = 0
    y = top
    while queue and len(lines) < max_lines:
        where = span(y)
        if where is None:
            break
        lo, hi = where
        width = hi - lo
        word = queue[0]
        if measure(word, size, bold=bold) > width:
            if not split:
                break
            if " " in word:  # a dash kept with its word: let it go to the next line after all
                queue[0:1] = word.split(" ", 1)
                splits += 1
                continue
            head, tail, rank = _cut(word, size, width, bold)
            if not head:
                break
            splits += 1
            worst = max(worst, rank)
            lines.append((head, lo, hi))
            queue[0] = tail
            y += height
            continue
        line = queue.pop(0)
        while queue and measure(f"{line} {queue[0]}", size, bold=bold) <= width:
            line += " " + queue.pop(0)
        lines.append((line, lo, hi))
        y += height
    if not queue:
        return Flowed(tuple(lines), size, top, True, splits, worst)
    while lines:  # the last line that can still take a "…"
        line, lo, hi = lines.pop()
        short = ellipsize(line, size, hi - lo, bold=bold)
        if short:
            lines.append((short, lo, hi))
            break
    if not lines:  # not even the first word fits the first line: its first letters, then "…"
        where = span(top)
        if where is not None:
            short = ellipsize(queue[0], size, where[1] - where[0], bold=bold)
            if len(short) > 3:
                lines.append((short, *where))
    return Flowed(tuple(lines), size, top, False, splits, worst)


MIN_SHOWN = 12  # a shortened delivery showing fewer letters than this is left to the tooltip


def _rank_delivery(shaped: Flowed | None) -> int:
    """0 whole, 1 whole with a word cut, 2 shortened, 3 not shown."""
    if shaped is None or not shaped.lines:
        return 3
    if shaped.complete:
        return 1 if shaped.splits else 0
    return 2 if shaped.shown >= MIN_SHOWN else 3


def _span_at(area: Wedge, size: float) -> Callable[[float], tuple[float, float] | None]:
    return lambda top: area.span(top, top + size * LINE_HEIGHT)


def _delivery(area: Wedge, text: str, top: float) -> Flowed | None:
    """The delivery from *top*: at the larger size unless only the smaller shows it whole."""
    found = [flow(text, size, _span_at(area, size), top, DELIVERY_LINES) for size in DELIVERY_SIZES]
    best = min(found, key=_rank_delivery)  # the first (larger) of equals
    return best if _rank_delivery(best) < 3 else None


@dataclass(frozen=True)
class _Try:
    """One way to set a sector's texts, and how good it is (smaller keys are better)."""

    key: tuple[float, ...]
    top: float
    title: Flowed
    delivery: Flowed | None


def _place(area: Wedge, title: str, delivery: str | None) -> tuple[Flowed, Flowed | None]:
    """The best way to set *title* and *delivery* in *area*. In order: the title whole with
    words wrapped at spaces, at the largest size where the delivery (if any) still shows; then
    with a word cut, at the most readable place; else shortened with "…" at the smallest size.
    Of the tops that do equally well, the middle one, so the text sits centred in its room."""
    upper, lower = area.heights()
    tops = [upper + i * STEP for i in range(int((lower - upper) // STEP) + 1)]
    tried: dict[tuple[float, bool], list[_Try]] = {}

    def attempt(size: float, split: bool) -> list[_Try]:
        if (size, split) not in tried:
            found = []
            span = _span_at(area, size)
            for top in tops:
                shaped = flow(title, size, span, top, TITLE_LINES, bold=True, split=split)
                if not shaped.lines:
                    continue
                below = _delivery(area, delivery, shaped.bottom + GAP) if delivery else None
                key = (
                    float(not shaped.complete),
                    float(shaped.splits > 0),
                    float(shaped.worst_cut),
                    float(bool(delivery) and below is None),
                    -size,
                    float(_rank_delivery(below)) if delivery else 0.0,
                    -float(shaped.shown),
                    float(shaped.splits),
                )
                found.append(_Try(key, top, shaped, below))
            tried[size, split] = found
        return tried[size, split]

    def best(found: list[_Try]) -> tuple[Flowed, Flowed | None]:
        lowest = min(found, key=lambda one: one.key).key
        equal = [one for one in found if one.key == lowest]  # in order of their tops
        chosen = equal[len(equal) // 2]
        return chosen.title, chosen.delivery

    smallest = TITLE_SIZES[-1]
    for split in (False, True):
        # A larger size never holds what the smallest cannot: try that first.
        if not any(one.title.complete for one in attempt(smallest, split)):
            continue
        seen: list[_Try] = []
        for size in TITLE_SIZES:
            found = [one for one in attempt(size, split) if one.title.complete]
            seen += found
            # Done at the first size that also shows the delivery and cuts no word badly.
            if any(one.key[2] <= 1 and one.key[3] == 0 for one in found):
                return best(found)
        return best(seen)
    # Too long to show whole: at the smallest size, as much of it as fits (cut words allowed,
    # or a first word longer than a line would be all there is), then "…".
    fallback = attempt(smallest, False) + attempt(smallest, True)
    if not fallback:  # no room at all (cannot happen with the wheel's proportions)
        return Flowed((), smallest, upper, False, 0), None
    most = max(one.title.shown for one in fallback)
    return best([one for one in fallback if one.title.shown >= most - 4])


def _sector_texts(month: int, title: str, delivery: str | None, area: Wedge) -> list[TextBlock]:
    """The title (and the delivery when it fits) in *area*, on one centre line in the middle of
    the room all their lines leave; where the wedge is too slanted for one line to serve them
    all, each line as close to it as its own room allows."""
    shaped, below = _place(area, title, delivery)
    parts: list[tuple[Flowed, str, bool]] = [(shaped, "title", True)]
    if below is not None:
        parts.append((below, "delivery", False))
    rooms = [
        [
            (lo + half, hi - half, line)
            for line, lo, hi in part.lines
            for half in [measure(line, part.size, bold=bold) / 2]
        ]
        for part, _kind, bold in parts
    ]
    every = [room for rows in rooms for room in rows]
    if not every:
        return []
    axis = (max(left for left, _, _ in every) + min(right for _, right, _ in every)) / 2
    return [
        TextBlock(
            kind,
            tuple(line for _, _, line in rows),
            part.size,
            tuple(min(max(axis, left), right) for left, right, _ in rows),
            part.top,
            bold,
            month,
        )
        for (part, kind, bold), rows in zip(parts, rooms, strict=True)
        if rows
    ]


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
    return TextBlock(kind, tuple(lines), size, tuple(cx for _ in lines), top, bold, month)


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
        area = wedge(month)
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
