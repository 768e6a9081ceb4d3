"""The funnel's arithmetic: reached with skips, conversion, rounding, empty ranges, the question."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from kernel.errors import PermissionDenied, ValidationError
from kernel.identity import Caller
from sales.domain.funnel import (
    ClosedTotal,
    FunnelQuery,
    OpenTotal,
    StageTotal,
    average_days,
    build_funnel,
    clean_query,
    conversions,
    ratio,
    reached_counts,
    require_scope,
    weighted,
)

PROBABILITIES = {
    "qualification": 10,
    "demo": 20,
    "proposal": 40,
    "trial": 60,
    "negotiation": 80,
    "won": 100,
    "lost": 0,
}
SALES1 = Caller("u-sales1", ("sales",), "team-east")
MANAGER = Caller("u-manager", ("manager",), "team-east")
ADMIN = Caller("u-admin", ("admin",), None)


def empty_funnel(**overrides: object) -> dict[str, object]:
    parts: dict[str, object] = {
        "probabilities": PROBABILITIES,
        "stage_totals": [],
        "furthest": {},
        "closed": [],
        "open_totals": [],
        "reason_labels": {},
    }
    parts.update(overrides)
    return parts


def test_weighted_rounds_half_up_in_integer_minor_units() -> None:
    assert weighted(1_000, 40) == 400
    assert weighted(5, 10) == 1  # 0.5 -> 1
    assert weighted(4, 10) == 0  # 0.4 -> 0
    assert weighted(15, 10) == 2  # 1.5 -> 2 (half up, not to even)
    assert weighted(25, 10) == 3  # 2.5 -> 3
    assert weighted(10**15, 60) == 6 * 10**14  # no float on the way
    assert isinstance(weighted(333, 33), int)


def test_reached_counts_a_skip_as_passing_the_skipped_steps() -> None:
    # furthest: one stuck in qualification, one that jumped straight to proposal (skipping demo),
    # two won. The skipper counts for demo.
    reached = reached_counts({0: 1, 2: 1, 5: 2})
    assert reached == [4, 3, 3, 2, 2, 2]


def test_conversion_is_reached_next_over_reached_and_null_without_a_base() -> None:
    rows = conversions([4, 3, 3, 2, 2, 2])
    assert [(r.from_stage, r.to_stage) for r in rows] == [
        ("qualification", "demo"),
        ("demo", "proposal"),
        ("proposal", "trial"),
        ("trial", "negotiation"),
        ("negotiation", "won"),
    ]
    assert [r.rate for r in rows] == [
        Decimal("0.7500"),
        Decimal("1.0000"),
        Decimal("0.6667"),
        Decimal("1.0000"),
        Decimal("1.0000"),
    ]
    assert conversions([1, 0, 0, 0, 0, 0])[1].rate is None  # nobody reached demo: no demo→proposal rate


def test_ratio_and_days_never_divide_by_zero() -> None:
    assert ratio(0, 0) is None
    assert ratio(1, 3) == Decimal("0.3333")
    assert ratio(2, 3) == Decimal("0.6667")
    assert average_days(Decimal(0), 0) is None
    assert average_days(Decimal(86_400 * 3 + 43_200), 1) == Decimal("3.5")
    assert average_days(Decimal(86_400 * 10), 3) == Decimal("3.3")


def test_a_funnel_with_no_closed_deal_has_no_win_rate_nor_cycle_time() -> None:
    funnel = build_funnel(FunnelQuery(), **empty_funnel())  # type: ignore[arg-type]
    assert funnel.win_rate is None
    assert funnel.cycle.won_days is None and funnel.cycle.overall_days is None
    assert [s.stage for s in funnel.stages] == [
        "qualification",
        "demo",
        "proposal",
        "trial",
        "negotiation",
        "won",
        "lost",
    ]
    assert all(s.count == 0 and s.amount_minor == 0 for s in funnel.stages)
    assert all(c.rate is None for c in funnel.conversion)
    assert funnel.forecast == [] and funnel.forecast_total.weighted_amount_minor == 0
    # JSON-ready for the wire: rates and days as strings, nulls kept.
    wire = funnel.model_dump(mode="json")
    assert wire["win_rate"] is None and wire["stages"][0]["label"] == "需求确认"


def test_build_funnel_weights_stages_wins_lost_reasons_and_forecast() -> None:
    funnel = build_funnel(
        FunnelQuery(currency="CNY"),
        **empty_funnel(  # type: ignore[arg-type]
            stage_totals=[StageTotal("proposal", 2, 1_005), StageTotal("won", 1, 700)],
            furthest={2: 2, 4: 1, 5: 1},
            closed=[
                ClosedTotal("won", None, 3, 900, Decimal(86_400 * 30)),
                ClosedTotal("lost", "price", 2, 300, Decimal(86_400 * 5)),
                ClosedTotal("lost", "competitor", 4, 100, Decimal(86_400 * 15)),
                ClosedTotal("lost", None, 1, 50, Decimal(0)),
            ],
            open_totals=[
                OpenTotal(date(2027, 1, 1), "proposal", 1, 1_001),  # 400.4
                OpenTotal(date(2027, 1, 1), "negotiation", 1, 1_001),  # 800.8 -> month 1201.2 -> 1201
                OpenTotal(date(2026, 12, 1), "qualification", 2, 15),  # 1.5 -> 2
                OpenTotal(None, "demo", 1, 100),
            ],
            reason_labels={"price": "价格 Price", "competitor": "选择了竞争对手 Competitor"},
        ),
    )
    proposal = next(s for s in funnel.stages if s.stage == "proposal")
    assert (proposal.count, proposal.amount_minor, proposal.weighted_amount_minor) == (2, 1_005, 402)
    assert proposal.reached == 4
    assert next(s for s in funnel.stages if s.stage == "lost").reached is None
    assert funnel.won == 3 and funnel.lost == 7
    assert funnel.win_rate == Decimal("0.3000")
    assert funnel.cycle.won_days == Decimal("10.0")
    assert funnel.cycle.lost_days == Decimal("2.9")  # (5 + 15 + 0) days over 7 lost
    assert funnel.cycle.overall_days == Decimal("5.0")  # 50 days over 10 closed
    assert [(r.reason, r.count) for r in funnel.lost_reasons] == [("competitor", 4), ("price", 2), (None, 1)]
    assert funnel.lost_reasons[2].label.startswith("未填写")
    assert [(m.month, m.count, m.amount_minor, m.weighted_amount_minor) for m in funnel.forecast] == [
        ("2026-12", 2, 15, 2),
        ("2027-01", 2, 2_002, 1_201),
        (None, 1, 100, 20),
    ]
    assert funnel.forecast_total.weighted_amount_minor == 1_223


def test_clean_query_names_every_bad_field() -> None:
    with pytest.raises(ValidationError) as raised:
        clean_query(owner_id="", team_id=7, date_from="2026-13-01", date_to="soon", currency="cny")
    fields = {e["field"] for e in raised.value.errors}
    assert fields == {"owner_id", "team_id", "date_from", "date_to", "currency"}


def test_clean_query_refuses_a_range_that_ends_before_it_starts() -> None:
    with pytest.raises(ValidationError) as raised:
        clean_query(date_from="2026-12-02", date_to="2026-12-01")
    assert raised.value.errors == [{"field": "date_from", "message": "must not be after date_to"}]
    query = clean_query(owner_id=" u-sales1 ", date_from="2026-12-01", date_to="2026-12-01")
    assert query == FunnelQuery("u-sales1", None, date(2026, 12, 1), date(2026, 12, 1), "CNY")


def test_scope_a_seller_asks_for_themselves_a_manager_for_their_team() -> None:
    require_scope(SALES1, FunnelQuery(owner_id="u-sales1"), None)
    require_scope(MANAGER, FunnelQuery(team_id="team-east"), None)
    require_scope(MANAGER, FunnelQuery(owner_id="u-sales1"), "team-east")
    require_scope(ADMIN, FunnelQuery(team_id="team-south", owner_id="u-sales2"), None)
    for caller, query, team in (
        (SALES1, FunnelQuery(owner_id="u-sales2"), "team-south"),
        (SALES1, FunnelQuery(team_id="team-east"), None),  # a seller is no manager
        (MANAGER, FunnelQuery(team_id="team-south"), None),
        (MANAGER, FunnelQuery(owner_id="u-sales2"), "team-south"),
    ):
        with pytest.raises(PermissionDenied):
            require_scope(caller, query, team)


def test_the_migration_freezes_the_same_index_predicates_the_query_spells() -> None:
    """PostgreSQL uses a partial index only for a query that implies its predicate: the frozen
    text of migration 0002 must stay the spelling ``sales.storage.funnel_sql`` produces."""
    import importlib.util
    from pathlib import Path

    from sales.storage.funnel_sql import OPEN_STAGES_SQL, REGRESSIVE_SQL

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0002_analytics.py"
    spec = importlib.util.spec_from_file_location("migration_0002_analytics", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.REGRESSIVE == REGRESSIVE_SQL
    assert migration.OPEN == OPEN_STAGES_SQL


def test_furthest_step_is_the_current_stage_or_what_a_step_back_left() -> None:
    from sales.domain.funnel import furthest_step

    assert furthest_step("proposal", None) == 2
    assert furthest_step("demo", 3) == 3  # was in trial, went back to demo
    assert furthest_step("lost", 4) == 4  # lost in negotiation
    assert furthest_step("lost", None) == 0  # no history: it still reached qualification
    assert furthest_step("won", 1) == 5
