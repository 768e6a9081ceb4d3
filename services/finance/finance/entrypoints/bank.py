"""Entrypoints of the bank-statement import (``finance.handlers.bank_import``)."""

from __future__ import annotations

from kernel.entrypoints import rpc

from finance.handlers import bank_import


class BankEntrypoints:
    import_bank_statement = rpc(bank_import.import_bank_statement)
    get_bank_import = rpc(bank_import.get_bank_import)
    list_bank_imports = rpc(bank_import.list_bank_imports)
    list_bank_lines = rpc(bank_import.list_bank_lines)
    resolve_bank_line = rpc(bank_import.resolve_bank_line)
    ignore_bank_line = rpc(bank_import.ignore_bank_line)
