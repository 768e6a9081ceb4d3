"""The customer replica the service desk keeps carries the value tier (care visits need it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from service_desk.app import ServiceDeskApp
from service_desk.handlers.replicas import CUSTOMERS
from service_desk_testkit import SALES1, SUPPORT


def test_the_value_tier_is_kept(desk: ServiceDeskApp, customer: Callable[..., Any]) -> None:
    acme = customer(SALES1, "A科技有限公司", value_tier="vip")
    ref = desk.run(SUPPORT, lambda unit: CUSTOMERS.ref(unit, acme["id"]))
    assert (ref.name, ref.get("value_tier"), ref.team_id) == ("A科技有限公司", "vip", "team-east")
