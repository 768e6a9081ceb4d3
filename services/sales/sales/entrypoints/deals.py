"""Entrypoints of the deals area (handlers in ``sales.handlers.deals``)."""

from __future__ import annotations


class DealEntrypoints:
    pass
