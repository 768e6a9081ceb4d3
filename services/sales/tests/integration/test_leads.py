"""Leads on the real sales database: create (one, bulk), the pool, claims and caps, assignment
rules, recycling by an injected clock, permissions."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from kernel.clock import utcnow
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import SYSTEM, Caller
from sales.handlers import lead_recycling, lead_rules, leads
from sales.handlers.lead_common import LeadLimits
from sales.storage.models import LeadAssignmentRow, LeadRow
from sales_testkit import ADMIN, MANAGER, SALES1, SALES2
from sqlalchemy import func, select, text, update

pytestmark = pytest.mark.integration

SALES1B = Caller("u-sales1b", ("sales",), "team-east")
DAYS = {"A": 3, "B": 7, "C": 14}


def lead(app, caller, name="A科技有限公司", **fields):
    return app.run(caller, leads.create_lead, {"company_name": name, **fields})


def audit_rows(app, entity_id):
    return app.run(
        SYSTEM,
        lambda unit: [
            dict(r._mapping)
            for r in unit.session.execute(
                text("SELECT action, changes, actor_id FROM audit_log WHERE entity_id = :id ORDER BY at"),
                {"id": entity_id},
            )
        ],
    )


def outbox_types(app):
    return app.run(
        SYSTEM,
        lambda unit: list(
            unit.session.execute(text("SELECT routing_key FROM outbox ORDER BY seq")).scalars()
        ),
    )


# -- create ---------------------------------------------------------------------------------------------
def test_a_sales_user_owns_what_they_create_and_a_manager_sends_it_to_the_pool(sales):
    mine = lead(sales, SALES1, contact_name="张伟", phone="13800138000", source="web_form")
    assert (mine["status"], mine["owner_id"], mine["team_id"]) == ("assigned", "u-sales1", "team-east")
    assert mine["grade"] == "B" and mine["version"] == 1
    pooled = lead(sales, MANAGER, "B贸易有限公司")
    assert (pooled["status"], pooled["owner_id"], pooled["team_id"]) == ("pooled", None, "team-east")
    given = lead(sales, MANAGER, "C物流有限公司", owner_id="u-sales1b")
    assert given["owner_id"] == "u-sales1b"
    with pytest.raises(PermissionDenied):
        lead(sales, SALES1, "D公司", owner_id="u-sales1b")  # sales only themselves
    with pytest.raises(PermissionDenied):
        lead(sales, MANAGER, "E公司", owner_id="u-sales2")  # another team
    with pytest.raises(ValidationError) as exc:
        lead(sales, SALES1, "", email="nope")
    assert {e["field"] for e in exc.value.errors} == {"company_name", "email"}
    assert "lead.created" in outbox_types(sales)
    assert audit_rows(sales, mine["id"])[0]["action"] == "created"


def test_bulk_keeps_good_rows_and_names_the_bad_ones(sales):
    rows = [
        {"company_name": "甲有限公司", "grade": "A"},
        {"company_name": "", "email": "bad"},
        "not an object",
        {"company_name": "乙有限公司", "owner_id": "u-sales2"},  # not hers to give: refused, nothing written
        {"company_name": "丙有限公司", "assign": "pool"},
    ]
    result = sales.run(SALES1, leads.create_leads, rows)
    assert (result["created"], result["rejected"]) == (2, 3)
    by_index = {r["index"]: r for r in result["results"]}
    assert by_index[0]["ok"] and by_index[0]["owner_id"] == "u-sales1"
    assert {e["field"] for e in by_index[1]["errors"]} == {"company_name", "email"}
    assert by_index[2]["errors"][0]["field"] == "data"
    assert not by_index[3]["ok"] and by_index[3]["errors"]
    assert by_index[4]["ok"] and by_index[4]["status"] == "pooled"
    names = sales.run(SYSTEM, lambda unit: sorted(unit.session.scalars(select(LeadRow.company_name))))
    assert names == ["丙有限公司", "甲有限公司"]
    # Each kept row has its event and its audit line; the refused ones left nothing behind.
    assert outbox_types(sales).count("lead.created") == 2
    assert (
        sales.run(
            SYSTEM, lambda unit: unit.session.scalar(select(func.count()).select_from(LeadAssignmentRow))
        )
        == 1
    )
    with pytest.raises(ValidationError):
        sales.run(SALES1, leads.create_leads, [])
    with pytest.raises(ValidationError):
        sales.run(SALES1, leads.create_leads, [{}] * 501)


# -- reading ---------------------------------------------------------------------------------------------
def test_a_sales_user_cannot_read_another_ones_lead_but_everyone_selling_sees_the_pool(sales):
    mine = lead(sales, SALES1)
    pooled = lead(sales, MANAGER, "公海有限公司")
    with pytest.raises(NotFound):
        sales.run(SALES2, leads.get_lead, mine["id"])
    with pytest.raises(NotFound):
        sales.run(SALES1B, leads.get_lead, mine["id"])
    assert sales.run(MANAGER, leads.get_lead, mine["id"])["id"] == mine["id"]
    assert sales.run(SALES2, leads.get_lead, pooled["id"])["status"] == "pooled"
    seen = {item["id"] for item in sales.run(SALES2, leads.list_leads)["items"]}
    assert seen == {pooled["id"]}
    assert [i["id"] for i in sales.run(SALES1, leads.list_leads, {"owner_id": "me"})["items"]] == [mine["id"]]
    assert [i["id"] for i in sales.run(SALES1, leads.list_leads, {"pool": True})["items"]] == [pooled["id"]]
    with pytest.raises(ValidationError):
        sales.run(SALES1, leads.list_leads, {"grade": "Z", "colour": "x"})


def test_lists_page_by_cursor(sales):
    ids = [lead(sales, SALES1, f"第{i}有限公司")["id"] for i in range(5)]
    first = sales.run(SALES1, leads.list_leads, None, None, 2)
    second = sales.run(SALES1, leads.list_leads, None, first["next_cursor"], 2)
    third = sales.run(SALES1, leads.list_leads, None, second["next_cursor"], 2)
    got = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert got == list(reversed(ids)) and third["next_cursor"] is None
    with pytest.raises(ValidationError):
        sales.run(SALES1, leads.list_leads, None, "forged.cursor")


# -- change ---------------------------------------------------------------------------------------------
def test_update_checks_the_version_and_the_writer(sales):
    mine = lead(sales, SALES1)
    changed = sales.run(SALES1, leads.update_lead, mine["id"], {"grade": "A", "region": "华东"}, 1)
    assert (changed["grade"], changed["version"]) == ("A", 2)
    with pytest.raises(Conflict):
        sales.run(SALES1, leads.update_lead, mine["id"], {"grade": "C"}, 1)
    with pytest.raises(NotFound):
        sales.run(SALES2, leads.update_lead, mine["id"], {"grade": "C"})
    same = sales.run(SALES1, leads.update_lead, mine["id"], {"grade": "A"})
    assert same["version"] == 2  # no change, no new version


def test_claim_release_follow_up_and_disqualify(sales):
    pooled = lead(sales, MANAGER, "公海有限公司")
    with pytest.raises(PermissionDenied):
        sales.run(MANAGER, leads.claim_lead, pooled["id"])
    claimed = sales.run(SALES2, leads.claim_lead, pooled["id"], 1)
    assert (claimed["owner_id"], claimed["team_id"], claimed["status"]) == (
        "u-sales2",
        "team-south",
        "assigned",
    )
    with pytest.raises(NotFound):  # someone else's now: no longer visible to other sales users
        sales.run(SALES1, leads.claim_lead, pooled["id"])
    noted = sales.run(SALES2, leads.log_lead_follow_up, pooled["id"], "电话沟通，有意向")
    assert noted["last_follow_up_at"] is not None
    assert sales.run(SALES2, leads.get_lead, pooled["id"])["follow_ups"][0]["note"] == "电话沟通，有意向"
    released = sales.run(SALES2, leads.release_lead, pooled["id"], "不在我的区域")
    assert (released["status"], released["owner_id"]) == ("pooled", None)
    assert audit_rows(sales, pooled["id"])[-1]["changes"]["reason"] == [None, "不在我的区域"]
    again = sales.run(SALES1, leads.claim_lead, pooled["id"])
    gone = sales.run(SALES1, leads.disqualify_lead, again["id"], "空号")
    assert gone["status"] == "disqualified"
    with pytest.raises(Conflict):
        sales.run(SALES1, leads.update_lead, gone["id"], {"grade": "A"})


def test_claims_stop_at_the_daily_cap(sales):
    pooled = [lead(sales, MANAGER, f"池{i}有限公司")["id"] for i in range(3)]
    limits = LeadLimits(default_daily_cap=2)
    sales.run(SALES1, leads.claim_lead, pooled[0], None, limits)
    first = sales.run(SALES1, leads.release_lead, pooled[0])  # releasing does not make room
    sales.run(SALES1, leads.claim_lead, pooled[1], None, limits)
    with pytest.raises(Conflict) as exc:
        sales.run(SALES1, leads.claim_lead, pooled[2], None, limits)
    assert exc.value.errors[0]["field"] == "daily_cap"
    assert first["status"] == "pooled"
    # Yesterday's claims do not count today.
    sales.run(
        SYSTEM,
        lambda unit: unit.session.execute(update(LeadAssignmentRow).values(at=utcnow() - timedelta(days=2))),
    )
    assert sales.run(SALES1, leads.claim_lead, pooled[2], None, limits)["owner_id"] == "u-sales1"


def test_a_manager_assigns_within_their_team_only(sales):
    pooled = lead(sales, MANAGER, "公海有限公司")
    assigned = sales.run(MANAGER, leads.assign_lead, pooled["id"], "u-sales1b")
    assert assigned["owner_id"] == "u-sales1b"
    with pytest.raises(PermissionDenied):
        sales.run(MANAGER, leads.assign_lead, pooled["id"], "u-sales2")
    with pytest.raises(PermissionDenied):
        sales.run(SALES1, leads.assign_lead, pooled["id"], "u-sales1")
    with pytest.raises(ValidationError):
        sales.run(ADMIN, leads.assign_lead, pooled["id"], "u-gone")


# -- rules -------------------------------------------------------------------------------------------
def test_rules_deal_new_leads_round_robin_up_to_the_cap_then_the_pool(sales):
    rule = sales.run(
        MANAGER,
        lead_rules.create_assignment_rule,
        {"strategy": "round_robin", "members": ["u-sales1", "u-sales1b"], "daily_cap": 2},
    )
    assert rule["team_id"] == "team-east"
    owners = [lead(sales, MANAGER, f"客户{i}有限公司")["owner_id"] for i in range(5)]
    assert owners == ["u-sales1", "u-sales1b", "u-sales1", "u-sales1b", None]
    bulk = sales.run(MANAGER, leads.create_leads, [{"company_name": "满了有限公司"}])
    assert bulk["results"][0]["status"] == "pooled"
    # The cap binds claims too: u-sales1 has had 2 today.
    pooled = sales.run(SALES1, leads.list_leads, {"pool": True})["items"][0]
    with pytest.raises(Conflict):
        sales.run(SALES1, leads.claim_lead, pooled["id"])


def test_rules_by_region_and_dealing_out_the_pool(sales):
    for i in range(3):
        lead(sales, MANAGER, f"华东{i}有限公司", region="华东")
    lead(sales, MANAGER, "华北有限公司", region="华北")
    sales.run(
        MANAGER,
        lead_rules.create_assignment_rule,
        {"strategy": "region", "region": "华东", "members": ["u-sales1b"], "daily_cap": 2, "priority": 1},
    )
    result = sales.run(MANAGER, lead_rules.assign_from_pool)
    assert (result["assigned"], result["left_in_pool"]) == (2, 2)
    owned = sales.run(MANAGER, leads.list_leads, {"owner_id": "u-sales1b"})["items"]
    assert {i["region"] for i in owned} == {"华东"}


def test_rules_are_checked_and_kept_per_team(sales):
    with pytest.raises(ValidationError) as exc:
        sales.run(
            MANAGER,
            lead_rules.create_assignment_rule,
            {"strategy": "region", "members": ["u-sales2", "u-nobody"], "daily_cap": 0},
        )
    assert {e["field"] for e in exc.value.errors} >= {"daily_cap"}
    with pytest.raises(ValidationError) as exc:
        sales.run(
            MANAGER,
            lead_rules.create_assignment_rule,
            {"strategy": "region", "members": ["u-sales2"], "daily_cap": 3},
        )
    assert {e["field"] for e in exc.value.errors} == {"region", "members.0"}
    with pytest.raises(PermissionDenied):
        sales.run(
            SALES1,
            lead_rules.create_assignment_rule,
            {"strategy": "round_robin", "members": ["u-sales1"], "daily_cap": 1},
        )
    with pytest.raises(PermissionDenied):
        sales.run(MANAGER, lead_rules.list_assignment_rules, "team-south")
    rule = sales.run(
        MANAGER,
        lead_rules.create_assignment_rule,
        {"strategy": "grade", "grade": "A", "members": ["u-sales1"], "daily_cap": 3},
    )
    changed = sales.run(MANAGER, lead_rules.update_assignment_rule, rule["id"], {"daily_cap": 5}, 1)
    assert (changed["daily_cap"], changed["version"]) == (5, 2)
    assert [r["id"] for r in sales.run(ADMIN, lead_rules.list_assignment_rules)["items"]] == [rule["id"]]
    sales.run(MANAGER, lead_rules.delete_assignment_rule, rule["id"])
    assert sales.run(MANAGER, lead_rules.list_assignment_rules)["items"] == []
    assert [a["action"] for a in audit_rows(sales, rule["id"])] == ["created", "updated", "deleted"]


# -- recycling ---------------------------------------------------------------------------------------------
def _age(sales, lead_id, days, follow_up_days=None):
    now = utcnow()
    sales.run(
        SYSTEM,
        lambda unit: unit.session.execute(
            update(LeadRow)
            .where(LeadRow.id == lead_id)
            .values(
                assigned_at=now - timedelta(days=days),
                last_follow_up_at=None if follow_up_days is None else now - timedelta(days=follow_up_days),
            )
        ),
    )


def test_leads_not_followed_up_in_time_go_back_to_the_pool_once(sales):
    a_late = lead(sales, SALES1, "甲有限公司", grade="A")
    a_fresh = lead(sales, SALES1, "乙有限公司", grade="A")
    c_mid = lead(sales, SALES1, "丙有限公司", grade="C")
    a_followed = lead(sales, SALES1, "丁有限公司", grade="A")
    _age(sales, a_late["id"], 4)
    _age(sales, a_fresh["id"], 1)
    _age(sales, c_mid["id"], 10)
    _age(sales, a_followed["id"], 10, follow_up_days=1)
    now = utcnow()
    assert sales.run(SYSTEM, lead_recycling.recycle_leads, now, DAYS) == 1
    assert sales.run(SYSTEM, lead_recycling.recycle_leads, now, DAYS) == 0  # once, not every run
    recycled = sales.run(ADMIN, leads.get_lead, a_late["id"])
    assert (recycled["status"], recycled["owner_id"], recycled["version"]) == ("pooled", None, 2)
    trail = audit_rows(sales, a_late["id"])[-1]
    assert trail["action"] == "recycled" and trail["actor_id"] == "system"
    assert trail["changes"]["reason"] == [None, "not followed up within 3 days (grade A)"]
    # The clock moves on: four days later the grade C lead's 14 days are up, and so are the
    # A leads' 3 days since their assignment or follow-up.
    assert sales.run(SYSTEM, lead_recycling.recycle_leads, now + timedelta(days=4, hours=1), DAYS) == 3
    for each in (c_mid, a_fresh, a_followed):
        assert sales.run(ADMIN, leads.get_lead, each["id"])["status"] == "pooled"


def test_recycling_works_in_batches_and_skips_locked_leads(sales):
    ids = [lead(sales, SALES1, f"批{i}有限公司", grade="A")["id"] for i in range(5)]
    for lead_id in ids:
        _age(sales, lead_id, 5)
    assert sales.run(SYSTEM, lead_recycling.recycle_leads, utcnow(), DAYS, 3) == 3
    assert sales.run(SYSTEM, lead_recycling.recycle_leads, utcnow(), DAYS, 3) == 2


def test_concurrent_claims_cannot_both_take_the_last_slot_of_the_day(sales):
    pooled = [lead(sales, MANAGER, f"并发{i}有限公司")["id"] for i in range(2)]
    limits = LeadLimits(default_daily_cap=1)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def claim(lead_id: str) -> None:
        start.wait()
        try:
            sales.run(SALES1, leads.claim_lead, lead_id, None, limits)
            outcomes.append("claimed")
        except Conflict:
            outcomes.append("capped")

    threads = [threading.Thread(target=claim, args=(lead_id,)) for lead_id in pooled]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["capped", "claimed"]
