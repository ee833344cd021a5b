"""The Teams app package an administrator uploads: ``manifest.json`` and two icons in a zip.

``ledarforum teams package`` calls :func:`write_package`. The manifest in ``manifest/`` is a
template: the bot's id (``TEAMS_CLIENT_ID``) and the app's version are filled in here. It asks for
the resource-specific permission ``ChannelMessage.Read.Group`` so replies in a forum's threads
reach the bot without an @mention.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings

ICONS = ("color.png", "outline.png")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _template(name: str) -> bytes:
    return (resources.files("handlers.teams") / "manifest" / name).read_bytes()


def _version() -> str:
    try:
        version = importlib.metadata.version("ledarforum")
    except importlib.metadata.PackageNotFoundError:
        return "1.0.0"
    # Teams wants MAJOR.MINOR.PATCH with numbers only.
    numbers = [*re.findall(r"\d+", version), "0", "0", "0"][:3]
    return ".".join(numbers)


def build_manifest(settings: Settings) -> dict[str, Any]:
    """The manifest for this installation; the bot's id comes from ``TEAMS_CLIENT_ID``."""
    client_id = settings.teams_client_id
    if not client_id or not _GUID.match(client_id):
        raise ConfigError(
            "TEAMS_CLIENT_ID must be set to the bot's Microsoft app id (a GUID) "
            "to build the Teams app package."
        )
    text = _template("manifest.json").decode("utf-8")
    text = text.replace("{{TEAMS_CLIENT_ID}}", client_id).replace("{{VERSION}}", _version())
    manifest: dict[str, Any] = json.loads(text)
    return manifest


def build_package(settings: Settings, out_path: Path) -> Path:
    """Write the zip (``manifest.json`` and the icons at its root) to *out_path*."""
    manifest = build_manifest(settings)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_path, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        for icon in ICONS:
            package.writestr(icon, _template(icon))
    return out_path


def write_package(settings: Settings, path: str | Path) -> Path:
    """``ledarforum teams package``: the package at *path* (a directory gets ``ledarforum.zip``)."""
    target = Path(path)
    if target.is_dir():
        target = target / "ledarforum.zip"
    return build_package(settings, target)
