"""Server-side revocation of browser sessions: logging out makes the session's cookie and CSRF
token worthless at once, not when the token expires.

Only logged-out sessions are stored (with the moment the last token they could hold expires), so
the table stays small. Every web request asks whether its session is revoked; an answer is cached
in the process for a moment - "revoked" until the session would have expired anyway, "not
revoked" for ``cache_seconds`` - so a page costs no database round trip. The replica that served
the logout knows at once; another replica follows within ``cache_seconds``.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Protocol

from kernel.clock import utcnow


class RevocationStore(Protocol):
    def revoke(self, session_id: str, until: datetime) -> None: ...

    def is_revoked(self, session_id: str) -> bool: ...


class MemoryRevocationStore:
    """For the in-memory test app (one process, nothing shared)."""

    def __init__(self) -> None:
        self._revoked: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def revoke(self, session_id: str, until: datetime) -> None:
        now = utcnow()
        with self._lock:
            for sid in [s for s, end in self._revoked.items() if end <= now]:
                del self._revoked[sid]
            self._revoked[session_id] = until

    def is_revoked(self, session_id: str) -> bool:
        with self._lock:
            until = self._revoked.get(session_id)
        return until is not None and until > utcnow()


class SessionRevocations:
    def __init__(self, store: RevocationStore, *, cache_seconds: float = 2.0, max_entries: int = 50_000):
        self.store = store
        self.cache_seconds = cache_seconds
        self.max_entries = max_entries
        # session id -> (answer, monotonic moment the answer stops being trusted)
        self._cache: dict[str, tuple[bool, float]] = {}
        self._lock = threading.Lock()

    def peek(self, session_id: str) -> bool | None:
        """The cached answer, or None when only the store can tell (ask ``is_revoked`` off the loop)."""
        with self._lock:
            hit = self._cache.get(session_id)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
        return None

    def is_revoked(self, session_id: str) -> bool:
        cached = self.peek(session_id)
        if cached is not None:
            return cached
        revoked = self.store.is_revoked(session_id)
        # A revocation never comes undone, so a "yes" can be trusted much longer than a "no".
        self._remember(session_id, revoked, self.cache_seconds * (30 if revoked else 1))
        return revoked

    def revoke(self, session_id: str, until: datetime) -> None:
        self.store.revoke(session_id, until)
        self._remember(session_id, True, max(0.0, (until - utcnow()).total_seconds()))

    def _remember(self, session_id: str, revoked: bool, seconds: float) -> None:
        with self._lock:
            if len(self._cache) >= self.max_entries:
                self._cache.clear()
            self._cache[session_id] = (revoked, time.monotonic() + seconds)
