"""Live operations' side of the call desk port (programs.plugins.CallDesk): programs below dispatch open,
screen and resolve calls through it, each method one of dispatch's services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import triage
from .calls import call_create, call_resolve_by_phone, call_triage
from .models import FIELD_TIERS, CallType, Triage


class DispatchCallDesk:
    def screen_fields(self) -> list[tuple[str, str]]:
        return [(name, str(Triage._meta.get_field(name).verbose_name)) for name in triage.SCREEN_FIELDS]

    def screen_tier(self, screen: Mapping[str, bool]) -> str:
        return triage.evaluate(screen).tier

    def field_tiers(self) -> frozenset[str]:
        return frozenset(FIELD_TIERS)

    def call_types(self) -> list[tuple[str, str]]:
        return list(CallType.choices)

    def call_create(self, *, by, **fields: Any):
        return call_create(by=by, **fields)

    def call_screen(self, *, call, by, screen: Mapping[str, bool]) -> str:
        return call_triage(call=call, screen=dict(screen), by=by).tier

    def call_resolve_by_phone(self, *, call, by, note: str = ""):
        return call_resolve_by_phone(call=call, by=by, note=note)
