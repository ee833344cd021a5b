"""The rule behind every theme edit, whatever the adapter: a forum's edit goes to its own cycle
(a copy of the default made on the first edit); only configured organisers edit the default.
Organiser roles stay in their workspace. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from sqlalchemy import select

from bot.cli import Adapters, build_parser, dispatch
from bot.config import Settings
from bot.core import Core
from bot.cycle_file import dump_cycle_yaml
from bot.dialogue import Actor
from bot.domain import Bilingual, ForumInfo, Platform, ThemeContent
from bot.services import cycles, forums, organisers
from bot.storage.models import AuditEntry, Cycle, Forum
from tests.support import FakeClock

CONFIGURED = Actor(Platform.SLACK, "T1", "UORG", "Org")  # in LEDARFORUM_ORGANISERS (core fixture)
LEADER = Actor(Platform.SLACK, "T1", "U5", "Lea")


def _forum(core: Core, channel: str, workspace: str = "T1") -> ForumInfo:
    with core.db.transaction() as session:
        forum, _ = forums.ensure_forum(
            session, Platform.SLACK, workspace, channel, language="sv", timezone="Europe/Stockholm"
        )
    return forum


def _theme(title: str, month: int = 3) -> ThemeContent:
    return ThemeContent(
        month=month,
        title=Bilingual(f"{title} (sv)", title),
        why_now=Bilingual("För att", "Because"),
        questions=(Bilingual("Fråga 1?", "Question 1?"), Bilingual("Fråga 2?", "Question 2?")),
    )


def _title(core: Core, forum: ForumInfo, month: int = 3) -> str | None:
    with core.db.transaction() as session:
        theme = cycles.for_forum(session, forum).theme_for(month)
    return theme.title.en if theme else None


def _shared_title(core: Core, month: int = 3) -> str | None:
    with core.db.transaction() as session:
        doc = cycles.load(session, cycles.DEFAULT_KEY)
    theme = doc.theme_for(month) if doc else None
    return theme.title.en if theme else None


def test_an_edit_from_a_forum_copies_the_default_once(core: Core) -> None:
    first, second = _forum(core, "C1"), _forum(core, "C2")
    shipped = _shared_title(core)
    with core.db.transaction() as session:
        assert cycles.edit_target(session, first, shared=True).followers == 2
        before = cycles.edit_target(session, first, shared=False)
        assert (before.key, before.exists, before.followers) == (f"forum:{first.id}", False, 1)
        edited = cycles.set_theme(session, first, _theme("Ours"), 3, actor="t")
    assert edited.key == cycles.forum_key(first.id) and edited.exists and not edited.shared
    assert (_title(core, first), _title(core, second)) == ("Ours", shipped)
    assert _title(core, first, 4) == _shared_title(core, 4)  # every other month was copied
    with core.db.transaction() as session:
        assert cycles.edit_target(session, first, shared=True).followers == 1
        cycles.set_theme(session, first, _theme("Ours again"), 3, actor="t")
        cycles.set_theme(session, first, None, 5, actor="t")
    with core.db.transaction() as session:
        own = list(session.scalars(select(Cycle).where(Cycle.key.like("forum:%"))))
        copies = session.scalars(select(AuditEntry).where(AuditEntry.action == "cycle.copy"))
        assert len(own) == 1 and len(list(copies)) == 1
        row = session.get(Forum, first.id)
        assert row is not None and row.cycle_id == own[0].id
    assert (_title(core, first), _title(core, first, 5)) == ("Ours again", None)
    assert _title(core, second, 5) == _shared_title(core, 5) is not None


def test_only_configured_organisers_edit_the_shared_cycle(core: Core, clock: FakeClock) -> None:
    clock.set(datetime(2026, 2, 2, 9, tzinfo=UTC))  # March lies ahead: the forum's own cycle
    first, second = _forum(core, "C1"), _forum(core, "C2")
    with core.db.transaction() as session:
        organisers.add(session, "slack", "T1", LEADER.user_id, first.id, actor="t")
    dialogue = core.dialogue
    shipped = _shared_title(core)

    assert dialogue.edit_theme(LEADER, first, 3, _theme("Forged"), shared=True) is None
    assert dialogue.edit_theme(LEADER, second, 3, _theme("Not mine")) is None
    assert _shared_title(core) == shipped == _title(core, second)

    editor = dialogue.theme_editor(LEADER, first, 3)
    assert editor is not None and not editor.may_edit_shared
    assert "2 forum" in editor.describe("sv") and "2 forums" in editor.describe("en")
    assert dialogue.theme_editor(LEADER, second, 3) is None

    edited = dialogue.edit_theme(LEADER, first, 3, _theme("Ours"))
    assert edited is not None and edited.key == cycles.forum_key(first.id)
    editor = dialogue.theme_editor(CONFIGURED, second, 3)
    assert editor is not None and editor.may_edit_shared
    assert "1 forum follows" in editor.describe("en", shared=True)
    shared = dialogue.edit_theme(CONFIGURED, second, 3, _theme("Shared"), shared=True)
    assert shared is not None and shared.shared and shared.followers == 1
    assert (_title(core, first), _title(core, second), _shared_title(core)) == (
        "Ours",
        "Shared",
        "Shared",
    )


def test_a_role_for_every_forum_stays_in_its_workspace(core: Core) -> None:
    mine, theirs = _forum(core, "C1"), _forum(core, "C9", workspace="T9")
    with core.db.transaction() as session:
        assert organisers.add_everywhere(session, "slack", "T1", "UINST")
        assert not organisers.add_everywhere(session, "slack", "T1", "UINST")
        # Already an organiser of every forum: adding them to one changes nothing.
        assert not organisers.add(session, "slack", "T1", "UINST", mine.id, actor="t")
    installer = Actor(Platform.SLACK, "T1", "UINST", "Installer")
    assert core.dialogue.is_organiser(installer, mine)
    assert not core.dialogue.is_organiser(installer, theirs)  # a forum id from elsewhere
    assert core.dialogue.edit_theme(installer, theirs, 3, _theme("Elsewhere")) is None
    assert core.dialogue.is_organiser(replace(CONFIGURED, workspace_id="T1"), theirs)


def test_last_organiser_is_known(core: Core) -> None:
    forum = _forum(core, "C1")
    with core.db.transaction() as session:
        assert organisers.add(session, "slack", "T1", "U5", forum.id, actor="t")
        assert organisers.is_last(session, "slack", "T1", "U5", forum.id)
        assert organisers.add(session, "slack", "T1", "U6", forum.id, actor="t")
        assert not organisers.is_last(session, "slack", "T1", "U5", forum.id)


class _Adapters:
    """The composition root of ``ledarforum`` in-process: the test's core, nothing to serve."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def open(self, settings: Settings, *, console: bool = False) -> Core:
        return self.core


def test_schedule_import_for_a_forum_changes_only_its_own_cycle(core: Core, tmp_path: Path) -> None:
    first, second = _forum(core, "C1"), _forum(core, "C2")
    with core.db.transaction() as session:
        doc = cycles.load(session, cycles.DEFAULT_KEY)
    assert doc is not None
    doc.themes[3] = _theme("Imported")
    path = tmp_path / "cycle.yaml"
    path.write_text(dump_cycle_yaml(doc), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    args = build_parser().parse_args(["schedule", "import", str(path), "--forum", "C1"])
    adapters = cast(Adapters, _Adapters(core))
    assert dispatch(args, core.settings, adapters, io.StringIO(), out, err) == 0, err.getvalue()
    assert f"into the forum:{first.id} cycle, followed by 1 forum." in out.getvalue()
    assert (_title(core, first), _title(core, second)) == ("Imported", _shared_title(core))
    args = build_parser().parse_args(["schedule", "import", str(path)])
    assert dispatch(args, core.settings, adapters, io.StringIO(), out, err) == 0, err.getvalue()
    assert "into the default cycle, followed by 1 forum." in out.getvalue()  # C1 has its own
