"""Unit of work: one transaction holding a service's changes, their events and their audit lines.

Use cases are plain functions ``handler(unit, *args)``; they change state through the unit's
repositories and report every change through ``unit.record`` — the one audit-and-emit step —
so a state change without an event (the read models drift) or without an audit line cannot be
written by accident. ``Units.run`` opens a unit per call and retries the whole call when
PostgreSQL aborts it for a serialization failure or a deadlock.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, ParamSpec, TypeVar

from prometheus_client import Counter
from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    MetaData,
    String,
    Table,
    bindparam,
    cast,
    insert,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, sessionmaker
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from kernel.audit import BOOKKEEPING, AuditEntry, Changes
from kernel.clock import utcnow
from kernel.db import PREPARED_WRITES
from kernel.envelope import Envelope, make_event
from kernel.identity import Caller
from kernel.ids import new_id
from kernel.logs import get_correlation_id
from kernel.outbox import Outbox
from kernel.writes import is_write_once

log = logging.getLogger(__name__)

# SQLSTATEs after which the same transaction, run again, may well succeed.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
RETRIES = Counter(
    "panorama_uow_retries_total", "Units of work run again after a transient abort", ["sqlstate"]
)
GUARD_MISSES = Counter(
    "panorama_uow_guard_misses_total",
    "Guarded writes that found their assumption stale (the call ran again without it)",
)

U = TypeVar("U", bound="UnitOfWork")
T = TypeVar("T")
P = ParamSpec("P")


def sqlstate(exc: BaseException) -> str | None:
    """The PostgreSQL error code behind ``exc`` (SQLAlchemy wraps psycopg2's error in ``orig``)."""
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "pgcode", None)
    return code if isinstance(code, str) else None


def is_retryable(exc: BaseException) -> bool:
    return sqlstate(exc) in RETRYABLE_SQLSTATES


class GuardFailed(RuntimeError):
    """A guarded write (``SqlUnitOfWork.guard``) found its condition false and wrote nothing.

    ``Units.run`` runs the call again with ``unit.optimistic`` off, so the use case reads what it
    had assumed and answers from that (an error naming the duplicate, or the write after all)."""


@dataclass(frozen=True)
class Guard:
    """A condition the unit's one write statement must find true, or write nothing.

    ``condition`` is built once (its SQL is part of the statement's cached shape) with named
    ``bindparam``s that ``params`` fill for this write."""

    condition: ColumnElement[bool]
    params: Mapping[str, Any]


def audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_log",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor_id", String(64), nullable=False),
        # No foreign key: the trail outlives a deleted customer.
        Column("customer_id", String(36), nullable=False, index=True),
        Column("entity_type", String(20), nullable=False),
        Column("entity_id", String(36), nullable=False),
        Column("action", String(20), nullable=False),
        Column("changes", JSONB, nullable=False),
    )


class UnitOfWork:
    """Base of every unit of work: the caller, and the audit-and-emit step.

    Subclasses store events and audit lines (``_store_event``, ``_store_audit``) and end the
    transaction (``commit``, ``rollback``, ``close``). Used as a context manager: commit when the
    block succeeds, roll back when it raises, always close.
    """

    service: str
    # Off when ``Units.run`` runs a call again after its guarded write found an assumption stale:
    # the use case must then read what it had assumed (a hint it may skip, never a rule).
    optimistic: bool = True

    def __init__(self, caller: Caller, service: str) -> None:
        self.caller = caller
        self.service = service

    # -- the audit-and-emit step -------------------------------------------------------------
    def record(
        self,
        kind: str,
        action: str,
        state: Mapping[str, Any],
        *,
        customer_id: str,
        changes: Changes | None = None,
        event_type: str | None = None,
        aggregate: tuple[str, int] | None = None,
    ) -> Envelope:
        """Publish ``state`` (full state or tombstone) as ``<kind>.<action>`` and audit ``changes``.

        An update whose change set is empty (a record re-published because something it carries,
        like its customer's name, changed) is emitted but not audited: the audit line belongs to
        the record that really changed.

        ``aggregate``: (id, version) of the event when they are not the state's ``id`` and
        ``version`` (a quote version is its own aggregate, while its state names the quote and
        the version number users see).
        """
        event = self.emit(
            event_type or f"{kind}.{action}",
            kind=kind,
            state=state,
            customer_id=customer_id,
            aggregate=aggregate,
        )
        lines = {k: v for k, v in (changes or {}).items() if k not in BOOKKEEPING}
        if action != "updated" or lines:
            self.audit(kind, event.aggregate.id, action, lines, customer_id=customer_id)
        return event

    def emit(
        self,
        event_type: str,
        *,
        kind: str,
        state: Mapping[str, Any],
        customer_id: str | None,
        aggregate: tuple[str, int] | None = None,
    ) -> Envelope:
        """Only the event (prefer ``record``): the envelope goes to the outbox of this transaction."""
        aggregate_id, version = aggregate or (str(state["id"]), int(state["version"]))
        event = make_event(
            type=event_type,
            source=self.service,
            aggregate_type=kind,
            aggregate_id=aggregate_id,
            version=version,
            actor_id=self.caller.user_id,
            customer_id=customer_id,
            correlation_id=get_correlation_id(),
            data=dict(state),
        )
        self._store_event(event)
        return event

    def audit(
        self, kind: str, entity_id: str, action: str, changes: Changes, *, customer_id: str
    ) -> AuditEntry:
        """Only the audit line (prefer ``record``)."""
        entry = AuditEntry(
            id=new_id(),
            at=utcnow(),
            actor_id=self.caller.user_id,
            customer_id=customer_id,
            entity_type=kind,
            entity_id=entity_id,
            action=action,
            changes=changes,
        )
        self._store_audit(entry)
        return entry

    # -- storage, provided by subclasses -----------------------------------------------------
    def _store_event(self, event: Envelope) -> None:
        raise NotImplementedError

    def _store_audit(self, entry: AuditEntry) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """Send pending writes now (a constraint fails here, not at commit)."""
        raise NotImplementedError

    def expect_one_write(self) -> None:
        """The use case about to run is ``kernel.writes.writes_once``: a unit may then skip its
        transaction block. Units without one have nothing to skip."""

    def close(self) -> None:
        pass

    def __enter__(self: U) -> U:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
        finally:
            self.close()


