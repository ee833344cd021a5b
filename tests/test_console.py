"""The console reads each line as a person means it: piped into a real process, and in-process.

A question is answered by the next line (``ja``/``yes`` confirms, anything else cancels); a line
that starts with ``/ledarforum`` is always a command; ``dela`` without text says how to share,
because a terminal has no form. No answer points at buttons, a form or a Home tab it lacks.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core import Core
from bot.dialogue import Actor
from bot.domain import Platform
from bot.messages import plain_text
from bot.services import forums
from bot.storage.db import make_engine
from bot.storage.models import Contribution
from handlers.console.forum import ConsoleForum
from tests.test_cli import ledarforum

# Words a console answer must not contain: it has no buttons, no forms and no Home tab.
NOT_IN_A_TERMINAL = ("knapp", "formulär", "Hem-flik", "button", "form opens", "Home tab")


def stored_texts(cwd: Path) -> list[str]:
    """The good examples in the database the process in *cwd* used (see ``ledarforum``)."""
    engine = make_engine(f"sqlite:///{cwd / 'lf.db'}")
    try:
        with engine.connect() as connection:
            query = select(Contribution.text).order_by(Contribution.id)
            return list(connection.scalars(query))
    finally:
        engine.dispose()


@pytest.mark.slow
def test_forget_me_is_confirmed_by_typing_ja_on_the_next_line(tmp_path: Path) -> None:
    script = "Vi testade gåmöten\n/ledarforum glöm-mig\nja\n"
    result = ledarforum("console", cwd=tmp_path, stdin=script)
    assert result.returncode == 0, result.stderr
    assert "Skriv ”ja” på nästa rad" in result.stdout
    assert "Klart: allt om dig är raderat (1 gott exempel)." in result.stdout
    assert stored_texts(tmp_path) == []  # "ja" was the answer, not a good example


@pytest.mark.slow
def test_any_other_answer_cancels_and_is_not_stored(tmp_path: Path) -> None:
    script = "Vi testade gåmöten\n/ledarforum glöm-mig\nnej tack\n"
    result = ledarforum("console", cwd=tmp_path, stdin=script)
    assert result.returncode == 0, result.stderr
    assert "Avbrutet: ingenting har ändrats." in result.stdout
    assert stored_texts(tmp_path) == ["Vi testade gåmöten"]


@pytest.mark.slow
def test_share_without_text_explains_and_the_next_command_stays_a_command(tmp_path: Path) -> None:
    script = "/ledarforum dela\n/ledarforum tema\nVi delar veckobrev\n"
    result = ledarforum("console", cwd=tmp_path, stdin=script)
    assert result.returncode == 0, result.stderr
    assert "Konsolen har inget formulär" in result.stdout
    assert stored_texts(tmp_path) == ["Vi delar veckobrev"]


def run_console(core: Core, script: str, user: str = "kim") -> str:
    out = io.StringIO()
    assert ConsoleForum(core, io.StringIO(script), out, user=user).run() == 0
    return out.getvalue()


def test_in_process_confirm_cancel_and_commands(core: Core) -> None:
    output = run_console(
        core,
        "Första exemplet\n"
        "/ledarforum glöm-mig\n"
        "/ledarforum sammanfattning\n"  # a command, not the answer: nothing is erased
        "ja\n"  # no question is open any more: a good example
        "/ledarforum glöm-mig\n"
        "nej\n"
        "/lf dela\n"
        "/ledarforum språk en\n"
        "/ledarforum forget-me\n"
        "yes\n"
        "Efter glömskan\n",
    )
    with core.db.transaction() as session:
        texts = list(session.scalars(select(Contribution.text).order_by(Contribution.id)))
    assert texts == ["Efter glömskan"]
    assert "Klart: allt om dig är raderat" not in output  # the erasure was in English
    assert "Done: everything about you is erased (2 good examples)." in output
    assert output.count("Avbrutet: ingenting har ändrats.") == 1


def test_console_answers_name_no_buttons_forms_or_home_tab(core: Core) -> None:
    for lang_word in ("sv", "en"):
        output = run_console(
            core,
            f"/ledarforum språk {lang_word}\n/ledarforum hjälp\n/ledarforum glöm-mig\nnej\n"
            "/ledarforum admin schedule\n/ledarforum dela\n",
        )
        for word in NOT_IN_A_TERMINAL:
            assert word.casefold() not in output.replace("inget formulär", "").casefold(), word


def test_teams_answers_say_at_ledarforum_never_the_slash_command(core: Core) -> None:
    with core.db.transaction() as session:
        forums.ensure_forum(
            session,
            Platform.TEAMS,
            "tenant",
            "19:x@thread.tacv2",
            language="sv",
            timezone="Europe/Stockholm",
        )
    actor = Actor(Platform.TEAMS, "tenant", "UORG", "Org")  # a configured organiser
    shown = []
    for text in ("hjälp", "glöm-mig", "help", "forget-me", "admin schedule", "tema", "theme"):
        reply = core.dialogue.handle_text(actor, "19:x@thread.tacv2", text)
        shown += [plain_text(message) for message in [*reply.public, *reply.private]]
    joined = "\n".join(shown)
    assert "@Ledarforum glöm-mig ja" in joined
    assert "/ledarforum" not in joined and "Hem-fliken" not in joined and "Home tab" not in joined
