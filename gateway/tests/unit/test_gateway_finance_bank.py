"""Bank-statement import through the gateway: the multipart route, the review routes and pages,
on a stand-in finance service that records each call (the import itself is tested in
services/finance/tests)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from gateway_fakes import browser_login, csrf_of
from kernel.errors import Conflict, NotFound, ValidationError
from kernel.identity import Caller

CSV = "交易日期,对方户名,收入金额,摘要\n2026-11-03,A科技,100.00,SO-2026-000123\n".encode("gbk")

LINE = {
    "id": "l1",
    "import_id": "i1",
    "line_no": 2,
    "status": "ambiguous",
    "booked_on": "2026-11-03",
    "payer": "同名科技",
    "amount_minor": 7_700,
    "currency": "CNY",
    "reference": None,
    "customer_id": None,
    "payment_id": None,
    "candidates": [
        {
            "customer_id": "c1",
            "customer_name": "同名科技有限公司",
            "receivable_id": "r1",
            "order_number": "SO-2026-000301",
            "seq": 1,
            "due_date": "2026-11-01",
            "currency": "CNY",
            "outstanding_minor": 7_700,
        }
    ],
    "message": "several customers of this name owe exactly this amount",
}


def _report(duplicate: bool = False) -> dict[str, Any]:
    return {
        "id": "i1",
        "import_id": "i1",
        "filename": "s.csv",
        "file_sha256": "0" * 64,
        "status": "complete",
        "rows": 2,
        "matched": 1,
        "unmatched": 0,
        "ambiguous": 1,
        "duplicates": 0,
        "errors": 0,
        "ignored": 0,
        "resolved": 0,
        "created_by": "finance",
        "created_at": "2026-12-02T09:00:00Z",
        "duplicate_file": duplicate,
        "lines": [{**LINE, "line_no": 3}, {**LINE, "id": "l0", "status": "matched", "payment_id": "p1"}],
    }


class BankStub:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: dict[str, Exception] = {}
        self.seen: set[str] = set()

    def dispatch(self, method: str, kwargs: dict[str, Any]) -> Any:
        if method == "ping":
            return "pong"
        Caller.from_payload(kwargs.pop("caller"))
        self.calls.append((method, kwargs))
        if method in self.errors:
            raise self.errors[method]
        if method == "import_bank_statement":
            content = kwargs["content_base64"]
            duplicate = content in self.seen
            self.seen.add(content)
            return _report(duplicate)
        if method == "get_bank_import":
            return _report()
        if method == "list_bank_imports":
            return {"items": [{k: v for k, v in _report().items() if k != "lines"}], "next_cursor": None}
        if method == "list_bank_lines":
            return {"items": [LINE], "next_cursor": None}
        if method == "resolve_bank_line":
            return {
                **LINE,
                "status": "resolved",
                "payment_id": "p2",
                "customer_id": kwargs["data"]["customer_id"],
            }
        if method == "ignore_bank_line":
            return {**LINE, "status": "ignored", "message": kwargs["note"]}
        raise NotFound(method)

    def last(self, method: str) -> dict[str, Any]:
        return [kwargs for m, kwargs in self.calls if m == method][-1]


@pytest.fixture
def bank(rpc) -> BankStub:
    stub = BankStub()
    rpc.services["finance"] = stub
    return stub


def test_multipart_import_gives_201_then_200_for_the_same_file(client, bank, finance, token_for):
    files = {"file": ("十一月.csv", CSV, "text/csv")}
    first = client.post("/api/v1/payments/import", files=files, headers=token_for(finance))
    assert first.status_code == 201, first.text
    assert first.json()["matched"] == 1 and first.headers["Location"] == "/api/v1/payments/imports/i1"
    sent = bank.last("import_bank_statement")
    assert base64.b64decode(sent["content_base64"]) == CSV and sent["filename"] == "十一月.csv"
    again = client.post("/api/v1/payments/import", files=files, headers=token_for(finance))
    assert again.status_code == 200 and again.json()["duplicate_file"] is True


def test_an_unreadable_file_is_422_naming_file_and_a_missing_one_too(client, bank, finance, token_for):
    bank.errors["import_bank_statement"] = ValidationError.for_field("file", "has no header row")
    bad = client.post(
        "/api/v1/payments/import", files={"file": ("x.csv", b"junk", "text/csv")}, headers=token_for(finance)
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "file"
    missing = client.post("/api/v1/payments/import", data={"other": "1"}, headers=token_for(finance))
    assert missing.status_code == 422 and any("file" in e["field"] for e in missing.json()["errors"])


def test_a_too_large_file_is_413(client, bank, finance, token_for):
    huge = b"date,payer,amount\n" + b"2026-11-03,A,1.00\n" * 120_000  # beyond the gateway's body limit
    response = client.post(
        "/api/v1/payments/import", files={"file": ("big.csv", huge, "text/csv")}, headers=token_for(finance)
    )
    assert response.status_code == 413
    assert not bank.calls


def test_only_finance_may_import(client, bank, sales1, token_for):
    response = client.post(
        "/api/v1/payments/import", files={"file": ("s.csv", CSV, "text/csv")}, headers=token_for(sales1)
    )
    assert response.status_code == 403 and not bank.calls


def test_review_routes(client, bank, finance, token_for):
    headers = token_for(finance)
    listed = client.get("/api/v1/bank-lines?status=ambiguous&import_id=i1", headers=headers)
    assert listed.status_code == 200 and listed.json()["items"][0]["id"] == "l1"
    assert bank.last("list_bank_lines")["filters"] == {"status": "ambiguous", "import_id": "i1"}
    assert client.get("/api/v1/bank-lines?status=nope", headers=headers).status_code == 422
    body = {"customer_id": "c1", "allocations": [{"receivable_id": "r1", "amount_minor": 7_700}]}
    resolved = client.post("/api/v1/bank-lines/l1/resolve", json=body, headers=headers)
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert bank.last("resolve_bank_line") == {"line_id": "l1", "data": body}
    floats = {"customer_id": "c1", "allocations": [{"receivable_id": "r1", "amount_minor": 77.0}]}
    assert client.post("/api/v1/bank-lines/l1/resolve", json=floats, headers=headers).status_code == 422
    ignored = client.post("/api/v1/bank-lines/l1/ignore", json={"note": "利息"}, headers=headers)
    assert ignored.status_code == 200 and ignored.json()["message"] == "利息"
    bank.errors["ignore_bank_line"] = Conflict(
        "bank line l1 is resolved", [{"field": "line_id", "message": "x"}]
    )
    assert client.post("/api/v1/bank-lines/l1/ignore", json={"note": "x"}, headers=headers).status_code == 409
    report = client.get("/api/v1/payments/imports/i1", headers=headers)
    assert report.status_code == 200 and [line["line_no"] for line in report.json()["lines"]] == [3, 2]


def test_upload_page_posts_the_file_and_shows_the_report(client, bank, finance):
    assert browser_login(client, "finance").status_code == 303
    page = client.get("/payments/import")
    assert page.status_code == 200 and 'data-testid="nav-bank-import"' in page.text
    token = csrf_of(page.text)
    posted = client.post(
        "/payments/import",
        data={"csrf_token": token},
        files={"file": ("s.csv", CSV, "text/csv")},
        follow_redirects=False,
    )
    assert posted.status_code == 303 and posted.headers["location"] == "/payments/imports/i1"
    report = client.get("/payments/imports/i1")
    assert report.status_code == 200 and report.text.count('data-testid="bank-report-row"') == 2
    again = client.post(
        "/payments/import",
        data={"csrf_token": token},
        files={"file": ("s.csv", CSV, "text/csv")},
        follow_redirects=False,
    )
    assert again.headers["location"].endswith("?duplicate=1")
    assert 'data-testid="bank-duplicate-file"' in client.get(again.headers["location"]).text


def test_review_page_resolves_a_candidate_and_ignores(client, bank, finance):
    assert browser_login(client, "finance").status_code == 303
    page = client.get("/payments/review")
    assert page.status_code == 200 and 'data-testid="bank-candidate"' in page.text
    token = csrf_of(page.text)
    resolved = client.post(
        "/payments/review/l1/resolve",
        data={"csrf_token": token, "customer_id": "c1", "receivable_id": "r1", "amount_minor": "7700"},
        follow_redirects=False,
    )
    assert resolved.status_code == 303
    assert bank.last("resolve_bank_line")["data"] == {
        "customer_id": "c1",
        "allocations": [{"receivable_id": "r1", "amount_minor": 7_700}],
    }
    bank.errors["ignore_bank_line"] = Conflict(
        "bank line l1 is resolved", [{"field": "line_id", "message": "is resolved"}]
    )
    refused = client.post("/payments/review/l1/ignore", data={"csrf_token": token, "note": "x"})
    assert refused.status_code == 409 and "is resolved" in refused.text


def test_sales_see_no_bank_pages(client, bank, sales1):
    assert browser_login(client, "sales1").status_code == 303
    assert client.get("/payments/review").status_code == 403
    assert "nav-bank-import" not in client.get("/").text


def test_the_manual_resolve_form_finds_the_customer_by_name(client, bank, finance, rpc):
    assert browser_login(client, "finance").status_code == 303
    token = csrf_of(client.get("/payments/review").text)
    rpc.services["customers"].dispatch = lambda method, kwargs: (
        {"items": [{"id": "c9", "name": "丙科技有限公司"}], "next_cursor": None}
        if method == "list_customers"
        else {}
    )
    done = client.post(
        "/payments/review/l1/resolve",
        data={"csrf_token": token, "customer": "丙科技", "receivable_id": "", "amount_minor": "7700"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert bank.last("resolve_bank_line")["data"] == {"customer_id": "c9", "allocations": []}
    rpc.services["customers"].dispatch = lambda method, kwargs: {"items": [], "next_cursor": None}
    missing = client.post("/payments/review/l1/resolve", data={"csrf_token": token, "customer": "无此公司"})
    assert missing.status_code == 422 and "no customer found" in missing.text
