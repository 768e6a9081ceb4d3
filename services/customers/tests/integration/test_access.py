"""Issue 8 §2.5: one read policy per kind, so get, lists and search agree (real PostgreSQL)."""

from __future__ import annotations

import pytest
from customers import policy
from customers_testkit import ADMIN, FINANCE, MANAGER, SALES1, SALES2
from kernel.errors import NotFound, PermissionDenied
from kernel.identity import Caller

SALES1B = Caller("u-sales1b", ("sales",), "team-east")
SUPPORT = Caller("u-support", ("support",), None)


@pytest.fixture
def world(hub):
    customer = hub.create_customer(SALES1, {"name": "A科技有限公司"})
    contact = hub.create_contact(SALES1, customer["id"], {"name": "张总", "phones": ["13812345678"]})
    note = hub.create_follow_up(SALES1, customer["id"], {"channel": "call", "content": "报价已发送"})
    # SALES1 gives SALES2 (another team) a task on the customer
    task = hub.create_task(
        SALES1,
        {
            "customer_id": customer["id"],
            "title": "回访",
            "due_at": "2030-01-01T00:00:00Z",
            "assignee_id": "u-sales2",
        },
    )
    return {"customer": customer, "contact": contact, "note": note, "task": task}


def test_the_assignee_opens_the_task_and_marks_it_done(hub, world):
    task = world["task"]
    listed = hub.list_tasks(SALES2, {"assignee_id": SALES2.user_id})["items"]
    assert [t["id"] for t in listed] == [task["id"]]
    assert hub.get_task(SALES2, task["id"])["title"] == "回访"  # was 404: list and get disagreed
    done = hub.update_task(SALES2, task["id"], {"status": "done"}, task["version"])
    assert done["status"] == "done" and done["completed_at"] is not None


def test_the_assignee_may_only_report_progress(hub, world):
    task = world["task"]
    with pytest.raises(PermissionDenied):
        hub.update_task(SALES2, task["id"], {"title": "改个标题"})
    with pytest.raises(PermissionDenied):
        hub.delete_task(SALES2, task["id"])
    # the edit form sends every field back: only the status differs, so it is a status change
    same = {k: task[k] for k in ("title", "due_at", "assignee_id")}
    assert hub.update_task(SALES2, task["id"], {**same, "status": "cancelled"})["status"] == "cancelled"
    with pytest.raises(NotFound):  # someone else's task on a customer they cannot see
        hub.update_task(SALES1B, task["id"], {"status": "done"})
    with pytest.raises(NotFound):  # closed: no longer theirs to read or reopen
        hub.update_task(SALES2, task["id"], {"status": "open"})


def test_a_closed_task_leaves_the_assignees_list_and_get_together(hub, world):
    task = world["task"]
    hub.update_task(SALES1, task["id"], {"status": "done"})
    assert hub.list_tasks(SALES2)["items"] == []
    with pytest.raises(NotFound):
        hub.get_task(SALES2, task["id"])
    assert hub.get_task(SALES1, task["id"])["status"] == "done"


def test_finance_and_support_read_contacts_but_not_the_sales_work(hub, world):
    cid = world["customer"]["id"]
    for caller in (FINANCE, SUPPORT):
        assert hub.get_contact(caller, world["contact"]["id"])["name"] == "张总"
        assert [c["id"] for c in hub.list_contacts(caller, cid)["items"]] == [world["contact"]["id"]]
        with pytest.raises(PermissionDenied):
            hub.get_follow_up(caller, world["note"]["id"])
        with pytest.raises(PermissionDenied):
            hub.list_follow_ups(caller, cid)
        assert hub.list_tasks(caller)["items"] == []


def test_after_a_transfer_the_old_owner_reads_nothing_of_the_customer(hub, world):
    cid = world["customer"]["id"]
    hub.update_task(SALES1, world["task"]["id"], {"status": "done"})
    own = hub.create_task(SALES1, {"customer_id": cid, "title": "已完成", "due_at": "2030-01-01T00:00:00Z"})
    hub.update_task(SALES1, own["id"], {"status": "done"})
    hub.transfer_customers(ADMIN, SALES1.user_id, SALES2.user_id)
    for kind, record in (("follow_up", world["note"]), ("task", own), ("contact", world["contact"])):
        with pytest.raises(NotFound):
            getattr(hub, f"get_{kind}")(SALES1, record["id"])
        state = getattr(hub, f"get_{kind}")(ADMIN, record["id"])
        # the search document's acl, from the same policy: the author/closer is not in it
        assert f"user:{SALES1.user_id}" not in policy.READ[kind].principals(state)
    assert hub.list_tasks(SALES1)["items"] == []
    assert hub.get_follow_up(SALES2, world["note"]["id"])["author_id"] == SALES1.user_id


def test_managers_read_their_team_only(hub, world):
    assert hub.get_follow_up(MANAGER, world["note"]["id"])["id"] == world["note"]["id"]
    assert hub.get_task(MANAGER, world["task"]["id"])["id"] == world["task"]["id"]
    south = Caller("u-m-south", ("manager",), "team-south")
    with pytest.raises(NotFound):
        hub.get_follow_up(south, world["note"]["id"])
    # the south manager's salesperson is assigned the open task: still not the manager's to read
    with pytest.raises(NotFound):
        hub.get_task(south, world["task"]["id"])
