"""The opportunities board in a real browser (Chromium via Playwright) on the whole real stack:
new opportunity from the customer page, drag a card forward (the board asks for the close date),
close it as lost with a reason, all under the gateway's CSP (no inline script or style)."""

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


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1600, "height": 1000}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_walk_the_board(stack: Stack, page: Page):
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    name = f"看板浏览器{uuid.uuid4().hex[:6]}有限公司"
    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token('sales1')}"}, timeout=10
    ) as api:
        customer = api.post("/api/v1/customers", json={"name": name}).json()

    page.goto(f"{stack.base_url}/login")
    page.get_by_test_id("login-username").fill("sales1")
    page.get_by_test_id("login-password").fill("panorama")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("current-user")).to_have_attribute("title", "sales1")

    # from the customer page's 商机 tab: a new opportunity without a close date
    page.goto(f"{stack.base_url}/customers/{customer['id']}")
    page.get_by_test_id("tab-opportunities").click()
    page.get_by_test_id("customer-opportunity-new").click()
    expect(page.get_by_test_id("opportunity-form-customer")).to_have_text(name)
    title = f"浏览器商机 {uuid.uuid4().hex[:4]}"
    page.get_by_test_id("opportunity-title-input").fill(title)
    page.get_by_test_id("opportunity-amount-input").fill("150000")
    page.get_by_test_id("opportunity-submit").click()
    expect(page.get_by_test_id("opportunity-name")).to_have_text(title)
    expect(page.get_by_test_id("stage-badge")).to_have_text("需求确认")

    # the board: drag it to 产品演示; the close date is missing, so the board asks for it
    page.goto(f"{stack.base_url}/opportunities?owner=me")
    card = page.get_by_test_id("opportunity-card").filter(has_text=title)
    card.drag_to(page.get_by_test_id("column-demo"))
    fill = page.get_by_test_id("fill-form")
    expect(fill).to_be_visible()
    expect(page.get_by_test_id("form-errors")).to_contain_text("预计成交日")
    page.screenshot(path=str(ARTIFACTS / "opportunities-board-fill.png"), full_page=True)
    page.get_by_test_id("fill-close-date").fill("2027-06-30")
    page.get_by_test_id("fill-submit").click()
    demo = page.get_by_test_id("column-demo").get_by_test_id("opportunity-card").filter(has_text=title)
    expect(demo).to_be_visible()

    # then the forward button, then lost: the reason is asked for
    demo.get_by_test_id("stage-forward").click()
    proposal = (
        page.get_by_test_id("column-proposal").get_by_test_id("opportunity-card").filter(has_text=title)
    )
    expect(proposal).to_be_visible()
    proposal.get_by_test_id("stage-lost").click()
    proposal.get_by_test_id("lost-reason").select_option("competitor")
    proposal.get_by_test_id("lost-note").fill("选了别家")
    proposal.get_by_test_id("lost-submit").click()
    lost = page.get_by_test_id("column-lost").get_by_test_id("opportunity-card").filter(has_text=title)
    expect(lost).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "opportunities-board.png"), full_page=True)

    lost.get_by_test_id("opportunity-title").click()
    expect(page.get_by_test_id("stage-history-row")).to_have_count(4)
    expect(page.get_by_test_id("opportunity-lost-reason")).to_contain_text("选了别家")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
