"""The caller identity that travels with every RPC call (the gateway owns users and roles).

On the wire the identity is ``{"token": <JWT>}``: HS256-signed with the identity key (see
``kernel.signing``), valid for ``identity_ttl_seconds``. Anyone can publish to the broker; only
holders of the key can say who they are, and ``system`` is just another role the key vouches for.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt

from kernel.errors import PermissionDenied
from kernel.signing import SigningKeys, signing_keys

ROLES = ("admin", "manager", "sales", "finance", "support", "system")
AUDIENCE = "panorama-rpc"
MAX_TTL_SECONDS = 300
_ALGORITHM = "HS256"


# token -> (caller, expiry): the gateway reuses a token for half its life, so a service sees the
# same one many times; checking its expiry is enough once its signature was.
_verified: dict[tuple[str, bytes], tuple[Caller, float]] = {}


def _refused(message: str) -> PermissionDenied:
    return PermissionDenied(f"caller identity {message}", [{"field": "caller", "message": message}])


@dataclass(frozen=True)
class Caller:
    user_id: str
    roles: tuple[str, ...]
    team_id: str | None = None

    @classmethod
    def from_payload(cls, payload: Any) -> Caller:
        """The caller a signed identity speaks for; anything unsigned, forged or expired is refused."""
        if isinstance(payload, Caller):
            return payload  # in-process calls (tests, the service's own jobs) never crossed the wire
        token = payload.get("token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise _refused("is missing or unsigned")
        keys = signing_keys()
        hit = _verified.get((token, keys.identity))
        if hit is not None and hit[1] + keys.leeway_seconds > time.time():
            return hit[0]
        try:
            claims = jwt.decode(
                token,
                keys.identity,
                algorithms=[_ALGORITHM],
                audience=AUDIENCE,
                leeway=keys.leeway_seconds,
                options={"require": ["sub", "exp", "iat", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise _refused("has expired") from None
        except jwt.InvalidTokenError:
            raise _refused("is not validly signed") from None
        lifetime = (
            claims["exp"] - claims["iat"] if all(isinstance(claims[k], int) for k in ("exp", "iat")) else None
        )
        if lifetime is None or lifetime > MAX_TTL_SECONDS:
            raise _refused("is not short-lived")
        caller = cls._from_claims(claims)
        if len(_verified) >= _Signer.max_cached:
            _verified.clear()
        _verified[(token, keys.identity)] = (caller, float(claims["exp"]))
        return caller

    @classmethod
    def _from_claims(cls, claims: dict[str, Any]) -> Caller:
        user_id = claims.get("sub")
        roles = claims.get("roles")
        team_id = claims.get("team")
        if not isinstance(user_id, str) or not user_id:
            raise _refused("names no user")
        if not isinstance(roles, list) or not all(isinstance(r, str) and r in ROLES for r in roles):
            raise _refused("carries an unknown role")
        if team_id is not None and not isinstance(team_id, str):
            raise _refused("carries an invalid team")
        return cls(user_id=user_id, roles=tuple(roles), team_id=team_id or None)

    def to_payload(self) -> dict[str, Any]:
        """The signed form sent over RPC (minted by whoever holds the identity key)."""
        return {"token": _signer.sign(self)}

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles or "system" in self.roles

    def search_principals(self) -> list[str]:
        """Principals matched against a search document's ``acl``; admin sees everything."""
        principals = [f"user:{self.user_id}"]
        principals += [f"role:{role}" for role in self.roles]
        if self.team_id and "manager" in self.roles:
            principals.append(f"team:{self.team_id}")
        return principals


SYSTEM = Caller(user_id="system", roles=("system",))


class _Signer:
    """Mints identity tokens, reusing one per caller for the first half of its life: the gateway
    signs on every call, and a fresh JWT each time is CPU spent on an identical answer."""

    max_cached = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[Caller, bytes], tuple[str, float]] = {}

    def sign(self, caller: Caller, *, keys: SigningKeys | None = None, now: float | None = None) -> str:
        keys = keys or signing_keys()
        moment = time.time() if now is None else now
        cache_key = (caller, keys.identity)
        with self._lock:
            hit = self._cache.get(cache_key)
        if hit is not None and now is None and hit[1] > moment:
            return hit[0]
        issued = int(moment)
        token = jwt.encode(
            {
                "sub": caller.user_id,
                "roles": list(caller.roles),
                "team": caller.team_id,
                "aud": AUDIENCE,
                "iat": issued,
                "exp": issued + keys.identity_ttl_seconds,
            },
            keys.identity,
            algorithm=_ALGORITHM,
        )
        if now is None:
            with self._lock:
                if len(self._cache) >= self.max_cached:
                    self._cache.clear()
                self._cache[cache_key] = (token, moment + keys.identity_ttl_seconds / 2)
        return token


_signer = _Signer()


def sign_caller(caller: Caller, *, keys: SigningKeys | None = None, now: float | None = None) -> str:
    """A token for ``caller``; ``keys``/``now`` let tests mint foreign or expired identities."""
    return _signer.sign(caller, keys=keys, now=now)
