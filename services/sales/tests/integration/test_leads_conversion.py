"""Converting a lead: the customers service's duplicate check decides between linking the
existing customer and creating one; the contact and notes go along."""

from __future__ import annotations

import pytest
from kernel.envelope import make_event
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import SYSTEM
from sales.handlers import lead_conversion, leads, replicas
from sales_testkit import ADMIN, MANAGER, SALES1, SALES2

pytestmark = pytest.mark.integration

TAX_A = "91110108MA01ABCD1E"
TAX_B = "91310000MA1FL8XQ37"


def lead(app, caller, name, **fields):
    return app.run(caller, leads.create_lead, {"company_name": name, **fields})


def customers_named(hub, caller, q):
    return [c for c in hub.list_customers(caller, {"q": q})["items"]]


def test_conversion_hitting_an_existing_customer_by_tax_id_links_instead_of_duplicating(sales, customer, hub):
    existing = customer(SALES1, "A科技有限公司", tax_id=TAX_A)
    pending = lead(sales, SALES1, "A科技", tax_id=TAX_A, contact_name="王芳", phone="13900139000")
    converted = sales.run(SALES1, lead_conversion.convert_lead, pending["id"])
    assert converted["status"] == "converted"
    assert converted["customer_id"] == existing["id"]
    assert converted["customer_name"] == "A科技有限公司"
    assert converted["customer_owner_id"] == "u-sales1"
    assert converted["conversion"]["linked"] is True
    assert len(customers_named(hub, ADMIN, "A科技")) == 1  # no duplicate
    contacts = hub.list_contacts(SALES1, existing["id"])["items"]
    assert [(c["name"], c["phones"]) for c in contacts] == [("王芳", ["13900139000"])]
    # Reading it back gives the same, and it cannot be converted twice.
    assert sales.run(SALES1, leads.get_lead, pending["id"])["customer_id"] == existing["id"]
    with pytest.raises(Conflict):
        sales.run(SALES1, lead_conversion.convert_lead, pending["id"])


def test_conversion_hitting_an_existing_customer_by_name_links_it(sales, customer, hub):
    existing = customer(SALES1, "B贸易有限公司")
    pending = lead(sales, SALES1, "B贸易有限公司")
    converted = sales.run(SALES1, lead_conversion.convert_lead, pending["id"])
    assert (converted["customer_id"], converted["conversion"]["linked"]) == (existing["id"], True)
    assert len(customers_named(hub, ADMIN, "B贸易")) == 1


def test_a_new_customer_is_created_with_the_contact_and_the_notes(sales, hub):
    pending = lead(
        sales,
        SALES1,
        "C物流有限公司",
        tax_id=TAX_B,
        contact_name="李雷",
        email="li.lei@example.com",
        notes="展会上认识，对仓储模块感兴趣",
        region="华东",
        source="event",
    )
    sales.run(SALES1, leads.log_lead_follow_up, pending["id"], "约了下周演示")
    converted = sales.run(SALES1, lead_conversion.convert_lead, pending["id"])
    assert converted["conversion"]["linked"] is False
    created = hub.get_customer(SALES1, converted["customer_id"])
    assert (created["name"], created["tax_id"], created["owner_id"]) == ("C物流有限公司", TAX_B, "u-sales1")
    assert created["source"] == "lead:event"
    contacts = hub.list_contacts(SALES1, created["id"])["items"]
    assert [(c["name"], c["emails"]) for c in contacts] == [("李雷", ["li.lei@example.com"])]
    follow_ups = hub.list_follow_ups(SALES1, created["id"])["items"]
    assert len(follow_ups) == 1
    assert "对仓储模块感兴趣" in follow_ups[0]["content"] and "约了下周演示" in follow_ups[0]["content"]
    assert converted["customer_name"] == "C物流有限公司"


def test_a_manager_converting_a_members_lead_makes_the_member_the_owner(sales, hub):
    pending = lead(sales, MANAGER, "D软件有限公司", owner_id="u-sales1")
    converted = sales.run(MANAGER, lead_conversion.convert_lead, pending["id"])
    assert hub.get_customer(ADMIN, converted["customer_id"])["owner_id"] == "u-sales1"
    assert converted["customer_owner_id"] == "u-sales1"


