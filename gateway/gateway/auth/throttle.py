"""Throttling of repeated failed logins, per account and per client address.

An attempt is *reserved* - counted as a failure - before its password is verified, atomically with
the limit check. Checking first and counting after the (slow, on purpose) hash let every one of
40 parallel guesses through the check before the first was counted; with a reservation at most
the limit is ever verified. A success clears the account's failures and gives the address its
attempt back; a failure leaves the reservation standing as the failure.

Production keeps the counters in the gateway's PostgreSQL (``gateway.auth.sql_throttle``) so all
replicas share one limit; ``MemoryLoginThrottle`` below serves the in-memory test app.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kernel.ids import new_id


@dataclass(frozen=True)
class Reservation:
    """One login attempt, counted against ``username`` and ``address`` until it succeeds."""

    attempt_id: str
    username: str
    address: str


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled for {retry_after} s")
        self.retry_after = retry_after


class LoginThrottle(Protocol):
    def reserve(self, username: str, address: str) -> Reservation:
        """Count one attempt now, or raise Throttled when a limit is already reached."""
        ...

    def succeeded(self, reservation: Reservation) -> None:
        """The password was right: clear the account's failures and release the address's attempt."""
        ...

    def release(self, reservation: Reservation) -> None:
        """The attempt never reached a verdict (an error): it does not count."""
        ...

    def reset(self) -> None: ...


def account_key(username: str) -> str:
    return f"user:{username}"


def address_key(address: str) -> str:
    return f"addr:{address}"


def retry_after(wait_seconds: float) -> int:
    return max(1, math.ceil(wait_seconds))


class MemoryLoginThrottle:
    def __init__(
        self,
        *,
        max_failures_per_account: int,
        max_failures_per_address: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.max_account = max_failures_per_account
        self.max_address = max_failures_per_address
        self.window = window_seconds
        self.clock = clock
        self.max_keys = max_keys
        # key -> (moment, attempt id), oldest first
        self._failures: dict[str, deque[tuple[float, str]]] = {}
        self._lock = threading.Lock()

    def _limits(self, username: str, address: str) -> list[tuple[str, int]]:
        return [(account_key(username), self.max_account), (address_key(address), self.max_address)]

    def _recent(self, key: str, now: float) -> deque[tuple[float, str]]:
        stamps = self._failures.get(key)
        if stamps is None:
            return deque()
        while stamps and stamps[0][0] <= now - self.window:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
        return stamps

    def reserve(self, username: str, address: str) -> Reservation:
        now = self.clock()
        with self._lock:
            wait = 0.0
            for key, limit in self._limits(username, address):
                stamps = self._recent(key, now)
                if len(stamps) >= limit:
                    # Allowed again when the oldest failure that still counts leaves the window.
                    wait = max(wait, stamps[len(stamps) - limit][0] + self.window - now)
            if wait > 0:
                raise Throttled(retry_after(wait))
            if len(self._failures) >= self.max_keys:
                self._prune(now)
            reservation = Reservation(new_id(), username, address)
            for key, _ in self._limits(username, address):
                self._failures.setdefault(key, deque()).append((now, reservation.attempt_id))
        return reservation

    def succeeded(self, reservation: Reservation) -> None:
        # The account starts afresh; the address only gets this attempt back, so a valid login
        # cannot launder an address that guesses at other accounts.
        with self._lock:
            self._failures.pop(account_key(reservation.username), None)
            self._forget(address_key(reservation.address), reservation.attempt_id)

    def release(self, reservation: Reservation) -> None:
        with self._lock:
            for key, _ in self._limits(reservation.username, reservation.address):
                self._forget(key, reservation.attempt_id)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()

    def _forget(self, key: str, attempt_id: str) -> None:
        stamps = self._failures.get(key)
        if stamps is None:
            return
        kept = deque(entry for entry in stamps if entry[1] != attempt_id)
        if kept:
            self._failures[key] = kept
        else:
            del self._failures[key]

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        if len(self._failures) >= self.max_keys:
            # Still full of live entries: forget the oldest half rather than grow without bound.
            oldest = sorted(self._failures, key=lambda k: self._failures[k][-1][0])
            for key in oldest[: len(oldest) // 2]:
                del self._failures[key]
