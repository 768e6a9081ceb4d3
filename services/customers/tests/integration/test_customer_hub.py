"""The customers service through its nameko entrypoints (worker_factory) on the real PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from customers.contracts import EVENT_SCHEMAS, Customer
from customers.service import CustomersService
from customers.storage.models import ContactRow, CustomerRow, outbox
from customers_testkit import ADMIN, FINANCE, MANAGER, SALES1, SALES2
from kernel.envelope import Envelope
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from nameko.testing.services import worker_factory
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

VALID_USCC = "91350100M000100Y43"


@pytest.fixture
def svc(hub, sessions: sessionmaker[Session]) -> Any:
    return worker_factory(CustomersService, db=sessions)


def caller(c) -> dict[str, Any]:
    return c.to_payload()


def outbox_events(sessions: sessionmaker[Session]) -> list[Envelope]:
    with sessions() as session:
        rows = session.execute(select(outbox.c.body).order_by(outbox.c.seq)).scalars().all()
    return [Envelope.from_json(body) for body in rows]


def count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_create_emits_full_state_event_and_audit(svc, sessions):
    created = svc.create_customer(
        caller(SALES1), {"name": "A科技有限公司", "tax_id": VALID_USCC, "tags": ["VIP"]}
    )
    Customer.model_validate(created)
    assert created["owner_id"] == SALES1.user_id and created["team_id"] == "team-east"
    [event] = outbox_events(sessions)
    assert event.type == "customer.created" and event.source == "customers"
    assert event.aggregate.id == created["id"] and event.aggregate.version == 1
    assert event.customer_id == created["id"] and event.actor.user_id == SALES1.user_id
    assert event.data == created
    audit = svc.get_audit(caller(SALES1), created["id"])["items"]
    assert [a["action"] for a in audit] == ["created"]
    assert audit[0]["changes"]["name"] == [None, "A科技有限公司"]


def test_duplicate_tax_id_is_a_conflict(svc):
    svc.create_customer(caller(SALES1), {"name": "A科技有限公司", "tax_id": VALID_USCC})
    with pytest.raises(Conflict) as exc:
        svc.create_customer(caller(SALES2), {"name": "完全不同的公司", "tax_id": VALID_USCC})
    assert exc.value.errors[0]["field"] == "tax_id"


@pytest.mark.parametrize("variant", ["Ａ科技股份有限公司", "a科技（北京）有限公司", "A科技集團有限公司"])
def test_near_identical_name_lists_candidates_unless_forced(svc, variant):
    first = svc.create_customer(caller(SALES1), {"name": "A科技有限公司"})
    with pytest.raises(Conflict) as exc:
        svc.create_customer(caller(SALES1), {"name": variant})
    assert exc.value.errors[0]["candidates"][0]["id"] == first["id"]
    forced = svc.create_customer(caller(SALES1), {"name": variant}, force=True)
    assert forced["id"] != first["id"]


def test_bad_input_names_fields_and_writes_nothing(svc, sessions):
    with pytest.raises(ValidationError) as exc:
        svc.create_customer(caller(SALES1), {"name": "", "tax_id": "bogus", "size": 3})
    assert {e["field"] for e in exc.value.errors} == {"name", "tax_id", "size"}
    with pytest.raises(ValidationError) as exc:
        svc.create_customer(caller(ADMIN), {"name": "B公司", "owner_id": "nobody"})
    assert exc.value.errors[0]["field"] == "owner_id"
    with pytest.raises(ValidationError):
        svc.create_customer(caller(ADMIN), {"name": "C公司", "owner_id": "u-gone"})  # inactive user
    assert count(sessions, CustomerRow) == 0 and outbox_events(sessions) == []


def test_failed_child_write_rolls_back_everything(svc, sessions):
    customer = svc.create_customer(caller(SALES1), {"name": "A科技有限公司"})
    svc.create_contact(caller(SALES1), customer["id"], {"name": "王敏", "is_primary": True})
    before = len(outbox_events(sessions))
    with pytest.raises(ValidationError):
        svc.create_follow_up(
            caller(SALES1), customer["id"], {"channel": "call", "content": "x", "contact_id": "nope"}
        )
    assert len(outbox_events(sessions)) == before
    assert count(sessions, ContactRow) == 1


def test_permissions_on_reads_and_writes(svc):
    mine = svc.create_customer(caller(SALES1), {"name": "A科技有限公司"})
    # Another salesperson's customer answers exactly like one that does not exist.
    with pytest.raises(NotFound, match=f"^customer {mine['id']} does not exist$"):
        svc.get_customer(caller(SALES2), mine["id"])
    with pytest.raises(NotFound):
        svc.update_customer(caller(SALES2), mine["id"], {"status": "active"})
    with pytest.raises(NotFound):
        svc.list_follow_ups(caller(SALES2), mine["id"])
    contact = svc.create_contact(caller(SALES1), mine["id"], {"name": "张总"})
    with pytest.raises(NotFound, match=f"^contact {contact['id']} does not exist$"):
        svc.get_contact(caller(SALES2), contact["id"])
    with pytest.raises(NotFound):
        svc.create_contact(caller(SALES2), mine["id"], {"name": "李四"})
    with pytest.raises(PermissionDenied):
        svc.create_customer(caller(SALES1), {"name": "不是我的", "owner_id": "u-sales2"})
    assert svc.get_customer(caller(MANAGER), mine["id"])["id"] == mine["id"]  # same team
    assert svc.get_customer(caller(FINANCE), mine["id"])["id"] == mine["id"]  # basics
    with pytest.raises(PermissionDenied):
        svc.list_follow_ups(caller(FINANCE), mine["id"])
    with pytest.raises(PermissionDenied):
        svc.create_customer({"user_id": "x", "roles": ["wizard"]}, {"name": "X"})
    with pytest.raises(NotFound):
        svc.get_customer(caller(SALES1), "does-not-exist")


def test_optimistic_concurrency_and_noop_update(svc, sessions):
    c = svc.create_customer(caller(SALES1), {"name": "A科技有限公司"})
    updated = svc.update_customer(caller(SALES1), c["id"], {"status": "active"}, expected_version=1)
    assert updated["version"] == 2
    with pytest.raises(Conflict):
        svc.update_customer(caller(SALES1), c["id"], {"status": "churned"}, expected_version=1)
    same = svc.update_customer(caller(SALES1), c["id"], {"status": "active"})
    assert same["version"] == 2
    assert [e.type for e in outbox_events(sessions)] == ["customer.created", "customer.updated"]


def test_list_cursor_paging_filters_and_visibility(svc):
    ids = [
        svc.create_customer(caller(SALES1), {"name": f"客户{i:02d}", "tags": ["制造"] if i % 2 else []})["id"]
        for i in range(7)
    ]
    svc.create_customer(caller(SALES2), {"name": "南方客户"})
    seen, cursor = [], None
    while True:
        page = svc.list_customers(caller(SALES1), cursor=cursor, limit=3)
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))  # newest first, each exactly once, none of sales2's
    tagged = svc.list_customers(caller(SALES1), {"tag": "制造"})["items"]
    assert len(tagged) == 3
    assert len(svc.list_customers(caller(ADMIN), {"q": "南方"})["items"]) == 1
    with pytest.raises(ValidationError):
        svc.list_customers(caller(SALES1), {"colour": "red"})
    with pytest.raises(ValidationError):
        svc.list_customers(caller(SALES1), cursor="garbage!")


def test_contacts_follow_ups_tasks_lifecycle(svc, sessions):
    c = svc.create_customer(caller(SALES1), {"name": "A科技有限公司"})
    boss = svc.create_contact(
        caller(SALES1),
        c["id"],
        {"name": "张总", "role": "decision_maker", "phones": ["13812345678"], "is_primary": True},
    )
    other = svc.create_contact(caller(SALES1), c["id"], {"name": "李工", "role": "user", "is_primary": True})
    assert svc.get_contact(caller(SALES1), boss["id"])["is_primary"] is False  # one primary per customer
    assert other["is_primary"] is True
    old = svc.create_follow_up(
        caller(SALES1),
        c["id"],
        {"channel": "visit", "content": "拜访", "occurred_at": "2026-11-01T09:00:00+08:00"},
    )
    new = svc.create_follow_up(
        caller(SALES1), c["id"], {"channel": "call", "content": "最终报价已发送", "contact_id": boss["id"]}
    )
    timeline = svc.list_follow_ups(caller(SALES1), c["id"], limit=1)
    assert timeline["items"][0]["id"] == new["id"]
    assert (
        svc.list_follow_ups(caller(SALES1), c["id"], cursor=timeline["next_cursor"])["items"][0]["id"]
        == old["id"]
    )
    task = svc.create_task(
        caller(SALES1), {"customer_id": c["id"], "title": "发合同", "due_at": "2026-12-01T10:00:00Z"}
    )
    done = svc.update_task(caller(SALES1), task["id"], {"status": "done"}, expected_version=1)
    assert done["completed_at"] is not None
    svc.delete_contact(caller(SALES1), other["id"])
    with pytest.raises(NotFound):
        svc.get_contact(caller(SALES1), other["id"])
    for event in outbox_events(sessions):
        EVENT_SCHEMAS[event.type].model_validate(event.data)  # every event honours its contract


def test_overdue_tasks_flagged_once(svc, hub, sessions):
    c = svc.create_customer(caller(SALES1), {"name": "A科技有限公司"})
    svc.create_task(
        caller(SALES1), {"customer_id": c["id"], "title": "逾期", "due_at": "2020-01-01T00:00:00Z"}
    )
    svc.create_task(
        caller(SALES1), {"customer_id": c["id"], "title": "未来", "due_at": "2099-01-01T00:00:00Z"}
    )
    assert hub.flag_overdue_tasks() == 1
    assert hub.flag_overdue_tasks() == 0
    overdue = [e for e in outbox_events(sessions) if e.type == "task.overdue"]
    assert len(overdue) == 1 and overdue[0].data["title"] == "逾期"
    assert svc.list_tasks(caller(SALES1), {"overdue": True})["items"][0]["title"] == "逾期"


def test_transfer_moves_customers_children_and_open_tasks(svc, sessions):
    a = svc.create_customer(caller(SALES1), {"name": "A科技有限公司"})
    b = svc.create_customer(caller(SALES1), {"name": "B贸易有限公司"})
    svc.create_contact(caller(SALES1), a["id"], {"name": "张总"})
    task = svc.create_task(
        caller(SALES1), {"customer_id": a["id"], "title": "回访", "due_at": "2026-12-01T10:00:00Z"}
    )
    with pytest.raises(PermissionDenied):
        svc.transfer_customers(caller(SALES2), "u-sales1", "u-sales2")
    result = svc.transfer_customers(caller(MANAGER), "u-sales1", "u-sales1b", reason="离职交接")
    assert result["moved"] == 2 and set(result["customer_ids"]) == {a["id"], b["id"]}
    assert svc.get_customer(caller(ADMIN), a["id"])["owner_id"] == "u-sales1b"
    assert svc.get_task(caller(ADMIN), task["id"])["assignee_id"] == "u-sales1b"
    with pytest.raises(NotFound):
        svc.get_customer(caller(SALES1), a["id"])  # the leaver no longer sees it
    moved = [
        e
        for e in outbox_events(sessions)
        if e.type in {"customer.transferred", "contact.updated", "task.updated"}
    ]
    assert {e.type for e in moved} == {"customer.transferred", "contact.updated", "task.updated"}
    assert all(e.data["owner_id"] == "u-sales1b" for e in moved)
    trail = svc.get_audit(caller(ADMIN), a["id"])["items"]
    # the inherited task is audited too (it was a silent bulk UPDATE once)
    assert trail[0]["entity_id"] == task["id"] and trail[0]["changes"] == {
        "assignee_id": ["u-sales1", "u-sales1b"]
    }
    audit = trail[1]
    assert audit["action"] == "transferred" and audit["changes"]["owner_id"] == ["u-sales1", "u-sales1b"]
    assert audit["changes"]["reason"] == [None, "离职交接"]
    with pytest.raises(ValidationError):
        svc.transfer_customers(caller(ADMIN), "u-sales1b", "u-sales2", customer_ids=["not-theirs"])


def test_rename_reemits_children_and_delete_tombstones_everything(svc, sessions):
    c = svc.create_customer(caller(SALES1), {"name": "A科技有限公司"})
    contact = svc.create_contact(caller(SALES1), c["id"], {"name": "张总"})
    svc.update_customer(caller(SALES1), c["id"], {"name": "A科技集团有限公司"})
    renamed = [e for e in outbox_events(sessions) if e.type == "contact.updated"]
    assert renamed[-1].data["customer_name"] == "A科技集团有限公司" and renamed[-1].aggregate.version == 2
    gone = svc.delete_customer(caller(SALES1), c["id"])
    assert gone["deleted"] is True
    tombstones = {e.aggregate.id: e for e in outbox_events(sessions) if e.type.endswith(".deleted")}
    assert tombstones[contact["id"]].aggregate.version == 3  # newer than the rename re-emission
    assert tombstones[c["id"]].is_tombstone
    with sessions() as session:
        assert session.execute(text("select count(*) from contacts")).scalar() == 0
    assert svc.get_audit(caller(ADMIN), c["id"])["items"][0]["action"] == "deleted"  # audit outlives it


def test_export_pages_every_record_for_reindex(svc):
    for i in range(5):
        c = svc.create_customer(caller(SALES1), {"name": f"导出客户{i}"})
        svc.create_contact(caller(SALES1), c["id"], {"name": f"联系人{i}"})
    items, cursor = [], None
    while True:
        page = svc.export(caller(ADMIN), "contact", cursor=cursor, limit=2)
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(items) == 5 and all(i["aggregate"]["type"] == "contact" for i in items)
    with pytest.raises(PermissionDenied):
        svc.export(caller(SALES1), "customer")
    with pytest.raises(ValidationError):
        svc.export(caller(ADMIN), "planet")
