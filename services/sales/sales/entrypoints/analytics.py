"""Entrypoints of the analytics area (handlers in ``sales.handlers.analytics``)."""

from __future__ import annotations

from kernel.entrypoints import rpc

from sales.handlers import analytics


class AnalyticsEntrypoints:
    funnel = rpc(analytics.funnel)
