"""The process-wide signing keys: caller identities (short-lived JWTs) and paging cursors (HMAC).

One secret (``PANORAMA_IDENTITY_KEY``) is shared by the gateway and the services; each use gets
its own key derived from it, so a cursor can never pass for an identity or the other way round.
The keys are read lazily from ``KernelSettings`` the first time they are needed; a process whose
settings object is built elsewhere (the gateway, tests) calls :func:`configure_signing` instead.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class SigningKeys:
    identity: bytes
    cursor: bytes
    identity_ttl_seconds: int
    # Clocks of the gateway and service hosts are never exactly equal.
    leeway_seconds: int = 5


def derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), f"panorama:{purpose}".encode(), hashlib.sha256).digest()


def keys_from(secret: str, identity_ttl_seconds: int) -> SigningKeys:
    return SigningKeys(
        identity=derive(secret, "identity"),
        cursor=derive(secret, "cursor"),
        identity_ttl_seconds=identity_ttl_seconds,
    )


_lock = threading.Lock()
_keys: SigningKeys | None = None


def configure_signing(secret: str, identity_ttl_seconds: int) -> SigningKeys:
    """Install the keys of this process (idempotent; the last call wins)."""
    global _keys
    keys = keys_from(secret, identity_ttl_seconds)
    with _lock:
        _keys = keys
    return keys


def signing_keys() -> SigningKeys:
    global _keys
    keys = _keys
    if keys is not None:
        return keys
    from kernel.settings import KernelSettings  # late: settings import pydantic-settings

    settings = KernelSettings()
    with _lock:
        if _keys is None:
            _keys = keys_from(settings.identity_key, settings.identity_ttl_seconds)
        return _keys
