"""Settings of the service-desk processes: the kernel's per-service fields plus this service's own."""

from __future__ import annotations

from functools import lru_cache

from kernel.settings import service_settings


class ServiceDeskSettings(service_settings("service_desk")):  # type: ignore[misc]
    # The SLA calendar: business hours in this zone, Monday–Friday by default; holidays are dates.
    business_timezone: str = "Asia/Shanghai"
    business_day_start: str = "09:00"
    business_day_end: str = "18:00"
    business_weekdays: str = "1,2,3,4,5"  # ISO weekdays
    holidays: str = ""  # comma-separated ISO dates, e.g. "2026-10-01,2026-10-02"
    # How often the SLA timer looks for near-breach (80%) and breach; each fires once.
    sla_check_seconds: float = 60.0
    # SLA targets per priority, first response / resolution in business time; empty keeps
    # domain.sla.DEFAULT_TARGETS. E.g. "P1=30m/4h,P2=2h/16h,P3=4h/27h,P4=8h/45h".
    sla_targets: str = ""
    # Attachments are metadata of files in object storage; larger files are refused.
    attachment_max_bytes: int = 25 * 1024 * 1024
    # A resolved ticket may be reopened within this many days; after it, it closes.
    reopen_days: int = 7
    # How often resolved tickets past the reopen window are closed (by the system).
    auto_close_check_seconds: float = 900.0
    # The satisfaction survey link is valid this long after the ticket is resolved.
    survey_valid_days: int = 14
    # Care visits (回访) for VIP/important customers, this many days after the trigger.
    care_visit_after_ticket_days: int = 3
    care_visit_after_order_days: int = 30
    # RPC to the customers service (customer lookups as the caller, care-visit tasks).
    customers_rpc_timeout_seconds: float = 10.0


@lru_cache(maxsize=1)
def service_desk_settings() -> ServiceDeskSettings:
    """The process's settings, read once (use cases deep in a call reach them here)."""
    return ServiceDeskSettings()
