"""Defects of issue 8 (§2 items 3, 8, 12), on the real PostgreSQL through the nameko entrypoints."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from customers.service import CustomersService
from customers.storage.models import outbox
from customers.storage.repositories import SqlCustomersUnit, sql_units
from customers_testkit import MANAGER, SALES1, SALES2
from kernel.envelope import Envelope
from kernel.errors import Conflict
from nameko.testing.services import worker_factory
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

VALID_USCC = "91350100M000100Y43"


@pytest.fixture
def svc(hub, sessions: sessionmaker[Session]) -> Any:
    return worker_factory(CustomersService, db=sessions)


def events(sessions: sessionmaker[Session]) -> list[Envelope]:
    with sessions() as session:
        rows = session.execute(select(outbox.c.body).order_by(outbox.c.seq)).scalars().all()
    return [Envelope.from_json(body) for body in rows]


# -- #3: every state change goes through the audit-and-emit step ---------------------------------
def test_demoting_the_previous_primary_contact_is_published_and_audited(svc, sessions):
    c = svc.create_customer(SALES1.to_payload(), {"name": "A科技有限公司"})
    first = svc.create_contact(SALES1.to_payload(), c["id"], {"name": "张总", "is_primary": True})
    svc.create_contact(SALES1.to_payload(), c["id"], {"name": "李工", "is_primary": True})
    demoted = [e for e in events(sessions) if e.type == "contact.updated" and e.aggregate.id == first["id"]]
    assert len(demoted) == 1, "search would keep showing two primary contacts"
    assert demoted[0].data["is_primary"] is False and demoted[0].aggregate.version == 2
    assert svc.get_contact(SALES1.to_payload(), first["id"])["version"] == 2
    audit = svc.get_audit(SALES1.to_payload(), c["id"])["items"]
    assert any(
        a["entity_id"] == first["id"] and a["changes"].get("is_primary") == [True, False] for a in audit
    )


def test_deleting_a_contact_publishes_the_follow_ups_it_leaves_behind(svc, sessions):
    c = svc.create_customer(SALES1.to_payload(), {"name": "A科技有限公司"})
    contact = svc.create_contact(SALES1.to_payload(), c["id"], {"name": "张总"})
    note = svc.create_follow_up(
        SALES1.to_payload(), c["id"], {"channel": "call", "content": "报价", "contact_id": contact["id"]}
    )
    svc.delete_contact(SALES1.to_payload(), contact["id"])
    assert svc.get_follow_up(SALES1.to_payload(), note["id"])["contact_id"] is None
    changed = [e for e in events(sessions) if e.type == "follow_up.updated" and e.aggregate.id == note["id"]]
    assert len(changed) == 1 and changed[0].data["contact_id"] is None
    assert changed[0].aggregate.version == 2
    audit = svc.get_audit(SALES1.to_payload(), c["id"])["items"]
    assert any(
        a["entity_id"] == note["id"] and a["changes"] == {"contact_id": [contact["id"], None]} for a in audit
    )


def test_the_database_no_longer_rewrites_follow_ups_behind_the_service(sessions):
    with sessions() as session:
        rule = session.execute(
            text("SELECT confdeltype FROM pg_constraint WHERE conname = 'fk_follow_ups_contact_id_contacts'")
        ).scalar_one()
    assert rule == "a"  # NO ACTION: only the service's emit path may change a follow-up


# -- #8: one lock order (customer, then children) and a retry on deadlock ------------------------
def test_concurrent_rename_and_child_edits_all_succeed(svc):
    c = svc.create_customer(SALES1.to_payload(), {"name": "并发客户有限公司"})
    contacts = [svc.create_contact(SALES1.to_payload(), c["id"], {"name": f"联系人{i}"}) for i in range(3)]
    tasks = [
        svc.create_task(
            SALES1.to_payload(),
            {"customer_id": c["id"], "title": f"任务{i}", "due_at": "2099-01-01T00:00:00Z"},
        )
        for i in range(3)
    ]
    failures: list[BaseException] = []
    start = threading.Barrier(1 + len(contacts) + len(tasks))
    rounds = 8

    def run(work) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            for i in range(rounds):
                work(i)
        except BaseException as exc:  # collected and asserted on below
            failures.append(exc)

    def rename(i: int) -> None:
        svc.update_customer(SALES1.to_payload(), c["id"], {"name": f"并发客户{i}有限公司"})

    def edit_contact(contact_id: str):  # type: ignore[no-untyped-def]
        return lambda i: svc.update_contact(SALES1.to_payload(), contact_id, {"title": f"职位{i}"})

    def edit_task(task_id: str):  # type: ignore[no-untyped-def]
        return lambda i: svc.update_task(SALES1.to_payload(), task_id, {"title": f"任务标题{i}"})

    workers = [threading.Thread(target=run, args=(rename,))]
    workers += [threading.Thread(target=run, args=(edit_contact(x["id"]),)) for x in contacts]
    workers += [threading.Thread(target=run, args=(edit_task(x["id"]),)) for x in tasks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert failures == []
    assert svc.get_customer(SALES1.to_payload(), c["id"])["version"] == 1 + rounds
    for contact in contacts:
        # each contact: created, `rounds` own edits, `rounds` re-publications after renames
        assert svc.get_contact(SALES1.to_payload(), contact["id"])["version"] == 1 + 2 * rounds


# -- #12: the duplicate check reveals only what the caller may see -------------------------------
def test_tax_id_conflict_does_not_name_another_teams_customer(svc):
    theirs = svc.create_customer(SALES1.to_payload(), {"name": "保密科技有限公司", "tax_id": VALID_USCC})
    with pytest.raises(Conflict) as exc:
        svc.create_customer(SALES2.to_payload(), {"name": "完全不同的公司", "tax_id": VALID_USCC})
    said = f"{exc.value.detail} {exc.value.errors}"
    assert "保密科技" not in said and theirs["id"] not in said and SALES1.user_id not in said
    assert exc.value.detail == "a customer with this tax id exists"
    assert exc.value.errors[0]["field"] == "tax_id"
    # The customer's team manager may see it, so they are told which one it is.
    with pytest.raises(Conflict) as exc:
        svc.create_customer(MANAGER.to_payload(), {"name": "另一家公司", "tax_id": VALID_USCC})
    assert theirs["id"] in exc.value.detail and exc.value.errors[0]["existing_id"] == theirs["id"]


def test_name_duplicate_lists_only_visible_candidates(svc):
    hidden = svc.create_customer(SALES1.to_payload(), {"name": "A科技有限公司"})
    with pytest.raises(Conflict) as exc:
        svc.create_customer(SALES2.to_payload(), {"name": "Ａ科技股份有限公司"})
    said = f"{exc.value.detail} {exc.value.errors}"
    assert hidden["id"] not in said and "A科技有限公司" not in said and SALES1.user_id not in said
    assert exc.value.errors[0]["field"] == "name" and exc.value.errors[0]["candidates"] == []
    mine = svc.create_customer(SALES2.to_payload(), {"name": "B贸易有限公司"})
    with pytest.raises(Conflict) as exc:
        svc.update_customer(SALES2.to_payload(), mine["id"], {"name": "A科技(北京)有限公司"})
    assert [x["id"] for x in exc.value.errors[0]["candidates"]] == []
    with pytest.raises(Conflict) as exc:
        svc.create_customer(MANAGER.to_payload(), {"name": "A科技集團有限公司"})
    listed = {x["id"]: x for x in exc.value.errors[0]["candidates"]}
    assert set(listed) == {hidden["id"]}  # team-east's manager sees team-east's customer only
    assert listed[hidden["id"]]["owner_id"] == SALES1.user_id


def test_a_real_deadlock_is_retried_as_a_whole_unit(svc, sessions):
    """Two units lock the same two customers in opposite orders: PostgreSQL aborts one (40P01),
    the runner runs it again, and both calls succeed."""
    a = svc.create_customer(SALES1.to_payload(), {"name": "甲公司"})
    b = svc.create_customer(SALES1.to_payload(), {"name": "乙公司"})
    both_hold_one = threading.Barrier(2)
    attempts: list[str] = []
    results: list[Any] = []

    def cross(first: str, second: str):  # type: ignore[no-untyped-def]
        def work(unit: SqlCustomersUnit) -> str:
            attempts.append(first)
            unit.customers.get(first, lock=True)
            if attempts.count(first) == 1:
                both_hold_one.wait(timeout=10)  # first attempt only: the retry finds the way clear
            unit.customers.get(second, lock=True)
            return first

        return work

    units = sql_units(sessions)

    def run(first: str, second: str) -> None:
        try:
            results.append(units.run(SALES1, cross(first, second)))
        except BaseException as exc:  # asserted on below
            results.append(exc)

    threads = [
        threading.Thread(target=run, args=(a["id"], b["id"])),
        threading.Thread(target=run, args=(b["id"], a["id"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == sorted([a["id"], b["id"]])
    assert len(attempts) == 3  # one of the two ran twice
