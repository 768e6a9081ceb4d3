"""Property-based check of the REST API against its own OpenAPI document: no input yields a 5xx,
and every response matches what the document promises (fake services, bounded run).

``positive_data_acceptance`` is left out on purpose: a schema cannot say "a team that exists" or
"a credit code with the right check character", so schema-valid input the domain rejects gets a
correct 422 that this check would call a failure."""

from __future__ import annotations

import schemathesis
from gateway.auth.directory import Directory
from gateway.main import create_app
from gateway.settings import GatewaySettings
from gateway_fakes import FakeRpc, MemoryUserStore
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

rpc = FakeRpc()
store = MemoryUserStore()
app = create_app(
    GatewaySettings(environment="test", migrate_on_start=False, max_body_bytes=64 * 1024),
    rpc=rpc,
    store=store,
)
_directory: Directory = app.state.directory
_admin = _directory.create_user(username="fuzz-admin", password="fuzz password 1", roles=["admin"])
rpc.customers.directory[_admin.id] = _admin.replica()
_seed = rpc.customers.create_customer(_admin.caller, {"name": "A科技有限公司"})
AUTH = {"Authorization": f"Bearer {app.state.tokens.issue(_admin.id)}"}

# A fuzzed body beyond the size limit is rightly refused with 413 before anyone reads it.
CONFIG = SchemathesisConfig.from_str(
    """
[checks]
negative_data_rejection.expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415",
                                             "422", "428", "429"]
"""
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
# In process against fakes a call takes milliseconds, but a loaded CI box once stalled one past
# schemathesis's 10 s default: a read timeout there says nothing about the schema.
CALL_TIMEOUT_SECONDS = 120


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_honours_its_schema(case):
    app.state.throttle.reset()  # the fuzzer logs in a lot; throttling would only add noise
    case.call_and_validate(
        headers=AUTH, excluded_checks=[positive_data_acceptance], timeout=CALL_TIMEOUT_SECONDS
    )
