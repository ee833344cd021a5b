"""The core stays platform-neutral: bot/ imports no Slack, Teams, scheduler or adapter code; the
adapters (handlers/) reach the database only through the core, never its table models."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("slack_bolt", "slack_sdk", "microsoft_teams", "apscheduler", "handlers", "schedules")
MODELS = "bot.storage.models"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # "from bot.storage import models" imports the module bot.storage.models.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize(
    "path", sorted((ROOT / "bot").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_bot_imports_no_platform_or_scheduler_code(path: Path) -> None:
    bad = {name for name in _imports(path) if name.split(".")[0] in FORBIDDEN}
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_check_would_catch_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from slack_sdk import WebClient\nimport handlers.main\n")
    assert {"slack_sdk", "handlers.main"} <= _imports(sample)


def _uses_models(path: Path) -> bool:
    return any(name == MODELS or name.startswith(f"{MODELS}.") for name in _imports(path))


@pytest.mark.parametrize(
    "path", sorted((ROOT / "handlers").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_adapters_never_import_the_table_models(path: Path) -> None:
    assert not _uses_models(path), f"{path.relative_to(ROOT)} imports {MODELS}"


def test_the_check_would_catch_an_adapter_importing_the_models(tmp_path: Path) -> None:
    for line in (
        "from bot.storage.models import InboundEvent",
        "from bot.storage import models",
        "import bot.storage.models as tables",
    ):
        sample = tmp_path / "sample.py"
        sample.write_text(f"from bot.storage.db import Database\n{line}\n")
        assert _uses_models(sample), line
    sample.write_text("from bot.storage.db import Database\n")
    assert not _uses_models(sample)


def test_nothing_is_created_at_import_time() -> None:
    # No module-level engine, settings or app in the core.
    for path in (ROOT / "bot").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                func = node.value.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                assert name not in {"create_engine", "make_engine", "load_settings", "App"}, path
