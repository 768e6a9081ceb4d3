"""Builders for the kinds the customers service publishes (see customers.contracts)."""

from __future__ import annotations

from typing import Any

from customers import contracts
from customers.policy import READ

from search import enrich
from search.fields import BOOLEAN, KEYWORD
from search.kinds.base import (
    base_document,
    first_line,
    kind_specs,
    required,
    summary,
)
from search.record import Record


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("expected a list of strings")
    return [v for v in value if v.strip()]


def build_customer(record: Record) -> dict[str, Any]:
    d = record.data
    name = required(d, "name")
    short_name = d.get("short_name")
    tags = _strings(d.get("tags"))
    doc = base_document(
        record,
        title=name,
        customer_name=name,
        body=summary(d.get("industry"), d.get("region"), d.get("address"), d.get("source")),
        status=d.get("status"),
        names=[name, *([short_name] if short_name else [])],
        alt_names=[short_name] if short_name else [],
        owner_id=required(d, "owner_id"),
        team_id=d.get("team_id"),
        acl=READ[record.kind].principals(d),
        summary_text=summary(short_name, d.get("industry"), d.get("region"), d.get("tax_id")),
        created_at=d.get("created_at"),
        updated_at=d.get("updated_at"),
    )
    doc["customer_id"] = record.id
    doc["tags"] = enrich.tag_terms(tags)
    if d.get("tax_id"):
        doc["tax_id"] = enrich.tax_id_key(d["tax_id"])
    for key in ("value_tier", "size", "industry", "region"):
        if d.get(key):
            doc[key] = d[key]
    return doc


def build_contact(record: Record) -> dict[str, Any]:
    d = record.data
    name = required(d, "name")
    phones = _strings(d.get("phones"))
    emails = _strings(d.get("emails"))
    whole_emails, email_locals = enrich.email_terms(emails)
    doc = base_document(
        record,
        title=name,
        customer_name=d.get("customer_name"),
        body=d.get("title"),
        names=[name],
        owner_id=required(d, "owner_id"),
        team_id=d.get("team_id"),
        acl=READ[record.kind].principals(d),
        summary_text=summary(d.get("title"), phones, emails),
        created_at=d.get("created_at"),
        updated_at=d.get("updated_at"),
    )
    doc.update(
        phones=phones,
        phone_suffixes=enrich.phone_suffixes(phones),
        emails=whole_emails,
        email_locals=email_locals,
        is_primary=bool(d.get("is_primary")),
    )
    # As typed, so a snippet can mark the matching phone or address in its own format.
    doc["orig"].update({key: value for key, value in (("phones", phones), ("emails", emails)) if value})
    if d.get("role"):
        doc["role"] = d["role"]
    if d.get("wechat_id"):
        doc["wechat_id"] = str(d["wechat_id"]).strip().lower()
    return {key: value for key, value in doc.items() if value != []}


def build_follow_up(record: Record) -> dict[str, Any]:
    d = record.data
    content = required(d, "content")
    author_id = required(d, "author_id")
    doc = base_document(
        record,
        title=first_line(content),
        customer_name=d.get("customer_name"),
        body=content,
        owner_id=required(d, "owner_id"),
        team_id=d.get("team_id"),
        acl=READ[record.kind].principals(d),
        # The first line is the title; the summary is what follows it.
        summary_text=first_line("\n".join(content.strip().splitlines()[1:])) or None,
        created_at=d.get("created_at"),
        updated_at=d.get("updated_at"),
        occurred_at=d.get("occurred_at"),
        due_at=d.get("next_follow_up_on"),
    )
    doc.update(author_id=author_id, channel=d.get("channel"), contact_id=d.get("contact_id"))
    return {key: value for key, value in doc.items() if value is not None}


def build_task(record: Record) -> dict[str, Any]:
    d = record.data
    title = required(d, "title")
    assignee_id = required(d, "assignee_id")
    doc = base_document(
        record,
        title=title,
        customer_name=d.get("customer_name"),
        names=[title],
        status=d.get("status"),
        owner_id=required(d, "owner_id"),
        team_id=d.get("team_id"),
        acl=READ[record.kind].principals(d),
        # Not the customer name: the hit shows it already.
        summary_text=summary(d.get("status"), str(d.get("due_at") or "")[:10]),
        created_at=d.get("created_at"),
        updated_at=d.get("updated_at"),
        due_at=d.get("due_at"),
    )
    doc["assignee_id"] = assignee_id
    return doc


KINDS = kind_specs(
    contracts.SERVICE,
    contracts.SEARCH_KINDS,
    {
        "customer": (
            build_customer,
            {"value_tier": KEYWORD, "size": KEYWORD, "industry": KEYWORD, "region": KEYWORD},
        ),
        "contact": (
            build_contact,
            {"role": KEYWORD, "is_primary": BOOLEAN, "wechat_id": KEYWORD},
        ),
        "follow_up": (
            build_follow_up,
            {"channel": KEYWORD, "contact_id": KEYWORD, "author_id": KEYWORD},
        ),
        "task": (build_task, {"assignee_id": KEYWORD}),
    },
)
