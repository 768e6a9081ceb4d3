"""Short-lived bearer tokens (JWT, HS256) naming the user; roles are looked up per request so a
role change or deactivation takes effect at once instead of when the token expires."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from kernel.clock import utcnow
from kernel.ids import new_id

ALGORITHM = "HS256"
LEEWAY_SECONDS = 10
MAX_VERIFIED = 10_000


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    issued_at: datetime
    expires_at: datetime
    # The browser session the token belongs to (web login); API tokens have none.
    session_id: str | None = None


class InvalidToken(Exception):
    pass


class TokenIssuer:
    def __init__(self, secret: str, issuer: str, ttl_seconds: int) -> None:
        self._secret = secret
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds
        # token -> (claims, accepted until): a client sends the same token on every request, and
        # a signature once checked stays good; only the expiry needs checking again.
        self._verified: dict[str, tuple[TokenClaims, float]] = {}

    def issue(self, user_id: str, now: datetime | None = None, *, session_id: str | None = None) -> str:
        now = now or utcnow()
        claims: dict[str, object] = {
            "sub": user_id,
            "iss": self.issuer,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.ttl_seconds)).timestamp()),
            "jti": new_id(),
        }
        if session_id is not None:
            claims["sid"] = session_id
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> TokenClaims:
        hit = self._verified.get(token)
        if hit is not None:
            if time.time() < hit[1]:
                return hit[0]
            self._verified.pop(token, None)
        claims = self._verify(token)
        if len(self._verified) >= MAX_VERIFIED:
            self._verified.clear()
        self._verified[token] = (claims, claims.expires_at.timestamp() + LEEWAY_SECONDS)
        return claims

    def _verify(self, token: str) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],  # never let the token pick its own algorithm
                issuer=self.issuer,
                options={"require": ["sub", "iat", "exp", "iss"]},
                leeway=LEEWAY_SECONDS,
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("token has no subject")
        session_id = claims.get("sid")
        if session_id is not None and (not isinstance(session_id, str) or not session_id):
            raise InvalidToken("token has a malformed session id")
        return TokenClaims(
            user_id=subject,
            issued_at=datetime.fromtimestamp(int(claims["iat"]), UTC),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            session_id=session_id,
        )
