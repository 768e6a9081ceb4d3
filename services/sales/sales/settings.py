"""Settings of the sales processes: the kernel's per-service fields plus this service's own."""

from __future__ import annotations

from functools import lru_cache

from kernel.settings import service_settings

from sales.domain.pdf import DEFAULT_FONT_PATH


class SalesSettings(service_settings("sales")):  # type: ignore[misc]
    # Leads not followed up within this many days (per grade) go back to the pool.
    lead_recycle_days_a: int = 3
    lead_recycle_days_b: int = 7
    lead_recycle_days_c: int = 14
    lead_recycle_check_seconds: float = 300.0
    # Leads a day a sales user may claim (or be dealt by the rules) when no rule names their cap,
    # and where "a day" starts.
    lead_daily_cap_default: int = 30
    lead_cap_timezone: str = "Asia/Shanghai"
    # A quote version whose largest line discount is above this (percent) needs a manager.
    quote_auto_approve_max_discount_pct: float = 10.0
    # Owners are reminded this many days before an approved/sent version's valid-until date.
    quote_expiry_reminder_days: int = 3
    quote_expiry_check_seconds: float = 300.0
    # A renewal opportunity is due this many days before the order's service period ends.
    renewal_lead_days: int = 60
    # The TrueType font covering Chinese embedded in quote PDFs (Debian: fonts-wqy-microhei).
    quote_pdf_font_path: str = DEFAULT_FONT_PATH
    # RPC to the customers service (lead conversion, customer lookups).
    customers_rpc_timeout_seconds: float = 10.0


@lru_cache(maxsize=1)
def sales_settings() -> SalesSettings:
    """The process's settings, read once (use cases deep in a call reach them here)."""
    return SalesSettings()
