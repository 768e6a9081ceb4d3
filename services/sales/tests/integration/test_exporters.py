"""A reindex rebuilds what the events built: for every sales kind, the export of a record carries
the same aggregate and the same state as the newest event about it in the outbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kernel.identity import SYSTEM
from sales import contracts as c
from sales.handlers import contracts, export, leads, opportunities, orders, quotes
from sales_testkit import SALES1
from sqlalchemy import text

pytestmark = pytest.mark.integration

LINES = [{"product": "全景CRM 企业版", "quantity": 2, "unit_price_minor": 100_000, "discount_pct": "0"}]


def _latest_events(sales: Any) -> dict[tuple[str, str], dict[str, Any]]:
    def read(unit: Any) -> list[Any]:
        return list(unit.session.execute(text("SELECT body FROM outbox ORDER BY seq")).scalars())

    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for body in sales.run(SYSTEM, read):
        event = body if isinstance(body, dict) else json.loads(body)
        latest[(event["aggregate"]["type"], event["aggregate"]["id"])] = event
    return latest


def test_every_kind_exports_the_state_its_last_event_carried(sales, customer):
    acme = customer(SALES1, "A科技有限公司")
    lead = {"company_name": "B科技有限公司", "source": "web_form", "grade": "A"}
    sales.run(SALES1, leads.create_lead, lead)
    opp = sales.run(
        SALES1,
        opportunities.create_opportunity,
        {
            "customer_id": acme["id"],
            "title": "CRM",
            "amount_minor": 200_000,
            "currency": "CNY",
            "expected_close_date": "2026-12-31",
        },
    )
    body = {"currency": "CNY", "valid_until": "2027-01-31", "lines": LINES}
    quote = sales.run(SALES1, quotes.create_quote, opp["id"], body)
    sales.run(SALES1, quotes.submit_quote_version, quote["id"], 1)
    sales.run(SALES1, quotes.mark_quote_version_final, quote["id"], 1)
    contract = sales.run(SALES1, contracts.create_contract, quote["id"], 1)
    sales.run(SALES1, contracts.sign_contract, contract["id"])
    sales.run(
        SALES1,
        orders.place_order,
        {
            "contract_id": contract["id"],
            "service_start": "2027-01-01",
            "service_end": "2027-12-31",
            "instalments": [{"due_date": "2027-01-15", "amount_minor": 200_000}],
        },
    )

    events = _latest_events(sales)
    for kind in c.EXPORT_KINDS:
        page = sales.run(SYSTEM, export.export, kind)
        assert page["items"], f"nothing exported for {kind}"
        for item in page["items"]:
            event = events[(kind, item["aggregate"]["id"])]
            assert item["aggregate"]["version"] == event["aggregate"]["version"], kind
            assert item["data"] == event["data"], kind
