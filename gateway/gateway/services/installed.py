"""The service packages this gateway serves, in order (the order of their routes and pages)."""

from __future__ import annotations

from gateway.services import ServiceModule, customers, search

INSTALLED: tuple[ServiceModule, ...] = (customers.MODULE, search.MODULE)
