"""The wheel's colours, shared by both renderers; each text colour meets WCAG AA on its ground.

``tests/test_wheel.py`` computes the contrast ratios, so a change here that breaks AA fails.
"""

from __future__ import annotations

PAPER = "#ffffff"
BAND = "#1f4e79"  # month band and the year: white text on it is 8.6:1
BAND_CURRENT = "#8a4500"  # this month's band: white text on it is 6.6:1
BAND_TEXT = "#ffffff"
SECTOR_EVEN = "#e9f0f8"
SECTOR_ODD = "#f7f9fc"
SECTOR_CURRENT = "#fff0c2"
DIVIDER = "#9fb3c8"
TITLE_TEXT = "#14213d"
DELIVERY_TEXT = "#3b4656"
MEETING = "#1f4e79"
TODAY = "#b3261e"

# (text, ground) pairs that must reach 4.5:1.
PAIRS = (
    (BAND_TEXT, BAND),
    (BAND_TEXT, BAND_CURRENT),
    (BAND, PAPER),
    *(
        (text, ground)
        for text in (TITLE_TEXT, DELIVERY_TEXT)
        for ground in (SECTOR_EVEN, SECTOR_ODD, SECTOR_CURRENT)
    ),
)


def sector_fill(month: int, current: bool) -> str:
    """A sector's ground: this month highlighted, the others alternating."""
    if current:
        return SECTOR_CURRENT
    return SECTOR_EVEN if month % 2 == 0 else SECTOR_ODD


def rgb(colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` → (r, g, b)."""
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)

    r, g, b = (channel(v) for v in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two colours."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)
