"""Invoices and bad-debt write-offs on the whole real stack (gateway → RPC → finance → outbox →
search), and in a real browser: finance drafts an invoice in the UI and issues it, its number
finds it in the global search; finance asks to write off an instalment, the finance manager
approves it from the queue (the requester cannot).

Receivables are made by the order events (another area of issue 10); the one written off here is
written straight into the stack's finance database, as that area leaves it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from e2e_stack import DATABASES, Stack, _pg_url
from kernel.testing import eventually
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import create_engine, text

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


def client(stack: Stack, username: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token(username)}"}, timeout=10
    )


def _page(browser: Browser, problems: list[str]) -> Page:
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1400, "height": 1000}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    return page


def _login(page: Page, stack: Stack, username: str) -> None:
    page.goto(f"{stack.base_url}/login")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill("panorama")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("current-user")).to_have_attribute("title", username)


def _customer(stack: Stack, name: str) -> dict[str, object]:
    with client(stack, "sales1") as sales:
        created = sales.post("/api/v1/customers", json={"name": name})
        assert created.status_code == 201, created.text
        customer: dict[str, object] = created.json()
        return customer


def _receivable(customer: dict[str, object], amount: int) -> str:
    receivable_id, now = str(uuid.uuid4()), datetime.now(UTC)
    engine = create_engine(_pg_url(DATABASES["PANORAMA_FINANCE_DATABASE_URL"]))
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO receivables (id, order_id, order_number, seq, due_date, currency, amount_minor,"
                " paid_minor, written_off_minor, status, order_version, customer_id, customer_name,"
                " customer_owner_id, owner_id, team_id, version, created_at, updated_at)"
                " VALUES (:id, :order, 'SO-E2E-000001', 1, :due, 'CNY', :amount, 0, 0, 'open', 1, :customer,"
                " :name, :owner, :owner, :team, 1, :now, :now)"
            ),
            {"id": receivable_id, "order": str(uuid.uuid4()), "due": date(2026, 1, 31), "amount": amount,
             "customer": customer["id"], "name": customer["name"], "owner": customer["owner_id"],
             "team": customer.get("team_id"), "now": now},
        )  # fmt: skip
    engine.dispose()
    return receivable_id


def _written_off(receivable_id: str) -> tuple[int, str]:
    engine = create_engine(_pg_url(DATABASES["PANORAMA_FINANCE_DATABASE_URL"]))
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT written_off_minor, status FROM receivables WHERE id = :id"), {"id": receivable_id}
        ).one()
    engine.dispose()
    return int(row.written_off_minor), str(row.status)


def test_draft_and_issue_an_invoice_in_the_browser_and_find_it_by_number(
    stack: Stack, browser: Browser
) -> None:
    customer = _customer(stack, f"E2E发票{uuid.uuid4().hex[:6]}科技有限公司")
    problems: list[str] = []
    page = _page(browser, problems)
    _login(page, stack, "finance")
    page.get_by_test_id("nav-invoices").click()
    page.get_by_test_id("invoice-new").click()
    page.get_by_test_id("invoice-customer-id").fill(str(customer["id"]))
    page.get_by_test_id("invoice-amount").fill("1130")
    page.get_by_test_id("invoice-tax-rate").select_option("0.13")
    page.get_by_test_id("invoice-create").click()
    expect(page.get_by_test_id("invoice-status")).to_have_attribute("data-status", "draft")
    expect(page.get_by_test_id("invoice-tax")).to_have_text("¥130.00")
    page.get_by_test_id("invoice-issue").click()
    expect(page.get_by_test_id("invoice-status")).to_have_attribute("data-status", "issued")
    number = page.get_by_test_id("invoice-number").inner_text().split()[1]
    assert number.startswith("INV-") and problems == []

    with client(stack, "finance") as finance:

        def hit() -> list[dict[str, object]] | None:
            items = finance.get("/api/v1/search", params={"q": number}).json().get("items", [])
            return items if items and items[0]["kind"] == "invoice" else None

        assert eventually(hit, timeout=10)[0]["number"] == number  # type: ignore[index]
        invoice_id = page.url.rsplit("/", 1)[1]
        voided = finance.post(f"/api/v1/invoices/{invoice_id}/void", json={"reason": "开错 wrong"})
        assert voided.status_code == 200 and voided.json()["number"] == number  # the number stays


def test_a_write_off_is_approved_by_the_finance_manager_only(stack: Stack, browser: Browser) -> None:
    customer = _customer(stack, f"E2E坏账{uuid.uuid4().hex[:6]}贸易有限公司")
    receivable_id = _receivable(customer, 50_000)
    with client(stack, "finance") as finance:
        asked = finance.post(
            f"/api/v1/receivables/{receivable_id}/write-off",
            json={"reason": "客户破产 bankrupt"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert asked.status_code == 201 and asked.json()["amount_minor"] == 50_000
        write_off_id = asked.json()["id"]
        assert finance.post(f"/api/v1/write-offs/{write_off_id}/approve").status_code == 403
        # The same decision through the receivable (§4: "write-off (+ approve)"): refused to the requester.
        assert finance.post(f"/api/v1/receivables/{receivable_id}/write-off/approve").status_code == 403
    problems: list[str] = []
    page = _page(browser, problems)
    _login(page, stack, "finmgr")
    page.get_by_test_id("nav-write-offs").click()
    row = page.locator(f'[data-write-off-id="{write_off_id}"]')
    row.get_by_test_id("write-off-approve").click()
    expect(page.locator(f'[data-write-off-id="{write_off_id}"]')).to_have_count(0)  # gone from the queue
    assert _written_off(receivable_id) == (50_000, "written_off") and problems == []
