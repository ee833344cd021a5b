"""docs/cycle-file.md and the code agree: its limits table, its examples and its CSV columns.

The limits table names each limit's constant in ``bot/cycle_file/limits.py``; every whole-number
constant there must be in the table with the same number. The examples marked
``<!-- example: NAME -->`` are read by the real loaders.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cycle_file import CycleFileError, limits, load_cycle

DOC = Path(__file__).resolve().parents[1] / "docs" / "cycle-file.md"
_EXAMPLE = re.compile(r"<!-- example: (.+?) -->\n```[a-z]*\n(.*?)```", re.DOTALL)
_LIMIT_ROW = re.compile(r"^\|[^|]*\|([^|]*)\|\s*`([A-Z_]+)`\s*\|$", re.MULTILINE)


def _section(text: str, title: str) -> str:
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _documented_limits() -> dict[str, int]:
    """The limits table: constant name -> the first number of its limit cell."""
    table: dict[str, int] = {}
    for cell, name in _LIMIT_ROW.findall(_section(DOC.read_text(encoding="utf-8"), "Limits")):
        number = re.search(r"\d[\d,]*", cell)
        assert number, f"no number for {name}"
        assert name not in table, f"{name} is in the table twice"
        table[name] = int(number.group().replace(",", ""))
    return table


def _examples() -> dict[str, str]:
    return dict(_EXAMPLE.findall(DOC.read_text(encoding="utf-8")))


def test_the_limits_table_names_every_limit_with_its_number() -> None:
    constants = {
        name: value
        for name, value in vars(limits).items()
        if name.isupper() and isinstance(value, int) and not isinstance(value, bool)
    }
    assert _documented_limits() == constants


@pytest.mark.parametrize("name", ["valid.json", "valid.csv"])
def test_every_form_of_the_example_reads_as_the_same_cycle(name: str) -> None:
    examples = _examples()
    expected = load_cycle(examples["valid.yaml"], "valid.yaml")
    assert sorted(expected.themes) == [9, 10]
    assert load_cycle(examples[name], name) == expected


def test_the_error_example_shows_what_the_loader_says() -> None:
    examples = _examples()
    with pytest.raises(CycleFileError) as caught:
        load_cycle(examples["bad.yaml"], "bad.yaml")
    shown = [f"bad.yaml:{p.line}: {p.message('en')}" for p in caught.value.problems]
    assert examples["bad.yaml problems"].splitlines()[1:] == shown


def test_the_csv_columns_are_listed_in_full() -> None:
    columns = ",".join(limits.CSV_COLUMNS)
    assert columns in _section(DOC.read_text(encoding="utf-8"), "CSV").splitlines()
