"""Who may read a record: one ``AccessPolicy`` per record kind (DESIGN §5).

A policy lists the grants into a record of its kind. Each grant names, from the record's state,
one principal (``user:<id>``, ``team:<id>``, ``role:<name>``) that may read it. Everything that
decides visibility is derived from that list, so the copies cannot drift apart:

- ``principals(state)`` is the search document's ``acl``;
- ``can_read(caller, state)`` is "the caller holds one of those principals (or is admin)", the
  same test Elasticsearch runs with a ``terms`` filter on ``acl``;
- ``kernel.access_sql.visible`` turns the grants into the SQL ``WHERE`` for lists.

Framework-free: the search indexer and the gateway import the policies of every service.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kernel.identity import Caller

PrincipalKind = Literal["user", "team", "role"]


@dataclass(frozen=True)
class Grant:
    """One way into a record.

    ``field``: the state field whose value names the principal (``owner_id`` → ``user:<owner>``);
    without it, ``value`` is a fixed principal (``role:finance``: every finance user).
    ``only_if``: state field → the values it must hold for the grant to apply (an assignee
    reads a task while it is open).
    """

    kind: PrincipalKind
    field: str | None = None
    value: str | None = None
    only_if: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def principal(self, state: Mapping[str, Any]) -> str | None:
        if any(state.get(name) not in allowed for name, allowed in self.only_if):
            return None
        value = self.value if self.field is None else state.get(self.field)
        return f"{self.kind}:{value}" if isinstance(value, str) and value else None

    @property
    def fields(self) -> frozenset[str]:
        names = {name for name, _ in self.only_if}
        return frozenset(names | ({self.field} if self.field else set()))


def owner(field_name: str = "owner_id") -> Grant:
    return Grant("user", field_name)


def team(field_name: str = "team_id") -> Grant:
    """The managers of the team named by ``field_name`` (a team principal is held by managers only)."""
    return Grant("team", field_name)


def user(field_name: str, *, only_if: Mapping[str, Iterable[str]] | None = None) -> Grant:
    conditions = tuple((name, tuple(values)) for name, values in (only_if or {}).items())
    return Grant("user", field_name, only_if=conditions)


def role(name: str) -> Grant:
    """Every user holding role ``name`` reads every record of the kind."""
    return Grant("role", value=name)


@dataclass(frozen=True)
class AccessPolicy:
    kind: str
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    @classmethod
    def of(
        cls,
        kind: str,
        *,
        roles: Iterable[str] = (),
        users: Iterable[Grant] = (),
        owner_field: str = "owner_id",
        team_field: str = "team_id",
    ) -> AccessPolicy:
        """The usual shape: the owner and their team's managers, plus ``roles`` and ``users``.

        Admins (and ``system``) read everything and are never listed in a document's ``acl``.
        """
        implied = (owner(owner_field), team(team_field))
        return cls(kind, (*implied, *(role(r) for r in roles), *users))

    @property
    def fields(self) -> frozenset[str]:
        """The state fields the policy reads (a SQL filter needs a column for each)."""
        return frozenset().union(*(g.fields for g in self.grants))

    def principals(self, state: Mapping[str, Any]) -> list[str]:
        """The search document's ``acl``: who, besides admins, may read this record."""
        found = (g.principal(state) for g in self.grants)
        return list(dict.fromkeys(p for p in found if p is not None))

    def can_read(self, caller: Caller, state: Mapping[str, Any]) -> bool:
        if caller.is_admin:
            return True
        return not set(caller.search_principals()).isdisjoint(self.principals(state))


def held(caller: Caller, kind: PrincipalKind) -> list[str]:
    """The ids behind the caller's principals of ``kind`` (``team`` → the managed team)."""
    prefix = f"{kind}:"
    return [p[len(prefix) :] for p in caller.search_principals() if p.startswith(prefix)]
