"""Contracts and orders on the real sales database.

The quote use cases belong to another area: the quotes and their versions are inserted here as
rows (``_deal``), as that area leaves them (final / approved / needing approval).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from kernel.clock import utcnow
from kernel.envelope import make_event
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import SYSTEM, Caller
from kernel.ids import new_id
from sales.contracts import EVENT_SCHEMAS
from sales.handlers import contracts, orders, replicas
from sales.storage.models import (
    ContractRow,
    OpportunityRow,
    OrderRow,
    QuoteRow,
    QuoteVersionRow,
    StageChangeRow,
    audit_log,
    outbox,
)
from sales_testkit import ADMIN, FINANCE, MANAGER, SALES1, SALES2
from sqlalchemy import func, select

pytestmark = pytest.mark.integration

SALES1B = Caller("u-sales1b", ("sales",), "team-east")
AMOUNT = 100_000


@dataclass
class Deal:
    customer_id: str
    opportunity_id: str
    quote_id: str


def _deal(
    sales: Any,
    customer: Any,
    versions: tuple[dict[str, Any], ...] = ({"status": "approved"},),
    *,
    final: int | None = 1,
    owner: Caller = SALES1,
) -> Deal:
    """A customer, an opportunity in negotiation and a quote with ``versions`` (each: status,
    needs_approval, total_minor); ``final``: the version marked final."""
    acme = customer(owner, "A科技有限公司")

    def build(unit: Any) -> Deal:
        ref = replicas.customer_ref(unit, acme["id"])
        now = utcnow()
        opportunity = OpportunityRow(
            id=new_id(),
            customer_id=ref.id,
            customer_owner_id=ref.owner_id,
            title="A科技 CRM 采购",
            owner_id=owner.user_id,
            team_id=owner.team_id,
            amount_minor=AMOUNT,
            currency="CNY",
            expected_close_date=date(2027, 1, 31),
            stage="negotiation",
            stage_changed_at=now,
            created_by=owner.user_id,
            created_at=now,
            updated_at=now,
            version=1,
        )
        quote = QuoteRow(
            id=new_id(),
            number=f"Q-T-{new_id()[-8:]}",
            opportunity_id=opportunity.id,
            customer_id=ref.id,
            customer_owner_id=ref.owner_id,
            owner_id=owner.user_id,
            team_id=owner.team_id,
            final_version=final,
            latest_version=len(versions),
            created_by=owner.user_id,
            created_at=now,
            updated_at=now,
            version=1,
        )
        unit.session.add(opportunity)
        unit.session.flush()
        unit.session.add(quote)
        unit.session.flush()
        for n, spec in enumerate(versions, start=1):
            needs = bool(spec.get("needs_approval"))
            total = spec.get("total_minor", AMOUNT)
            unit.session.add(
                QuoteVersionRow(
                    id=new_id(),
                    quote_id=quote.id,
                    n=n,
                    status=spec["status"],
                    currency="CNY",
                    valid_until=date(2027, 3, 31),
                    subtotal_minor=total,
                    discount_minor=0,
                    total_minor=total,
                    max_discount_pct=Decimal("25.00") if needs else Decimal("5.00"),
                    needs_approval=needs,
                    is_final=n == final,
                    created_by=owner.user_id,
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
            )
        return Deal(ref.id, opportunity.id, quote.id)

    deal: Deal = sales.run(owner, build)
    return deal


def _events(sales: Any, event_type: str) -> list[dict[str, Any]]:
    """The outbox's events of ``event_type``, each checked against its published schema."""

    def read(unit: Any) -> list[dict[str, Any]]:
        rows = unit.session.execute(
            select(outbox.c.body).where(outbox.c.routing_key == event_type).order_by(outbox.c.seq)
        )
        return [json.loads(body) for (body,) in rows]

    result: list[dict[str, Any]] = sales.run(SYSTEM, read)
    for event in result:
        EVENT_SCHEMAS[event_type].model_validate(event["data"])
    return result


def _audit(sales: Any, entity_id: str) -> list[str]:
    def read(unit: Any) -> list[str]:
        stmt = select(audit_log.c.action).where(audit_log.c.entity_id == entity_id).order_by(audit_log.c.at)
        return list(unit.session.scalars(stmt))

    result: list[str] = sales.run(SYSTEM, read)
    return result


def _plan(contract_id: str, *amounts: int, period: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contract_id": contract_id,
        "instalments": [{"due_date": f"2027-0{i + 1}-15", "amount_minor": a} for i, a in enumerate(amounts)],
    }
    if period:
        data.update(service_start="2027-01-01", service_end="2027-12-31")
    return data


