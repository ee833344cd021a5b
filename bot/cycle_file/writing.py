"""Writing a cycle in each form (what ``ledarforum schedule export`` prints): all twelve months in
calendar order, so that export, import and export again give the same file."""

from __future__ import annotations

import csv
import io
import json

import yaml

from bot.cycle_file.limits import CSV_COLUMNS, FORMAT_VERSION, MONTHS_EN
from bot.cycle_file.yaml_form import TAG_STR
from bot.domain import Bilingual, CycleDocument, ThemeContent
from bot.meeting_items import item_data

_YAML_HEADER = """\
# Ledarforum yearly cycle (årscykel)
# Months: january-december (or januari-december, or 1-12); "month: null" = no theme that month.
# A theme: title, why_now, questions (2-5), optional delivery and links; every text in sv and en.
# Optional key (a stable name across years) and follows (keys of earlier themes it continues).
# Optional meetings: a list of date, time, minutes, place or link, agenda (the forum's meetings).
# Indent with spaces, not tabs.
"""


class _CycleDumper(yaml.SafeDumper):
    """Block style, indented lists, multi-line texts as ``|`` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar(TAG_STR, data, style=style)


_CycleDumper.add_representer(str, _represent_str)


def _bilingual_data(value: Bilingual) -> dict[str, str]:
    return {"sv": value.sv, "en": value.en}


def _theme_data(theme: ThemeContent) -> dict[str, object]:
    data: dict[str, object] = {
        "title": _bilingual_data(theme.title),
        "why_now": _bilingual_data(theme.why_now),
        "questions": [_bilingual_data(question) for question in theme.questions],
    }
    if theme.delivery is not None:
        data["delivery"] = _bilingual_data(theme.delivery)
    if theme.links:
        data["links"] = [
            {"title": _bilingual_data(link.title), "url": link.url} for link in theme.links
        ]
    if theme.explicit_key is not None:
        data["key"] = theme.explicit_key
    if theme.follows:
        data["follows"] = list(theme.follows)
    return data


def _document_data(doc: CycleDocument) -> dict[str, object]:
    months: dict[str, object] = {}
    for number, month_name in enumerate(MONTHS_EN, 1):
        theme = doc.themes.get(number)
        months[month_name] = _theme_data(theme) if theme is not None else None
    data: dict[str, object] = {"version": FORMAT_VERSION, "name": doc.name, "months": months}
    if doc.meetings:
        data["meetings"] = [item_data(meeting) for meeting in doc.meetings]
    return data


def dump_cycle_yaml(doc: CycleDocument) -> str:
    """The cycle as canonical YAML: all twelve months in calendar order, with a header comment."""
    body = yaml.dump(
        _document_data(doc),
        Dumper=_CycleDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )
    return _YAML_HEADER + body


def dump_cycle_json(doc: CycleDocument) -> str:
    """The cycle as JSON of the same shape as the YAML."""
    return json.dumps(_document_data(doc), ensure_ascii=False, indent=2) + "\n"


def dump_cycle_csv(doc: CycleDocument) -> str:
    """The cycle as CSV, one row per month (a themeless month has only its name filled in).

    A CSV cycle has no meetings: ``ledarforum meetings export --format csv`` writes those."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    if doc.name:
        writer.writerow(["name", doc.name] + [""] * (len(CSV_COLUMNS) - 2))
    for number, month_name in enumerate(MONTHS_EN, 1):
        theme = doc.themes.get(number)
        if theme is None:
            writer.writerow([month_name] + [""] * (len(CSV_COLUMNS) - 1))
            continue
        cells: dict[str, str] = {
            "month": month_name,
            "title_sv": theme.title.sv,
            "title_en": theme.title.en,
            "why_now_sv": theme.why_now.sv,
            "why_now_en": theme.why_now.en,
            "links": " ; ".join(
                f"{link.title.sv}|{link.title.en}|{link.url}" for link in theme.links
            ),
            "key": theme.explicit_key or "",
            "follows": ";".join(theme.follows),
        }
        for i, question in enumerate(theme.questions, 1):
            cells[f"question{i}_sv"] = question.sv
            cells[f"question{i}_en"] = question.en
        if theme.delivery is not None:
            cells["delivery_sv"] = theme.delivery.sv
            cells["delivery_en"] = theme.delivery.en
        writer.writerow([cells.get(column, "") for column in CSV_COLUMNS])
    return buffer.getvalue()
