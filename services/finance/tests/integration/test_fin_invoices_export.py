"""A reindex rebuilds what the events built, for invoices and write-offs; every event they emit
is valid against its published schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from finance import contracts
from finance.app import FinanceApp
from finance.handlers import export, invoices, write_offs
from finance_ledger_fixtures import add_receivable
from finance_testkit import FINANCE, FINANCE_MANAGER, SALES1
from kernel.identity import SYSTEM
from sqlalchemy import text


def test_invoices_and_write_offs_export_the_state_their_last_event_carried(
    finance: FinanceApp, customer: Callable[..., Any]
) -> None:
    acme = customer(SALES1, "A科技有限公司")
    due = finance.run(SYSTEM, add_receivable, acme["id"], 100_000, date(2026, 1, 31))
    invoice = finance.run(
        FINANCE,
        invoices.create_invoice,
        {"customer_id": acme["id"], "receivable_id": due["id"], "tax_rate": "0.13"},
    )
    finance.run(FINANCE, invoices.issue_invoice, invoice["id"])
    asked = finance.run(
        FINANCE, write_offs.request_write_off, due["id"], {"amount_minor": 10_000, "reason": "坏账"}
    )
    finance.run(FINANCE_MANAGER, write_offs.approve_write_off, asked["id"], "同意")

    bodies = finance.run(
        SYSTEM,
        lambda unit: unit.session.execute(text("SELECT body FROM outbox ORDER BY seq")).scalars().all(),
    )
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for body in bodies:
        event = json.loads(body)
        contracts.EVENT_SCHEMAS[event["type"]].model_validate(event["data"])  # the published contract
        latest[(event["aggregate"]["type"], event["aggregate"]["id"])] = event
    for kind in ("invoice", "write_off"):
        page = finance.run(SYSTEM, export.export, kind)
        assert page["items"], f"nothing exported for {kind}"
        for item in page["items"]:
            event = latest[(kind, item["aggregate"]["id"])]
            assert item["aggregate"]["version"] == event["aggregate"]["version"], kind
            assert item["data"] == event["data"], kind
