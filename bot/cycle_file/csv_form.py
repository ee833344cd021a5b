"""The CSV form of a cycle file, for spreadsheets: a header row, then one row per month.

A row whose month cell is ``name`` (or ``namn``) gives the cycle's name; links are
``title_sv|title_en|url`` items in one cell; a file saved with ``;`` as separator is read too.
"""

from __future__ import annotations

import csv
import functools
import io
import re

from bot.cycle_file.limits import CSV_COLUMNS, CSV_REQUIRED_COLUMNS, MAX_QUESTIONS, MONTHS_EN
from bot.cycle_file.problems import Problems, collected, shortened
from bot.cycle_file.rules import (
    check_name,
    check_theme,
    check_theme_keys,
    month_number,
    prepared,
)
from bot.domain import Bilingual, CycleDocument, Link, ThemeContent

_CSV_NAME_ROW = ("name", "namn")
_CSV_LINK_SPLIT = re.compile(r"\s*\n\s*|\s+;\s+")


def _csv_rows(text: str, out: Problems) -> list[tuple[int, list[str]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as error:
        out.add(max(reader.line_num, start), "cycle.error.csv_syntax", detail=str(error))
        raise out.fail() from None
    return rows


def _csv_links(
    out: Problems, line: int, label: str, cell: str
) -> tuple[list[Link], dict[str, int]]:
    links: list[Link] = []
    lines: dict[str, int] = {}
    for item in _CSV_LINK_SPLIT.split(cell.strip()):
        if not item.strip():
            continue
        parts = [part.strip() for part in item.split("|")]
        number = len(links) + 1
        lines[f"links.{number}"] = line
        if len(parts) != 3:
            out.add(
                line,
                "cycle.error.csv_bad_link",
                where=f"{label}.links.{number}",
                value=shortened(item, 80),
            )
            continue
        links.append(Link(title=Bilingual(sv=parts[0], en=parts[1]), url=parts[2]))
    return links, lines


def load_cycle_csv(text: str) -> CycleDocument:
    """Read a CSV cycle (one row per month); raises :class:`CycleFileError` with every problem."""
    text = prepared(text)
    return collected(functools.partial(_read_csv, text))


def _read_csv(text: str, out: Problems) -> CycleDocument:
    rows = [(line, row) for line, row in _csv_rows(text, out) if any(cell.strip() for cell in row)]
    if not rows:
        out.add(1, "cycle.error.empty_file")
        raise out.fail()
    header_line, header_row = rows[0]
    header = [cell.strip().lower() for cell in header_row]
    for column in header:
        if column not in CSV_COLUMNS:
            out.add(
                header_line,
                "cycle.error.csv_unknown_column",
                column=column,
                allowed=", ".join(CSV_COLUMNS),
            )
    for column in sorted(set(header), key=header.index):
        if header.count(column) > 1:
            out.add(header_line, "cycle.error.csv_duplicate_column", column=column)
    for column in CSV_REQUIRED_COLUMNS:
        if column not in header:
            out.add(header_line, "cycle.error.csv_missing_column", column=column)
    if out.items:
        raise out.fail()

    name = ""
    themes: dict[int, ThemeContent] = {}
    seen: dict[int, int] = {}
    for line, row in rows[1:]:
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            out.add(line, "cycle.error.csv_extra_cells", count=len(row), columns=len(header))
        cells = {column: (row[i] if i < len(row) else "") for i, column in enumerate(header)}

        def cell(column: str, cells: dict[str, str] = cells) -> str:
            return cells.get(column, "").strip()

        month_cell = cell("month")
        others = [column for column in header if column != "month" and cell(column)]
        if month_cell.lower() in _CSV_NAME_ROW:
            if any(column != "title_sv" for column in others):
                out.add(line, "cycle.error.csv_name_row")
            name = cell("title_sv")
            check_name(out, line, name)
            continue
        month = month_number(month_cell)
        if month is None:
            out.add(line, "cycle.error.bad_month", value=shortened(month_cell, 40))
            continue
        if month in seen:
            out.add(
                line,
                "cycle.error.duplicate_month",
                value=month_cell,
                month=MONTHS_EN[month - 1],
                first_line=seen[month],
            )
            continue
        seen[month] = line
        if not others:
            continue  # a month without a theme
        label = MONTHS_EN[month - 1]
        questions = tuple(
            Bilingual(sv=cell(f"question{i}_sv"), en=cell(f"question{i}_en"))
            for i in range(1, MAX_QUESTIONS + 1)
            if cell(f"question{i}_sv") or cell(f"question{i}_en")
        )
        delivery = None
        if cell("delivery_sv") or cell("delivery_en"):
            delivery = Bilingual(sv=cell("delivery_sv"), en=cell("delivery_en"))
        links, lines = _csv_links(out, line, label, cells.get("links", ""))
        lines[""] = line
        # Followed keys share one cell, separated by ";" (keys cannot hold one).
        follows = tuple(key.strip() for key in cell("follows").split(";") if key.strip())
        theme = ThemeContent(
            month=month,
            title=Bilingual(sv=cell("title_sv"), en=cell("title_en")),
            why_now=Bilingual(sv=cell("why_now_sv"), en=cell("why_now_en")),
            questions=questions,
            delivery=delivery,
            links=tuple(links),
            explicit_key=cell("key") or None,
            follows=follows,
        )
        check_theme(out, theme, lines)
        themes[month] = theme
    check_theme_keys(out, themes, seen)
    if not themes and not out.items:
        out.add(header_line, "cycle.error.no_themes")
    if out.items:
        raise out.fail()
    return CycleDocument(name=name, themes=themes)
