"""Settings of the finance processes: the kernel's per-service fields plus this service's own."""

from __future__ import annotations

from functools import lru_cache

from kernel.settings import service_settings


class FinanceSettings(service_settings("finance")):  # type: ignore[misc]
    # How often the overdue timer looks for instalments past due (each bucket change emits once).
    overdue_check_seconds: float = 300.0
    # Where "today" is for due dates (an instalment due on the 5th is overdue from the 6th there).
    business_timezone: str = "Asia/Shanghai"
    # The manager hears of an overdue instalment once it reaches this bucket (the owner from 1 day).
    overdue_manager_bucket: str = "31-60"
    # Bank-statement import: lines per committed batch (a retry resumes after the last one; each
    # matched line is a savepoint, and PostgreSQL slows every session down once a transaction has
    # more than 64 subtransactions), and the largest statement taken at once.
    bank_import_batch_size: int = 50
    bank_import_max_rows: int = 200_000
    bank_import_max_bytes: int = 16 * 1024 * 1024
    # RPC to the customers service (customer lookups as the caller).
    customers_rpc_timeout_seconds: float = 10.0


@lru_cache(maxsize=1)
def finance_settings() -> FinanceSettings:
    """The process's settings, read once (use cases deep in a call reach them here)."""
    return FinanceSettings()
