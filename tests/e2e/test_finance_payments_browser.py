"""Payment entry in a real browser (Chromium via Playwright) on the whole real stack: finance
finds the customer, types the amount in 元, lets "oldest first" allocate it, sees the credit that
remains, records the payment and reads it back with its allocations; the receivables are paid and
the ledger check finds nothing — all under the gateway's CSP (no inline script or style).

The customer's two instalments are written straight into the finance database (the receivables'
own origin, order events, is tested in its area); everything after that is the real path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from e2e_stack import Stack
from finance.storage.models import ReceivableRow
from kernel.clock import utcnow
from kernel.ids import new_id
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def _receivables(stack: Stack, customer: dict[str, object], plan: list[tuple[date, int]]) -> list[str]:
    engine = create_engine(stack.env["PANORAMA_FINANCE_DATABASE_URL"])
    ids = []
    order_id, now = new_id(), utcnow()
    with Session(engine) as session, session.begin():
        for seq, (due, amount) in enumerate(plan, start=1):
            row = ReceivableRow(
                id=new_id(), order_id=order_id, order_number="SO-2026-009901", seq=seq,
                customer_id=customer["id"], customer_name=customer["name"],
                customer_owner_id=customer["owner_id"], owner_id=customer["owner_id"],
                team_id=customer.get("team_id"), due_date=due, currency="CNY", amount_minor=amount,
                paid_minor=0, written_off_minor=0, status="open", order_version=1, version=1,
                created_at=now, updated_at=now,
            )  # fmt: skip
            session.add(row)
            ids.append(row.id)
    engine.dispose()
    return ids


def _login(page: Page, stack: Stack, username: str) -> None:
    page.goto(f"{stack.base_url}/login")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill("panorama")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("current-user")).to_have_attribute("title", username)


def test_record_a_payment_allocated_oldest_first(stack: Stack, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    name = f"回款浏览器{uuid.uuid4().hex[:6]}有限公司"
    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token('sales1')}"}, timeout=10
    ) as api:
        customer = api.post("/api/v1/customers", json={"name": name}).json()
    first, second = _receivables(
        stack, customer, [(date(2026, 10, 15), 100_000), (date(2026, 12, 15), 80_000)]
    )

    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1400, "height": 1000}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    _login(page, stack, "finance")
    page.get_by_test_id("nav-payments").click()
    page.get_by_test_id("payment-new").click()
    page.get_by_test_id("payment-customer-q").fill(name[:8])
    page.get_by_test_id("payment-customer-search").click()
    page.get_by_test_id("payment-customer-choice").filter(has_text=name).click()
    expect(page.get_by_test_id("allocation-row")).to_have_count(2)
    page.get_by_test_id("payment-amount").fill("1,500.50")
    page.get_by_test_id("payment-reference").fill("HX-E2E-0001")
    page.get_by_test_id("allocate-oldest-first").click()
    inputs = page.get_by_test_id("allocation-input")
    expect(inputs.nth(0)).to_have_value("1000.00")
    expect(inputs.nth(1)).to_have_value("500.50")
    expect(page.get_by_test_id("allocation-remaining")).to_have_text("0.00")
    inputs.nth(1).fill("400")  # keep ¥100.50 as credit
    expect(page.get_by_test_id("allocation-remaining")).to_have_text("100.50")
    page.screenshot(path=str(ARTIFACTS / "finance-payment-entry.png"), full_page=True)
    page.get_by_test_id("payment-submit").click()

    expect(page.get_by_test_id("payment-number")).to_contain_text("PAY-")
    expect(page.get_by_test_id("payment-allocation-row")).to_have_count(2)
    expect(page.get_by_test_id("payment-credit")).to_have_text("¥100.50")
    payment_id = page.get_by_test_id("payment-header").get_attribute("data-payment-id")
    # the credit that remains is refunded from the same page
    page.get_by_test_id("refund-amount").fill("100.5")
    page.get_by_test_id("refund-reason").fill("多付退回")
    page.get_by_test_id("refund-submit").click()
    expect(page.get_by_test_id("payment-refund-row")).to_have_count(1)
    expect(page.get_by_test_id("payment-credit")).to_have_text("¥0.00")
    page.screenshot(path=str(ARTIFACTS / "finance-payment-detail.png"), full_page=True)
    context.close()
    assert not problems, problems

    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token('admin')}"}, timeout=10
    ) as api:
        payment = api.get(f"/api/v1/payments/{payment_id}").json()
        assert (payment["amount_minor"], payment["allocated_minor"], payment["refunded_minor"]) == (
            150_050,
            140_000,
            10_050,
        )
        assert {(a["receivable_id"], a["amount_minor"]) for a in payment["allocations"]} == {
            (first, 100_000),
            (second, 40_000),
        }
        open_left = api.get(f"/api/v1/customers/{customer['id']}/open-receivables").json()
        assert [(r["id"], r["outstanding_minor"]) for r in open_left] == [(second, 40_000)]
        assert (
            api.get("/api/v1/ledger-check", params={"customer_id": customer["id"]}).json()["violations"] == []
        )
