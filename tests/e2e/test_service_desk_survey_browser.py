"""The satisfaction survey in a real browser on the whole real stack: a VIP customer's ticket is
resolved, the service desk's own ``ticket.resolved`` consumer sends its survey (and books the
care visit in the customers service), support fetches the link over REST, and the customer,
not logged in, answers it once; opening it again says it was answered.

The ticket itself is written into the stack's service-desk database and published through the
outbox exactly as the ticket use cases do (``desk_ticket_fixtures``): the relay, the broker and
the consumer that follow are the real ones."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from desk_ticket_fixtures import add_ticket, resolve_ticket
from e2e_stack import DATABASES, Stack, _pg_url
from kernel.db import make_engine, make_sessionmaker
from playwright.sync_api import Browser, Page, expect, sync_playwright
from service_desk.app import ServiceDeskApp

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


class NoCustomers:
    """The tickets are written directly: nothing here asks the customers service."""

    def get_customer(self, caller: Any, customer_id: str) -> dict[str, Any]:
        raise AssertionError("not used")

    def call(self, caller: Any, method: str, **kwargs: Any) -> Any:
        raise AssertionError("not used")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def desk_db(stack: Stack) -> Iterator[ServiceDeskApp]:
    engine = make_engine(_pg_url(DATABASES["PANORAMA_SERVICE_DESK_DATABASE_URL"]))
    yield ServiceDeskApp(make_sessionmaker(engine), NoCustomers())
    engine.dispose()


def _eventually(fetch: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = fetch()
        if result is not None or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


def test_answer_a_survey_once_without_logging_in(
    stack: Stack, browser: Browser, desk_db: ServiceDeskApp
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    name = f"回访浏览器{uuid.uuid4().hex[:6]}有限公司"
    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token('sales1')}"}, timeout=10
    ) as seller:
        customer = seller.post("/api/v1/customers", json={"name": name, "value_tier": "vip"}).json()
    now = datetime.now(UTC)
    ticket = add_ticket(desk_db, customer, created_at=now - timedelta(hours=2), subject="发票打印乱码")
    resolve_ticket(desk_db, ticket["id"], now)

    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token('support')}"}, timeout=10
    ) as support:

        def survey() -> dict[str, Any] | None:
            response = support.get(f"/api/v1/tickets/{ticket['id']}/survey")
            return response.json() if response.status_code == 200 else None

        sent = _eventually(survey)
    assert sent is not None, "the survey was not sent after ticket.resolved"
    assert sent["status"] == "open" and sent["url"].startswith(f"{stack.base_url}/survey/")

    problems: list[str] = []
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")  # nobody logged in
    page: Page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.goto(sent["url"])
    expect(page.get_by_test_id("survey-ticket")).to_contain_text(ticket["number"])
    expect(page.get_by_test_id("survey-ticket")).to_contain_text(name)
    expect(page.get_by_test_id("current-user")).to_have_count(0)
    page.locator("label.survey-score", has=page.get_by_test_id("survey-score-5")).click()
    page.get_by_test_id("survey-comment").fill("处理得又快又好")
    page.get_by_test_id("survey-submit").click()
    expect(page.get_by_test_id("survey-thanks")).to_be_visible()
    expect(page.get_by_test_id("survey-thanks-score")).to_have_text("5")
    page.screenshot(path=str(ARTIFACTS / "service-desk-survey-thanks.png"), full_page=True)

    page.goto(sent["url"])
    expect(page.get_by_test_id("survey-answered")).to_be_visible()
    expect(page.get_by_test_id("survey-form")).to_have_count(0)
    assert problems == []  # (the invalid link below is a 404: the browser logs that one)
    page.goto(f"{stack.base_url}/survey/{sent['url'].rsplit('/', 1)[1][:-2]}xx")  # edited: invalid
    expect(page.get_by_test_id("survey-invalid")).to_be_visible()
    context.close()

    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token('support')}"}, timeout=10
    ) as support:
        answered = support.get(f"/api/v1/tickets/{ticket['id']}/survey").json()
    assert (answered["status"], answered["score"], answered["url"]) == ("answered", 5, None)
    # the VIP's care visit: a task for the customer's owner in the customers service
    with httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token('sales1')}"}, timeout=10
    ) as seller:

        def care_visit() -> dict[str, Any] | None:
            items = seller.get("/api/v1/tasks", params={"customer_id": customer["id"]}).json()["items"]
            return next((t for t in items if t["title"].startswith(f"回访：{ticket['number']}")), None)

        task = _eventually(care_visit, timeout=10)
    assert task is not None and task["assignee_id"] == customer["owner_id"]
