"""Entrypoints of the leads area (handlers in ``sales.handlers.leads``)."""

from __future__ import annotations


class LeadEntrypoints:
    pass
