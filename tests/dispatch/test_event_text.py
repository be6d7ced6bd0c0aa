"""dispatch/event_text.py: every kind of timeline event a service records reads as a sentence."""

import ast
import pathlib
import re

import pytest

from dispatch import services
from dispatch.event_text import EVENT_TEXT, event_text
from dispatch.models import CallEvent

DISPATCH = pathlib.Path(services.__file__).parent


def recorded_kinds() -> set[str]:
    """Every "call.<kind>" string constant in the dispatch app's code: the kinds its services record."""
    kinds = set()
    for path in DISPATCH.glob("*.py"):
        if path.name == "event_text.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"call\.[a-z_]+", node.value):
                    kinds.add(node.value)
    return kinds


def test_every_event_kind_has_text():
    kinds = recorded_kinds()
    assert {"call.created", "call.unit_status", "call.handed_off", "call.offer_lapsed"} <= kinds  # the scan works
    assert sorted(kinds - set(EVENT_TEXT)) == []


@pytest.mark.parametrize("kind", sorted(EVENT_TEXT))
def test_each_text_is_a_sentence_without_codes_even_with_no_detail(kind):
    text = event_text(CallEvent(kind=kind, detail={}))
    assert text and text[0].isupper()
    assert not re.search(r"call\.[a-z]", text) and "_" not in text


@pytest.mark.django_db
def test_a_calls_events_read_as_sentences(new_call, dana, rita, team_a):
    from dispatch import units

    call = new_call()
    services.call_triage(call=call, screen={"si_thoughts": True}, by=dana)
    units.unit_add(call=call, agency="police", unit="Car 12", by=dana)
    texts = [event_text(ev) for ev in CallEvent.objects.filter(call=call).select_related("team")]
    assert texts[0].startswith("Call taken (")
    assert any(t.startswith("Triaged: priority") for t in texts)
    assert "Police unit Car 12 added to the call." in texts
