"""Contracts (合同) and orders (订单).

RPC:
    create_contract(caller, quote_id, version, data=None) -> Contract
    approve_contract / reject_contract(comment) / sign_contract / archive_contract / cancel_contract
    get_contract, list_contracts
    place_order(caller, data) -> Order  (moves the opportunity to won; emits order.placed)
    get_order, list_orders, cancel_order
"""

from __future__ import annotations

from typing import Literal, get_args

from kernel.kinds import SearchKind
from pydantic import BaseModel

from sales.contracts.common import Owned

# 待审核 → 已签署 → 已归档, and 已驳回 / 已取消
ContractStatus = Literal["pending_review", "signed", "archived", "rejected", "cancelled"]
CONTRACT_STATUSES: tuple[str, ...] = get_args(ContractStatus)
OrderStatus = Literal["placed", "cancelled"]
ORDER_STATUSES: tuple[str, ...] = get_args(OrderStatus)

CONTRACT_CREATED = "contract.created"
CONTRACT_UPDATED = "contract.updated"
CONTRACT_SIGNED = "contract.signed"
ORDER_PLACED = "order.placed"
ORDER_UPDATED = "order.updated"
ORDER_CANCELLED = "order.cancelled"


class Instalment(BaseModel):
    seq: int
    due_date: str
    amount_minor: int


class Contract(Owned):
    number: str
    quote_id: str
    quote_version: int
    status: str
    amount_minor: int
    currency: str


class Order(Owned):
    number: str
    contract_id: str
    opportunity_id: str
    status: str
    amount_minor: int
    currency: str
    instalments: list[Instalment]


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
