"""Producer/consumer agreement: every event the customers service emits is one search indexes.

The producer side is real (CustomerHub on PostgreSQL, bodies read from its outbox), the consumer
side is the indexer's own decoder, so a drift in either contract fails here first.
"""

from __future__ import annotations

from customers import contracts
from customers.storage.models import outbox
from customers_testkit import ADMIN, SALES1
from kernel.envelope import Envelope
from search.documents import IndexOp
from search.kinds import REGISTRY
from search.messages import decode
from sqlalchemy import select


def test_search_accepts_every_customers_event_type():
    accepted = set().union(*(spec.event_types for spec in REGISTRY.values()))
    assert set(contracts.EVENT_TYPES) <= accepted


def test_every_emitted_event_honours_its_schema_and_decodes_for_indexing(hub, sessions):
    c = hub.create_customer(
        SALES1, {"name": "A科技有限公司", "tax_id": "91350100M000100Y43", "tags": ["VIP"]}
    )
    contact = hub.create_contact(
        SALES1, c["id"], {"name": "张总", "phones": ["13812345678"], "emails": ["z@a.cn"]}
    )
    note = hub.create_follow_up(
        SALES1, c["id"], {"channel": "call", "content": "最终报价已发送", "contact_id": contact["id"]}
    )
    task = hub.create_task(
        SALES1, {"customer_id": c["id"], "title": "回访", "due_at": "2020-01-01T00:00:00Z"}
    )
    hub.flag_overdue_tasks()
    hub.update_task(SALES1, task["id"], {"status": "done"})
    hub.update_customer(SALES1, c["id"], {"name": "A科技集团有限公司"})
    hub.transfer_customers(ADMIN, SALES1.user_id, "u-sales1b")
    hub.delete_contact(ADMIN, contact["id"])
    hub.delete_follow_up(ADMIN, note["id"])
    hub.delete_customer(ADMIN, c["id"])
    with sessions() as session:
        bodies = session.execute(select(outbox.c.body).order_by(outbox.c.seq)).scalars().all()
    seen = set()
    for body in bodies:
        envelope = Envelope.from_json(body)
        contracts.EVENT_SCHEMAS[envelope.type].model_validate(envelope.data)
        op = decode(body.encode("utf-8"))
        assert isinstance(op, IndexOp), f"{envelope.type} would be dead-lettered: {op}"
        seen.add(envelope.type)
    assert seen == set(contracts.EVENT_TYPES)
