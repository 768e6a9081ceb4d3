"""The gateway signs the caller of every RPC with the identity key of its settings (§2.6)."""

from __future__ import annotations

import jwt
import pytest
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway_fakes import FakeRpc, MemoryUserStore
from kernel.identity import AUDIENCE, Caller
from kernel.settings import DEV_IDENTITY_KEY
from kernel.signing import configure_signing, derive, signing_keys


@pytest.fixture
def custom_key():
    key = "identity-key-of-this-gateway-test-0123456789"
    yield key
    configure_signing(DEV_IDENTITY_KEY, signing_keys().identity_ttl_seconds)


def test_the_gateway_signs_with_its_settings_key(custom_key):
    settings = GatewaySettings(environment="test", migrate_on_start=False, identity_key=custom_key)
    create_app(settings, rpc=FakeRpc(), store=MemoryUserStore())
    token = Caller("u1", ("sales",), "t1").to_payload()["token"]
    claims = jwt.decode(token, derive(custom_key, "identity"), algorithms=["HS256"], audience=AUDIENCE)
    assert (claims["sub"], claims["roles"], claims["team"]) == ("u1", ["sales"], "t1")
    assert 0 < claims["exp"] - claims["iat"] <= settings.identity_ttl_seconds
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, derive(DEV_IDENTITY_KEY, "identity"), algorithms=["HS256"], audience=AUDIENCE)
