"""The gateway side of "one service = one folder + one registry entry": service packages register
with one call, clients are typed stubs, contracts are defined once, business defaults stay in the
service."""

from __future__ import annotations

from asyncio import run
from pathlib import Path
from typing import Any

import pytest
from customers import contracts as c
from fastapi import APIRouter
from fastapi.testclient import TestClient
from gateway.main import create_app
from gateway.services import ServiceModule, register
from gateway.services.customers import schemas
from gateway.services.customers.client import CustomersClient
from gateway.services.customers.labels import CONTACT_ROLE_ORDER
from gateway.services.customers.web_pages import CHANNELS
from gateway.services.installed import INSTALLED
from gateway.services.rpc_client import ServiceClient, rpc_method
from gateway.services.search.client import SearchClient
from gateway.settings import GatewaySettings
from gateway.web.labels import label
from gateway_fakes import FakeRpc, MemoryUserStore, browser_login, csrf_of
from kernel.identity import Caller
from kernel.registry import names

# -- the generic client ------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.connected = True

    async def call(self, service: str, method: str, kwargs: Any = None, *, timeout: Any = None) -> Any:
        self.calls.append((service, method, kwargs))
        return {"ok": True}

    async def ping(self, service: str, timeout: float = 1.0) -> bool:
        return True


CALLER = Caller(user_id="u1", roles=("sales",), team_id="t1")


def test_a_stub_calls_its_namesake_with_named_arguments_and_the_signed_caller() -> None:
    rpc = Recorder()
    run(CustomersClient(rpc, "customers_copy").update_customer(CALLER, "c1", {"name": "x"}, 3))
    service, method, kwargs = rpc.calls[0]
    assert (service, method) == ("customers_copy", "update_customer")
    assert kwargs.pop("caller") == CALLER.to_payload()
    assert kwargs == {"customer_id": "c1", "changes": {"name": "x"}, "expected_version": 3, "force": False}


def test_omit_none_leaves_the_service_its_own_defaults() -> None:
    rpc = Recorder()
    run(SearchClient(rpc).search(CALLER, "abc", owner_id="u1"))
    kwargs = rpc.calls[0][2]
    assert set(kwargs) == {"caller", "q", "owner_id", "limit"}


def test_a_new_client_is_a_list_of_stubs() -> None:
    class LeadsClient(ServiceClient):
        service_name = "sales"

        @rpc_method
        async def get_lead(self, caller: Caller, lead_id: str) -> dict[str, Any]: ...  # type: ignore[empty-body]

    rpc = Recorder()
    assert run(LeadsClient(rpc).get_lead(CALLER, "l1")) == {"ok": True}
    assert rpc.calls[0][:2] == ("sales", "get_lead")
    assert rpc.calls[0][2]["lead_id"] == "l1"


# -- registration ------------------------------------------------------------------------------


def test_installed_packages_are_registry_services_with_fakes() -> None:
    assert [m.name for m in INSTALLED] == [n for n in names() if n in {m.name for m in INSTALLED}]
    for module in INSTALLED:
        assert module.fake, f"{module.name} has no fake for the gateway's unit tests"
        assert module.templates is None or module.templates.is_dir()


def test_one_register_call_serves_a_package_routes_templates_and_labels(tmp_path: Path) -> None:
    app = create_app(
        GatewaySettings(environment="test", migrate_on_start=False), rpc=FakeRpc(), store=MemoryUserStore()
    )
    api = APIRouter(prefix="/api/v1/widgets", tags=["widgets"])

    @api.get("/count")
    async def count_widgets() -> dict[str, int]:
        return {"count": 0}

    (tmp_path / "widget.html").write_text("widgets")
    register(
        app,
        ServiceModule(
            name="widgets",
            label="小部件服务",
            api=(api,),
            templates=tmp_path,
            labels={"widget_state": {"on": "开"}},
        ),
    )
    with TestClient(app) as client:
        assert client.get("/api/v1/widgets/count").json() == {"count": 0}
        assert "/api/v1/widgets/count" in client.get("/openapi.json").json()["paths"]
    assert label("widget_state", "on") == "开"
    assert app.state.service_labels["widgets"] == "小部件服务"