def _signed(sales: Any, customer: Any) -> tuple[Deal, dict[str, Any]]:
    deal = _deal(sales, customer)
    contract = sales.run(SALES1, contracts.create_contract, deal.quote_id, 1)
    return deal, sales.run(SALES1, contracts.sign_contract, contract["id"])


# -- contracts -------------------------------------------------------------------------------------
def test_a_contract_comes_only_from_the_final_approved_or_sent_version(sales, customer):
    deal = _deal(
        sales,
        customer,
        ({"status": "approved"}, {"status": "pending_approval", "total_minor": 90_000}, {"status": "sent"}),
        final=2,
    )
    with pytest.raises(Conflict) as not_final:
        sales.run(SALES1, contracts.create_contract, deal.quote_id, 1)
    assert not_final.value.errors[0]["field"] == "version"
    with pytest.raises(Conflict) as not_approved:
        sales.run(SALES1, contracts.create_contract, deal.quote_id, 2)
    assert not_approved.value.errors[0]["field"] == "version"
    with pytest.raises(NotFound):
        sales.run(SALES1, contracts.create_contract, deal.quote_id, 9)
    for bad in (0, True, "2", 10**12):
        with pytest.raises(ValidationError) as caught_bad:
            sales.run(SALES1, contracts.create_contract, deal.quote_id, bad)
        assert caught_bad.value.errors[0]["field"] == "version"

    def approve_v2(unit: Any) -> None:
        row = unit.session.scalars(
            select(QuoteVersionRow).where(QuoteVersionRow.quote_id == deal.quote_id, QuoteVersionRow.n == 2)
        ).one()
        row.status = "approved"

    sales.run(SALES1, approve_v2)
    contract = sales.run(SALES1, contracts.create_contract, deal.quote_id, 2)
    assert contract["status"] == "pending_review" and contract["status_label"] == "待审核"
    assert contract["quote_version"] == 2 and contract["amount_minor"] == 90_000
    assert contract["currency"] == "CNY" and contract["title"] == "A科技 CRM 采购"
    assert contract["customer_name"] == "A科技有限公司" and contract["customer_id"] == deal.customer_id
    assert contract["opportunity_id"] == deal.opportunity_id
    assert contract["owner_id"] == "u-sales1" and contract["team_id"] == "team-east"
    assert contract["customer_owner_id"] == "u-sales1"
    assert contract["number"].startswith("C-") and contract["special_price"] is False
    assert [e["data"]["id"] for e in _events(sales, "contract.created")] == [contract["id"]]
    assert _audit(sales, contract["id"]) == ["created"]


def test_one_open_contract_per_quote_version(sales, customer):
    deal = _deal(sales, customer)
    first = sales.run(SALES1, contracts.create_contract, deal.quote_id, 1)
    with pytest.raises(Conflict) as caught:
        sales.run(SALES1, contracts.create_contract, deal.quote_id, 1)
    assert caught.value.errors[0]["field"] == "version"
    assert caught.value.errors[0]["existing_id"] == first["id"]
    sales.run(SALES1, contracts.cancel_contract, first["id"], "客户改主意")
    second = sales.run(SALES1, contracts.create_contract, deal.quote_id, 1)  # cancelled frees the version
    assert second["id"] != first["id"] and second["number"] != first["number"]


def test_only_who_may_sell_on_the_quote_draws_a_contract(sales, customer):
    deal = _deal(sales, customer)
    with pytest.raises(NotFound):
        sales.run(SALES2, contracts.create_contract, deal.quote_id, 1)
    with pytest.raises(PermissionDenied):
        sales.run(FINANCE, contracts.create_contract, deal.quote_id, 1)
    with pytest.raises(ValidationError) as caught:
        sales.run(SALES1, contracts.create_contract, deal.quote_id, 1, {"special_price": "yes"})
    assert caught.value.errors[0]["field"] == "special_price"
    assert sales.run(MANAGER, contracts.create_contract, deal.quote_id, 1)["owner_id"] == "u-sales1"