class SqlUnitOfWork(UnitOfWork):
    """A SQLAlchemy session; events go to the service's outbox table, audit lines to its audit table.

    Events and audit lines are kept until the unit flushes or commits, then written together by
    one statement (the audit rows in a data-modifying CTE of the outbox INSERT): a create used to
    spend a round trip on each. Nothing reads them back inside the unit that wrote them. Rows a
    repository hands to ``insert_new`` (a new record the unit will not read back or change) join
    that statement too.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        caller: Caller,
        *,
        service: str,
        outbox: Table,
        audit_log: Table,
    ) -> None:
        super().__init__(caller, service)
        self.session = sessions()
        self._outbox = Outbox(outbox, service)
        self._audit_log = audit_log
        self._events: list[Envelope] = []
        self._audit_rows: list[dict[str, Any]] = []
        self._new_rows: dict[Table, list[dict[str, Any]]] = {}
        self._guards: list[Guard] = []
        self._one_write = False
        self._autocommit: Any = None  # the driver connection put in autocommit, until close

    def expect_one_write(self) -> None:
        """Run without a transaction block (autocommit): the reads are plain SELECTs that see, under
        READ COMMITTED, what they would see inside one, and the commit's one statement (row, events
        and audit lines together) is atomic by itself. Saves the BEGIN and COMMIT round trips.

        Anything else that would write must fail before a write reaches the database: no autoflush
        (a query would otherwise commit pending ORM changes one by one), no ``flush``, and the
        commit refuses a session holding changes, so the unit writes all or nothing as before.

        The driver's ``autocommit`` flag is set here and cleared in ``close``, not through
        SQLAlchemy's ``isolation_level`` option: that one resets the level with a round trip of
        its own when the connection goes back to the pool, while the flag is client-side only."""
        if self.session.in_transaction():
            raise RuntimeError("expect_one_write must come before the unit's first statement")
        self._one_write = True
        self.session.autoflush = False
        dbapi_connection = self.session.connection().connection.dbapi_connection
        if dbapi_connection is None:
            raise RuntimeError("the unit's connection is closed")
        dbapi_connection.autocommit = True
        self._autocommit = dbapi_connection

    def insert_new(self, table: Table, values: dict[str, Any]) -> None:
        """Insert ``values`` into ``table`` with this unit's events (written before them, in the
        same statement); not visible to this unit's queries before it flushes."""
        self._new_rows.setdefault(table, []).append(values)

    def guard(self, condition: ColumnElement[bool], params: Mapping[str, Any]) -> None:
        """Write this unit's statement only where ``condition`` holds, when it runs: else nothing
        is written and the commit raises ``GuardFailed``.

        What a use case would otherwise read first, in a round trip of its own (is the owner
        still active, is the name still free), becomes part of the write; the use case assumes
        the answer it expects (``optimistic``) and learns otherwise from the failed guard."""
        self._guards.append(Guard(condition, params))

    def _store_event(self, event: Envelope) -> None:
        self._events.append(event)

    def _store_audit(self, entry: AuditEntry) -> None:
        self._audit_rows.append(entry.to_row())

    def _write_records(self) -> None:
        events, audit_rows, new_rows = self._events, self._audit_rows, self._new_rows
        guards, self._guards = self._guards, []
        self._events, self._audit_rows, self._new_rows = [], [], {}
        parts = list(new_rows.items())
        if audit_rows:
            parts.append((self._audit_log, audit_rows))
        if events:
            # Multi-row VALUES: the outbox's sequence numbers follow the order the events were recorded.
            parts.append((self._outbox.table, self._outbox.rows(events)))
        if not parts:
            return
        written = write_combined(self.session, parts, guards)
        if guards and written == 0:
            raise GuardFailed("the write's guard found its assumption stale: nothing was written")

    def flush(self) -> None:
        if self._one_write:
            raise RuntimeError("a writes_once use case cannot flush: its one write is at commit")
        self._write_records()
        self.session.flush()

    def commit(self) -> None:
        session = self.session
        if self._one_write and (session.new or session.dirty or session.deleted):
            # Written in autocommit these would not be atomic with the unit's statement: refuse
            # before anything is written (the use case is not writes_once after all).
            raise RuntimeError("a writes_once use case changed rows through the session")
        self._write_records()
        session.commit()

    def rollback(self) -> None:
        self._events, self._audit_rows, self._new_rows, self._guards = [], [], {}, []
        self.session.rollback()

    def close(self) -> None:
        dbapi_connection, self._autocommit = self._autocommit, None
        if dbapi_connection is not None:
            try:
                dbapi_connection.autocommit = False  # the pool's next user expects transactions
            except Exception:
                # Never hand an autocommit connection back to the pool: drop it instead.
                self.session.invalidate()
        self.session.close()


