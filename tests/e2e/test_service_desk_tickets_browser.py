"""A ticket worked to resolved in a real browser (Chromium via Playwright) on the whole real stack:
support finds the customer, opens a ticket, sees its live SLA clock, replies to the customer,
writes an internal note, pauses it waiting on the customer, assigns it and resolves it; the queue
and the customer's tickets tab follow, and the customer's seller reads it without the internal
note — all under the gateway's CSP (no inline script or style)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_stack import Stack
from kernel.testing import eventually
from playwright.sync_api import Browser, Page, expect, sync_playwright

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
COUNTDOWN = re.compile(r"\d{2}:\d{2}:\d{2}")


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


def _status(page: Page) -> str:
    return (
        page.get_by_test_id("ticket-header").get_by_test_id("ticket-status").get_attribute("data-status")
        or ""
    )


def test_support_works_a_ticket_to_resolved(stack: Stack, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    name = f"工单浏览器{uuid.uuid4().hex[:6]}有限公司"
    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token('sales1')}"}, timeout=10
    ) as api:
        customer = api.post("/api/v1/customers", json={"name": name}).json()

    agent = _page(browser, problems)
    _login(agent, stack, "support")
    agent.get_by_test_id("nav-tickets").click()
    agent.get_by_test_id("new-ticket").click()
    agent.get_by_test_id("ticket-customer-q").fill(name)
    agent.get_by_test_id("ticket-customer-find").click()
    agent.get_by_test_id("ticket-customer-match").filter(has_text=name).click()
    agent.get_by_test_id("ticket-subject").fill("打印机无法连接")
    agent.get_by_test_id("ticket-description").fill("客户说打印机昨天起无法连接网络。")
    agent.get_by_test_id("ticket-priority-input").select_option("P2")
    agent.get_by_test_id("ticket-create").click()

    expect(agent.get_by_test_id("ticket-number")).to_contain_text(re.compile(r"T-\d{4}-\d{6}"))
    number = (agent.get_by_test_id("ticket-number").inner_text()).split()[0]
    assert _status(agent) == "new"
    clock = agent.get_by_test_id("ticket-header").get_by_test_id("sla-clock")
    expect(clock).to_have_text(COUNTDOWN)  # the script ticks it: a countdown, not the server's label
    expect(clock).to_have_attribute("data-sla-state", re.compile("ok|near_breach|breached"))
    ticket_url = agent.url

    # the queue lists it with its clock
    agent.get_by_test_id("nav-tickets").click()
    row = agent.get_by_test_id("ticket-row").filter(has_text=number)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("sla-clock")).to_have_text(COUNTDOWN)
    agent.screenshot(path=str(ARTIFACTS / "ticket-queue.png"), full_page=True)
    agent.goto(ticket_url)

    agent.get_by_test_id("ticket-reply-body").fill("您好，我们已收到您的问题，正在排查。")
    agent.get_by_test_id("ticket-reply-external").click()
    expect(agent.get_by_test_id("timeline-body").filter(has_text="正在排查")).to_have_count(1)
    expect(agent.get_by_test_id("ticket-first-response")).to_contain_text("达成")
    agent.get_by_test_id("ticket-reply-body").fill("怀疑是路由器固件问题。")
    agent.get_by_test_id("ticket-reply-internal").click()
    internal = agent.locator("[data-testid=timeline-entry][data-visibility=internal]").filter(has_text="固件")
    expect(internal.get_by_test_id("internal-marker")).to_have_count(1)

    agent.get_by_test_id("ticket-move-in_progress").click()
    expect(agent.get_by_test_id("ticket-header").get_by_test_id("ticket-status")).to_have_attribute(
        "data-status", "in_progress"
    )
    agent.get_by_test_id("ticket-move-waiting_on_customer").click()
    expect(agent.get_by_test_id("ticket-header").get_by_test_id("sla-clock")).to_have_attribute(
        "data-sla-state", "paused"
    )
    agent.get_by_test_id("ticket-move-in_progress").click()
    expect(agent.get_by_test_id("ticket-header").get_by_test_id("ticket-status")).to_have_attribute(
        "data-status", "in_progress"
    )
    agent.get_by_test_id("ticket-assignee-select").select_option(label="孙客服")
    agent.get_by_test_id("ticket-assign").click()
    expect(agent.get_by_test_id("ticket-assignee")).to_have_text("孙客服")

    agent.get_by_test_id("ticket-status-note").fill("已远程升级固件，客户确认恢复。")
    agent.get_by_test_id("ticket-move-resolved").click()
    expect(agent.get_by_test_id("ticket-header").get_by_test_id("ticket-status")).to_have_attribute(
        "data-status", "resolved"
    )
    expect(agent.get_by_test_id("ticket-move-closed")).to_be_visible()
    expect(agent.get_by_test_id("ticket-move-in_progress")).to_have_text(re.compile("Reopen"))
    agent.screenshot(path=str(ARTIFACTS / "ticket-resolved.png"), full_page=True)

    # out of the queue; on the customer's tickets tab
    agent.get_by_test_id("nav-tickets").click()
    expect(agent.get_by_test_id("ticket-row").filter(has_text=number)).to_have_count(0)
    agent.goto(f"{stack.base_url}/customers/{customer['id']}?tab=tickets")
    expect(
        agent.get_by_test_id("customer-tickets").get_by_test_id("ticket-row").filter(has_text=number)
    ).to_have_count(1)

    # the customer's seller reads it, without the internal note and without controls
    seller = _page(browser, problems)
    _login(seller, stack, "sales1")
    seller.goto(ticket_url)
    expect(seller.get_by_test_id("timeline-body").filter(has_text="正在排查")).to_have_count(1)
    expect(seller.get_by_test_id("timeline-body").filter(has_text="固件问题")).to_have_count(0)
    expect(seller.get_by_test_id("ticket-reply-form")).to_have_count(0)
    assert not [p for p in problems if "Content Security Policy" in p], problems


def _api(stack: Stack, username: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {stack.token(username)}"}
    return httpx.Client(base_url=stack.base_url, headers=headers, timeout=10)


def test_the_rest_contract_on_the_real_stack(stack: Stack) -> None:
    """Issue 10 §4: POST → 201 with the SLA dues (once per Idempotency-Key), comments, the status
    machine's 409 naming the allowed moves, If-Match, 403 / 404 by role, the queue, and the
    ticket number found in the global search."""
    name = f"工单接口{uuid.uuid4().hex[:6]}有限公司"
    with (
        _api(stack, "sales1") as sales1,
        _api(stack, "sales2") as sales2,
        _api(stack, "finance") as finance,
        _api(stack, "support") as support,
    ):
        customer = sales1.post("/api/v1/customers", json={"name": name}).json()
        body = {
            "customer_id": customer["id"],
            "subject": "发票抬头错误",
            "description": "客户要求重开发票。",
            "channel": "email",
            "category": "complaint",
            "priority": "P1",
        }
        key = {"Idempotency-Key": uuid.uuid4().hex}
        created = support.post("/api/v1/tickets", json=body, headers=key)
        assert created.status_code == 201, created.text
        ticket = created.json()
        assert re.fullmatch(r"T-\d{4}-\d{6}", ticket["number"]) and ticket["status"] == "new"
        assert ticket["first_response_due"] < ticket["resolution_due"]
        assert created.headers["Location"] == f"/api/v1/tickets/{ticket['id']}"
        replay = support.post("/api/v1/tickets", json=body, headers=key)
        assert replay.status_code == 201 and replay.json()["id"] == ticket["id"]

        assert sales1.post("/api/v1/tickets", json=body).status_code == 403
        assert finance.get(f"/api/v1/tickets/{ticket['id']}").status_code == 403
        assert sales2.get(f"/api/v1/tickets/{ticket['id']}").status_code == 404
        assert sales1.get(f"/api/v1/tickets/{ticket['id']}").status_code == 200
        bad = support.post("/api/v1/tickets", json={**body, "priority": "P0"})
        assert bad.status_code == 422 and any(e["field"].endswith("priority") for e in bad.json()["errors"])

        comment = support.post(
            f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "已受理", "visibility": "external"}
        )
        assert comment.status_code == 201 and comment.json()["first_responded_at"] is not None
        closing = support.post(f"/api/v1/tickets/{ticket['id']}/status", json={"status": "closed"})
        assert closing.status_code == 409
        assert closing.json()["errors"][0]["allowed"] == ["in_progress", "waiting_on_customer", "resolved"]
        stale = support.post(
            f"/api/v1/tickets/{ticket['id']}/status",
            json={"status": "in_progress"},
            headers={"If-Match": '"1"'},
        )
        assert stale.status_code == 409
        current = support.get(f"/api/v1/tickets/{ticket['id']}")
        moved = support.post(
            f"/api/v1/tickets/{ticket['id']}/status",
            json={"status": "in_progress"},
            headers={"If-Match": current.headers["ETag"]},
        )
        assert moved.status_code == 200 and moved.json()["status"] == "in_progress"

        listed = sales1.get("/api/v1/tickets", params={"customer_id": customer["id"]}).json()["items"]
        assert [t["id"] for t in listed] == [ticket["id"]]
        queue = support.get("/api/v1/tickets/queue", params={"priority": "P1", "limit": 200}).json()["items"]
        assert ticket["id"] in [t["id"] for t in queue]

        def hit() -> dict[str, object] | None:
            items = support.get("/api/v1/search", params={"q": ticket["number"]}).json()["items"]
            return next((h for h in items if h["id"] == ticket["id"]), None)

        found = eventually(hit, timeout=10)
        assert found["kind"] == "ticket" and found["number"] == ticket["number"]
