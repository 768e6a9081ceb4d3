"""Satisfaction surveys (满意度调查): one per ticket, sent when it is resolved, answered once
through a signed, expiring link that needs no login.

A ticket resolved again after a reopen gets a fresh link (new expiry, the new assignee as agent)
only while its survey is unanswered; once answered, the answer stands ("one answer per ticket").

RPC (``caller`` first; ValidationError / NotFound / PermissionDenied / Conflict):
    survey_for_token(caller, token) -> SurveyPublic
        Public: any signed identity may ask (the gateway's survey page calls it as the rolesless
        ``survey-page`` identity); the token is the authority. A bad or forged token is NotFound.
    answer_survey(caller, token, score, comment=None) -> SurveyPublic
        score 1–5, comment ≤ 2000 chars; answered before → Conflict; expired → Conflict naming
        ``token`` ("expired"); bad score → ValidationError naming ``score``.
    get_ticket_survey(caller, ticket_id) -> Survey   (readers of the ticket; ``link`` only for
        support/admin, only while it can still be answered)
    survey_results(caller, group_by="agent", since=None, until=None) -> SurveyResults
        group_by agent | team | month; since/until ISO dates (business zone, both included) over
        the surveys sent; admins and managers (support leads) only.

Events: ``survey.created`` (sent or re-sent), ``survey.answered`` (full state).
"""

from __future__ import annotations

from typing import Literal

from kernel.kinds import SearchKind
from kernel.schema import RequestModel
from pydantic import BaseModel, Field, StrictInt

from service_desk.contracts.common import CustomerOwned

SURVEY_CREATED = "survey.created"
SURVEY_ANSWERED = "survey.answered"

SCORES = (1, 2, 3, 4, 5)
SURVEY_COMMENT_MAX = 2000
GroupBy = Literal["agent", "team", "month"]
GROUP_BYS: tuple[str, ...] = ("agent", "team", "month")
# the one identity the gateway's public survey page calls the service as: no role, no team
SURVEY_PAGE_USER = "survey-page"


class Survey(CustomerOwned):
    ticket_id: str
    ticket_number: str | None = None
    ticket_subject: str | None = None
    agent_id: str | None = None
    team_id: str | None = None
    sent_at: str
    expires_at: str
    score: int | None = None
    comment: str | None = None
    answered_at: str | None = None
    status: str  # open | answered | expired
    link: str | None = None  # "/survey/<token>": get_ticket_survey, for support, while open


class SurveyPublic(BaseModel):
    """All the public page may learn: which ticket, whose, and whether it can still be answered."""

    ticket_number: str
    subject: str
    customer_name: str | None = None
    status: str  # open | answered | expired
    answerable: bool
    score: int | None = None  # echoed after answering, for the thank-you page


class SurveyAnswer(RequestModel):
    score: StrictInt = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=SURVEY_COMMENT_MAX)


class SurveyGroup(BaseModel):
    key: str | None  # agent id, team id or "2026-12"; null: no agent/team
    sent: int
    answered: int
    average_score: str | None  # decimal as text, two places ("4.25"); null when none answered
    distribution: dict[str, int]  # "1".."5" → answers
    response_rate: str | None  # answered / sent, decimal fraction as text ("0.5000")


class SurveyResults(BaseModel):
    group_by: str
    since: str | None = None
    until: str | None = None
    groups: list[SurveyGroup]
    total: SurveyGroup


EVENT_SCHEMAS: dict[str, type[BaseModel]] = {SURVEY_CREATED: Survey, SURVEY_ANSWERED: Survey}
SEARCH_KINDS: tuple[SearchKind, ...] = ()
