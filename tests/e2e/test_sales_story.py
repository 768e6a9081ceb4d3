"""Issue 9's story on the whole real stack, through the REST contract of §7: on Monday the sales
director types "A科技" and the final quote sent to A科技有限公司 last Friday is the first quote hit,
its PDF one click away."""

from __future__ import annotations

import io
import uuid

import httpx
from e2e_stack import Stack
from kernel.testing import eventually
from pypdf import PdfReader


def client(stack: Stack, username: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token(username)}"}, timeout=20
    )


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return dict(response.json())


LINES = [
    {"product": "全景CRM 企业版 年度订阅", "quantity": 20, "unit_price_minor": 360_000, "discount_pct": "5"},
    {"product": "实施服务 Implementation", "quantity": 1, "unit_price_minor": 5_000_000, "discount_pct": "0"},
]


def test_the_final_quote_is_the_first_quote_hit_and_its_pdf_names_the_customer(stack: Stack):
    suffix = uuid.uuid4().hex[:4]
    name = f"A科技有限公司{suffix}"
    with client(stack, "sales1") as sales1, client(stack, "manager") as manager:
        customer = ok(sales1.post("/api/v1/customers", json={"name": name}), 201)
        opportunity = ok(
            sales1.post(
                "/api/v1/opportunities",
                json={
                    "customer_id": customer["id"],
                    "title": "全员CRM升级",
                    "amount_minor": 12_000_000,
                    "currency": "CNY",
                    "expected_close_date": "2026-12-31",
                },
            ),
            201,
        )
        assert opportunity["stage"] == "qualification" and opportunity["version"] >= 1

        body = {"currency": "CNY", "valid_until": "2027-01-31", "lines": LINES}
        first = ok(sales1.post(f"/api/v1/opportunities/{opportunity['id']}/quotes", json=body), 201)
        assert first["version"] == 1 and first["status"] == "draft"
        quote_id = first["id"]
        for n, discount in ((2, "8"), (3, "15")):  # 15% needs the manager
            lines = [{**LINES[0], "discount_pct": discount}, LINES[1]]
            revision = sales1.post(f"/api/v1/quotes/{quote_id}/versions", json={**body, "lines": lines})
            revised = ok(revision, 201)
            assert revised["id"] == quote_id and revised["version"] == n
        submitted = ok(sales1.post(f"/api/v1/quotes/{quote_id}/versions/3/submit"))
        assert submitted["status"] == "pending_approval"
        assert sales1.post(f"/api/v1/quotes/{quote_id}/versions/3/approve", json={}).status_code == 403
        ok(manager.post(f"/api/v1/quotes/{quote_id}/versions/3/approve", json={"comment": "同意"}))
        ok(sales1.post(f"/api/v1/quotes/{quote_id}/versions/3/mark-final"))
        ok(sales1.post(f"/api/v1/quotes/{quote_id}/versions/3/sent"))
        quote = ok(sales1.get(f"/api/v1/quotes/{quote_id}"))
        assert [v["version"] for v in quote["versions"] if v["is_final"]] == [3]

        def quote_hits() -> list[dict] | None:
            hits = ok(manager.get("/api/v1/search", params={"q": f"A科技{suffix}"}))["items"]
            quotes = [h for h in hits if h["kind"] == "quote" and h["id"] == quote_id]
            return quotes if quotes and quotes[0].get("is_final") else None

        quotes = eventually(quote_hits, timeout=10)
        assert quotes[0]["version"] == 3 and quotes[0]["is_final"] is True

        pdf = sales1.get(f"/api/v1/quotes/{quote_id}/versions/3/pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"].startswith("application/pdf")
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert name in text


def test_an_order_wins_the_opportunity_and_its_renewal_is_created_once(stack: Stack):
    with client(stack, "sales1") as sales1, client(stack, "manager") as manager:
        name = f"续约测试{uuid.uuid4().hex[:4]}有限公司"
        customer = ok(sales1.post("/api/v1/customers", json={"name": name}), 201)
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
        assert ok(sales1.post(f"/api/v1/quotes/{quote['id']}/versions/1/submit"))["status"] == "approved"
        ok(sales1.post(f"/api/v1/quotes/{quote['id']}/versions/1/mark-final"))
        contract = ok(sales1.post("/api/v1/contracts", json={"quote_id": quote["id"], "version": 1}), 201)
        if contract["special_price"]:
            ok(manager.post(f"/api/v1/contracts/{contract['id']}/approve", json={}))
        ok(sales1.post(f"/api/v1/contracts/{contract['id']}/sign"))
        order = ok(
            sales1.post(
                "/api/v1/orders",
                json={
                    "contract_id": contract["id"],
                    "service_start": "2027-01-01",
                    "service_end": "2027-12-31",
                    "instalments": [
                        {"due_date": "2027-01-15", "amount_minor": 500_000},
                        {"due_date": "2027-07-15", "amount_minor": 500_000},
                    ],
                },
            ),
            201,
        )
        assert ok(sales1.get(f"/api/v1/opportunities/{opportunity['id']}"))["stage"] == "won"

        def renewals() -> list[dict] | None:
            items = ok(sales1.get("/api/v1/opportunities", params={"customer_id": customer["id"]}))["items"]
            found = [o for o in items if o.get("renewal_of_order_id") == order["id"]]
            return found or None

        assert len(eventually(renewals, timeout=10)) == 1
