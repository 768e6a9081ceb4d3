"""Contracts and orders through the gateway on the whole real stack (gateway → RPC → sales →
outbox → search).

The quotes area is built separately: its rows (an opportunity and a quote whose final version
needed a discount approval and was approved) are written straight into the stack's sales
database, as the quote use cases leave them; everything after that goes through the REST API.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from e2e_stack import DATABASES, Stack, _pg_url
from kernel.testing import eventually
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import create_engine, text

AMOUNT = 12_000_000  # ¥120,000.00


def client(stack: Stack, username: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token(username)}"}, timeout=10
    )


def _sales_url() -> str:
    return _pg_url(DATABASES["PANORAMA_SALES_DATABASE_URL"])


def _quote_rows(customer: dict[str, Any], title: str, *, special: bool = True) -> tuple[str, str]:
    """An opportunity in negotiation and its quote, version 1 final and approved (``special``: it
    needed a discount approval)."""
    now = datetime.now(UTC)
    opportunity_id, quote_id, version_id = (str(uuid.uuid4()) for _ in range(3))
    owner, team = customer["owner_id"], customer.get("team_id")
    engine = create_engine(_sales_url())
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO opportunities (id, customer_id, customer_owner_id, title, owner_id, team_id,"
                " amount_minor, currency, expected_close_date, stage, stage_changed_at, created_by,"
                " created_at, updated_at, version) VALUES (:id, :customer, :owner, :title, :owner, :team,"
                " :amount, 'CNY', '2027-01-31', 'negotiation', :now, :owner, :now, :now, 1)"
            ),
            {"id": opportunity_id, "customer": customer["id"], "owner": owner, "team": team,
             "title": title, "amount": AMOUNT, "now": now},
        )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO quotes (id, number, opportunity_id, customer_id, customer_owner_id, owner_id,"
                " team_id, final_version, latest_version, created_by, created_at, updated_at, version)"
                " VALUES (:id, :number, :opp, :customer, :owner, :owner, :team, 1, 1, :owner, :now, :now, 1)"
            ),
            {"id": quote_id, "number": f"Q-E2E-{quote_id[:8]}", "opp": opportunity_id,
             "customer": customer["id"], "owner": owner, "team": team, "now": now},
        )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO quote_versions (id, quote_id, n, status, currency, valid_until, subtotal_minor,"
                " discount_minor, total_minor, max_discount_pct, needs_approval, is_final, created_by,"
                " created_at, updated_at, version) VALUES (:id, :quote, 1, 'approved', 'CNY', '2027-03-31',"
                " :amount, 0, :amount, 20, :special, true, :owner, :now, :now, 1)"
            ),
            {"id": version_id, "quote": quote_id, "amount": AMOUNT, "owner": owner, "now": now,
             "special": special},
        )  # fmt: skip
    engine.dispose()
    return opportunity_id, quote_id


def _opportunity_stage(opportunity_id: str) -> tuple[str, int]:
    engine = create_engine(_sales_url())
    with engine.connect() as conn:
        stage = conn.execute(text("SELECT stage FROM opportunities WHERE id = :id"), {"id": opportunity_id})
        moves = conn.execute(
            text(
                "SELECT count(*) FROM opportunity_stage_changes"
                " WHERE opportunity_id = :id AND to_stage = 'won'"
            ),
            {"id": opportunity_id},
        )
        result = (str(stage.scalar_one()), int(moves.scalar_one()))
    engine.dispose()
    return result


def _outbox(event_type: str, aggregate_id: str) -> list[dict[str, Any]]:
    engine = create_engine(_sales_url())
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT body FROM outbox WHERE routing_key = :t ORDER BY seq"), {"t": event_type}
        )
        events = [json.loads(body) for (body,) in rows]
    engine.dispose()
    return [e for e in events if e["aggregate"]["id"] == aggregate_id]


def test_contract_approval_signature_and_order_through_the_api(stack: Stack):
    with (
        client(stack, "sales1") as sales1,
        client(stack, "manager") as manager,
        client(stack, "finance") as finance,
        client(stack, "sales2") as sales2,
    ):
        found = sales1.get("/api/v1/customers", params={"q": "A科技"})
        assert found.status_code == 200, found.text
        customer = next(c for c in found.json()["items"] if c["name"] == "A科技有限公司")
        title = f"A科技 端到端 {uuid.uuid4().hex[:6]}"
        opportunity_id, quote_id = _quote_rows(customer, title)

        created = sales1.post(
            "/api/v1/contracts",
            json={"quote_id": quote_id, "version": 1},
            headers={"Idempotency-Key": f"e2e-{quote_id}"},
        )
        assert created.status_code == 201, created.text
        contract = created.json()
        assert contract["status"] == "pending_review" and contract["special_price"] is True
        assert contract["customer_name"] == "A科技有限公司" and contract["title"] == title
        replay = sales1.post(
            "/api/v1/contracts",
            json={"quote_id": quote_id, "version": 1},
            headers={"Idempotency-Key": f"e2e-{quote_id}"},
        )
        assert replay.status_code == 201 and replay.json()["id"] == contract["id"]
        again = sales1.post("/api/v1/contracts", json={"quote_id": quote_id, "version": 1})
        assert again.status_code == 409 and again.json()["errors"][0]["field"] == "version"

        url = f"/api/v1/contracts/{contract['id']}"
        unapproved = sales1.post(f"{url}/sign")
        assert unapproved.status_code == 409 and unapproved.json()["errors"][0]["field"] == "approval"
        assert sales1.post(f"{url}/approve", json={"comment": "自己批"}).status_code == 403
        stale = manager.post(f"{url}/approve", json={}, headers={"If-Match": '"9"'})
        assert stale.status_code == 409
        approved = manager.post(
            f"{url}/approve", json={"comment": "同意特价"}, headers={"If-Match": created.headers["ETag"]}
        )
        assert approved.status_code == 200, approved.text
        signed = sales1.post(f"{url}/sign", headers={"If-Match": approved.headers["ETag"]})
        assert signed.status_code == 200 and signed.json()["status"] == "signed"

        plan = {
            "contract_id": contract["id"],
            "service_start": "2027-01-01",
            "service_end": "2027-12-31",
            "instalments": [
                {"due_date": "2027-01-15", "amount_minor": 6_000_000},
                {"due_date": "2027-07-15", "amount_minor": 5_000_000},
            ],
        }
        short = sales1.post("/api/v1/orders", json=plan)
        assert short.status_code == 422 and short.json()["errors"][0]["field"] == "instalments"
        plan["instalments"][1]["amount_minor"] = 6_000_000
        placed = sales1.post("/api/v1/orders", json=plan)
        assert placed.status_code == 201, placed.text
        order = placed.json()
        assert placed.headers["Location"] == f"/api/v1/orders/{order['id']}"
        assert [i["seq"] for i in order["instalments"]] == [1, 2] and order["amount_minor"] == AMOUNT
        assert sales1.post("/api/v1/orders", json=plan).status_code == 409

        assert finance.get(f"/api/v1/orders/{order['id']}").json()["instalments"] == order["instalments"]
        assert sales2.get(f"/api/v1/orders/{order['id']}").status_code == 404
        assert sales2.get(url).status_code == 404
        listed = finance.get("/api/v1/contracts", params={"customer_id": customer["id"], "status": "signed"})
        assert contract["id"] in [c["id"] for c in listed.json()["items"]]

        assert _opportunity_stage(opportunity_id) == ("won", 1)
        events = _outbox("order.placed", order["id"])
        assert len(events) == 1 and events[0]["data"]["instalments"] == order["instalments"]

        # The events reach the search read model (the contract's title, as finance may see it).
        def contract_hit() -> list[dict[str, Any]]:
            response = finance.get("/api/v1/search", params={"q": title})
            assert response.status_code == 200, response.text
            return [h for h in response.json()["items"] if h["id"] == contract["id"]]

        assert eventually(contract_hit, timeout=5)[0]["kind"] == "contract"


def test_the_contract_and_order_pages_render_for_the_owner(stack: Stack):
    with client(stack, "sales1") as api:
        contracts = api.get("/api/v1/contracts").json()["items"]
    assert contracts, "run after the API flow (same stack)"
    web = httpx.Client(base_url=stack.base_url, timeout=10, follow_redirects=False)
    login = web.get("/login")
    token = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert web.post("/login", data={"username": "sales1", "password": "panorama", "csrf_token": token,
                                     "next": "/"}).status_code == 303  # fmt: skip
    page = web.get(f"/contracts/{contracts[0]['id']}")
    assert page.status_code == 200 and contracts[0]["number"] in page.text
    assert web.get("/contracts").status_code == 200
    customer_tab = web.get(f"/customers/{contracts[0]['customer_id']}?tab=contracts")
    assert customer_tab.status_code == 200 and contracts[0]["number"] in customer_tab.text
    web.close()


@pytest.fixture
def page() -> Any:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        context.close()
        browser.close()


def test_sign_and_place_an_order_with_two_instalments_in_the_browser(stack: Stack, page: Page):
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    with client(stack, "sales1") as api:
        customer = next(
            c
            for c in api.get("/api/v1/customers", params={"q": "A科技"}).json()["items"]
            if c["name"] == "A科技有限公司"
        )
        _, quote_id = _quote_rows(customer, f"A科技 浏览器 {uuid.uuid4().hex[:6]}", special=False)
    page.goto(f"{stack.base_url}/login")
    page.get_by_test_id("login-username").fill("sales1")
    page.get_by_test_id("login-password").fill("panorama")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("current-user")).to_have_attribute("title", "sales1")

    page.goto(f"{stack.base_url}/contracts/new?quote_id={quote_id}&version=1")
    page.get_by_test_id("contract-create").click()
    expect(page.get_by_test_id("contract-status")).to_have_attribute("data-status", "pending_review")
    page.get_by_test_id("contract-sign").click()
    expect(page.get_by_test_id("contract-status")).to_have_attribute("data-status", "signed")

    page.get_by_test_id("order-service-start").fill("2027-01-01")
    page.get_by_test_id("order-service-end").fill("2027-12-31")
    page.get_by_test_id("instalment-due").first.fill("2027-01-15")
    page.get_by_test_id("instalment-amount").first.fill("70000")
    total = page.get_by_test_id("instalment-total")
    expect(total).to_have_attribute("data-difference", "5000000")  # ¥50,000 still to plan
    page.get_by_test_id("instalment-add").click()
    expect(page.get_by_test_id("instalment-due")).to_have_count(2)
    page.get_by_test_id("instalment-due").nth(1).fill("2027-07-15")
    page.get_by_test_id("instalment-amount").nth(1).fill("50000")
    expect(total).to_have_attribute("data-difference", "0")
    page.get_by_test_id("order-place").click()

    expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "placed")
    rows = page.get_by_test_id("instalment-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("¥50,000.00")
    assert problems == []  # no script or style refused by the Content-Security-Policy
