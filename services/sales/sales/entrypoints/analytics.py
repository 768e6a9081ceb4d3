"""Entrypoints of the analytics area (handlers in ``sales.handlers.analytics``)."""

from __future__ import annotations


class AnalyticsEntrypoints:
    pass
