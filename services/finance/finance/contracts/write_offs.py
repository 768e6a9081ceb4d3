"""Bad-debt write-offs (坏账核销): finance asks to write off what a receivable still owes; a
finance manager (finance + manager roles) or an admin, never the one who asked, approves or
rejects. Approval writes the amount off the receivable (published as ``receivable.updated``);
one open request per receivable.

RPC (``caller`` first; ValidationError / NotFound / PermissionDenied / Conflict):
    request_write_off(caller, receivable_id, data) -> WriteOff   (data: WriteOffCreate)
    approve_write_off(caller, write_off_id, note=None) -> WriteOff
    reject_write_off(caller, write_off_id, note=None) -> WriteOff
    get_write_off(caller, write_off_id) -> WriteOff
    list_write_offs(caller, filters=None, cursor=None, limit=None) -> Page[WriteOff]
        filters: status, customer_id, receivable_id

Events (full state): ``write_off.requested``, ``write_off.approved``, ``write_off.rejected``.
"""

from __future__ import annotations

from typing import Literal, get_args

from kernel.kinds import SearchKind
from kernel.schema import RequestModel
from pydantic import BaseModel, Field, StrictInt, StrictStr

from finance.contracts.common import Owned

WriteOffStatus = Literal["requested", "approved", "rejected"]
WRITE_OFF_STATUSES: tuple[str, ...] = get_args(WriteOffStatus)
WRITE_OFF_STATUS_LABELS: dict[str, str] = {"requested": "待审批", "approved": "已核销", "rejected": "已驳回"}

WRITE_OFF_REQUESTED = "write_off.requested"
WRITE_OFF_APPROVED = "write_off.approved"
WRITE_OFF_REJECTED = "write_off.rejected"

REASON_MAX = 2000


class WriteOff(Owned):
    receivable_id: str
    order_id: str | None = None
    order_number: str | None = None
    seq: int | None = None
    currency: str
    amount_minor: int
    reason: str
    status: str
    status_label: str | None = None
    requested_by: str
    requested_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    decision_note: str | None = None


class WriteOffCreate(RequestModel):
    amount_minor: StrictInt | None = Field(
        default=None,
        gt=0,
        le=10**15,
        description="Integer minor units (分); all that is outstanding by default",
    )
    reason: StrictStr = Field(min_length=1, max_length=REASON_MAX)


class WriteOffDecision(RequestModel):
    note: StrictStr | None = Field(default=None, max_length=REASON_MAX)


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {
    WRITE_OFF_REQUESTED: WriteOff,
    WRITE_OFF_APPROVED: WriteOff,
    WRITE_OFF_REJECTED: WriteOff,
}
SEARCH_KINDS: tuple[SearchKind, ...] = (
    SearchKind("write_off", "坏账核销", "/write-offs/{id}", tuple(EVENT_SCHEMAS)),
)
