"""Registry of searchable kinds: kind → builder of its document fields and the events it accepts.

A new kind (lead, opportunity, quote, contract, invoice, payment, ticket) slots in by writing one
small builder module like ``customers.py`` and adding its specs to ``REGISTRY`` (plus any new
field to ``search.mapping``).
"""

from __future__ import annotations

from search.kinds.base import KindSpec
from search.kinds.customers import CUSTOMER_KINDS

REGISTRY: dict[str, KindSpec] = {spec.kind: spec for spec in (*CUSTOMER_KINDS,)}
KNOWN_KINDS: tuple[str, ...] = tuple(REGISTRY)

__all__ = ["KNOWN_KINDS", "REGISTRY", "KindSpec"]
