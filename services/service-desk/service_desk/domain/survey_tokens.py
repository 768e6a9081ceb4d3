"""The survey link's token: the survey id and the link's expiry, HMAC-signed.

``<payload>.<tag>``: the payload is base64url JSON ``{"s": survey id, "e": expiry (epoch s)}``;
the tag is HMAC-SHA256 under a key only the service desk derives (see ``handlers.surveys``),
truncated to 128 bits. Changing one character of either part makes the token invalid; an
expired one stays recognisable (so the page can say "expired", not "invalid").
Framework-free, the key and the clock passed in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

MAX_TOKEN_LENGTH = 512
_TAG_BYTES = 16
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


class InvalidToken(Exception):
    """Not a token this service signed (forged, edited, truncated, garbage)."""


@dataclass(frozen=True)
class SurveyToken:
    survey_id: str
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    """Strict: the alphabet only, and the canonical form (base64's spare low bits in the last
    character would otherwise let several spellings of one token all verify)."""
    if not _ALPHABET.fullmatch(text):
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))
    if _b64(raw) != text:
        raise ValueError("not canonical base64url")
    return raw


def _tag(key: bytes, body: str) -> bytes:
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()[:_TAG_BYTES]


def _canonical(body: str) -> str:
    _unb64(body)  # raises unless the alphabet and the canonical form
    return body


def sign(key: bytes, survey_id: str, expires_at: datetime) -> str:
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    payload = {"s": survey_id, "e": int(expires_at.timestamp())}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    return f"{body}.{_b64(_tag(key, body))}"


def verify(key: bytes, token: object) -> SurveyToken:
    """The token's survey and expiry if this key signed it (expired or not: ask ``expired``)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise InvalidToken("malformed")
    body, tag = token.split(".")
    try:
        if not hmac.compare_digest(_unb64(tag), _tag(key, _canonical(body))):
            raise InvalidToken("bad signature")
        payload = json.loads(_unb64(body))
    except (binascii.Error, ValueError, UnicodeError):
        raise InvalidToken("malformed") from None
    if not isinstance(payload, dict):
        raise InvalidToken("malformed")
    survey_id, expiry = payload.get("s"), payload.get("e")
    if (
        not isinstance(survey_id, str)
        or not survey_id
        or isinstance(expiry, bool)
        or not isinstance(expiry, int)
    ):
        raise InvalidToken("malformed")
    return SurveyToken(survey_id, datetime.fromtimestamp(expiry, UTC))
