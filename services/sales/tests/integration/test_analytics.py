"""The funnel RPC handler on the real sales database, over crafted opportunities and histories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count, pairwise
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from kernel.errors import PermissionDenied, ValidationError
from kernel.identity import Caller
from sales.app import SalesApp
from sales.domain.funnel import FunnelQuery
from sales.handlers.analytics import funnel
from sales.storage import analytics as store
from sales.storage.models import Base, OpportunityRow, StageChangeRow
from sales_testkit import ADMIN, FINANCE, MANAGER, SALES1, SALES2
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_ids = count(1)
TEAM = {"u-sales1": "team-east", "u-sales1b": "team-east", "u-sales2": "team-south"}


class Deals:
    """Writes opportunities and their stage history the way the opportunity use cases do: a
    creation row (NULL → qualification), then one row per move, a day apart."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def add(
        self,
        owner: str,
        path: tuple[str, ...] = ("qualification",),
        *,
        amount: int = 100_000,
        currency: str = "CNY",
        created: datetime = T0,
        expected: date | None = None,
        lost_reason: str | None = None,
        customer_owner: str | None = None,
        step: timedelta = timedelta(days=1),
    ) -> str:
        opp_id = f"opp-{next(_ids):05d}"
        moves: list[tuple[str | None, str, datetime]] = [(None, path[0], created)]
        at = created
        for came_from, went_to in pairwise(path):
            at += step
            moves.append((came_from, went_to, at))
        stage = path[-1]
        with self.sessions.begin() as session:
            session.add(
                OpportunityRow(
                    id=opp_id,
                    customer_id=f"cust-{opp_id}",
                    customer_owner_id=customer_owner or owner,
                    title=f"deal {opp_id}",
                    owner_id=owner,
                    team_id=TEAM[owner],
                    amount_minor=amount,
                    currency=currency,
                    expected_close_date=expected,
                    stage=stage,
                    stage_changed_at=at,
                    lost_reason=lost_reason if stage == "lost" else None,
                    closed_at=at if stage in ("won", "lost") else None,
                    created_by=owner,
                    created_at=created,
                    updated_at=at,
                    version=len(moves),
                )
            )
            session.flush()
            for i, (before, after, when) in enumerate(moves):
                session.add(
                    StageChangeRow(
                        id=f"{opp_id}-{i}",
                        opportunity_id=opp_id,
                        from_stage=before,
                        to_stage=after,
                        at=when,
                        actor_id=owner,
                        amount_minor=amount,
                    )
                )
        return opp_id


@pytest.fixture
def deals(sales: SalesApp, sales_sessions: sessionmaker[Session]) -> Deals:
    return Deals(sales_sessions)


Ask = Callable[..., dict[str, Any]]


