"""Issue 10's stories on the whole real stack, through the REST contract of §4:
"payments update in real time, overdue risk is flagged automatically" — an order placed by sales
becomes receivables, finance records a payment against one, and both are found by the customer's
name; "when the customer calls again, support immediately sees every earlier issue" — a ticket
worked to resolved, its survey answered once through the public link, found by its number."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from e2e_stack import Stack
from kernel.testing import eventually


def client(stack: Stack, username: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {stack.token(username)}"} if username else {}
    return httpx.Client(base_url=stack.base_url, headers=headers, timeout=20, follow_redirects=True)


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def place_order(sales1: httpx.Client, manager: httpx.Client, customer: dict[str, Any]) -> dict[str, Any]:
    opportunity = ok(
        sales1.post(
            "/api/v1/opportunities",
            json={
                "customer_id": customer["id"],
                "title": "年度订阅",
                "amount_minor": 1_000_000,
                "currency": "CNY",
                "expected_close_date": "2026-12-31",
            },
        ),
        201,
    )
    lines = [{"product": "订阅", "quantity": 1, "unit_price_minor": 1_000_000, "discount_pct": "0"}]
    quote = ok(
        sales1.post(
            f"/api/v1/opportunities/{opportunity['id']}/quotes",
            json={"currency": "CNY", "valid_until": "2027-01-31", "lines": lines},
        ),
        201,
    )
    ok(sales1.post(f"/api/v1/quotes/{quote['id']}/versions/1/submit"))
    ok(sales1.post(f"/api/v1/quotes/{quote['id']}/versions/1/mark-final"))
    contract = ok(sales1.post("/api/v1/contracts", json={"quote_id": quote["id"], "version": 1}), 201)
    if contract["special_price"]:
        ok(manager.post(f"/api/v1/contracts/{contract['id']}/approve", json={}))
    ok(sales1.post(f"/api/v1/contracts/{contract['id']}/sign"))
    return ok(
        sales1.post(
            "/api/v1/orders",
            json={
                "contract_id": contract["id"],
                "instalments": [
                    {"due_date": "2027-01-15", "amount_minor": 600_000},
                    {"due_date": "2027-07-15", "amount_minor": 400_000},
                ],
            },
        ),
        201,
    )


def hits(user: httpx.Client, q: str, kind: str) -> list[dict[str, Any]]:
    return [h for h in ok(user.get("/api/v1/search", params={"q": q}))["items"] if h["kind"] == kind]


def test_an_order_becomes_receivables_and_a_payment_pays_one(stack: Stack) -> None:
    with (
        client(stack, "sales1") as sales1,
        client(stack, "manager") as manager,
        client(stack, "finance") as finance,
        client(stack, "support") as support,
    ):
        name = f"A科技{uuid.uuid4().hex[:4]}有限公司"
        customer = ok(sales1.post("/api/v1/customers", json={"name": name}), 201)
        order = place_order(sales1, manager, customer)

        def receivables() -> list[dict[str, Any]] | None:
            items = ok(finance.get("/api/v1/receivables", params={"customer_id": customer["id"]}))["items"]
            return items if len(items) == 2 else None

        first, second = sorted(eventually(receivables, timeout=30), key=lambda r: r["due_date"])
        assert (first["order_id"], first["amount_minor"], first["outstanding_minor"]) == (
            order["id"],
            600_000,
            600_000,
        )
        assert first["status"] == "open" and first["currency"] == "CNY" and first["overdue_days"] == 0

        body = {
            "customer_id": customer["id"],
            "received_on": "2026-12-01",
            "amount_minor": 700_000,
            "currency": "CNY",
            "payer": name,
            "reference": order["number"],
            "allocations": [{"receivable_id": first["id"], "amount_minor": 600_000}],
        }
        key = {"Idempotency-Key": uuid.uuid4().hex}
        payment = ok(finance.post("/api/v1/payments", json=body, headers=key), 201)
        assert ok(finance.post("/api/v1/payments", json=body, headers=key), 201)["id"] == payment["id"]
        assert sales1.post("/api/v1/payments", json=body).status_code == 403

        paid = ok(finance.get(f"/api/v1/receivables/{first['id']}"))
        assert (paid["status"], paid["paid_minor"], paid["outstanding_minor"]) == ("paid", 600_000, 0)
        # The seller reads their customer's receivables; support has no financial records at all.
        assert (
            len(ok(sales1.get("/api/v1/receivables", params={"customer_id": customer["id"]}))["items"]) == 2
        )
        assert support.get("/api/v1/receivables", params={"customer_id": customer["id"]}).status_code == 403

        def found() -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
            receivable_hits = hits(finance, name, "receivable")
            payment_hits = hits(finance, payment["number"], "payment")
            done = len(receivable_hits) == 2 and payment_hits
            return (receivable_hits, payment_hits) if done else None

        receivable_hits, payment_hits = eventually(found, timeout=30)
        assert payment_hits[0]["id"] == payment["id"]
        assert {h["id"] for h in receivable_hits} == {first["id"], second["id"]}
        assert hits(support, name, "receivable") == []


def test_a_ticket_is_worked_to_resolved_and_its_survey_answered_once(stack: Stack) -> None:
    with (
        client(stack, "sales1") as sales1,
        client(stack, "support") as support,
        client(stack, "finance") as finance,
    ):
        name = f"B贸易{uuid.uuid4().hex[:4]}有限公司"
        customer = ok(sales1.post("/api/v1/customers", json={"name": name}), 201)
        ticket = ok(
            support.post(
                "/api/v1/tickets",
                json={
                    "customer_id": customer["id"],
                    "subject": "系统登录报错",
                    "description": "客户来电：登录时提示 500",
                    "channel": "phone",
                    "category": "fault",
                    "priority": "P2",
                },
            ),
            201,
        )
        assert ticket["number"].startswith("T-") and ticket["status"] == "new"
        assert ticket["first_response_due"] < ticket["resolution_due"]
        assert sales1.post("/api/v1/tickets", json={}).status_code in (403, 422)
        ok(support.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "已收到，正在排查"}), 201)
        ok(support.post(f"/api/v1/tickets/{ticket['id']}/status", json={"status": "in_progress"}))
        resolved = ok(support.post(f"/api/v1/tickets/{ticket['id']}/status", json={"status": "resolved"}))
        assert resolved["status"] == "resolved"

        survey = eventually(lambda: _survey_link(support, ticket["id"]), timeout=30)
        token = survey.rsplit("/", 1)[-1]
        with client(stack) as anonymous:
            page = anonymous.get(f"/survey/{token}")
            assert page.status_code == 200 and "系统登录报错" in page.text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            form = {"score": "5", "comment": "响应很快", **({"csrf_token": csrf.group(1)} if csrf else {})}
            answered = anonymous.post(f"/survey/{token}", data=form)
            assert answered.status_code == 200 and 'data-testid="survey-thanks"' in answered.text, (
                answered.text
            )
            again = anonymous.get(f"/survey/{token}")
            assert 'data-testid="survey-answered"' in again.text  # one answer per ticket

        def ticket_hits() -> list[dict[str, Any]] | None:
            found = hits(support, ticket["number"], "ticket")
            return found or None

        hit = eventually(ticket_hits, timeout=30)[0]
        assert (hit["id"], hit["number"]) == (ticket["id"], ticket["number"])
        assert hits(finance, ticket["number"], "ticket") == []
        # The seller sees their customer's tickets, read-only.
        mine = ok(sales1.get("/api/v1/tickets", params={"customer_id": customer["id"]}))["items"]
        assert [t["id"] for t in mine] == [ticket["id"]]


def _survey_link(support: httpx.Client, ticket_id: str) -> str | None:
    response = support.get(f"/api/v1/tickets/{ticket_id}/survey")
    if response.status_code != 200:
        return None
    body = response.json()
    return body.get("url") or body.get("link")
