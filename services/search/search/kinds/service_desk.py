"""Builders for the kinds the service desk publishes (see service_desk.contracts).

A ticket's document carries its customer's name, the ACL from ``service_desk.policy.READ``
(support; the customer's owner and their team's manager), its number as a name (an exact
``T-2026-000042`` is an identity match) and the SLA state the hit shows.
"""

from __future__ import annotations

from typing import Any

from service_desk import contracts
from service_desk.policy import READ

from search.fields import KEYWORD
from search.kinds import documents
from search.kinds.base import base_document, kind_specs, required, summary
from search.record import Record

STATUS_LABELS = {
    "new": "新建",
    "in_progress": "处理中",
    "waiting_on_customer": "等待客户",
    "resolved": "已解决",
    "closed": "已关闭",
}
SLA_LABELS = {
    "ok": "SLA 正常",
    "near_breach": "SLA 即将超时",
    "breached": "SLA 已超时",
    "paused": "SLA 暂停",
    "met": "SLA 达成",
}


def build_ticket(record: Record) -> dict[str, Any]:
    d = record.data
    number = required(d, "number")
    subject = required(d, "subject")
    status = d.get("status")
    doc = base_document(
        record,
        title=f"{number} {subject}",
        customer_name=d.get("customer_name"),
        body=documents.text(d.get("description")),
        status=status,
        names=[number, subject],
        owner_id=d.get("assignee_id"),
        team_id=d.get("team_id"),
        acl=READ[record.kind].principals(d),
        summary_text=summary(
            d.get("priority"), STATUS_LABELS.get(str(status), status), SLA_LABELS.get(str(d.get("sla_state")))
        ),
        created_at=d.get("created_at"),
        updated_at=d.get("updated_at"),
        due_at=d.get("resolution_due"),
    )
    doc.update(number=number, sla_state=d.get("sla_state"), priority=d.get("priority"))
    documents.keywords(doc, d, "category", "channel")
    return doc


KINDS = kind_specs(
    contracts.SERVICE,
    contracts.SEARCH_KINDS,
    {
        "ticket": (
            build_ticket,
            {
                "number": KEYWORD,
                "sla_state": KEYWORD,
                "priority": KEYWORD,
                "category": KEYWORD,
                "channel": KEYWORD,
            },
        )
    },
    hit_fields={"ticket": ("number", "sla_state", "priority")},
)