@pytest.fixture
def ask(sales: SalesApp) -> Ask:
    def run(caller: Caller, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = sales.run(caller, funnel, **kwargs)
        return result

    return run


def by_stage(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["stage"]: s for s in result["stages"]}


def rates(result: dict[str, Any]) -> dict[str, str | None]:
    return {f"{c['from_stage']}>{c['to_stage']}": c["rate"] for c in result["conversion"]}


def test_stages_reached_and_conversion_follow_the_history_with_skips_and_steps_back(
    deals: Deals, ask: Ask
) -> None:
    deals.add("u-sales1", ("qualification",), amount=1_000)
    deals.add("u-sales1", ("qualification", "proposal"), amount=2_000)  # skipped demo
    # went as far as trial, then back to demo: it still reached trial
    deals.add("u-sales1", ("qualification", "demo", "proposal", "trial", "demo"), amount=3_000)
    deals.add("u-sales1", ("qualification", "demo", "negotiation", "lost"), lost_reason="price")
    deals.add("u-sales1", ("qualification", "demo", "proposal", "trial", "negotiation", "won"), amount=5_000)

    result = ask(ADMIN)

    stages = by_stage(result)
    assert {k: v["count"] for k, v in stages.items()} == {
        "qualification": 1,
        "demo": 1,
        "proposal": 1,
        "trial": 0,
        "negotiation": 0,
        "won": 1,
        "lost": 1,
    }
    assert stages["proposal"]["amount_minor"] == 2_000
    assert stages["proposal"]["weighted_amount_minor"] == 800  # 40 %
    assert stages["demo"]["weighted_amount_minor"] == 600  # 20 % of 3 000
    assert {k: v["reached"] for k, v in stages.items()} == {
        "qualification": 5,
        "demo": 4,  # the skipper passed demo
        "proposal": 4,
        "trial": 3,  # the one back in demo reached trial; the lost one skipped it to negotiation
        "negotiation": 2,
        "won": 1,
        "lost": None,
    }
    assert rates(result) == {
        "qualification>demo": "0.8000",
        "demo>proposal": "1.0000",
        "proposal>trial": "0.7500",
        "trial>negotiation": "0.6667",
        "negotiation>won": "0.5000",
    }
    assert result["won"] == 1 and result["lost"] == 1 and result["win_rate"] == "0.5000"
    # won: 5 moves of a day; lost: 3 moves of a day
    assert result["cycle"] == {"won_days": "5.0", "lost_days": "3.0", "overall_days": "4.0"}
    # a scoped funnel probes the history per opportunity instead of reading it whole: same answer
    scoped = ask(MANAGER)
    assert scoped["stages"] == result["stages"] and scoped["conversion"] == result["conversion"]


def test_each_role_sees_its_own_scope_and_is_refused_another(deals: Deals, ask: Ask) -> None:
    deals.add("u-sales1", amount=1)
    deals.add("u-sales1b", amount=10)
    deals.add("u-sales1b", amount=100, customer_owner="u-sales1")  # on sales1's customer: shared
    deals.add("u-sales2", amount=1_000)

    def total(result: dict[str, Any]) -> int:
        return sum(s["amount_minor"] for s in result["stages"])

    assert total(ask(ADMIN)) == 1_111
    assert total(ask(ADMIN, team_id="team-south")) == 1_000
    assert total(ask(MANAGER)) == 111  # team-east
    assert total(ask(MANAGER, team_id="team-east")) == 111
    assert total(ask(MANAGER, owner_id="u-sales1b")) == 110  # a member of the managed team
    assert total(ask(SALES1)) == 101  # own + shared
    assert total(ask(SALES1, owner_id="u-sales1")) == 1  # owner=me: own only
    assert total(ask(SALES2)) == 1_000
    assert total(ask(FINANCE)) == 0  # no opportunity is visible to finance

    for caller, kwargs, field in (
        (MANAGER, {"team_id": "team-south"}, "team_id"),
        (MANAGER, {"owner_id": "u-sales2"}, "owner_id"),
        (SALES1, {"owner_id": "u-sales1b"}, "owner_id"),
        (SALES1, {"team_id": "team-east"}, "team_id"),
    ):
        with pytest.raises(PermissionDenied) as refused:
            ask(caller, **kwargs)
        assert refused.value.errors[0]["field"] == field


def test_the_date_range_picks_created_for_stages_and_closed_for_win_rate(deals: Deals, ask: Ask) -> None:
    # created in October, won in November (30 days later)
    october = datetime(2026, 10, 15, tzinfo=UTC)
    deals.add("u-sales1", ("qualification", "won"), created=october, step=timedelta(days=30))
    # created and lost in November
    deals.add(
        "u-sales1",
        ("qualification", "lost"),
        created=datetime(2026, 11, 10, tzinfo=UTC),
        step=timedelta(days=2),
        lost_reason="no_budget",
    )
    # created on the last day of November, still open
    deals.add("u-sales1", created=datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    deals.add("u-sales1", created=datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # out of the range

    november = ask(SALES1, date_from="2026-11-01", date_to="2026-11-30")

    counts = {k: v["count"] for k, v in by_stage(november).items() if v["count"]}
    assert counts == {"qualification": 1, "lost": 1}  # created in November; the October one is out
    assert november["won"] == 1 and november["lost"] == 1  # both closed in November
    assert november["win_rate"] == "0.5000"
    assert november["cycle"] == {"won_days": "30.0", "lost_days": "2.0", "overall_days": "16.0"}
    assert november["date_from"] == "2026-11-01" and november["date_to"] == "2026-11-30"

    december = ask(SALES1, date_from="2026-12-01")
    assert sum(s["count"] for s in december["stages"]) == 1
    assert december["win_rate"] is None and december["cycle"]["overall_days"] is None

    with pytest.raises(ValidationError) as bad:
        ask(SALES1, date_from="2026-12-02", date_to="2026-12-01")
    assert bad.value.errors[0]["field"] == "date_from"


def test_lost_reasons_and_the_forecast_by_month_of_one_currency(deals: Deals, ask: Ask) -> None:
    lost = ("qualification", "lost")
    deals.add("u-sales1", lost, amount=100, lost_reason="price")
    deals.add("u-sales1", lost, amount=200, lost_reason="price")
    deals.add("u-sales1", lost, amount=50, lost_reason="competitor")
    deals.add("u-sales1", ("qualification", "demo"), amount=1_001, expected=date(2027, 1, 20))  # 20 %
    deals.add(
        "u-sales1", ("qualification", "demo", "negotiation"), amount=1_001, expected=date(2027, 1, 5)
    )  # 80 %
    deals.add("u-sales1", ("qualification", "proposal"), amount=5, expected=date(2026, 12, 31))  # 40 %: 2
    deals.add("u-sales1", amount=7)  # open, no expected date
    deals.add("u-sales1", ("qualification", "won"), amount=9_999, expected=date(2026, 12, 1))  # closed
    deals.add("u-sales1", ("qualification", "demo"), amount=10**6, currency="USD", expected=date(2027, 1, 1))

    result = ask(SALES1)

    assert [(r["reason"], r["count"], r["amount_minor"]) for r in result["lost_reasons"]] == [
        ("price", 2, 300),
        ("competitor", 1, 50),
    ]
    assert result["lost_reasons"][0]["label"] == "价格 Price"
    forecast = [
        (m["month"], m["count"], m["amount_minor"], m["weighted_amount_minor"]) for m in result["forecast"]
    ]
    assert forecast == [
        ("2026-12", 1, 5, 2),
        ("2027-01", 2, 2_002, 1_001),  # 200.2 + 800.8 = 1 001
        (None, 1, 7, 1),  # qualification 10 % of 7 = 0.7 -> 1
    ]
    assert result["forecast_total"] == {"count": 4, "amount_minor": 2_014, "weighted_amount_minor": 1_004}
    assert result["currency"] == "CNY"

    dollars = ask(SALES1, currency="USD")
    assert [(m["month"], m["amount_minor"]) for m in dollars["forecast"]] == [("2027-01", 10**6)]
    assert dollars["lost_reasons"] == []

    # a range keeps the dated open deals expected in it
    january = ask(SALES1, date_from="2027-01-01", date_to="2027-01-31")
    assert [(m["month"], m["count"]) for m in january["forecast"]] == [("2027-01", 2)]


def test_migrations_build_the_metadata_with_the_funnel_indexes(sales_engine: Engine) -> None:
    with sales_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        names = conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE indexname IN :names").bindparams(
                names=(
                    "ix_opportunities_customer_owner_id",
                    "ix_opportunities_closed",
                    "ix_opportunities_open_expected",
                    "ix_stage_changes_regressive",
                )
            )
        )
        assert len(names.all()) == 4


def test_the_regressive_index_serves_the_history_read(deals: Deals, sales_engine: Engine, ask: Ask) -> None:
    """With sequential scans priced out, the funnel's history read must be able to use the partial
    index: proof that the query spells the index's predicate so PostgreSQL can match them."""
    deals.add("u-sales1", ("qualification", "lost"), lost_reason="price")
    with sales_engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        session = Session(bind=conn)
        captured: list[str] = []
        original = session.execute

        def explain(statement: Any, *args: Any, **kwargs: Any) -> Any:
            compiled = statement.compile(conn, compile_kwargs={"literal_binds": True})
            if "opportunity_stage_changes" in str(compiled):
                plan = conn.execute(text(f"EXPLAIN {compiled}")).scalars().all()
                captured.append("\n".join(plan))
            return original(statement, *args, **kwargs)

        session.execute = explain  # type: ignore[method-assign]
        store.aggregates(session, ADMIN, FunnelQuery())
        session.close()
    assert captured and "ix_stage_changes_regressive" in captured[0], captured
    assert ask(ADMIN)["lost"] == 1
    assert Decimal(ask(ADMIN)["win_rate"]) == 0
