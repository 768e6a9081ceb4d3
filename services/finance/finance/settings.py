"""Settings of the finance processes: the kernel's per-service fields plus this service's own."""

from __future__ import annotations

from functools import lru_cache

from kernel.settings import service_settings
from pydantic import Field

from finance.contracts.common import OverdueBucket


class FinanceSettings(service_settings("finance")):  # type: ignore[misc]
    # How often the overdue timer looks for instalments past due (each bucket change emits once).
    overdue_check_seconds: float = 300.0
    # Where "today" is for due dates (an instalment due on the 5th is overdue from the 6th there).
    business_timezone: str = "Asia/Shanghai"
    # The manager hears of an overdue instalment once it reaches this bucket (the owner from 1 day).
    overdue_manager_bucket: OverdueBucket = "31-60"
    # The VAT rates an invoice may carry (China: 13% goods, 9%/6% services, 3%/1% small taxpayers).
    invoice_tax_rates: str = "0,0.01,0.03,0.06,0.09,0.13"
    # Credit risk per customer (contracts.collections): medium/high once the oldest overdue
    # instalment reaches these buckets, or the overdue amount of one currency reaches these sums
    # (minor units: 10_000_000 = ¥100,000.00). Buckets, not days: the timer re-assesses a
    # customer when a bucket moves, so a threshold between bucket starts would be noticed late.
    risk_medium_bucket: OverdueBucket = "31-60"
    risk_high_bucket: OverdueBucket = "90+"
    risk_medium_overdue_minor: int = 10_000_000
    risk_high_overdue_minor: int = 50_000_000
    # Instalments the overdue timer handles per transaction (rows locked FOR UPDATE SKIP LOCKED).
    overdue_batch_size: int = 200
    # PostgreSQL work_mem for the aging report and forecast transactions (SET LOCAL): a
    # by-customer report hashes one group per customer and currency.
    report_work_mem: str = Field(default="64MB", pattern=r"^[1-9][0-9]{0,5}(kB|MB|GB)$")
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
