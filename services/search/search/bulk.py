"""Bulk request construction and per-item outcome classification (pure; no client, no broker)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from search.documents import IndexOp


class Outcome(StrEnum):
    INDEXED = "indexed"
    STALE = "stale"  # 409 under external versioning: an older or replayed event, already superseded
    RETRY = "retry"  # ES overloaded or unavailable: keep the message, try again later
    POISON = "poison"  # ES will never accept this document (mapping/parse error)


@dataclass(frozen=True)
class OpResult:
    outcome: Outcome
    reason: str = ""


def operations(ops: Sequence[IndexOp], targets: Sequence[str]) -> list[dict[str, Any]]:
    """One external-versioned ``index`` action per op and target alias."""
    lines: list[dict[str, Any]] = []
    for op in ops:
        for target in targets:
            lines.append(
                {
                    "index": {
                        "_index": target,
                        "_id": op.doc_id,
                        "version": op.version,
                        "version_type": "external",
                    }
                }
            )
            lines.append(op.source)
    return lines


def classify_item(item: dict[str, Any], primary: bool) -> OpResult | None:
    """Outcome of one bulk item; None means "ignore" (see the building-alias case below)."""
    result = item.get("index") or item.get("create") or {}
    status = int(result.get("status", 500))
    error = result.get("error") or {}
    reason = f"{status} {error.get('type', '')}: {error.get('reason', '')}".strip()
    if 200 <= status < 300:
        return OpResult(Outcome.INDEXED)
    if status == 409:
        return OpResult(Outcome.STALE)
    if status == 429 or status >= 500:
        return OpResult(Outcome.RETRY, reason)
    if status == 404:
        # require_alias: the alias is gone. For the building alias that means the reindex just
        # swapped, and the primary write went to the new index already. A missing primary alias
        # is a misconfiguration, not the message's fault: keep it.
        return None if not primary else OpResult(Outcome.RETRY, reason)
    return OpResult(Outcome.POISON, reason)


_PRECEDENCE = {Outcome.POISON: 3, Outcome.RETRY: 2, Outcome.STALE: 1, Outcome.INDEXED: 0}


def interpret(ops: Sequence[IndexOp], targets: Sequence[str], response: dict[str, Any]) -> list[OpResult]:
    """Fold the per-target items back into one result per op (worst outcome wins, primary decides
    between indexed and stale)."""
    items = response.get("items", [])
    if len(items) != len(ops) * len(targets):
        raise ValueError(f"bulk answered {len(items)} items for {len(ops) * len(targets)} actions")
    results: list[OpResult] = []
    for i, _op in enumerate(ops):
        outcomes = [classify_item(items[i * len(targets) + t], primary=(t == 0)) for t in range(len(targets))]
        primary = outcomes[0] or OpResult(Outcome.RETRY, "no primary result")
        worst = max((o for o in outcomes if o is not None), key=lambda o: _PRECEDENCE[o.outcome])
        results.append(worst if worst.outcome in (Outcome.POISON, Outcome.RETRY) else primary)
    return results
