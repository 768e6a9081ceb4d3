"""The customer hub's use cases on the in-memory unit of work: no PostgreSQL, no broker."""

from __future__ import annotations

from typing import Any

import pytest
from customers.handlers import contacts, customers, directory, follow_ups, records, tasks, transfer
from customers.storage.memory import MemoryCustomersUnit, memory_units
from customers_testkit import ADMIN, FINANCE, MANAGER, SALES1, SALES2, USERS
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import SYSTEM
from kernel.memory import MemoryStore
from kernel.uow import Units

VALID_USCC = "91350100M000100Y43"


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def units(store: MemoryStore) -> Units[MemoryCustomersUnit]:
    units = memory_units(store)
    for user in USERS:
        units.run(SYSTEM, directory.upsert_user, user)
    return units


def events_of(store: MemoryStore, entity_id: str) -> list[tuple[str, int, dict[str, Any]]]:
    return [(e.type, e.aggregate.version, e.data) for e in store.events if e.aggregate.id == entity_id]


def audit_of(store: MemoryStore, entity_id: str) -> list[tuple[str, dict[str, list[Any]]]]:
    return [(a.action, a.changes) for a in store.audit_log if a.entity_id == entity_id]


def test_create_defaults_owner_and_records_event_and_audit(units, store):
    created = units.run(SALES1, customers.create_customer, {"name": "A科技有限公司"})
    assert created["owner_id"] == SALES1.user_id and created["team_id"] == "team-east"
    assert events_of(store, created["id"]) == [("customer.created", 1, created)]
    [(action, changes)] = audit_of(store, created["id"])
    assert action == "created" and changes["name"] == [None, "A科技有限公司"]


def test_a_refused_write_leaves_the_store_untouched(units, store):
    c = units.run(SALES1, customers.create_customer, {"name": "A科技有限公司"})
    commits, events = store.commits, len(store.events)
    with pytest.raises(ValidationError):
        units.run(
            SALES1,
            follow_ups.create_follow_up,
            c["id"],
            {"channel": "call", "content": "x", "contact_id": "no"},
        )
    with pytest.raises(NotFound):
        units.run(SALES2, contacts.create_contact, c["id"], {"name": "李四"})
    assert (store.commits, len(store.events)) == (commits, events)


def test_the_previous_primary_is_demoted_through_the_emit_path(units, store):
    c = units.run(SALES1, customers.create_customer, {"name": "A科技有限公司"})
    first = units.run(SALES1, contacts.create_contact, c["id"], {"name": "张总", "is_primary": True})
    second = units.run(SALES1, contacts.create_contact, c["id"], {"name": "李工", "is_primary": True})
    assert [(t, v, d["is_primary"]) for t, v, d in events_of(store, first["id"])] == [
        ("contact.created", 1, True),
        ("contact.updated", 2, False),
    ]
    assert audit_of(store, first["id"])[-1] == ("updated", {"is_primary": [True, False]})
    # Making the first primary again demotes the second, and only it.
    units.run(SALES1, contacts.update_contact, first["id"], {"is_primary": True})
    assert units.run(SALES1, contacts.get_contact, second["id"])["is_primary"] is False
    assert units.run(SALES1, contacts.get_contact, first["id"])["is_primary"] is True


def test_deleting_a_contact_clears_it_from_follow_ups_with_events(units, store):
    c = units.run(SALES1, customers.create_customer, {"name": "A科技有限公司"})
    contact = units.run(SALES1, contacts.create_contact, c["id"], {"name": "张总"})
    note = units.run(
        SALES1,
        follow_ups.create_follow_up,
        c["id"],
        {"channel": "call", "content": "报价", "contact_id": contact["id"]},
    )
    units.run(SALES1, contacts.delete_contact, contact["id"])
    assert [(t, v, d["contact_id"]) for t, v, d in events_of(store, note["id"])] == [
        ("follow_up.created", 1, contact["id"]),
        ("follow_up.updated", 2, None),
    ]
    assert audit_of(store, note["id"])[-1] == ("updated", {"contact_id": [contact["id"], None]})
    assert events_of(store, contact["id"])[-1][0] == "contact.deleted"


def test_rename_republishes_children_without_auditing_them(units, store):
    c = units.run(SALES1, customers.create_customer, {"name": "A科技有限公司"})
    contact = units.run(SALES1, contacts.create_contact, c["id"], {"name": "张总"})
    units.run(SALES1, customers.update_customer, c["id"], {"name": "A科技集团有限公司"})
    assert events_of(store, contact["id"])[-1][:2] == ("contact.updated", 2)
    assert events_of(store, contact["id"])[-1][2]["customer_name"] == "A科技集团有限公司"
    assert audit_of(store, contact["id"]) == [("created", audit_of(store, contact["id"])[0][1])]
    same = units.run(SALES1, customers.update_customer, c["id"], {"name": "A科技集团有限公司"})
    assert same["version"] == 2  # no change, no version, no event
    with pytest.raises(Conflict):
        units.run(SALES1, customers.update_customer, c["id"], {"status": "active"}, expected_version=1)