def test_a_special_price_needs_a_team_leads_approval_before_signing_and_never_the_owners(sales, customer):
    deal = _deal(sales, customer, ({"status": "approved", "needs_approval": True},))
    contract = sales.run(SALES1, contracts.create_contract, deal.quote_id, 1)
    assert contract["special_price"] is True and contract["approval_status"] == "pending"
    with pytest.raises(Conflict) as unapproved:
        sales.run(SALES1, contracts.sign_contract, contract["id"])
    assert unapproved.value.errors[0]["field"] == "approval"
    with pytest.raises(PermissionDenied):
        sales.run(SALES1, contracts.approve_contract, contract["id"])  # the owner
    with pytest.raises(NotFound):
        sales.run(SALES1B, contracts.approve_contract, contract["id"])  # a teammate sees only their own
    with pytest.raises(NotFound):
        sales.run(SALES2, contracts.approve_contract, contract["id"])  # another team: not even visible
    with pytest.raises(Conflict):  # a stale If-Match
        sales.run(MANAGER, contracts.approve_contract, contract["id"], "ok", contract["version"] + 1)
    approved = sales.run(MANAGER, contracts.approve_contract, contract["id"], "同意特价", contract["version"])
    assert approved["approval_status"] == "approved" and approved["approved_by"] == "u-manager"
    assert approved["status"] == "pending_review" and approved["version"] == contract["version"] + 1
    with pytest.raises(Conflict):
        sales.run(MANAGER, contracts.approve_contract, contract["id"])  # once
    signed = sales.run(SALES1, contracts.sign_contract, contract["id"])
    assert signed["status"] == "signed" and signed["status_label"] == "已签署" and signed["signed_at"]
    assert [e["data"]["status"] for e in _events(sales, "contract.signed")] == ["signed"]
    assert _audit(sales, contract["id"]) == ["created", "approved", "signed"]
    archived = sales.run(SALES1, contracts.archive_contract, contract["id"])
    assert archived["status"] == "archived" and archived["archived_at"]


def test_a_seller_may_ask_for_a_special_price_and_an_admin_may_approve_it(sales, customer):
    deal = _deal(sales, customer)
    contract = sales.run(SALES1, contracts.create_contract, deal.quote_id, 1, {"special_price": True})
    assert contract["special_price"] is True
    assert sales.run(ADMIN, contracts.approve_contract, contract["id"])["approval_status"] == "approved"


def test_a_rejection_needs_a_comment_and_ends_the_contract(sales, customer):
    deal = _deal(sales, customer, ({"status": "sent", "needs_approval": True},))
    contract = sales.run(SALES1, contracts.create_contract, deal.quote_id, 1)
    with pytest.raises(ValidationError) as caught:
        sales.run(MANAGER, contracts.reject_contract, contract["id"], " ")
    assert caught.value.errors[0]["field"] == "comment"
    rejected = sales.run(MANAGER, contracts.reject_contract, contract["id"], "折扣过大")
    assert rejected["status"] == "rejected" and rejected["decision_comment"] == "折扣过大"
    assert rejected["approval_status"] == "rejected"
    with pytest.raises(Conflict) as caught_sign:
        sales.run(SALES1, contracts.sign_contract, contract["id"])
    assert caught_sign.value.errors[0]["field"] == "status"
    assert _audit(sales, contract["id"]) == ["created", "rejected"]


# -- orders ----------------------------------------------------------------------------------------
def test_an_order_from_a_signed_contract_wins_the_opportunity_and_tells_finance(sales, customer):
    deal, contract = _signed(sales, customer)
    order = sales.run(SALES1, orders.place_order, _plan(contract["id"], 30_000, 70_000))
    assert order["status"] == "placed" and order["number"].startswith("SO-")
    assert order["amount_minor"] == AMOUNT and order["currency"] == "CNY"
    assert order["contract_id"] == contract["id"] and order["opportunity_id"] == deal.opportunity_id
    assert order["customer_name"] == "A科技有限公司" and order["owner_id"] == "u-sales1"
    assert order["service_start"] == "2027-01-01" and order["service_end"] == "2027-12-31"
    assert order["instalments"] == [
        {"seq": 1, "due_date": "2027-01-15", "amount_minor": 30_000},
        {"seq": 2, "due_date": "2027-02-15", "amount_minor": 70_000},
    ]
    assert sales.run(FINANCE, orders.get_order, order["id"]) == order

    placed = _events(sales, "order.placed")
    assert len(placed) == 1
    event = placed[0]
    assert event["aggregate"] == {"type": "order", "id": order["id"], "version": 1}
    assert event["customer_id"] == deal.customer_id
    for key in (
        "instalments",
        "service_start",
        "service_end",
        "customer_id",
        "customer_name",
        "owner_id",
        "team_id",
        "currency",
        "amount_minor",
        "opportunity_id",
    ):
        assert event["data"][key] == order[key], key

    def opportunity(unit: Any) -> tuple[str, list[tuple[str | None, str]]]:
        row = unit.session.get(OpportunityRow, deal.opportunity_id)
        history = unit.session.execute(
            select(StageChangeRow.from_stage, StageChangeRow.to_stage).where(
                StageChangeRow.opportunity_id == deal.opportunity_id
            )
        )
        return row.stage, [tuple(h) for h in history]

    stage, history = sales.run(SYSTEM, opportunity)
    assert stage == "won" and history == [("negotiation", "won")]
    assert [e["data"]["stage"] for e in _events(sales, "opportunity.stage_changed")] == ["won"]
    again = sales.run(SALES1, contracts.get_contract, contract["id"])
    assert again["order_id"] == order["id"] and again["version"] == contract["version"] + 1
    assert _audit(sales, order["id"]) == ["placed"]


