"""The interpreter-line rule: a call in a language no free team speaks does not wait for a speaker.

Routing first looks for a free team with a member who speaks the call's language (the language is a need,
like a licensed clinician). When none is free, the router (router.plan) waives that one need and offers the
call to the best team eligible in every other way; the team uses the interpreter line (settings.INTERPRETER_LINE).
Whatever team takes the call, by the router or by hand, `line_for` says whether it needs the line: the call
keeps the language on `Call.interpreter_line`, the board row, the call page and the phone show it, and the
timeline says when it was decided.
"""

from __future__ import annotations

from crisis import languages
from responders.models import Team, TeamMember

from .models import Call


def language_need(code: str) -> str:
    return f"lang:{code}"


def waivable(call: Call) -> frozenset[str]:
    """The needs the interpreter line can stand in for on this call (its language, unless it is the default)."""
    if not call.language or call.language == languages.DEFAULT or language_need(call.language) in call.needs_removed:
        return frozenset()
    return frozenset({language_need(call.language)})


def note(code: str) -> str:
    return f"Interpreter line: no free team speaks {languages.name(code)}"


def team_speaks(team: Team, code: str) -> bool:
    # Checked in Python, not with a JSON `contains` lookup: SQLite (the embedded `make run`) has none, and a team
    # has a handful of members.
    spoken = TeamMember.objects.filter(team=team, active=True).values_list("languages", flat=True)
    return any(code in (langs or []) for langs in spoken)


def line_for(call: Call, team: Team) -> str:
    """The language `team` needs the interpreter line for on `call`, or "" (the default language, or a speaker)."""
    if not waivable(call) or team_speaks(team, call.language):
        return ""
    return call.language
