"""Care visits (回访): a customers-service task for the owner of a VIP/important customer after a
resolved ticket or a placed order; one per trigger, even when the task call's reply is lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from customers.app import CustomerHub
from customers_testkit import InProcessCustomers
from desk_ticket_fixtures import add_ticket, deliver, reopen_ticket, resolve_ticket
from kernel.consumer import Outcome
from kernel.envelope import Envelope, make_event
from kernel.identity import SYSTEM, Caller
from service_desk.app import ServiceDeskApp
from service_desk.storage.models import CareVisitRow
from service_desk_testkit import SALES1
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

pytestmark = pytest.mark.integration

CREATED = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
RESOLVED = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


def tasks_of(hub: CustomerHub, customer_id: str) -> list[dict[str, Any]]:
    return list(hub.list_tasks(SALES1, {"customer_id": customer_id})["items"])


def visits(desk: ServiceDeskApp) -> list[CareVisitRow]:
    return desk.run(SYSTEM, lambda unit: list(unit.session.scalars(select(CareVisitRow))))  # type: ignore[no-any-return]


def order_placed(customer: dict[str, Any], placed_at: datetime, order_id: str = "order-0001") -> Envelope:
    return make_event(
        type="order.placed",
        source="sales",
        aggregate_type="order",
        aggregate_id=order_id,
        version=1,
        actor_id="u-sales1",
        customer_id=customer["id"],
        data={
            "id": order_id,
            "number": "SO-2026-000001",
            "customer_id": customer["id"],
            "customer_name": customer["name"],
            "owner_id": "u-sales1",
            "status": "placed",
            "placed_at": placed_at.isoformat(),
            "amount_minor": 100_000,
            "currency": "CNY",
            "version": 1,
        },
    )


def test_a_vip_customers_resolved_ticket_gets_one_care_visit(
    desk: ServiceDeskApp, customer: Callable[..., dict], hub: CustomerHub
) -> None:
    vip = customer(SALES1, "A科技有限公司", value_tier="vip")
    ticket = add_ticket(desk, vip, created_at=CREATED)
    event = resolve_ticket(desk, ticket["id"], RESOLVED)
    assert deliver(desk, event) is Outcome.APPLIED
    [task] = tasks_of(hub, vip["id"])
    assert task["title"] == f"回访：{ticket['number']} 打印机无法连接"
    assert task["assignee_id"] == "u-sales1"  # the customer's owner
    assert task["due_at"] == "2026-12-10T06:00:00Z"  # 3 days after resolution
    [visit] = visits(desk)
    assert (visit.trigger, visit.trigger_id, visit.task_id) == ("ticket_resolved", ticket["id"], task["id"])
    assert visit.due_on.isoformat() == "2026-12-10"
    # redelivered, and resolved again after a reopen (a new event): still one visit, one task
    assert deliver(desk, event) is Outcome.DUPLICATE
    reopen_ticket(desk, ticket["id"], RESOLVED + timedelta(hours=1))
    assert deliver(desk, resolve_ticket(desk, ticket["id"], RESOLVED + timedelta(hours=2))) is Outcome.APPLIED
    assert len(tasks_of(hub, vip["id"])) == 1 and len(visits(desk)) == 1


def test_ordinary_customers_get_none(
    desk: ServiceDeskApp, customer: Callable[..., dict], hub: CustomerHub
) -> None:
    plain = customer(SALES1, "B贸易有限公司", value_tier="normal")
    ticket = add_ticket(desk, plain, created_at=CREATED)
    deliver(desk, resolve_ticket(desk, ticket["id"], RESOLVED))
    deliver(desk, order_placed(plain, RESOLVED))
    assert tasks_of(hub, plain["id"]) == [] and visits(desk) == []


def test_an_important_customers_order_gets_one_care_visit(
    desk: ServiceDeskApp, customer: Callable[..., dict], hub: CustomerHub
) -> None:
    key = customer(SALES1, "C制造有限公司", value_tier="important")
    event = order_placed(key, RESOLVED)
    assert deliver(desk, event) is Outcome.APPLIED
    assert deliver(desk, event) is Outcome.DUPLICATE
    deliver(desk, order_placed(key, RESOLVED))  # the same order published again (a new event id)
    [task] = tasks_of(hub, key["id"])
    assert task["title"] == "回访：订单 SO-2026-000001 C制造有限公司"
    assert task["due_at"] == "2027-01-06T06:00:00Z"  # 30 days after the order
    [visit] = visits(desk)
    assert (visit.trigger, visit.trigger_id, visit.task_id) == ("order_placed", "order-0001", task["id"])


class LostReply(InProcessCustomers):
    """The task is made, but the reply never arrives (an RPC timeout): the first time only."""

    def __init__(self, hub: CustomerHub) -> None:
        super().__init__(hub)
        self.failures = 1

    def call(self, caller: Caller, method: str, **kwargs: Any) -> Any:
        result = super().call(caller, method, **kwargs)
        if method == "create_task" and self.failures:
            self.failures -= 1
            raise TimeoutError("no reply from customers.create_task")
        return result


def test_a_lost_reply_is_retried_without_a_second_task(
    desk: ServiceDeskApp,
    desk_sessions: sessionmaker[Session],
    customer: Callable[..., dict],
    hub: CustomerHub,
) -> None:
    vip = customer(SALES1, "A科技有限公司", value_tier="vip")
    ticket = add_ticket(desk, vip, created_at=CREATED)
    event = resolve_ticket(desk, ticket["id"], RESOLVED)
    flaky = ServiceDeskApp(desk_sessions, LostReply(hub))
    assert deliver(flaky, event) is Outcome.APPLIED  # attempt 1 rolled back, attempt 2 adopted the task
    [task] = tasks_of(hub, vip["id"])
    [visit] = visits(desk)
    assert visit.task_id == task["id"]
