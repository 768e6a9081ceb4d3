"""kernel.access: one policy, read as a document acl, an in-process check and a SQL clause."""

from __future__ import annotations

import pytest
from kernel.access import AccessPolicy, held, user
from kernel.access_sql import visible
from kernel.identity import SYSTEM, Caller
from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.dialects import postgresql

TASK = AccessPolicy.of(
    "task", roles=("finance",), users=(user("assignee_id", only_if={"status": ("open",)}),)
)
rows = Table(
    "rows",
    MetaData(),
    Column("owner_id", String),
    Column("team_id", String),
    Column("assignee_id", String),
    Column("status", String),
)
COLUMNS = {name: rows.c[name] for name in ("owner_id", "team_id", "assignee_id", "status")}

SALES = Caller("u1", ("sales",), "t1")
MANAGER = Caller("m1", ("manager",), "t1")
ASSIGNEE = Caller("u9", ("sales",), "t2")
FINANCE = Caller("f1", ("finance",), None)


def sql(caller: Caller) -> str:
    stmt = select(rows.c.owner_id).where(visible(TASK, caller, COLUMNS))
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def test_principals_are_the_document_acl_and_conditions_apply():
    state = {"owner_id": "u1", "team_id": "t1", "assignee_id": "u9", "status": "open"}
    assert TASK.principals(state) == ["user:u1", "team:t1", "role:finance", "user:u9"]
    assert TASK.principals({**state, "status": "done", "team_id": None}) == ["user:u1", "role:finance"]
    assert TASK.fields == {"owner_id", "team_id", "assignee_id", "status"}


@pytest.mark.parametrize(
    ("caller", "open_", "done"),
    [(SALES, True, True), (MANAGER, True, True), (ASSIGNEE, True, False), (FINANCE, True, True)],
)
def test_can_read_is_holding_one_of_the_principals(caller, open_, done):
    state = {"owner_id": "u1", "team_id": "t1", "assignee_id": "u9", "status": "open"}
    assert TASK.can_read(caller, state) is open_
    assert TASK.can_read(caller, {**state, "status": "done"}) is done
    outsider = Caller("u5", ("sales",), "t1")  # same team, not a manager: no team principal
    assert not TASK.can_read(outsider, state)
    assert TASK.can_read(SYSTEM, state) and TASK.can_read(Caller("a", ("admin",)), state)


def test_sql_asks_the_same_question_grant_by_grant():
    assert held(MANAGER, "team") == ["t1"] and held(SALES, "team") == []
    assert sql(SALES) == (
        "SELECT rows.owner_id \nFROM rows \nWHERE rows.owner_id IN ('u1') "
        "OR rows.assignee_id IN ('u1') AND rows.status IN ('open')"
    )
    assert "rows.team_id IN ('t1')" in sql(MANAGER)
    assert "WHERE true" in sql(FINANCE) and "WHERE" not in sql(SYSTEM).replace("WHERE true", "")


def test_a_policy_field_without_a_column_is_refused():
    with pytest.raises(KeyError, match="status"):
        visible(TASK, SALES, {k: v for k, v in COLUMNS.items() if k != "status"})
