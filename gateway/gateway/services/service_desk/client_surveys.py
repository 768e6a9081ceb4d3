# mypy: disable-error-code="empty-body"
"""RPC stubs of the service desk's surveys and notifications (service_desk.contracts.surveys and
.notifications document each method)."""

from __future__ import annotations

from kernel.identity import Caller
from service_desk.contracts import SERVICE
from service_desk.contracts.surveys import SURVEY_PAGE_USER

from gateway.services.rpc_client import PageDict, Record, ServiceClient, rpc_method

# Who the public survey page calls the service as: a signed identity with no role and no team,
# so it can do nothing but what the link's own token allows (every read policy refuses it).
SURVEY_PAGE = Caller(SURVEY_PAGE_USER, ())


class SurveysRpc(ServiceClient):
    service_name = SERVICE

    @rpc_method
    async def survey_for_token(self, caller: Caller, token: str) -> Record: ...

    @rpc_method
    async def answer_survey(self, caller: Caller, token: str, score: int, comment: str | None) -> Record: ...

    @rpc_method
    async def get_ticket_survey(self, caller: Caller, ticket_id: str) -> Record: ...

    @rpc_method(omit_none=True)
    async def survey_results(
        self, caller: Caller, group_by: str, since: str | None = None, until: str | None = None
    ) -> Record: ...

    @rpc_method
    async def list_notifications(
        self, caller: Caller, unread_only: bool, cursor: str | None, limit: int
    ) -> PageDict: ...

    @rpc_method
    async def mark_notification_read(self, caller: Caller, notification_id: str) -> Record: ...
