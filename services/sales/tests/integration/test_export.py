"""The export search reindexes from: admin/system only, paged by aggregate, the events' shape.

The areas register their exporters (``sales.handlers.export.EXPORTS``); these tests drive the
paging with an exporter over real quote version rows, whose aggregate (the version row) differs
from the state's ``id`` (the quote), and check that search's reindex reads the page back into
the per-version documents the events build.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from kernel.errors import PermissionDenied, ValidationError
from kernel.identity import SYSTEM
from kernel.ids import new_id
from sales import contracts
from sales.handlers import export
from sales.storage.models import OpportunityRow, QuoteRow, QuoteVersionRow
from sales.storage.unit import SalesUnit
from sales_testkit import ADMIN, FINANCE, MANAGER, SALES1
from search.documents import to_index_op
from search.reindex import record_from_export

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def version_state(unit: SalesUnit, rows: Sequence[QuoteVersionRow]) -> list[export.Exported]:
    """A stand-in for the quotes area's state function (the event's shape, without lines)."""
    out = []
    for row in rows:
        quote = unit.session.get(QuoteRow, row.quote_id)
        assert quote is not None
        state = {
            "id": quote.id, "quote_id": quote.id, "version_id": row.id, "number": quote.number,
            "version": row.n, "status": row.status, "is_final": row.is_final,
            "customer_id": quote.customer_id, "customer_name": "A科技有限公司",
            "owner_id": quote.owner_id, "team_id": quote.team_id,
            "customer_owner_id": quote.customer_owner_id, "opportunity_id": quote.opportunity_id,
            "title": "全渠道客服系统升级", "currency": row.currency,
            "valid_until": row.valid_until.isoformat(),
            "lines": [], "subtotal_minor": row.subtotal_minor, "discount_minor": row.discount_minor,
            "total_minor": row.total_minor, "notes": row.notes, "revision": row.version,
        }  # fmt: skip
        out.append(export.Exported(state, aggregate=(row.id, row.version)))
    return out


def seed_quote(unit: SalesUnit, versions: int) -> tuple[str, list[str]]:
    """A quote with ``versions`` version rows (the final one last), written straight to the tables."""
    opportunity = OpportunityRow(
        id=new_id(), customer_id="c-1", customer_owner_id="u-sales1", title="全渠道客服系统升级",
        owner_id="u-sales1", team_id="team-east", amount_minor=1, currency="CNY", stage="proposal",
        stage_changed_at=NOW, created_by="u-sales1", created_at=NOW, updated_at=NOW, version=1,
    )  # fmt: skip
    quote = QuoteRow(
        id=new_id(), number=f"Q-2026-{new_id()[-6:]}", opportunity_id=opportunity.id, customer_id="c-1",
        customer_owner_id="u-sales1", owner_id="u-sales1", team_id="team-east", final_version=versions,
        latest_version=versions, created_by="u-sales1", created_at=NOW, updated_at=NOW, version=1,
    )  # fmt: skip
    unit.session.add_all([opportunity, quote])
    unit.session.flush()
    ids = []
    for n in range(1, versions + 1):
        row = QuoteVersionRow(
            id=new_id(), quote_id=quote.id, n=n, status="sent" if n == versions else "rejected",
            currency="CNY", valid_until=date(2026, 12, 31), subtotal_minor=100 * n, discount_minor=0,
            total_minor=100 * n, max_discount_pct=Decimal("0"), is_final=n == versions,
            created_by="u-sales1", created_at=NOW, updated_at=NOW, version=n + 2,
        )  # fmt: skip
        unit.session.add(row)
        ids.append(row.id)
    return quote.id, ids


@pytest.fixture
def quote_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(export.EXPORTS.exporters, "quote", export.rows(QuoteVersionRow, version_state))


def test_pages_follow_the_aggregate_and_carry_the_event_shape(sales: Any, quote_exporter: None) -> None:
    quote_id, version_ids = sales.run(ADMIN, seed_quote, 5)
    items, cursor, pages = [], None, 0
    while True:
        page = sales.run(SYSTEM, export.export, "quote", cursor, 2)
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3  # 2 + 2 + 1
    assert [item["aggregate"]["id"] for item in items] == sorted(version_ids)  # each version once
    for item in items:
        assert item["type"] == "quote.updated" and item["aggregate"]["type"] == "quote"
        assert item["data"]["id"] == quote_id and item["customer_id"] == "c-1"
        assert item["aggregate"]["version"] == item["data"]["revision"] == item["data"]["version"] + 2
        assert item["type"] in contracts.EVENT_SCHEMAS
        contracts.EVENT_SCHEMAS[item["type"]].model_validate(item["data"])


def test_reindex_reads_the_page_into_one_document_per_version_naming_the_quote(
    sales: Any, quote_exporter: None
) -> None:
    quote_id, version_ids = sales.run(ADMIN, seed_quote, 3)
    page = sales.run(ADMIN, export.export, "quote")
    ops = [to_index_op(record_from_export(item)) for item in page["items"]]
    assert sorted(op.doc_id for op in ops) == sorted(f"quote:{v}" for v in version_ids)
    assert {op.source["id"] for op in ops} == {quote_id}
    final = [op for op in ops if op.source["is_final"]]
    assert len(final) == 1 and final[0].source["version"] == 3 and final[0].version == 5
    assert page["next_cursor"] is None


@pytest.mark.parametrize("caller", [SALES1, MANAGER, FINANCE])
def test_only_admins_and_the_search_service_export(sales: Any, caller: Any) -> None:
    with pytest.raises(PermissionDenied):
        sales.run(caller, export.export, "quote")


@pytest.mark.parametrize(
    ("args", "field"),
    [(("planet",), "kind"), (("quote", None, 0), "limit"), (("quote", None, 5000), "limit"),
     (("quote", "forged.cursor"), "cursor")],
)  # fmt: skip
def test_bad_arguments_name_their_field(
    sales: Any, quote_exporter: None, args: tuple[Any, ...], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        sales.run(ADMIN, export.export, *args)
    assert [e["field"] for e in raised.value.errors] == [field]


def test_a_kind_without_an_exporter_fails_loudly_instead_of_exporting_nothing(
    sales: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(export.EXPORTS.exporters, "order", raising=False)
    with pytest.raises(NotImplementedError, match="order"):
        sales.run(ADMIN, export.export, "order")


def test_an_exporter_is_registered_once_per_published_kind() -> None:
    with pytest.raises(ValueError, match="planet"):
        export.EXPORTS.register("planet", export.rows(QuoteVersionRow, version_state))


def test_the_assembled_service_exports_every_search_kind() -> None:
    importlib.import_module("sales.service")  # imports every area's entrypoints and handlers
    assert set(export.EXPORTS.exporters) == set(contracts.EXPORT_KINDS)
