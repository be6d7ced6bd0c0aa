"""programs/plugins.py and the program apps' plug-ins: defaults, registration, and what each program supplies."""

import pytest

from programs import plugins
from programs.fact.plugin import FactPlugin
from programs.homeless_outreach.plugin import OutreachPlugin
from programs.mobile_crisis.plugin import MobileCrisisPlugin


def test_every_program_app_registers_one_plugin():
    kinds = {type(p) for p in plugins.registered()}
    assert {FactPlugin, OutreachPlugin, MobileCrisisPlugin} <= kinds
    assert len(plugins.registered()) == len(kinds)


def test_a_plugin_without_routing_rules_passes_through_routing():
    # ProgramPlugin's no-op defaults: routing asks every plug-in for call facts and an assessment.
    plugin = MobileCrisisPlugin()
    assert plugin.call_facts(object()) == {}
    assert plugin.assess(object(), object()) is None


def test_caseload_columns_in_registration_order():
    columns = plugins.report_columns("caseload")
    assert [(c.key, c.label) for c in columns] == [
        ("enrolled", "Enrolled clients (FACT)"),
        ("engaged", "People engaged (outreach)"),
        ("episodes", "Open episodes (stabilization)"),
        ("respite_stays", "Respite stays (test program)"),  # tests/support/tenth_program, installed last
    ]
    assert plugins.report_columns("no-such-report") == []


def test_mobile_crisis_supplies_the_follow_up_clock():
    source = plugins.standard_end("follow_up_completed_at")
    assert (source.call_field, source.at_field) == ("call", "completed_at")
    assert plugins.standard_end("no_such_end") is None


@pytest.fixture
def plugin():
    p = MobileCrisisPlugin()
    yield p
    plugins.unregister(p)


def test_register_once_and_unregister(plugin):
    before = plugins.registered()
    plugins.register(plugin)
    plugins.register(plugin)
    assert plugins.registered() == (*before, plugin)
    plugins.unregister(plugin)
    plugins.unregister(plugin)  # not registered: nothing to do
    assert plugins.registered() == before


def test_overriding_lists_only_plugins_that_implement_the_hook():
    names = {type(p).__name__ for p in plugins.overriding("team_facts")}
    assert "OutreachPlugin" in names and "MobileCrisisPlugin" not in names
    assert {type(p).__name__ for p in plugins.overriding("call_closed")} == {"MobileCrisisPlugin"}
