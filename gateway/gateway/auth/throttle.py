"""Throttling of repeated failed logins, per account and per client address.

The store is in-process memory on purpose: the gateway runs as one process per host today, the
data is short-lived (minutes) and losing it on restart only resets the counters, and keeping it
out of PostgreSQL means a password-guessing flood cannot turn into database write load. With
several gateway replicas each one counts separately, so the effective limit is multiplied by the
replica count; move this behind a shared store (PostgreSQL table or the broker) before scaling
the gateway out.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
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
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(username: str, address: str) -> list[tuple[str, str]]:
        return [(f"user:{username}", "account"), (f"addr:{address}", "address")]

    def _recent(self, key: str, now: float) -> deque[float]:
        stamps = self._failures.get(key)
        if stamps is None:
            return deque()
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if not stamps:
            del self._failures[key]
        return stamps

    def retry_after(self, username: str, address: str) -> int:
        """Seconds the caller must wait before trying again; 0 when a try is allowed now."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key, kind in self._keys(username, address):
                limit = self.max_account if kind == "account" else self.max_address
                stamps = self._recent(key, now)
                if len(stamps) >= limit:
                    # Allowed again when the oldest failure that still counts leaves the window.
                    wait = max(wait, stamps[len(stamps) - limit] + self.window - now)
        return math.ceil(wait) if wait > 0 else 0

    def record_failure(self, username: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) >= self.max_keys:
                self._prune(now)
            for key, _ in self._keys(username, address):
                self._failures.setdefault(key, deque(maxlen=max(self.max_account, self.max_address))).append(
                    now
                )

    def record_success(self, username: str) -> None:
        # Only the account counter resets: a valid login must not launder an address that guesses.
        with self._lock:
            self._failures.pop(f"user:{username}", None)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()

    def _prune(self, now: float) -> None:
        for key in list(self._failures):
            self._recent(key, now)
        if len(self._failures) >= self.max_keys:
            # Still full of live entries: forget the oldest half rather than grow without bound.
            oldest = sorted(self._failures, key=lambda k: self._failures[k][-1])
            for key in oldest[: len(oldest) // 2]:
                del self._failures[key]
