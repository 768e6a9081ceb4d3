"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations)."""

from __future__ import annotations

import os
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Each argon2id run takes 64 MiB and tens of milliseconds of CPU; a burst of logins must queue
# here rather than let the thread pool multiply that into gigabytes.
_slots = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
# How long a login waits for a slot before it is turned away as busy: a burst beyond what the cores
# verify in this time is answered at once (503 + Retry-After) instead of holding the caller until
# its own timeout, every waiter also holding one of the server's threads.
CHECK_WAIT_SECONDS = 5.0
_dummy: tuple[PasswordHasher, str] | None = None


class PasswordChecksBusy(Exception):
    """Every password-check slot stayed taken for the whole wait; nothing was verified."""


def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both paths cost the same time and
    response timing does not reveal which usernames exist (same parameters as real hashes)."""
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, hash_password("panorama-no-such-user"))
    return _dummy[1]


def hash_password(password: str) -> str:
    with _slots:
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; raises ``PasswordChecksBusy`` when no slot frees up within
    ``CHECK_WAIT_SECONDS``."""
    stored = password_hash or _dummy_hash()
    if not _slots.acquire(timeout=CHECK_WAIT_SECONDS):
        raise PasswordChecksBusy
    try:
        return _hasher.verify(stored, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    finally:
        _slots.release()


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
