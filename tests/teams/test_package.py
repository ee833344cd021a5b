"""The Teams app package an administrator uploads."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings
from handlers.teams.package import write_package

APP_ID = "4f1c2b3a-1111-4222-8333-944455556666"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_package_holds_the_manifest_and_both_icons(tmp_path: Path) -> None:
    path = write_package(Settings(teams_client_id=APP_ID), tmp_path)
    assert path == tmp_path / "ledarforum.zip"
    with zipfile.ZipFile(path) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        assert _png_size(package.read("color.png")) == (192, 192)
        assert _png_size(package.read("outline.png")) == (32, 32)
    assert manifest["id"] == APP_ID
    assert manifest["webApplicationInfo"]["id"] == APP_ID
    bot = manifest["bots"][0]
    assert bot["botId"] == APP_ID
    assert sorted(bot["scopes"]) == ["personal", "team"]
    commands = bot["commandLists"][0]["commands"]
    assert 0 < len(commands) <= 10
    assert {"hjälp", "tema", "dela", "prenumerera", "admin"} <= {c["title"] for c in commands}
    assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128 for c in commands)
    rsc = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in rsc
    assert manifest["validDomains"]
    assert len(manifest["name"]["short"]) <= 30
    assert len(manifest["description"]["short"]) <= 80
    assert "{{" not in json.dumps(manifest)


def test_a_file_path_is_used_as_given(tmp_path: Path) -> None:
    path = write_package(Settings(teams_client_id=APP_ID), tmp_path / "out" / "app.zip")
    assert path.is_file()


@pytest.mark.parametrize("client_id", [None, "not-a-guid"])
def test_the_package_needs_the_bot_id(tmp_path: Path, client_id: str | None) -> None:
    with pytest.raises(ConfigError, match="TEAMS_CLIENT_ID"):
        write_package(Settings(teams_client_id=client_id), tmp_path)
