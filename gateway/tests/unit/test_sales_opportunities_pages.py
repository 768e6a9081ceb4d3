"""The opportunities pages render (against the empty sales fake): the board's seven columns, the
new-opportunity form, the customer page's 商机 tab; the amount parsing of the forms."""

from __future__ import annotations

import pytest
from gateway.services.sales.web_opportunities import money, parse_amount
from gateway_fakes import browser_login
from kernel.errors import FieldErrors


def test_the_board_shows_every_stage_and_its_script(client, sales1):
    assert browser_login(client, "sales1").status_code == 303
    page = client.get("/opportunities")
    assert page.status_code == 200
    for stage in ("qualification", "demo", "proposal", "trial", "negotiation", "won", "lost"):
        assert f'data-testid="column-{stage}"' in page.text
    assert "/static/opportunities_board.js" in page.text and "需求确认" in page.text
    assert " style=" not in page.text  # CSP: no inline styles
    assert client.get("/static/opportunities_board.js").status_code == 200


def test_the_customer_page_has_the_opportunities_tab(client, sales1, token_for):
    created = client.post("/api/v1/customers", json={"name": "A科技有限公司"}, headers=token_for(sales1))
    customer_id = created.json()["id"]
    assert browser_login(client, "sales1").status_code == 303
    assert 'data-testid="tab-opportunities"' in client.get(f"/customers/{customer_id}").text
    tab = client.get(f"/customers/{customer_id}?tab=opportunities")
    assert tab.status_code == 200 and 'data-testid="empty-opportunities"' in tab.text
    assert f"/opportunities/new?customer_id={customer_id}" in tab.text
    form = client.get(f"/opportunities/new?customer_id={customer_id}")
    assert form.status_code == 200 and "A科技有限公司" in form.text


def test_finance_has_no_board(client, finance):
    assert browser_login(client, "finance").status_code == 303
    assert client.get("/opportunities").status_code == 403


@pytest.mark.parametrize(
    ("text", "minor"), [("120000", 12_000_000), ("1,234.5", 123_450), ("0.01", 1), ("  ", None)]
)
def test_amounts_are_typed_in_yuan_and_kept_in_fen(text, minor):
    errors = FieldErrors()
    assert parse_amount(errors, text.strip() or None) == minor and not errors


@pytest.mark.parametrize("text", ["12.345", "-1", "abc", "1e3x", "NaN"])
def test_bad_amounts_name_the_field(text):
    errors = FieldErrors()
    assert parse_amount(errors, text) is None
    assert [e["field"] for e in errors.errors] == ["amount_minor"]


def test_money_is_shown_with_separators():
    assert money(12_345_678) == "123,456.78" and money(5) == "0.05" and money(None) == "—"
