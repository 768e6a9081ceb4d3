"""Entrypoints of the opportunities area (handlers in ``sales.handlers.opportunities``)."""

from __future__ import annotations


class OpportunityEntrypoints:
    pass
