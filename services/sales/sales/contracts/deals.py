"""Contracts (合同) and orders (订单).

A contract is drawn from a quote's FINAL version once it is approved or sent; a special-price
contract (the version needed a discount approval, or the seller says so) needs a team lead's
approval before it is signed. An order is placed from a signed contract, with a payment plan of
instalments that add up to the contract amount, and wins the opportunity.

RPC (``caller`` first; ValidationError / NotFound / PermissionDenied / Conflict):
    create_contract(caller, quote_id, version, data=None) -> Contract   (data: {special_price})
    approve_contract(caller, contract_id, comment=None, expected_version=None) -> Contract
    reject_contract(caller, contract_id, comment, expected_version=None) -> Contract
    sign_contract / archive_contract(caller, contract_id, expected_version=None) -> Contract
    cancel_contract(caller, contract_id, reason=None, expected_version=None) -> Contract
    get_contract(caller, contract_id) -> Contract
    list_contracts(caller, filters=None, cursor=None, limit=None) -> Page[Contract]
        filters: customer_id, status, quote_id
    place_order(caller, data) -> Order   (data: OrderCreate; wins the opportunity; order.placed)
    cancel_order(caller, order_id, reason=None, expected_version=None) -> Order
    get_order(caller, order_id) -> Order (with instalments)
    list_orders(caller, filters=None, cursor=None, limit=None) -> Page[Order]
        filters: customer_id, status, contract_id

Events carry the full state. ``order.placed`` is what finance makes receivables from (one per
instalment) and what the renewal of an order with a service period is created from;
``order.cancelled`` tells finance to drop them.
"""

from __future__ import annotations

from typing import Literal, get_args

from kernel.kinds import SearchKind
from kernel.schema import Day, Id, RequestModel
from pydantic import BaseModel, Field, StrictBool, StrictInt

from sales.contracts.common import Owned

# 待审核 → 已签署 → 已归档, and 已驳回 / 已取消
ContractStatus = Literal["pending_review", "signed", "archived", "rejected", "cancelled"]
CONTRACT_STATUSES: tuple[str, ...] = get_args(ContractStatus)
CONTRACT_STATUS_LABELS: dict[str, str] = {
    "pending_review": "待审核",
    "signed": "已签署",
    "archived": "已归档",
    "rejected": "已驳回",
    "cancelled": "已取消",
}
# A contract in one of these still holds its quote version (one open contract per version).
OPEN_CONTRACT_STATUSES: tuple[str, ...] = ("pending_review", "signed", "archived")
# Special price: "not_required", "pending" (a team lead must approve before signing), "approved".
ApprovalStatus = Literal["not_required", "pending", "approved", "rejected"]
OrderStatus = Literal["placed", "cancelled"]
ORDER_STATUSES: tuple[str, ...] = get_args(OrderStatus)
ORDER_STATUS_LABELS: dict[str, str] = {"placed": "已下单", "cancelled": "已取消"}

MAX_INSTALMENTS = 120
MAX_QUOTE_VERSION = 10_000
COMMENT_MAX = 2000

CONTRACT_CREATED = "contract.created"
CONTRACT_UPDATED = "contract.updated"
CONTRACT_SIGNED = "contract.signed"
ORDER_PLACED = "order.placed"
ORDER_UPDATED = "order.updated"
ORDER_CANCELLED = "order.cancelled"


class Instalment(BaseModel):
    seq: int  # 1, 2, … in due-date order
    due_date: str  # ISO date
    amount_minor: int


class Contract(Owned):
    number: str
    quote_id: str
    quote_version: int
    opportunity_id: str | None = None
    title: str | None = None
    status: str
    status_label: str | None = None
    amount_minor: int
    currency: str
    special_price: bool = False
    approval_status: str | None = None
    approved_by: str | None = None
    approved_at: str | None = None
    signed_at: str | None = None
    archived_at: str | None = None
    decision_comment: str | None = None
    cancel_reason: str | None = None
    order_id: str | None = None  # the order placed from it, once there is one


class Order(Owned):
    number: str
    contract_id: str
    contract_number: str | None = None
    quote_id: str | None = None
    opportunity_id: str
    title: str | None = None
    status: str
    status_label: str | None = None
    amount_minor: int
    currency: str
    service_start: str | None = None  # ISO dates; none: no service period, no renewal
    service_end: str | None = None
    placed_at: str | None = None
    cancelled_at: str | None = None
    cancel_reason: str | None = None
    instalments: list[Instalment]


# -- requests (the gateway's REST bodies subclass these) ----------------------------------------
class ContractCreate(RequestModel):
    quote_id: Id
    version: StrictInt = Field(
        ge=1, le=MAX_QUOTE_VERSION, description="The quote's final version number (approved or sent)"
    )
    special_price: StrictBool | None = Field(
        default=None,
        description="Needs a team lead's approval before signing; implied when the version needed a "
        "discount approval",
    )


class ContractApproval(RequestModel):
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)


class ContractRejection(RequestModel):
    comment: str = Field(min_length=1, max_length=COMMENT_MAX, description="Why (required)")


class Cancellation(RequestModel):
    reason: str | None = Field(default=None, max_length=COMMENT_MAX)


class InstalmentIn(RequestModel):
    due_date: Day
    amount_minor: StrictInt = Field(gt=0, le=10**15, description="Integer minor units (分)")


class OrderCreate(RequestModel):
    contract_id: Id
    service_start: Day | None = Field(default=None, description="With service_end, or neither")
    service_end: Day | None = Field(default=None, description="After service_start")
    instalments: list[InstalmentIn] = Field(
        min_length=1,
        max_length=MAX_INSTALMENTS,
        description="Due dates in order; the amounts add up to the contract amount",
    )


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {
    CONTRACT_CREATED: Contract,
    CONTRACT_UPDATED: Contract,
    CONTRACT_SIGNED: Contract,
    ORDER_PLACED: Order,
    ORDER_UPDATED: Order,
    ORDER_CANCELLED: Order,
}
SEARCH_KINDS: tuple[SearchKind, ...] = (
    SearchKind("contract", "合同", "/contracts/{id}", (CONTRACT_CREATED, CONTRACT_UPDATED, CONTRACT_SIGNED)),
    SearchKind("order", "订单", "/orders/{id}", (ORDER_PLACED, ORDER_UPDATED, ORDER_CANCELLED)),
)