_Part = tuple[Table, list[dict[str, Any]]]


@dataclass(frozen=True)
class _Rendered:
    sql: str  # the statement, with the driver's named parameters
    name: str  # of the server-side prepared statement
    prepare: str  # PREPARE <name> AS <the statement, with $n parameters>
    execute: str  # EXECUTE <name>(<the driver's named parameters, in $n order>)
    processors: Mapping[str, Callable[[Any], Any]]  # the parameters that have one


_STATEMENTS: dict[tuple[Any, ...], _Rendered] = {}
_MAX_STATEMENTS = 256
_PREPARED = "panorama_prepared"  # connection.info key: names prepared on that server session
_DRIVER_PARAMETER = re.compile(r"%\((\w+)\)s")


def _runs(parts: list[_Part]) -> list[tuple[Table, tuple[str, ...], list[dict[str, Any]]]]:
    """Each table's rows in runs of the same columns (one multi-row VALUES needs that)."""
    runs: list[tuple[Table, tuple[str, ...], list[dict[str, Any]]]] = []
    for table, rows in parts:
        for row in rows:
            columns = tuple(row)
            if runs and runs[-1][0] is table and runs[-1][1] == columns:
                runs[-1][2].append(row)
            else:
                runs.append((table, columns, [row]))
    return runs


def write_combined(session: Session, parts: list[_Part], guards: Sequence[Guard] = ()) -> int:
    """Insert every part's rows in one statement: the last run's INSERT, the others as
    data-modifying CTEs (PostgreSQL runs them all, whatever the main statement reads). Returns
    the rows the last run's INSERT wrote: 0 when ``guards`` stopped it.

    With ``guards``, every INSERT selects its rows from one gate (a CTE that has a row only where
    all the guards' conditions hold): the statement writes all of it or none.

    The SQL is rendered once per shape (tables, row counts, columns, guards) and sent with the
    driver's parameters: SQLAlchemy compiles a multi-row INSERT (and one in a CTE) anew on every
    execution, which cost more CPU than the round trips it saves. Where the engine allows it
    (``kernel.db.PREPARED_WRITES``), each server session prepares a shape once and then only
    executes it: PostgreSQL parses, analyses and plans a create's three-table INSERT in about a
    quarter of the 0.8 ms of CPU it spends on it.
    """
    connection = session.connection()
    dialect = connection.dialect
    runs = _runs(parts)
    conditions = tuple(g.condition for g in guards)
    shape = (dialect.name, tuple((table, columns, len(rows)) for table, columns, rows in runs), conditions)
    rendered = _STATEMENTS.get(shape)
    if rendered is None:
        rendered = _render(runs, conditions, dialect)
        if len(_STATEMENTS) >= _MAX_STATEMENTS:
            _STATEMENTS.clear()
        _STATEMENTS[shape] = rendered
    processors = rendered.processors
    params: dict[str, Any] = {}
    for guard in guards:
        params.update(guard.params)
    for p, (_, _, rows) in enumerate(runs):
        for r, row in enumerate(rows):
            for column, value in row.items():
                params[f"p{p}r{r}_{column}"] = value
    for name, process in processors.items():
        value = params[name]
        if value is not None:
            params[name] = process(value)
    if not connection.get_execution_options().get(PREPARED_WRITES, False):
        return connection.exec_driver_sql(rendered.sql, params).rowcount
    # Kept with the DBAPI connection (SQLAlchemy clears it when that connection is replaced,
    # as the server forgets the session's statements). PREPARE outlives a rollback.
    prepared: set[str] = connection.info.setdefault(_PREPARED, set())
    if rendered.name not in prepared:
        connection.exec_driver_sql(rendered.prepare)
        prepared.add(rendered.name)
    return connection.exec_driver_sql(rendered.execute, params).rowcount


