from datetime import UTC, datetime
from typing import Any

import pytest
from search import display
from search.documents import UnknownKind, to_index_op
from search.mapping import PROPERTIES
from search.record import Record

NOW = "2026-01-02T03:04:05.000006Z"


def record(kind: str, data: dict[str, Any], version: int = 3, customer_id: str | None = "c1") -> Record:
    return Record(kind, data["id"], version, customer_id, data, datetime(2026, 1, 2, tzinfo=UTC))


def customer(**over: Any) -> dict[str, Any]:
    return {
        "id": "c1", "version": 3, "created_at": NOW, "updated_at": NOW, "name": "華為技術有限公司",
        "short_name": "华为", "tax_id": "91-4403", "status": "active", "value_tier": "vip", "tags": ["重点"],
        "owner_id": "u1", "team_id": "t1", "created_by": "u1", "industry": "通信", **over,
    }  # fmt: skip


def child(**over: Any) -> dict[str, Any]:
    return {
        "id": "x1", "version": 1, "created_at": NOW, "updated_at": NOW, "customer_id": "c1",
        "customer_name": "A科技有限公司", "owner_id": "u1", "team_id": None, **over,
    }  # fmt: skip


def assert_mapped(doc: dict[str, Any]) -> None:
    # The mapping is dynamic: strict, so an unmapped field would dead-letter every such event.
    assert set(doc) <= set(PROPERTIES), set(doc) - set(PROPERTIES)


def test_customer_document():
    op = to_index_op(record("customer", customer()))
    doc = op.source
    assert (op.doc_id, op.version) == ("customer:c1", 3)
    assert doc["title"] == "华为技术有限公司"  # searchable copy is Simplified
    assert doc["orig"]["title"] == "華為技術有限公司"  # display keeps what the user typed
    assert doc["acl"] == ["user:u1", "team:t1", "role:finance", "role:support"]
    assert doc["name_key"] == ["华为技术", "华为"]
    assert "huaweijishu" in doc["pinyin"] and "hwjs" in doc["initials"]
    assert doc["tax_id"] == "914403" and doc["tags"] == ["重点"] and doc["deleted"] is False
    assert doc["customer_id"] == "c1" and doc["updated_at"] == NOW
    assert_mapped(doc)


def test_contact_document():
    data = child(
        name="张伟", title="采购经理", role="decision_maker", phones=["138-0013-5678"],
        emails=["Zhang@A.com"], wechat_id="ZW88", is_primary=True,
    )  # fmt: skip
    doc = to_index_op(record("contact", data)).source
    assert doc["acl"] == ["user:u1", "role:finance", "role:support"]
    assert (
        "5678" in doc["phone_suffixes"]
        and doc["emails"] == ["zhang@a.com"]
        and doc["email_locals"] == ["zhang"]
    )
    assert doc["customer_name"] == "A科技有限公司" and doc["body"] == "采购经理"
    assert "zw" in doc["initials"]
    assert_mapped(doc)


def test_an_open_task_is_visible_to_its_assignee_but_not_finance():
    data = child(title="回访客户", due_at=NOW, assignee_id="u9", status="open")
    doc = to_index_op(record("task", data)).source
    assert doc["acl"] == ["user:u1", "user:u9"]
    assert doc["due_at"] == NOW and doc["status"] == "open"
    assert_mapped(doc)


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_a_closed_task_is_the_owners_history_not_the_assignees(status):
    # After a transfer the old owner is still the assignee of the tasks they closed; they must
    # not keep finding them (issue 8 §2.5): the customers service's get refuses them too.
    data = child(title="回访客户", due_at=NOW, assignee_id="u9", status=status, team_id="t1")
    assert to_index_op(record("task", data)).source["acl"] == ["user:u1", "team:t1"]


def test_a_follow_up_is_visible_to_the_owner_and_team_not_its_author():
    # The author is the previous owner after a transfer: the notes stay with the customer.
    data = child(
        channel="call",
        occurred_at=NOW,
        author_id="u7",
        content="第一行\n第二行",
        next_follow_up_on="2026-02-01",
        team_id="t1",
    )
    doc = to_index_op(record("follow_up", data)).source
    assert doc["acl"] == ["user:u1", "team:t1"]
    assert doc["author_id"] == "u7"
    assert doc["title"] == "第一行" and doc["body"] == "第一行\n第二行" and doc["due_at"] == "2026-02-01"
    assert_mapped(doc)


def test_tombstone_keeps_the_version_and_shows_to_nobody():
    op = to_index_op(
        record("contact", {"id": "x1", "deleted": True, "customer_id": "c1", "version": 4}, version=4)
    )
    assert op.version == 4
    assert op.source["deleted"] is True and op.source["acl"] == []
    assert_mapped(op.source)


def test_unknown_kind_and_missing_fields_are_refused():
    with pytest.raises(UnknownKind):
        to_index_op(record("planet", {"id": "p"}))
    with pytest.raises(ValueError, match=r"data\.name"):
        to_index_op(record("customer", customer(name="")))
    with pytest.raises(ValueError, match="list of strings"):
        to_index_op(record("contact", child(name="x", phones="123", emails=[])))


def test_a_document_carries_what_its_hit_shows_as_one_blob_and_a_tombstone_none():
    op = to_index_op(record("customer", customer()))
    shown = display.decode({"fields": {"display": [op.source["display"]]}})
    assert shown == {name: op.source[name] for name in display.FIELDS if name in op.source}
    assert (
        shown is not None
        and shown["title"] == "华为技术有限公司"
        and shown["orig"]["title"] == "華為技術有限公司"
    )
    assert "display" not in to_index_op(record("customer", deleted_customer())).source


def deleted_customer() -> dict[str, Any]:
    return {**customer(), "deleted": True}
