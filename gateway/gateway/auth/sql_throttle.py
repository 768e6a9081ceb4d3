"""The login throttle on the gateway's PostgreSQL: one limit shared by every gateway replica.

A reservation takes a transaction-scoped advisory lock per key (account, address), counts that
key's failures inside the window and inserts the attempt only when both are under their limits,
so concurrent attempts - on this replica or another - are serialised per key and at most the
limit ever gets a verdict. Refused attempts write nothing: a guessing flood costs a lock and a
read, and each key holds at most its limit of rows per window. Times come from the database's
clock so replicas with skewed clocks still agree on the window.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from datetime import timedelta

from kernel.db import transaction
from kernel.ids import new_id
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from gateway.auth.models import LoginFailure
from gateway.auth.throttle import Reservation, Throttled, account_key, address_key, retry_after

log = logging.getLogger(__name__)

# First half of the two-int advisory lock key ("lgin"); the two-int key space never overlaps the
# single-bigint one the migration lock uses.
_LOCK_NAMESPACE = 0x6C67696E


def _lock_id(key: str) -> int:
    """A stable signed 32-bit id per key (a collision only serialises two unrelated keys)."""
    unsigned = zlib.crc32(key.encode("utf-8"))
    return unsigned - (1 << 32) if unsigned >= 1 << 31 else unsigned


class SqlLoginThrottle:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        max_failures_per_account: int,
        max_failures_per_address: int,
        window_seconds: float,
        purge_batch: int = 10_000,
    ) -> None:
        self.sessions = sessions
        self.max_account = max_failures_per_account
        self.max_address = max_failures_per_address
        self.window = timedelta(seconds=window_seconds)
        self.purge_batch = purge_batch
        self._purged_at = time.monotonic()
        self._purge_lock = threading.Lock()

    def _limits(self, username: str, address: str) -> list[tuple[str, int]]:
        return [(account_key(username), self.max_account), (address_key(address), self.max_address)]

    def reserve(self, username: str, address: str) -> Reservation:
        limits = self._limits(username, address)
        reservation = Reservation(new_id(), username, address)
        with transaction(self.sessions) as session:
            # One global order of lock ids, so two attempts never wait on each other in a cycle.
            for lock_id in sorted({_lock_id(key) for key, _ in limits}):
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:ns, :id)"), {"ns": _LOCK_NAMESPACE, "id": lock_id}
                )
            now = session.execute(text("SELECT clock_timestamp()")).scalar_one()
            wait = 0.0
            for key, limit in limits:
                newest = (
                    session.execute(
                        select(LoginFailure.failed_at)
                        .where(LoginFailure.key == key, LoginFailure.failed_at > now - self.window)
                        .order_by(LoginFailure.failed_at.desc())
                        .limit(limit)
                    )
                    .scalars()
                    .all()
                )
                if len(newest) >= limit:
                    # Allowed again when the oldest failure that still counts leaves the window.
                    wait = max(wait, (newest[-1] + self.window - now).total_seconds())
            if wait > 0:
                raise Throttled(retry_after(wait))  # rolls back: nothing written
            session.add_all(
                LoginFailure(attempt_id=reservation.attempt_id, key=key, failed_at=now) for key, _ in limits
            )
        self._maybe_purge()
        return reservation

    def succeeded(self, reservation: Reservation) -> None:
        with transaction(self.sessions) as session:
            session.execute(delete(LoginFailure).where(LoginFailure.key == account_key(reservation.username)))
            session.execute(
                delete(LoginFailure).where(
                    LoginFailure.key == address_key(reservation.address),
                    LoginFailure.attempt_id == reservation.attempt_id,
                )
            )

    def release(self, reservation: Reservation) -> None:
        with transaction(self.sessions) as session:
            session.execute(delete(LoginFailure).where(LoginFailure.attempt_id == reservation.attempt_id))

    def reset(self) -> None:
        with transaction(self.sessions) as session:
            session.execute(delete(LoginFailure))

    def _maybe_purge(self) -> None:
        """Once a window per process, drop rows that left it (keys nobody tries again)."""
        now = time.monotonic()
        if now - self._purged_at < self.window.total_seconds() or not self._purge_lock.acquire(False):
            return
        try:
            self._purged_at = now
            with transaction(self.sessions) as session:
                # SKIP LOCKED: the purge never waits on (or deadlocks with) a login clearing its rows.
                session.execute(
                    text(
                        "DELETE FROM login_failures WHERE ctid IN ("
                        " SELECT ctid FROM login_failures"
                        " WHERE failed_at <= clock_timestamp() - make_interval(secs => :window)"
                        " LIMIT :batch FOR UPDATE SKIP LOCKED)"
                    ),
                    {"window": self.window.total_seconds(), "batch": self.purge_batch},
                )
        except Exception:  # housekeeping only; the next window tries again
            log.warning("purging expired login failures failed", exc_info=True)
        finally:
            self._purge_lock.release()
