"""Settings of the customers processes: the kernel's per-service fields plus this service's own."""

from __future__ import annotations

from kernel.settings import service_settings


class CustomersSettings(service_settings("customers")):  # type: ignore[misc]
    overdue_check_seconds: float = 60.0
