"""The year wheel (årshjul): the cycle as a picture, in SVG for pages and PNG for chat.

:mod:`bot.wheel.layout` computes the geometry and fits the texts once; :mod:`bot.wheel.svg` and
:mod:`bot.wheel.png` draw that same layout. Import from those modules: the package itself
imports nothing, so a process that only answers chat never loads Pillow or the font metrics.
"""
