"""The SQL form of an ``AccessPolicy``: a ``WHERE`` clause a list query adds.

Grant by grant it asks the question Elasticsearch asks of a document's ``acl``: does the record
name one of the caller's principals? (``owner_id IN (<me>)``, ``team_id IN (<my managed team>)``,
a role grant is true or false for the whole kind.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true

from kernel.access import AccessPolicy, held
from kernel.identity import Caller


def visible(policy: AccessPolicy, caller: Caller, columns: Mapping[str, Any]) -> ColumnElement[bool]:
    """``columns``: state field → the column holding it (every field in ``policy.fields``)."""
    missing = policy.fields - set(columns)
    if missing:
        raise KeyError(f"no column for {sorted(missing)} of the {policy.kind} access policy")
    if caller.is_admin:
        return true()
    clauses: list[ColumnElement[bool]] = []
    for grant in policy.grants:
        ids = held(caller, grant.kind)
        if grant.field is None:
            if grant.value not in ids:
                continue
            clause: ColumnElement[bool] = true()
        elif ids:
            clause = columns[grant.field].in_(ids)
        else:
            continue
        for name, allowed in grant.only_if:
            clause = and_(clause, columns[name].in_(allowed))
        clauses.append(clause)
    return or_(false(), *clauses)
