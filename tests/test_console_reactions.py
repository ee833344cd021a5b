"""Appreciating an example in the console: ``+1 <number>`` and ``-1 <number>`` go through the
core handler's Reacted event as a Slack reaction does, once per person, and can be taken back;
the year in review then ranks the example by them."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from bot.core import Core
from bot.services import review
from bot.storage.models import Contribution, ContributionReaction
from handlers.console.forum import ConsoleForum


def _console(core: Core, script: str, user: str) -> str:
    out = io.StringIO()
    assert ConsoleForum(core, io.StringIO(script), out, user=user).run() == 0
    return out.getvalue()


def _reactions(core: Core) -> list[tuple[int, str, str]]:
    with core.db.transaction() as session:
        rows = session.execute(
            select(
                ContributionReaction.contribution_id,
                ContributionReaction.user_id,
                ContributionReaction.reaction,
            ).order_by(ContributionReaction.id)
        ).all()
    return [(int(a), str(b), str(c)) for a, b, c in rows]


def _counts(core: Core) -> dict[str, int]:
    with core.db.transaction() as session:
        return dict(session.execute(select(Contribution.text, Contribution.reactions)).all())


def test_plus_one_appreciates_once_per_person_and_minus_one_takes_it_back(core: Core) -> None:
    shown = _console(core, "Vi testade gåmöten\nVi firade små framsteg\n", "kim")
    numbers = [int(n) for n in re.findall(r"Exempel nummer (\d+)", shown)]
    assert len(numbers) == 2
    walk, wins = numbers

    ada = _console(core, f"+1 {walk}\n+1 {walk}\n+1 #{wins}\n", "ada")
    assert ada.count(f"Du uppskattar exempel {walk}. 1 person uppskattar det.") == 2  # once
    kim = _console(core, f"+1 {walk}\n", "kim")
    assert f"Du uppskattar exempel {walk}. 2 personer uppskattar det." in kim
    assert _counts(core) == {"Vi testade gåmöten": 2, "Vi firade små framsteg": 1}
    assert _reactions(core) == [(walk, "ada", "+1"), (wins, "ada", "+1"), (walk, "kim", "+1")]

    taken = _console(core, f"-1 {wins}\n-1 {wins}\n+1 999999\n", "ada")
    assert f"Du uppskattar inte längre exempel {wins}. 0 personer uppskattar det." in taken
    assert "Det finns inget gott exempel nummer 999999 i det här forumet." in taken
    assert _counts(core) == {"Vi testade gåmöten": 2, "Vi firade små framsteg": 0}
    # None of the reaction lines was stored as a good example.
    assert sorted(_counts(core)) == ["Vi firade små framsteg", "Vi testade gåmöten"]

    with core.db.transaction() as session:
        forum_id = session.scalar(select(Contribution.forum_id))
        assert forum_id is not None
        ranked = review.appreciable(session, forum_id, walk)
    assert ranked is not None and ranked.reactions == 2


def test_forget_me_takes_a_console_reaction_back(core: Core) -> None:
    shown = _console(core, "Vi testade gåmöten\n", "kim")
    [number] = [int(n) for n in re.findall(r"Exempel nummer (\d+)", shown)]
    _console(core, f"+1 {number}\n/ledarforum glöm-mig\nja\n", "ada")
    assert _counts(core) == {"Vi testade gåmöten": 0}
    assert _reactions(core) == []
