"""Reading a cycle file in whichever form its name says, and the shipped default cycle."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from bot.cycle_file.csv_form import load_cycle_csv
from bot.cycle_file.json_form import load_cycle_json
from bot.cycle_file.yaml_form import load_cycle_yaml
from bot.domain import CycleDocument

DEFAULT_CYCLE_FILE = "default_cycle.yaml"


def load_cycle(text: str, filename: str) -> CycleDocument:
    """Read a cycle in the format its file name says: ``.csv``, ``.json``, otherwise YAML."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return load_cycle_csv(text)
    if suffix == ".json":
        return load_cycle_json(text)
    return load_cycle_yaml(text)


def default_cycle_path() -> Path:
    """Where the shipped default cycle lies (``schedules/default_cycle.yaml``)."""
    # From a checkout: bot/cycle_file/ is two levels below the folder that holds schedules/.
    candidates = [Path(__file__).resolve().parents[2] / "schedules" / DEFAULT_CYCLE_FILE]
    try:
        resource = importlib.resources.files("schedules") / DEFAULT_CYCLE_FILE
    except (ModuleNotFoundError, TypeError):
        resource = None
    if isinstance(resource, Path):
        candidates.append(resource)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return candidates[0]


def load_default_cycle() -> CycleDocument:
    """The shipped default cycle."""
    return load_cycle_yaml(default_cycle_path().read_text(encoding="utf-8"))