def test_an_order_needs_a_signed_contract(sales, customer):
    deal = _deal(sales, customer)
    contract = sales.run(SALES1, contracts.create_contract, deal.quote_id, 1)
    with pytest.raises(Conflict) as caught:
        sales.run(SALES1, orders.place_order, _plan(contract["id"], AMOUNT))
    assert caught.value.errors[0]["field"] == "contract_id"
    with pytest.raises(NotFound):
        sales.run(SALES1, orders.place_order, _plan("no-such-contract", AMOUNT))


def test_instalments_that_miss_the_amount_are_named_and_nothing_is_written(sales, customer):
    deal, contract = _signed(sales, customer)
    with pytest.raises(ValidationError) as caught:
        sales.run(SALES1, orders.place_order, _plan(contract["id"], 30_000, 60_000))
    assert caught.value.errors == [{"field": "instalments", "message": caught.value.errors[0]["message"]}]
    assert "difference 10000" in caught.value.errors[0]["message"]

    def counts(unit: Any) -> tuple[int, str]:
        n = unit.session.scalar(select(func.count()).select_from(OrderRow))
        return n, unit.session.get(OpportunityRow, deal.opportunity_id).stage

    assert sales.run(SYSTEM, counts) == (0, "negotiation")
    assert _events(sales, "order.placed") == []


def test_a_second_order_for_the_contract_is_a_conflict(sales, customer):
    _, contract = _signed(sales, customer)
    first = sales.run(SALES1, orders.place_order, _plan(contract["id"], AMOUNT, period=False))
    assert first["service_start"] is None and first["service_end"] is None
    with pytest.raises(Conflict) as caught:
        sales.run(MANAGER, orders.place_order, _plan(contract["id"], AMOUNT))
    assert caught.value.errors[0]["field"] == "contract_id"
    assert caught.value.errors[0]["existing_id"] == first["id"]


def test_a_contract_with_an_order_is_not_cancelled_until_the_order_is(sales, customer):
    _, contract = _signed(sales, customer)
    order = sales.run(SALES1, orders.place_order, _plan(contract["id"], AMOUNT))
    with pytest.raises(Conflict) as caught:
        sales.run(SALES1, contracts.cancel_contract, contract["id"])
    assert caught.value.errors[0]["field"] == "order_id"
    with pytest.raises(PermissionDenied):
        sales.run(FINANCE, orders.cancel_order, order["id"])
    cancelled = sales.run(SALES1, orders.cancel_order, order["id"], "客户取消", order["version"])
    assert cancelled["status"] == "cancelled" and cancelled["cancel_reason"] == "客户取消"
    assert cancelled["instalments"] == order["instalments"]
    assert [e["data"]["status"] for e in _events(sales, "order.cancelled")] == ["cancelled"]
    assert _audit(sales, order["id"]) == ["placed", "cancelled"]
    with pytest.raises(Conflict):
        sales.run(SALES1, orders.cancel_order, order["id"])
    assert sales.run(SALES1, contracts.cancel_contract, contract["id"])["status"] == "cancelled"


# -- reads and permissions -------------------------------------------------------------------------
def test_finance_reads_contracts_and_orders_and_another_team_does_not(sales, customer):
    deal, contract = _signed(sales, customer)
    order = sales.run(SALES1, orders.place_order, _plan(contract["id"], AMOUNT))
    assert sales.run(FINANCE, contracts.get_contract, contract["id"])["id"] == contract["id"]
    assert [c["id"] for c in sales.run(FINANCE, contracts.list_contracts)["items"]] == [contract["id"]]
    assert [o["id"] for o in sales.run(FINANCE, orders.list_orders)["items"]] == [order["id"]]
    assert [o["id"] for o in sales.run(MANAGER, orders.list_orders)["items"]] == [order["id"]]
    with pytest.raises(NotFound):
        sales.run(SALES2, contracts.get_contract, contract["id"])
    with pytest.raises(NotFound):
        sales.run(SALES2, orders.get_order, order["id"])
    assert sales.run(SALES2, contracts.list_contracts)["items"] == []
    assert sales.run(SALES2, orders.list_orders)["items"] == []
    with pytest.raises(PermissionDenied):
        sales.run(FINANCE, contracts.archive_contract, contract["id"])
    with pytest.raises(NotFound):
        sales.run(SALES1B, contracts.archive_contract, contract["id"])  # a teammate's is not visible
    del deal


