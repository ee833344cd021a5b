"""The year wheel (årshjul): the cycle as a picture, in SVG for pages and PNG for chat.

:mod:`bot.wheel.layout` computes the geometry and fits the texts once; :mod:`bot.wheel.svg` and
:mod:`bot.wheel.png` draw that same layout.
"""

from __future__ import annotations

from bot.wheel.png import wheel_png
from bot.wheel.svg import wheel_svg

__all__ = ["wheel_png", "wheel_svg"]
