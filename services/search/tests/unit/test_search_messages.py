import json

from kernel.envelope import make_event
from search.documents import IndexOp
from search.messages import Poison, decode

CUSTOMER = {
    "id": "c1", "version": 2, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
    "name": "A科技有限公司", "status": "active", "value_tier": "normal", "tags": [], "owner_id": "u1",
    "created_by": "u1",
}  # fmt: skip


def envelope(
    type_: str = "customer.updated", aggregate: str = "customer", data=None, version: int = 2
) -> bytes:
    event = make_event(
        type=type_, source="customers", aggregate_type=aggregate, aggregate_id="c1", version=version,
        actor_id="u1", data=data if data is not None else CUSTOMER, customer_id="c1",
    )  # fmt: skip
    return event.to_json().encode()


def test_a_valid_event_becomes_an_external_versioned_write():
    op = decode(envelope(version=7))
    assert isinstance(op, IndexOp)
    assert op.doc_id == "customer:c1" and op.version == 7 and op.occurred_at is not None


def test_invalid_json_is_poison():
    result = decode(b"{nope")
    assert isinstance(result, Poison) and result.reason.startswith("invalid json")
    assert isinstance(decode(b"\xff\xfe"), Poison)


def test_envelope_failing_the_kernel_schema_is_poison():
    body = json.loads(envelope())
    del body["aggregate"]
    result = decode(json.dumps(body).encode())
    assert isinstance(result, Poison) and "invalid envelope" in result.reason and "aggregate" in result.reason


def test_unknown_kind_and_event_type_are_poison():
    result = decode(envelope(type_="planet.created", aggregate="planet"))
    assert isinstance(result, Poison) and result.reason == "unknown kind: 'planet'"
    result = decode(envelope(type_="customer.exploded"))
    assert isinstance(result, Poison) and result.reason == "unknown event type: 'customer.exploded'"


def test_data_a_builder_rejects_is_poison():
    result = decode(envelope(data={**CUSTOMER, "name": None}))
    assert isinstance(result, Poison) and "unbuildable customer.updated" in result.reason


def test_tombstone_event():
    op = decode(
        envelope(type_="customer.deleted", data={"id": "c1", "deleted": True, "version": 3}, version=3)
    )
    assert isinstance(op, IndexOp) and op.source["deleted"] is True and op.version == 3