# -- contracts defined once --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gateway_model", "contract_model"),
    [
        (schemas.CustomerCreate, c.CustomerCreate),
        (schemas.CustomerUpdate, c.CustomerUpdate),
        (schemas.ContactCreate, c.ContactCreate),
        (schemas.ContactUpdate, c.ContactUpdate),
        (schemas.FollowUpCreate, c.FollowUpCreate),
        (schemas.FollowUpUpdate, c.FollowUpUpdate),
        (schemas.TaskCreate, c.TaskCreate),
        (schemas.TaskUpdate, c.TaskUpdate),
        (schemas.Transfer, c.TransferRequest),
    ],
)
def test_rest_bodies_are_the_contracts_plus_the_version(gateway_model: Any, contract_model: Any) -> None:
    assert issubclass(gateway_model, contract_model)
    assert set(gateway_model.model_fields) - set(contract_model.model_fields) <= {"version"}


def test_the_rest_limits_are_the_contract_limits(client: TestClient) -> None:
    components = client.get("/openapi.json").json()["components"]["schemas"]
    assert components["CustomerCreate"]["properties"]["name"]["maxLength"] == c.MAX_LEN["customer"]["name"]
    assert components["ContactCreate"]["properties"]["role"]["anyOf"][0]["enum"] == list(c.CONTACT_ROLES)


# -- business defaults live in the service ---------------------------------------------------


@pytest.fixture
def customer_page(client: TestClient, sales1: Any, token_for: Any) -> str:
    cid = client.post("/api/v1/customers", json={"name": "甲公司"}, headers=token_for(sales1)).json()["id"]
    assert browser_login(client, "sales1").status_code == 303
    return cid


def test_ui_forms_leave_time_and_assignee_to_the_service(
    client: TestClient, customer_page: str, rpc: FakeRpc
) -> None:
    cid = customer_page
    token = csrf_of(client.get(f"/customers/{cid}").text)
    headers = {"HX-Request": "true", "X-CSRF-Token": token}
    client.post(f"/customers/{cid}/follow-ups", data={"channel": "call", "content": "回访"}, headers=headers)
    client.post(
        f"/customers/{cid}/tasks", data={"title": "报价", "due_at": "2030-01-01T09:00"}, headers=headers
    )
    follow_up = rpc.calls_to("create_follow_up")[-1]["data"]
    task = rpc.calls_to("create_task")[-1]["data"]
    assert "occurred_at" not in follow_up and "assignee_id" not in task
    assert (
        rpc.customers.children["task"] and next(iter(rpc.customers.children["task"].values()))["assignee_id"]
    )


def test_transfer_targets_follow_the_service_rule(client: TestClient, make_user: Any, token_for: Any) -> None:
    sales1 = make_user("sales1", ["sales"], team="一组")
    make_user("peer", ["sales"], team="一组")
    make_user("other_team", ["sales"], team="二组")
    make_user("finance", ["finance"], team="一组")
    make_user("boss", ["manager"], team="一组")
    cid = client.post("/api/v1/customers", json={"name": "乙公司"}, headers=token_for(sales1)).json()["id"]
    assert browser_login(client, "boss").status_code == 303
    page = client.get(f"/customers/{cid}").text
    form = page[page.index('data-testid="transfer-form"') :]
    assert "（peer）" in form and "（boss）" in form
    assert "（other_team）" not in form and "（finance）" not in form and "（sales1）" not in form


def test_routes_made_by_the_crud_helper_keep_their_operation_ids(client: TestClient) -> None:
    operations = {
        op["operationId"]
        for path in client.get("/openapi.json").json()["paths"].values()
        for op in path.values()
    }
    for kind, segment in (("contact", "contacts"), ("follow_up", "follow_ups"), ("task", "tasks")):
        assert f"get_{kind}_api_v1_{segment}__{kind}_id__get" in operations


def test_ui_orderings_are_orderings_of_the_contract_choices() -> None:
    assert sorted(CHANNELS) == sorted(c.FOLLOW_UP_CHANNELS)
    assert sorted(CONTACT_ROLE_ORDER) == sorted(c.CONTACT_ROLES)


def test_the_main_menu_comes_from_the_packages(client: TestClient, sales1: Any, finance: Any) -> None:
    assert browser_login(client, "sales1").status_code == 303
    page = client.get("/").text
    assert 'data-testid="nav-customers"' in page and 'data-testid="nav-tasks"' in page
    client.post("/logout", data={"csrf_token": csrf_of(page)})
    assert browser_login(client, "finance").status_code == 303
    assert 'data-testid="nav-tasks"' not in client.get("/customers").text  # finance lacks tasks:read