def test_conversion_needs_a_registered_name_or_a_tax_id(sales):
    pending = lead(sales, SALES1, "老王那家")
    with pytest.raises(ValidationError) as exc:
        sales.run(SALES1, lead_conversion.convert_lead, pending["id"])
    assert {e["field"] for e in exc.value.errors} == {"company_name", "tax_id"}
    renamed = sales.run(
        SALES1, lead_conversion.convert_lead, pending["id"], {"company_name": "王氏五金有限公司"}
    )
    assert (renamed["company_name"], renamed["customer_name"]) == ("王氏五金有限公司", "王氏五金有限公司")


def test_a_match_the_caller_may_not_see_is_a_clear_conflict_and_changes_nothing(sales, customer, hub):
    customer(SALES2, "E电子有限公司", tax_id=TAX_A)
    pending = lead(sales, SALES1, "E电子有限公司", tax_id=TAX_A)
    with pytest.raises(Conflict) as exc:
        sales.run(SALES1, lead_conversion.convert_lead, pending["id"])
    assert "may not see" in exc.value.detail
    assert exc.value.errors[0]["field"] == "tax_id"
    assert sales.run(SALES1, leads.get_lead, pending["id"])["status"] == "assigned"
    by_name = lead(sales, SALES1, "E电子有限公司")
    with pytest.raises(Conflict) as exc:
        sales.run(SALES1, lead_conversion.convert_lead, by_name["id"])
    assert exc.value.errors[0]["field"] == "company_name"
    assert len(customers_named(hub, ADMIN, "E电子")) == 1


def test_several_matches_ask_which_one_and_customer_id_or_force_decides(sales, customer, hub):
    first = customer(SALES1, "F科技有限公司")
    customer(SALES1, "F科技（北京）有限公司")
    pending = lead(sales, SALES1, "F科技有限公司")
    with pytest.raises(Conflict) as exc:
        sales.run(SALES1, lead_conversion.convert_lead, pending["id"])
    assert exc.value.errors[0]["field"] == "customer_id"
    linked = sales.run(SALES1, lead_conversion.convert_lead, pending["id"], {"customer_id": first["id"]})
    assert linked["customer_id"] == first["id"]
    other = lead(sales, SALES1, "F科技有限公司")
    forced = sales.run(SALES1, lead_conversion.convert_lead, other["id"], {"force": True})
    assert forced["conversion"]["linked"] is False and forced["customer_id"] != first["id"]
    with pytest.raises(ValidationError):
        sales.run(
            SALES1,
            lead_conversion.convert_lead,
            lead(sales, SALES1, "G有限公司")["id"],
            {"customer_id": "nope"},
        )


def test_a_pooled_lead_is_converted_by_its_teams_manager_not_by_a_sales_user(sales):
    pooled = lead(sales, MANAGER, "H机械有限公司")
    with pytest.raises(PermissionDenied):
        sales.run(SALES1, lead_conversion.convert_lead, pooled["id"])
    converted = sales.run(MANAGER, lead_conversion.convert_lead, pooled["id"])
    assert converted["status"] == "converted"


def test_a_renamed_customer_renames_its_converted_leads(sales):
    pending = lead(sales, SALES1, "I材料有限公司")
    converted = sales.run(SALES1, lead_conversion.convert_lead, pending["id"])
    ref = sales.run(SALES1, lambda unit: replicas.customer_ref(unit, converted["customer_id"]))
    state = {"id": ref.id, "name": "I材料集团有限公司", "owner_id": "u-sales1", "team_id": "team-east"}
    event = make_event(
        type="customer.updated",
        source="customers",
        aggregate_type="customer",
        aggregate_id=ref.id,
        version=ref.version + 1,
        actor_id="u-sales1",
        data={**state, "version": ref.version + 1},
    )
    sales.run(SYSTEM, replicas.customer_changed, event)
    after = sales.run(SALES1, leads.get_lead, pending["id"])
    assert after["customer_name"] == "I材料集团有限公司"
    assert after["version"] == converted["version"] + 1
    with pytest.raises(NotFound):
        sales.run(SALES2, leads.get_lead, pending["id"])
