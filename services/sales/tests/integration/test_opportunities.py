"""Opportunity use cases on the real sales database (customers in process): who may create and
see what, the stage rules and history, edits, lists, the managed lists, re-publishing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from kernel.envelope import Envelope, make_event
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import SYSTEM
from sales.handlers import opportunities as ops
from sales.handlers import replicas
from sales.storage.models import audit_log, outbox
from sales_testkit import ADMIN, FINANCE, MANAGER, SALES1, SALES2
from sqlalchemy import delete, select

pytestmark = pytest.mark.integration

SALES1B = type(SALES1)("u-sales1b", ("sales",), "team-east")


def _fields(exc: pytest.ExceptionInfo[Exception]) -> set[str]:
    return {e["field"] for e in getattr(exc.value, "errors", [])}


def _new(sales, caller, customer_id: str, **fields: Any) -> dict[str, Any]:
    data = {"customer_id": customer_id, "title": "CRM 二期", "amount_minor": 12_000_000, **fields}
    result: dict[str, Any] = sales.run(caller, ops.create_opportunity, data)
    return result


def _events(sales, aggregate_id: str) -> list[Envelope]:
    def read(unit):
        rows = unit.session.execute(select(outbox.c.body).order_by(outbox.c.seq)).scalars()
        return [e for e in (Envelope.from_json(b) for b in rows) if e.aggregate.id == aggregate_id]

    return sales.run(SYSTEM, read)


def _audit(sales, entity_id: str) -> list[dict[str, Any]]:
    def read(unit):
        rows = unit.session.execute(
            select(audit_log).where(audit_log.c.entity_id == entity_id).order_by(audit_log.c.at)
        )
        return [dict(r._mapping) for r in rows]

    return sales.run(SYSTEM, read)


# -- create -----------------------------------------------------------------------------------------
def test_create_starts_at_qualification_with_the_first_history_row(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    opp = _new(sales, SALES1, acme["id"], expected_close_date="2026-12-31")
    assert opp["stage"] == "qualification" and opp["stage_label"] == "需求确认"
    assert opp["version"] == 1 and opp["owner_id"] == "u-sales1" and opp["team_id"] == "team-east"
    assert opp["customer_name"] == "A科技有限公司" and opp["customer_owner_id"] == "u-sales1"
    assert opp["currency"] == "CNY" and opp["expected_close_date"] == "2026-12-31"
    assert [(h["from_stage"], h["to_stage"], h["actor_id"]) for h in opp["stage_history"]] == [
        (None, "qualification", "u-sales1")
    ]
    [event] = _events(sales, opp["id"])
    assert event.type == "opportunity.created" and event.data["title"] == "CRM 二期"
    assert [a["action"] for a in _audit(sales, opp["id"])] == ["created"]


def test_create_on_a_customer_you_may_not_sell_on_is_refused(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    with pytest.raises((NotFound, PermissionDenied)):  # sales2 may not even read it
        _new(sales, SALES2, acme["id"])
    _new(sales, SALES1, acme["id"])  # now the replica holds it: the write check answers
    with pytest.raises(PermissionDenied):
        _new(sales, SALES2, acme["id"])
    with pytest.raises(PermissionDenied):
        _new(sales, FINANCE, acme["id"])
    with pytest.raises(PermissionDenied):
        _new(sales, SALES1B, acme["id"])  # same team, not the owner


def test_a_manager_may_give_it_to_a_team_member_but_sales_may_not(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    opp = _new(sales, MANAGER, acme["id"], owner_id="u-sales1b")
    assert opp["owner_id"] == "u-sales1b" and opp["team_id"] == "team-east"
    with pytest.raises(PermissionDenied):
        _new(sales, SALES1, acme["id"], owner_id="u-sales1b")
    with pytest.raises(PermissionDenied):
        _new(sales, MANAGER, acme["id"], owner_id="u-sales2")  # another team
    with pytest.raises(ValidationError) as exc:
        _new(sales, ADMIN, acme["id"], owner_id="u-nobody")
    assert _fields(exc) == {"owner_id"}


def test_bad_input_names_the_fields_and_writes_nothing(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    with pytest.raises(ValidationError) as exc:
        _new(sales, SALES1, acme["id"], title="", amount_minor=-5, currency="元", expected_close_date="soon")
    assert _fields(exc) == {"title", "amount_minor", "currency", "expected_close_date"}
    assert sales.run(ADMIN, ops.list_opportunities)["items"] == []


# -- stages -------------------------------------------------------------------------------------------
def test_advancing_needs_close_date_and_amount_then_history_records_each_move(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    opp = _new(sales, SALES1, acme["id"], amount_minor=0)
    with pytest.raises(ValidationError) as exc:
        sales.run(SALES1, ops.change_stage, opp["id"], "demo")
    assert _fields(exc) == {"expected_close_date", "amount_minor"}
    opp = sales.run(
        SALES1,
        ops.update_opportunity,
        opp["id"],
        {"amount_minor": 500_000, "expected_close_date": "2026-11-30"},
        1,
    )
    assert opp["version"] == 2
    opp = sales.run(SALES1, ops.change_stage, opp["id"], "产品演示", None, None, 2)  # the label works too
    assert opp["stage"] == "demo" and opp["version"] == 3
    opp = sales.run(SALES1, ops.change_stage, opp["id"], "negotiation")
    opp = sales.run(SALES1, ops.change_stage, opp["id"], "proposal")  # back a step
    assert [(h["from_stage"], h["to_stage"]) for h in opp["stage_history"]] == [
        (None, "qualification"),
        ("qualification", "demo"),
        ("demo", "negotiation"),
        ("negotiation", "proposal"),
    ]
    types = [e.type for e in _events(sales, opp["id"])]
    assert types == ["opportunity.created", "opportunity.updated"] + ["opportunity.stage_changed"] * 3


def test_a_stale_version_is_a_conflict(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    opp = _new(sales, SALES1, acme["id"], expected_close_date="2026-12-31")
    sales.run(SALES1, ops.update_opportunity, opp["id"], {"title": "新标题"}, 1)
    with pytest.raises(Conflict):
        sales.run(SALES1, ops.change_stage, opp["id"], "demo", None, None, 1)
    with pytest.raises(Conflict):
        sales.run(SALES1, ops.update_opportunity, opp["id"], {"title": "again"}, 1)


def test_lost_needs_a_reason_from_the_list_and_stays_closed_for_sales(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    opp = _new(sales, SALES1, acme["id"], expected_close_date="2026-12-31")
    with pytest.raises(ValidationError) as exc:
        sales.run(SALES1, ops.change_stage, opp["id"], "lost")
    assert _fields(exc) == {"lost_reason"}
    with pytest.raises(ValidationError):
        sales.run(SALES1, ops.change_stage, opp["id"], "lost", "weather")
    lost = sales.run(SALES1, ops.change_stage, opp["id"], "输单", "competitor", "选了别家")
    assert lost["stage"] == "lost" and lost["lost_reason"] == "competitor" and lost["lost_note"] == "选了别家"
    assert lost["closed_at"] is not None
    with pytest.raises(Conflict):
        sales.run(SALES1, ops.change_stage, opp["id"], "demo")
    reopened = sales.run(MANAGER, ops.change_stage, opp["id"], "demo")
    assert reopened["stage"] == "demo" and reopened["lost_reason"] is None and reopened["closed_at"] is None


def test_the_stage_is_not_an_editable_field_and_others_may_not_edit(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    opp = _new(sales, SALES1, acme["id"])
    with pytest.raises(ValidationError) as exc:
        sales.run(SALES1, ops.update_opportunity, opp["id"], {"stage": "won"})
    assert _fields(exc) == {"stage"}
    with pytest.raises(NotFound):
        sales.run(SALES2, ops.update_opportunity, opp["id"], {"title": "x"})
    with pytest.raises(NotFound):
        sales.run(SALES2, ops.get_opportunity, opp["id"])


def test_an_edit_without_changes_writes_nothing(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    opp = _new(sales, SALES1, acme["id"])
    same = sales.run(SALES1, ops.update_opportunity, opp["id"], {"title": "CRM 二期"})
    assert same["version"] == 1 and len(_events(sales, opp["id"])) == 1


# -- lists --------------------------------------------------------------------------------------------
def test_lists_show_own_shared_and_team_records_only(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    south = customer(SALES2, "南方贸易")
    b_own = customer(SALES1B, "B软件")
    mine = _new(sales, SALES1, acme["id"])
    shared = _new(sales, MANAGER, acme["id"], owner_id="u-sales1b")  # on sales1's customer
    other = _new(sales, SALES1B, b_own["id"])
    theirs = _new(sales, SALES2, south["id"])

    def ids(caller, **filters):
        return {o["id"] for o in sales.run(caller, ops.list_opportunities, filters)["items"]}

    assert ids(SALES1) == {mine["id"], shared["id"]}
    assert ids(SALES1B) == {shared["id"], other["id"]}
    assert ids(MANAGER) == {mine["id"], shared["id"], other["id"]}
    assert ids(SALES2) == {theirs["id"]}
    assert ids(ADMIN) == {mine["id"], shared["id"], other["id"], theirs["id"]}
    assert ids(FINANCE) == set()
    assert ids(SALES1, owner_id="u-sales1") == {mine["id"]}
    assert ids(SALES1B, owner_id="me") == {shared["id"], other["id"]}
    assert ids(MANAGER, customer_id=acme["id"]) == {mine["id"], shared["id"]}
    assert ids(ADMIN, team_id="team-south") == {theirs["id"]}
    assert sales.run(SALES1, ops.get_opportunity, shared["id"])["id"] == shared["id"]  # get agrees


def test_list_filters_by_stage_and_status_and_pages_with_a_cursor(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    made = [
        _new(sales, SALES1, acme["id"], title=f"商机 {i}", expected_close_date="2026-12-31") for i in range(5)
    ]
    sales.run(SALES1, ops.change_stage, made[0]["id"], "demo")
    sales.run(SALES1, ops.change_stage, made[1]["id"], "lost", "price")

    def ids(**filters):
        return [o["id"] for o in sales.run(SALES1, ops.list_opportunities, filters)["items"]]

    assert ids(stage="demo") == [made[0]["id"]]
    assert ids(stage="需求确认") == [o["id"] for o in reversed(made[2:])]
    assert set(ids(status="closed")) == {made[1]["id"]}
    assert len(ids(status="open")) == 4
    first = sales.run(SALES1, ops.list_opportunities, None, None, 2)
    second = sales.run(SALES1, ops.list_opportunities, None, first["next_cursor"], 2)
    third = sales.run(SALES1, ops.list_opportunities, None, second["next_cursor"], 2)
    seen = [o["id"] for page in (first, second, third) for o in page["items"]]
    assert seen == [o["id"] for o in reversed(made)] and third["next_cursor"] is None
    with pytest.raises(ValidationError) as exc:
        sales.run(SALES1, ops.list_opportunities, {"stage": "signed", "status": "maybe", "colour": 1})
    assert _fields(exc) == {"filters.stage", "filters.status", "filters.colour"}
    with pytest.raises(ValidationError) as exc:
        sales.run(SALES1, ops.list_opportunities, None, "forged.cursor")
    assert _fields(exc) == {"cursor"}


# -- delete --------------------------------------------------------------------------------------------
def test_delete_leaves_a_tombstone_but_a_won_one_stays(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    opp = _new(sales, SALES1, acme["id"], expected_close_date="2026-12-31")
    sales.run(SALES1, ops.delete_opportunity, opp["id"], 1)
    with pytest.raises(NotFound):
        sales.run(SALES1, ops.get_opportunity, opp["id"])
    last = _events(sales, opp["id"])[-1]
    assert last.type == "opportunity.deleted" and last.data["deleted"] is True and last.aggregate.version == 2
    won = _new(sales, SALES1, acme["id"], expected_close_date="2026-12-31")
    sales.run(SALES1, ops.change_stage, won["id"], "won")
    with pytest.raises(Conflict):
        sales.run(SALES1, ops.delete_opportunity, won["id"])


# -- managed lists --------------------------------------------------------------------------------------
def test_lost_reasons_are_managed_by_admins(sales, customer):
    codes = [r["code"] for r in sales.run(SALES1, ops.list_lost_reasons)["items"]]
    assert "price" in codes and "competitor" in codes
    with pytest.raises(PermissionDenied):
        sales.run(SALES1, ops.add_lost_reason, {"code": "merger", "label": "被收购 Merged"})
    try:
        added = sales.run(
            ADMIN, ops.add_lost_reason, {"code": "merger", "label": "被收购 Merged", "position": 50}
        )
        assert added == {"code": "merger", "label": "被收购 Merged", "active": True, "position": 50}
        with pytest.raises(Conflict):
            sales.run(ADMIN, ops.add_lost_reason, {"code": "merger", "label": "again"})
        acme = customer(SALES1, "A科技有限公司")
        opp = _new(sales, SALES1, acme["id"])
        sales.run(ADMIN, ops.update_lost_reason, "merger", {"active": False})
        assert "merger" not in [r["code"] for r in sales.run(SALES1, ops.list_lost_reasons)["items"]]
        assert "merger" in [r["code"] for r in sales.run(SALES1, ops.list_lost_reasons, True)["items"]]
        with pytest.raises(ValidationError):  # a retired reason is no longer offered
            sales.run(SALES1, ops.change_stage, opp["id"], "lost", "merger")
    finally:  # the list is kept between tests
        sales.run(
            SYSTEM,
            lambda unit: unit.session.execute(
                delete(ops.LostReasonRow).where(ops.LostReasonRow.code == "merger")
            ),
        )


def test_stage_probabilities_are_set_by_admins(sales):
    before = {s["stage"]: s["probability_pct"] for s in sales.run(SALES1, ops.get_stage_settings)}
    assert before["won"] == 100 and before["lost"] == 0 and next(iter(before)) == "qualification"
    with pytest.raises(PermissionDenied):
        sales.run(MANAGER, ops.set_stage_probabilities, {"demo": 30})
    try:
        after = sales.run(ADMIN, ops.set_stage_probabilities, {"demo": 30})
        assert {s["stage"]: s["probability_pct"] for s in after}["demo"] == 30
        with pytest.raises(ValidationError) as exc:
            sales.run(ADMIN, ops.set_stage_probabilities, {"won": 90, "demo": 150})
        assert _fields(exc) == {"probabilities.won", "probabilities.demo"}
    finally:
        sales.run(ADMIN, ops.set_stage_probabilities, {"demo": before["demo"]})


# -- re-publishing after a customer change --------------------------------------------------------------
def test_a_renamed_and_transferred_customer_re_publishes_its_opportunities(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    opp = _new(sales, SALES1, acme["id"])
    changed = {**acme, "name": "A科技集团", "owner_id": "u-sales1b", "version": acme["version"] + 1}
    event = make_event(
        type="customer.transferred",
        source="customers",
        aggregate_type="customer",
        aggregate_id=acme["id"],
        version=changed["version"],
        actor_id="u-manager",
        data=changed,
    )
    sales.run(SYSTEM, replicas.customer_changed, event)
    now = sales.run(ADMIN, ops.get_opportunity, opp["id"])
    assert now["customer_name"] == "A科技集团" and now["customer_owner_id"] == "u-sales1b"
    assert now["version"] == 2
    last = _events(sales, opp["id"])[-1]
    assert last.type == "opportunity.updated" and last.aggregate.version == 2
    assert last.data["customer_name"] == "A科技集团"
    assert [a["action"] for a in _audit(sales, opp["id"])] == ["created"]  # no line for a re-publish
    # the shared grant follows the customer: sales1b sees it now, sales1 still owns it
    assert opp["id"] in {o["id"] for o in sales.run(SALES1B, ops.list_opportunities)["items"]}
    assert date.fromisoformat(now["created_at"][:10]) <= date.today()


def test_export_pages_through_every_opportunity_in_id_order(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    south = customer(SALES2, "南方贸易")
    made = sorted([_new(sales, SALES1, acme["id"])["id"], _new(sales, SALES2, south["id"])["id"]])
    first = sales.run(SYSTEM, ops.export_opportunities, "", 1)
    rest = sales.run(SYSTEM, ops.export_opportunities, first[-1]["id"], 10)
    assert [o["id"] for o in first + rest] == made
    assert {o["customer_name"] for o in first + rest} == {"A科技有限公司", "南方贸易"}
