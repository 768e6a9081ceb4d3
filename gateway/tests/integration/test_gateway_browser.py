"""The web UI in a real browser (Chromium via Playwright), served by uvicorn with fake services:
search-as-you-type, keyboard navigation, htmx forms, and no console errors (CSP included)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import uvicorn
from gateway.auth.directory import Directory
from gateway.auth.replication import UserReplicator
from gateway.main import create_app
from gateway.seed import seed_demo
from gateway.services.customers.client import CustomersClient
from gateway.settings import GatewaySettings
from gateway_fakes import FakeRpc, MemoryUserStore

pytestmark = pytest.mark.integration
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DEMO_PASSWORD = "demo password 1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    rpc, store = FakeRpc(), MemoryUserStore()
    directory = Directory(store)
    seeding = seed_demo(directory, UserReplicator(rpc, directory), CustomersClient(rpc), DEMO_PASSWORD)
    # Playwright's sync API owns an event loop on this thread: seed on another one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, seeding).result()
    app = create_app(GatewaySettings(environment="test", migrate_on_start=False), rpc=rpc, store=store)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    page.goto(f"{base_url}/login")
    page.fill("#login-username", "sales1")
    page.fill("#login-password", DEMO_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base_url}/")
    yield page
    context.close()


def test_search_as_you_type_and_keyboard_navigation(page: Any, base_url: str) -> None:
    box = page.locator("#global-search-input")
    box.fill("张")
    page.wait_for_selector("[data-testid=search-result]")
    assert page.locator("[data-testid=search-group][data-kind=contact]").count() == 1
    assert page.locator("[data-testid=search-snippet] em").first.inner_text() == "张"
    box.press("ArrowDown")
    box.press("ArrowDown")
    box.press("ArrowUp")
    active = page.locator(".search-item.active")
    assert active.count() == 1
    target = active.get_attribute("href")
    box.press("Enter")
    page.wait_for_url(f"{base_url}{target}")
    assert page.locator("[data-testid=customer-name]").inner_text().startswith("A科技有限公司")
    assert page.console_errors == []


def test_escape_closes_and_slash_focuses_the_search(page: Any) -> None:
    page.keyboard.press("/")
    page.keyboard.type("杭州")
    page.wait_for_selector("[data-testid=search-result]")
    assert page.locator("#search-results").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#search-results").is_visible()


def test_add_a_follow_up_without_reloading(page: Any, base_url: str) -> None:
    page.click("text=A科技有限公司")
    page.wait_for_selector("[data-testid=follow-up-form]")
    page.evaluate("window.__marker = 'same page'")
    page.select_option("[data-testid=follow-up-channel]", "wechat")
    page.fill("[data-testid=follow-up-content]", "浏览器测试：微信发送产品资料")
    page.click("[data-testid=follow-up-submit]")
    page.wait_for_selector("text=浏览器测试：微信发送产品资料")
    first = page.locator("[data-testid=follow-up-item]").first
    assert "浏览器测试" in first.inner_text()
    assert page.evaluate("window.__marker") == "same page"  # htmx swapped the section only
    assert page.console_errors == []


def test_empty_follow_up_shows_field_errors(page: Any) -> None:
    page.click("text=A科技有限公司")
    page.wait_for_selector("[data-testid=follow-up-form]")
    page.eval_on_selector("[data-testid=follow-up-content]", "el => el.removeAttribute('required')")
    page.click("[data-testid=follow-up-submit]")
    page.wait_for_selector("[data-testid=form-errors]")
    assert "内容" in page.locator("[data-testid=form-errors]").inner_text()


def test_audit_tab_and_logout(page: Any, base_url: str) -> None:
    page.click("text=A科技有限公司")
    page.click("[data-testid=tab-audit]")
    page.wait_for_selector("[data-testid=audit-table]")
    page.click("[data-testid=logout]")
    page.wait_for_url(f"{base_url}/login")
    page.goto(f"{base_url}/customers")
    assert page.url.startswith(f"{base_url}/login")
