"""Owners that creates read lately: a hint that lets the next create skip reading its owner."""

from __future__ import annotations

from customers.ports import Owner


class RecentOwners:
    """Active directory users by id, as this process last read them. Never an answer on its own:
    a create that relies on one writes with ``Customers.insert_if_unchanged``, which checks it
    again in the same statement. Bounded: cleared when full (one read per owner refills it)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._owners: dict[str, Owner] = {}

    def get(self, owner_id: str) -> Owner | None:
        return self._owners.get(owner_id)

    def saw(self, owner_id: str, owner: Owner | None) -> None:
        """What a read found for ``owner_id`` (None: no such user)."""
        if owner is None or not owner.active:
            self._owners.pop(owner_id, None)
            return
        if len(self._owners) >= self._size and owner_id not in self._owners:
            self._owners.clear()
        self._owners[owner_id] = owner
