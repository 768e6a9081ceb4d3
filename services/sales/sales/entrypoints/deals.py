"""Entrypoints of the deals area: contracts (``sales.handlers.contracts``) and orders
(``sales.handlers.orders``)."""

from __future__ import annotations

from kernel.entrypoints import rpc

from sales.handlers import contracts, orders


class DealEntrypoints:
    create_contract = rpc(contracts.create_contract)
    approve_contract = rpc(contracts.approve_contract)
    reject_contract = rpc(contracts.reject_contract)
    sign_contract = rpc(contracts.sign_contract)
    archive_contract = rpc(contracts.archive_contract)
    cancel_contract = rpc(contracts.cancel_contract)
    get_contract = rpc(contracts.get_contract)
    list_contracts = rpc(contracts.list_contracts)

    place_order = rpc(orders.place_order)
    cancel_order = rpc(orders.cancel_order)
    get_order = rpc(orders.get_order)
    list_orders = rpc(orders.list_orders)
