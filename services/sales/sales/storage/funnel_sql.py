"""SQL spellings the funnel's partial index and its query must share, character for character
(PostgreSQL uses a partial index only when it can prove the query implies its predicate)."""

from __future__ import annotations

from sales.contracts.analytics import FUNNEL_STEPS
from sales.contracts.opportunities import OPEN_STAGES


def step_position_sql(column: str) -> str:
    """``column``'s 0-based position among FUNNEL_STEPS (NULL for lost)."""
    whens = " ".join(f"WHEN '{stage}' THEN {i}" for i, stage in enumerate(FUNNEL_STEPS))
    return f"CASE {column} {whens} END"


def regressive_sql(table: str = "") -> str:
    """A move that leaves the furthest stage behind: into lost, or back to an earlier step. Only
    these rows can make an opportunity's furthest stage differ from its current one (see
    ``sales.storage.analytics``), so the funnel reads them through a partial index, not the
    whole history. ``table``: a qualifying prefix (``"opportunity_stage_changes."``)."""
    to, came = f"{table}to_stage", f"{table}from_stage"
    return f"({to} = 'lost' OR {step_position_sql(to)} < {step_position_sql(came)})"


REGRESSIVE_SQL = regressive_sql()  # the predicate of ix_stage_changes_regressive (models, 0002)
OPEN_STAGES_SQL = "stage IN ({})".format(", ".join(f"'{s}'" for s in OPEN_STAGES))
