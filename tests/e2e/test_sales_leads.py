"""Leads through the gateway on the whole real stack: create (idempotent), bulk with good and bad
rows, conversion linking the existing customer over real RPC, permissions."""

from __future__ import annotations

import re
import uuid

import httpx
from e2e_stack import Stack
from gateway.seed import uscc
from kernel.testing import eventually

A_TECH_TAX_ID = uscc("91310115MA1K4A2B3")  # the demo book's A科技有限公司


def client(stack: Stack, username: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token(username)}"}, timeout=15
    )


def create_lead(api: httpx.Client, body: dict, **headers: str) -> httpx.Response:
    # The sales service learns the gateway's users from identity events: right after seeding it
    # may not know sales1 yet (a 422 naming the owner), so the first create waits for that.
    def attempt() -> httpx.Response | None:
        response = api.post("/api/v1/leads", json=body, headers=headers)
        return None if response.status_code == 422 and "sales user" in response.text else response

    response: httpx.Response = eventually(attempt, timeout=20)
    return response


def test_create_a_lead_once_per_idempotency_key_and_keep_it_private(stack: Stack):
    name = f"线索测试{uuid.uuid4().hex[:6]}有限公司"
    key = uuid.uuid4().hex
    with client(stack, "sales1") as sales1, client(stack, "sales2") as sales2:
        created = create_lead(sales1, {"company_name": name, "grade": "A"}, **{"Idempotency-Key": key})
        assert created.status_code == 201, created.text
        lead = created.json()
        assert (lead["status"], lead["grade"], lead["version"]) == ("assigned", "A", 1)
        assert created.headers["Location"] == f"/api/v1/leads/{lead['id']}"
        again = sales1.post(
            "/api/v1/leads", json={"company_name": name, "grade": "A"}, headers={"Idempotency-Key": key}
        )
        assert again.json()["id"] == lead["id"] and again.headers.get("Idempotent-Replayed") == "true"
        mine = sales1.get("/api/v1/leads", params={"owner": "me"}).json()["items"]
        assert [item["id"] for item in mine].count(lead["id"]) == 1
        assert sales2.get(f"/api/v1/leads/{lead['id']}").status_code == 404
        bad = sales1.post("/api/v1/leads", json={"company_name": name, "grade": "Z"})
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
        stale = sales1.patch(
            f"/api/v1/leads/{lead['id']}", json={"region": "华东"}, headers={"If-Match": '"9"'}
        )
        assert stale.status_code == 409


def test_bulk_keeps_good_rows_and_names_the_bad_ones(stack: Stack):
    tag = uuid.uuid4().hex[:6]
    with client(stack, "sales1") as sales1:
        create_lead(sales1, {"company_name": f"预热{tag}有限公司"})  # the directory replica is ready
        rows = [
            {"company_name": f"批量甲{tag}有限公司", "source": "api_import"},
            {"company_name": "", "email": "not-an-email"},
            {"company_name": f"批量乙{tag}有限公司", "assign": "pool"},
            42,
        ]
        response = sales1.post("/api/v1/leads:bulk", json={"rows": rows})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["created"], body["rejected"]) == (2, 2)
        results = body["results"]
        assert [r["ok"] for r in results] == [True, False, True, False]
        assert {e["field"] for e in results[1]["errors"]} == {"company_name", "email"}
        assert results[2]["status"] == "pooled"
        assert sales1.get(f"/api/v1/leads/{results[0]['id']}").status_code == 200

        all_bad = sales1.post(
            "/api/v1/leads:bulk", json={"rows": [{"grade": "A"}, {"company_name": "x" * 300}]}
        )
        assert all_bad.status_code == 200
        assert [r["ok"] for r in all_bad.json()["results"]] == [False, False]

        assert sales1.post("/api/v1/leads:bulk", json={"rows": []}).status_code == 422
        assert sales1.post("/api/v1/leads:bulk", json=[{"company_name": "A"}]).status_code == 422
        malformed = sales1.post(
            "/api/v1/leads:bulk", content=b'{"rows": [', headers={"Content-Type": "application/json"}
        )
        assert malformed.status_code == 400  # the gateway's answer to unparseable JSON on every route