def test_duplicate_check_names_only_customers_the_caller_may_see(units):
    theirs = units.run(SALES1, customers.create_customer, {"name": "保密科技有限公司", "tax_id": VALID_USCC})
    with pytest.raises(Conflict) as exc:
        units.run(SALES2, customers.create_customer, {"name": "别的公司", "tax_id": VALID_USCC})
    assert exc.value.detail == "a customer with this tax id exists"
    assert "existing_id" not in exc.value.errors[0]
    with pytest.raises(Conflict) as exc:
        units.run(SALES2, customers.create_customer, {"name": "保密科技股份有限公司"})
    assert exc.value.errors[0]["candidates"] == [] and theirs["id"] not in exc.value.detail
    assert "a customer you cannot see" in exc.value.detail
    with pytest.raises(Conflict) as exc:
        units.run(MANAGER, customers.create_customer, {"name": "保密科技股份有限公司"})
    assert exc.value.errors[0]["candidates"] == [
        {"id": theirs["id"], "name": "保密科技有限公司", "owner_id": SALES1.user_id}
    ]


def test_transfer_hands_over_open_tasks_and_audits_each_change(units, store):
    a = units.run(SALES1, customers.create_customer, {"name": "A科技有限公司"})
    task = units.run(
        SALES1, tasks.create_task, {"customer_id": a["id"], "title": "回访", "due_at": "2099-01-01T00:00:00Z"}
    )
    done = units.run(
        SALES1, tasks.create_task, {"customer_id": a["id"], "title": "旧", "due_at": "2020-01-01T00:00:00Z"}
    )
    units.run(SALES1, tasks.update_task, done["id"], {"status": "done"})
    with pytest.raises(PermissionDenied):
        units.run(SALES2, transfer.transfer_customers, "u-sales1", "u-sales2")
    result = units.run(MANAGER, transfer.transfer_customers, "u-sales1", "u-sales1b", reason="离职交接")
    assert result == {
        "moved": 1,
        "customer_ids": [a["id"]],
        "from_user_id": "u-sales1",
        "to_user_id": "u-sales1b",
    }
    assert units.run(ADMIN, tasks.get_task, task["id"])["assignee_id"] == "u-sales1b"
    assert units.run(ADMIN, tasks.get_task, done["id"])["assignee_id"] == "u-sales1"  # closed work stays
    # One event per task, carrying both the new owner and the new assignee.
    [(kind, _, data)] = [e for e in events_of(store, task["id"]) if e[1] == 2]
    assert kind == "task.updated" and data["owner_id"] == data["assignee_id"] == "u-sales1b"
    assert audit_of(store, task["id"])[-1] == ("updated", {"assignee_id": ["u-sales1", "u-sales1b"]})
    action, changes = audit_of(store, a["id"])[-1]
    assert action == "transferred" and changes["reason"] == [None, "离职交接"]


def test_follow_up_timeline_pages_by_occurrence_and_refuses_forged_cursors(units):
    c = units.run(SALES1, customers.create_customer, {"name": "A科技有限公司"})
    old = units.run(
        SALES1,
        follow_ups.create_follow_up,
        c["id"],
        {"channel": "visit", "content": "拜访", "occurred_at": "2026-11-01T09:00:00+08:00"},
    )
    new = units.run(SALES1, follow_ups.create_follow_up, c["id"], {"channel": "call", "content": "电话"})
    first = units.run(SALES1, follow_ups.list_follow_ups, c["id"], limit=1)
    assert [i["id"] for i in first["items"]] == [new["id"]]
    rest = units.run(SALES1, follow_ups.list_follow_ups, c["id"], cursor=first["next_cursor"])
    assert [i["id"] for i in rest["items"]] == [old["id"]] and rest["next_cursor"] is None
    with pytest.raises(ValidationError) as exc:
        units.run(SALES1, follow_ups.list_follow_ups, c["id"], cursor="eyJpZCI6MX0")  # {"id":1}
    assert exc.value.errors[0]["field"] == "cursor"
    with pytest.raises(PermissionDenied):
        units.run(FINANCE, follow_ups.list_follow_ups, c["id"])


def test_overdue_flag_once_audit_trail_and_export(units, store):
    c = units.run(SALES1, customers.create_customer, {"name": "A科技有限公司"})
    units.run(
        SALES1, tasks.create_task, {"customer_id": c["id"], "title": "逾期", "due_at": "2020-01-01T00:00:00Z"}
    )
    assert units.run(SYSTEM, tasks.flag_overdue_tasks) == 1
    assert units.run(SYSTEM, tasks.flag_overdue_tasks) == 0
    assert store.event_types().count("task.overdue") == 1
    assert units.run(SALES1, tasks.list_tasks, {"overdue": True})["items"][0]["title"] == "逾期"
    trail = units.run(SALES1, records.get_audit, c["id"])["items"]
    assert [a["action"] for a in trail] == ["updated", "created", "created"]  # newest first
    exported = units.run(ADMIN, records.export, "task")["items"]
    assert (
        exported[0]["aggregate"]["version"] == 2 and exported[0]["data"]["customer_name"] == "A科技有限公司"
    )
    with pytest.raises(PermissionDenied):
        units.run(SALES1, records.export, "task")


def test_delete_customer_tombstones_children_first(units, store):
    c = units.run(SALES1, customers.create_customer, {"name": "A科技有限公司"})
    contact = units.run(SALES1, contacts.create_contact, c["id"], {"name": "张总"})
    units.run(
        SALES1,
        follow_ups.create_follow_up,
        c["id"],
        {"channel": "call", "content": "x", "contact_id": contact["id"]},
    )
    gone = units.run(SALES1, customers.delete_customer, c["id"])
    assert gone == {"id": c["id"], "deleted": True, "customer_id": c["id"], "version": 2}
    tail = store.event_types()[-3:]
    assert tail == ["follow_up.deleted", "contact.deleted", "customer.deleted"]
    with pytest.raises(NotFound):
        units.run(SALES1, customers.get_customer, c["id"])