def test_lists_filter_and_page(sales, customer):
    first = _deal(sales, customer)
    second = _deal(sales, customer, ({"status": "sent"},))
    a = sales.run(SALES1, contracts.create_contract, first.quote_id, 1)
    b = sales.run(SALES1, contracts.create_contract, second.quote_id, 1)
    sales.run(SALES1, contracts.sign_contract, b["id"])
    page = sales.run(SALES1, contracts.list_contracts, None, None, 1)
    assert [c["id"] for c in page["items"]] == [b["id"]] and page["next_cursor"]
    rest = sales.run(SALES1, contracts.list_contracts, None, page["next_cursor"], 1)
    assert [c["id"] for c in rest["items"]] == [a["id"]] and rest["next_cursor"] is None
    signed = sales.run(SALES1, contracts.list_contracts, {"status": "signed"})
    assert [c["id"] for c in signed["items"]] == [b["id"]]
    by_quote = sales.run(SALES1, contracts.list_contracts, {"quote_id": first.quote_id})
    assert [c["id"] for c in by_quote["items"]] == [a["id"]]
    by_customer = sales.run(SALES1, contracts.list_contracts, {"customer_id": second.customer_id})
    assert [c["id"] for c in by_customer["items"]] == [b["id"]]
    with pytest.raises(ValidationError) as caught:
        sales.run(SALES1, contracts.list_contracts, {"status": "done", "colour": "red"})
    assert {e["field"] for e in caught.value.errors} == {"filters.status", "filters.colour"}
    with pytest.raises(ValidationError) as bad_cursor:
        sales.run(SALES1, contracts.list_contracts, None, "forged.cursor")
    assert bad_cursor.value.errors[0]["field"] == "cursor"
    order = sales.run(SALES1, orders.place_order, _plan(b["id"], AMOUNT))
    assert [o["id"] for o in sales.run(SALES1, orders.list_orders, {"status": "placed"})["items"]] == [
        order["id"]
    ]
    assert sales.run(SALES1, orders.list_orders, {"customer_id": first.customer_id})["items"] == []


def test_a_renamed_customer_is_republished_on_its_contracts_and_orders(sales, customer):
    deal, contract = _signed(sales, customer)
    order = sales.run(SALES1, orders.place_order, _plan(contract["id"], AMOUNT))
    acme = sales.run(SALES1, lambda unit: replicas.customer_ref(unit, deal.customer_id))
    renamed = {
        "id": deal.customer_id,
        "name": "A科技集团",
        "owner_id": acme.owner_id,
        "team_id": acme.team_id,
        "version": acme.version + 1,
    }
    event = make_event(
        type="customer.updated",
        source="customers",
        aggregate_type="customer",
        aggregate_id=deal.customer_id,
        version=renamed["version"],
        actor_id="u-sales1",
        data=renamed,
    )
    sales.run(SYSTEM, replicas.customer_changed, event)
    assert [e["data"]["customer_name"] for e in _events(sales, "order.updated")] == ["A科技集团"]
    updated = [
        e["data"] for e in _events(sales, "contract.updated") if e["data"]["customer_name"] == "A科技集团"
    ]
    assert [c["id"] for c in updated] == [contract["id"]]
    assert sales.run(SALES1, orders.get_order, order["id"])["customer_name"] == "A科技集团"


def test_the_database_refuses_a_second_open_contract_for_a_version(sales, customer):
    """The unique index backs the check, should two creates race past it."""
    deal = _deal(sales, customer)
    contract = sales.run(SALES1, contracts.create_contract, deal.quote_id, 1)

    def duplicate(unit: Any) -> None:
        row = unit.session.get(ContractRow, contract["id"])
        now = utcnow()
        unit.session.add(
            ContractRow(
                id=new_id(),
                number="C-DUP",
                quote_id=row.quote_id,
                quote_version=1,
                opportunity_id=row.opportunity_id,
                customer_id=row.customer_id,
                owner_id=row.owner_id,
                title=row.title,
                amount_minor=1,
                currency="CNY",
                special_price=False,
                status="signed",
                created_by="x",
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
        unit.session.flush()

    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        sales.run(SYSTEM, duplicate)
