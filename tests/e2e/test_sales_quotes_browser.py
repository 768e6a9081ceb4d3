"""The quote approval in a real browser (Chromium via Playwright) on the whole real stack: the
seller writes a quote with a discount over the threshold in the editor and submits it, the
manager approves it from the approval inbox, the seller marks it final and sees the PDF preview —
all under the gateway's CSP (no inline script or style)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_stack import Stack
from playwright.sync_api import Browser, Page, expect, sync_playwright

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


def test_write_a_quote_have_it_approved_and_mark_it_final(stack: Stack, browser: Browser):
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    name = f"报价浏览器{uuid.uuid4().hex[:6]}有限公司"
    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token('sales1')}"}, timeout=10
    ) as api:
        customer = api.post("/api/v1/customers", json={"name": name}).json()
        opportunity = api.post(
            "/api/v1/opportunities",
            json={
                "customer_id": customer["id"],
                "title": "浏览器报价",
                "amount_minor": 1_000_000,
                "currency": "CNY",
                "expected_close_date": "2026-12-31",
            },
        ).json()

    seller = _page(browser, problems)
    _login(seller, stack, "sales1")
    seller.goto(f"{stack.base_url}/opportunities/{opportunity['id']}/quotes/new")
    seller.get_by_test_id("quote-valid-until").fill("2027-03-31")
    line = seller.get_by_test_id("quote-line").first
    line.get_by_test_id("line-product").fill("全景CRM 企业版")
    line.get_by_test_id("line-quantity").fill("10")
    line.get_by_test_id("line-unit-price").fill("1200")
    line.get_by_test_id("line-discount").fill("20")  # over the auto-approval threshold
    seller.get_by_test_id("quote-save").click()
    expect(seller.get_by_test_id("quote-version-1")).to_have_attribute("data-status", "draft")
    quote_url = seller.url
    seller.get_by_test_id("submit-1").click()
    expect(seller.get_by_test_id("quote-version-1")).to_have_attribute("data-status", "pending_approval")

    manager = _page(browser, problems)
    _login(manager, stack, "manager")
    manager.get_by_test_id("nav-approvals").click()
    row = manager.locator("[data-testid^=approval-]").filter(has_text=name)
    expect(row).to_have_count(1)
    row.get_by_test_id("approve-comment").fill("同意")
    row.get_by_test_id("approve-1").click()
    expect(manager.locator("[data-testid^=approval-]").filter(has_text=name)).to_have_count(0)

    seller.goto(quote_url)
    expect(seller.get_by_test_id("quote-version-1")).to_have_attribute("data-status", "approved")
    seller.get_by_test_id("final-1").click()
    expect(seller.get_by_test_id("quote-version-1")).to_have_attribute("data-final", "true")
    expect(seller.get_by_test_id("pdf-preview").locator("iframe")).to_have_count(1)
    href = seller.get_by_test_id("pdf-download-1").get_attribute("href") or ""
    pdf = seller.request.get(f"{stack.base_url}{href}")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    seller.screenshot(path=str(ARTIFACTS / "quote-approved.png"), full_page=True)
    assert not [p for p in problems if "Content Security Policy" in p], problems