def test_converting_a_lead_of_an_existing_customer_links_it_over_rpc(stack: Stack):
    with client(stack, "sales1") as sales1:
        existing = eventually(
            lambda: next(
                (c for c in sales1.get("/api/v1/customers", params={"q": "A科技"}).json()["items"]
                 if c["tax_id"] == A_TECH_TAX_ID),
                None,
            ),
            timeout=10,
        )  # fmt: skip
        lead = create_lead(
            sales1,
            {"company_name": "A科技", "tax_id": A_TECH_TAX_ID, "contact_name": f"赵{uuid.uuid4().hex[:4]}"},
        ).json()
        converted = sales1.post(f"/api/v1/leads/{lead['id']}/convert", json={})
        assert converted.status_code == 200, converted.text
        body = converted.json()
        assert (body["status"], body["customer_id"]) == ("converted", existing["id"])
        assert body["customer_name"] == "A科技有限公司"
        same_tax = [c for c in sales1.get("/api/v1/customers", params={"q": A_TECH_TAX_ID}).json()["items"]]
        assert len(same_tax) == 1  # linked, not duplicated
        contacts = sales1.get(f"/api/v1/customers/{existing['id']}/contacts", params={"limit": 200}).json()
        assert lead["contact_name"] in {c["name"] for c in contacts["items"]}
        assert sales1.post(f"/api/v1/leads/{lead['id']}/convert", json={}).status_code == 409


def test_converting_a_new_company_creates_the_customer_and_a_nickname_is_refused(stack: Stack):
    name = f"转化测试{uuid.uuid4().hex[:6]}有限公司"
    with client(stack, "sales1") as sales1:
        nickname = create_lead(sales1, {"company_name": "老王那家"}).json()
        refused = sales1.post(f"/api/v1/leads/{nickname['id']}/convert", json={})
        assert refused.status_code == 422
        assert {"company_name", "tax_id"} <= {e["field"] for e in refused.json()["errors"]}

        lead = create_lead(sales1, {"company_name": name, "contact_name": "周杰", "notes": "官网留言"}).json()
        noted = sales1.post(f"/api/v1/leads/{lead['id']}/follow-ups", json={"note": "电话已联系"})
        assert noted.status_code == 200, noted.text
        converted = sales1.post(f"/api/v1/leads/{lead['id']}/convert", json={}).json()
        customer = sales1.get(f"/api/v1/customers/{converted['customer_id']}")
        assert customer.status_code == 200 and customer.json()["name"] == name
        follow_ups = sales1.get(f"/api/v1/customers/{converted['customer_id']}/follow-ups").json()["items"]
        assert any("电话已联系" in f["content"] and "官网留言" in f["content"] for f in follow_ups)


def test_the_pool_is_shared_and_claimed(stack: Stack):
    name = f"公海{uuid.uuid4().hex[:6]}有限公司"
    with (
        client(stack, "manager") as manager,
        client(stack, "sales2") as sales2,
        client(stack, "sales1") as sales1,
    ):
        pooled = manager.post("/api/v1/leads", json={"company_name": name, "assign": "pool"})
        assert pooled.status_code == 201, pooled.text
        lead_id = pooled.json()["id"]
        pool = sales2.get("/api/v1/leads", params={"pool": "true", "q": name}).json()["items"]
        assert [item["id"] for item in pool] == [lead_id]

        def claim() -> httpx.Response | None:
            response = sales2.post(f"/api/v1/leads/{lead_id}/claim")
            return response if response.status_code != 422 else None

        claimed = eventually(claim, timeout=20)
        assert claimed.status_code == 200, claimed.text
        assert claimed.json()["status"] == "assigned"
        assert sales1.get(f"/api/v1/leads/{lead_id}").status_code == 404


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def test_the_leads_pages_import_follow_up_and_convert(stack: Stack):
    tag = uuid.uuid4().hex[:6]
    with client(stack, "sales1") as api:
        create_lead(api, {"company_name": f"网页预热{tag}有限公司"})  # the directory replica is ready
    with httpx.Client(base_url=stack.base_url, timeout=15, follow_redirects=True) as web:
        login = web.get("/login")
        signed_in = web.post(
            "/login", data={"username": "sales1", "password": "panorama", "csrf_token": csrf_of(login.text)}
        )
        assert signed_in.status_code == 200
        page = web.get("/leads")
        assert page.status_code == 200 and 'data-testid="lead-tabs"' in page.text
        paste = f"网页甲{tag}有限公司, 钱多多, 13800138001\n, 无名\n网页乙{tag}有限公司"
        imported = web.post("/leads/import", data={"rows": paste, "csrf_token": csrf_of(page.text)})
        assert imported.status_code == 200, imported.text
        assert imported.text.count('data-ok="true"') == 2 and imported.text.count('data-ok="false"') == 1
        lead_id = re.search(rf'href="/leads/([^"]+)">网页甲{tag}有限公司', imported.text).group(1)  # type: ignore[union-attr]
        detail = web.get(f"/leads/{lead_id}")
        assert detail.status_code == 200 and "钱多多" in detail.text
        noted = web.post(
            f"/leads/{lead_id}/follow-ups", data={"note": "网页跟进", "csrf_token": csrf_of(detail.text)}
        )
        assert noted.status_code == 200 and "网页跟进" in noted.text
        converted = web.post(f"/leads/{lead_id}/convert", data={"csrf_token": csrf_of(noted.text)})
        assert converted.status_code == 200, converted.text
        assert 'data-testid="lead-customer"' in converted.text
