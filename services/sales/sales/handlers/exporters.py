"""How each sales kind is exported for a reindex: the same state functions its events use, so a
rebuilt document equals the one the events built (``handlers.export`` pages through them)."""

from __future__ import annotations

from collections.abc import Sequence

from sales.handlers import contracts, export, orders, quote_state
from sales.handlers.lead_common import lead_state
from sales.handlers.opportunities import export_opportunities
from sales.storage.models import ContractRow, LeadRow, OrderRow, QuoteRow, QuoteVersionRow
from sales.storage.unit import SalesUnit


def _leads(unit: SalesUnit, rows: Sequence[LeadRow]) -> list[export.Exported]:
    return [export.Exported(lead_state(row)) for row in rows]


def _opportunities(unit: SalesUnit, after: str, size: int) -> list[export.Exported]:
    return [export.Exported(state) for state in export_opportunities(unit, after, size)]


def _quote_versions(unit: SalesUnit, rows: Sequence[QuoteVersionRow]) -> list[export.Exported]:
    out = []
    for row in rows:
        quote = unit.session.get(QuoteRow, row.quote_id)
        assert quote is not None  # a version belongs to its quote (foreign key)
        out.append(export.Exported(quote_state.state_of(unit, quote, row), aggregate=(row.id, row.version)))
    return out


def _contracts(unit: SalesUnit, rows: Sequence[ContractRow]) -> list[export.Exported]:
    return [export.Exported(contracts.state_of(unit, row)) for row in rows]


def _orders(unit: SalesUnit, rows: Sequence[OrderRow]) -> list[export.Exported]:
    return [export.Exported(orders.state_of(unit, row)) for row in rows]


export.EXPORTS.register("lead", export.rows(LeadRow, _leads))
export.EXPORTS.register("opportunity", _opportunities)
export.EXPORTS.register("quote", export.rows(QuoteVersionRow, _quote_versions))
export.EXPORTS.register("contract", export.rows(ContractRow, _contracts))
export.EXPORTS.register("order", export.rows(OrderRow, _orders))