def _render(
    runs: list[tuple[Table, tuple[str, ...], list[dict[str, Any]]]],
    conditions: tuple[ColumnElement[bool], ...],
    dialect: Any,
) -> _Rendered:
    gate = select(literal_column("1").label("open")).where(*conditions).cte("gate") if conditions else None
    inserts = []
    for p, (table, columns, rows) in enumerate(runs):
        binds = [
            {c: bindparam(f"p{p}r{r}_{c}", type_=table.c[c].type) for c in columns} for r in range(len(rows))
        ]
        if gate is None:
            inserts.append(insert(table).values(binds))
            continue
        # INSERT ... SELECT: the casts give each parameter its column's type, which a VALUES
        # list would have inferred from the target columns.
        chosen = [
            select(*(cast(row[c], table.c[c].type) for c in columns)).select_from(gate) for row in binds
        ]
        source = chosen[0] if len(chosen) == 1 else union_all(*chosen)
        inserts.append(insert(table).from_select(list(columns), source))
    combined = inserts[-1]
    for n, cte in enumerate(inserts[:-1]):
        combined = combined.add_cte(cte.cte(f"w{n}"))
    compiled = combined.compile(dialect=dialect)
    sql = compiled.string
    processors = {
        name: process
        for name, bind in compiled.binds.items()
        if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    }
    order: list[str] = []  # the driver's parameters in $n order

    def positional(match: re.Match[str]) -> str:
        if match.group(1) not in order:
            order.append(match.group(1))
        return f"${order.index(match.group(1)) + 1}"

    body = _DRIVER_PARAMETER.sub(positional, sql)
    # Named by its text: one name, one statement, in every process and after any cache reset.
    name = "pw_" + hashlib.sha1(body.encode("utf-8")).hexdigest()[:20]
    execute = f"EXECUTE {name}({', '.join(f'%({p})s' for p in order)})"
    return _Rendered(sql, name, f"PREPARE {name} AS {body}", execute, processors)


class Units(Generic[U]):
    """Runs use cases, each in a fresh unit of work from ``begin(caller)``.

    The whole call is run again (fresh unit, fresh reads) when PostgreSQL aborted it with a
    serialization failure or a deadlock, after a short random wait so the colliding
    transactions do not collide again in lock step; other errors propagate at once. A call whose
    guarded write found its assumption stale (``GuardFailed``) runs again at once, once, with
    ``unit.optimistic`` off.
    """

    def __init__(
        self,
        begin: Callable[[Caller], U],
        *,
        attempts: int = 5,
        first_wait: float = 0.01,
        max_wait: float = 0.25,
    ) -> None:
        self.begin = begin
        self.attempts = attempts
        self.first_wait = first_wait
        self.max_wait = max_wait

    def run(self, caller: Caller, work: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        retrying = Retrying(
            retry=retry_if_exception(is_retryable),
            wait=wait_random_exponential(multiplier=self.first_wait, max=self.max_wait),
            stop=stop_after_attempt(self.attempts),
            before_sleep=_count_retry,
            reraise=True,
        )
        one_write = is_write_once(work)

        def once(optimistic: bool) -> T:
            with self.begin(caller) as unit:
                unit.optimistic = optimistic
                if one_write:
                    unit.expect_one_write()
                return work(unit, *args, **kwargs)

        for attempt in retrying:
            with attempt:
                try:
                    return once(optimistic=True)
                except GuardFailed:
                    GUARD_MISSES.inc()
                    return once(optimistic=False)
        raise AssertionError("unreachable: tenacity either returned or re-raised")


def _count_retry(state: Any) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    code = sqlstate(exc) if exc is not None else None
    RETRIES.labels(code or "unknown").inc()
    log.info("unit of work aborted (%s); running it again, attempt %d", code, state.attempt_number + 1)
