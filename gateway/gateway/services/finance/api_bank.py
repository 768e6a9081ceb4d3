"""/api/v1 routes of the bank-statement import (issue 10 §1, §4).

POST /api/v1/payments/import            multipart, field ``file`` (CSV or XLSX) → the per-row report:
                                        201 a new import, 200 the same file again (``duplicate_file``)
GET  /api/v1/payments/imports/{id}      an import's report
GET  /api/v1/bank-lines?status=&import_id=   the review list (cursor paging)
POST /api/v1/bank-lines/{id}/resolve    {customer_id, allocations?, note?} → the payment is recorded
POST /api/v1/bank-lines/{id}/ignore     {note}

No Idempotency-Key on the import: the file's content is its key (the same bytes again answer the
first import's report), and the same line in another file is a duplicate, never a second payment.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, UploadFile
from fastapi.responses import JSONResponse, Response
from finance.contracts import bank as c

from gateway.api.deps import requires
from gateway.api.routes._params import Cursor, Limit, RecordId
from gateway.api.schemas.common import Page, ResponseModel
from gateway.auth.records import UserRecord
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND, problem_response
from gateway.services.finance.client import FinanceClient

get_finance = FinanceClient.dependency()
Finance = Annotated[FinanceClient, Depends(get_finance)]
RecordFilter = Annotated[str | None, Query(min_length=1, max_length=64)]


class BankLineResolve(c.BankLineResolve):
    pass


class BankLineIgnore(c.BankLineIgnore):
    pass


class BankLineOut(ResponseModel, c.BankLine):
    pass


class BankLinePage(ResponseModel, Page[BankLineOut]):
    pass


class BankImportReportOut(ResponseModel, c.BankImportReport):
    pass


# -- /api/v1/payments/import ------------------------------------------------------------------------
imports = APIRouter(prefix="/api/v1/payments", tags=["bank import"], responses=COMMON_ERRORS)


@imports.post(
    "/import",
    response_model=BankImportReportOut,
    status_code=201,
    summary="Import a bank statement (CSV or XLSX): payments for the matched lines, a per-row report",
    responses={
        200: {"model": BankImportReportOut, "description": "The same file was imported before: its report"},
        **NOT_FOUND,
    },
)
async def import_statement(
    service: Finance,
    file: Annotated[UploadFile, File(description="The statement: CSV (UTF-8 or GBK) or .xlsx")],
    user: UserRecord = Depends(requires("bank_import:write")),
) -> Response:
    content = await file.read(c.MAX_FILE_BYTES + 1)
    if len(content) > c.MAX_FILE_BYTES:
        return problem_response(
            413,
            detail=f"the statement exceeds {c.MAX_FILE_BYTES} bytes; split it",
            errors=[{"field": "file", "message": f"is larger than {c.MAX_FILE_BYTES} bytes"}],
        )
    filename = (file.filename or "statement.csv")[-255:]
    report = await service.import_bank_statement(user.caller, filename, base64.b64encode(content).decode())
    return JSONResponse(
        report,
        status_code=200 if report.get("duplicate_file") else 201,
        headers={"Location": f"/api/v1/payments/imports/{report['import_id']}"},
    )


@imports.get(
    "/imports/{import_id}",
    response_model=BankImportReportOut,
    summary="A bank-statement import's per-row report",
    responses=NOT_FOUND,
)
async def get_import(
    import_id: RecordId, service: Finance, user: UserRecord = Depends(requires("bank_import:write"))
) -> JSONResponse:
    return JSONResponse(await service.get_bank_import(user.caller, import_id))


# -- /api/v1/bank-lines --------------------------------------------------------------------------
lines = APIRouter(prefix="/api/v1/bank-lines", tags=["bank import"], responses=COMMON_ERRORS)


@lines.get("", response_model=BankLinePage, summary="Statement lines (the review list)", responses=NOT_FOUND)
async def list_lines(
    service: Finance,
    status: c.LineStatus | None = Query(None),
    import_id: RecordFilter = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    user: UserRecord = Depends(requires("bank_import:write")),
) -> JSONResponse:
    filters: dict[str, Any] = {k: v for k, v in {"status": status, "import_id": import_id}.items() if v}
    return JSONResponse(await service.list_bank_lines(user.caller, filters, cursor, limit))


@lines.post(
    "/{line_id}/resolve",
    response_model=BankLineOut,
    summary="Name the customer (and receivables) of an unmatched or ambiguous line: records the payment",
    responses={**NOT_FOUND, **CONFLICT},
)
async def resolve_line(
    line_id: RecordId,
    body: BankLineResolve,
    service: Finance,
    user: UserRecord = Depends(requires("bank_import:write")),
) -> JSONResponse:
    data = body.model_dump(mode="json", exclude_none=True)
    return JSONResponse(await service.resolve_bank_line(user.caller, line_id, data))


@lines.post(
    "/{line_id}/ignore",
    response_model=BankLineOut,
    summary="Set an unmatched or ambiguous line aside (not a customer payment), saying why",
    responses={**NOT_FOUND, **CONFLICT},
)
async def ignore_line(
    line_id: RecordId,
    body: BankLineIgnore,
    service: Finance,
    user: UserRecord = Depends(requires("bank_import:write")),
) -> JSONResponse:
    return JSONResponse(await service.ignore_bank_line(user.caller, line_id, body.note))


ROUTERS: tuple[APIRouter, ...] = (imports, lines)
