"""Entrypoints of the quotes area (handlers in ``sales.handlers.quotes``)."""

from __future__ import annotations


class QuoteEntrypoints:
    pass
