"""Satisfaction surveys: sent on resolve (through the ticket.resolved consumer), answered once
through the signed link, expiring; results per agent, team and month."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from desk_ticket_fixtures import add_ticket, deliver, reopen_ticket, resolve_ticket
from kernel.consumer import Outcome
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.identity import SYSTEM, Caller
from service_desk.app import ServiceDeskApp
from service_desk.contracts.surveys import SURVEY_PAGE_USER, Survey, SurveyResults
from service_desk.handlers import surveys
from service_desk.storage.models import SurveyRow, TicketEntryRow
from service_desk_testkit import ADMIN, FINANCE, MANAGER, SALES1, SALES2, SUPPORT, SUPPORT2, SUPPORT_LEAD
from sqlalchemy import select

pytestmark = pytest.mark.integration

PAGE = Caller(SURVEY_PAGE_USER, ())  # the gateway's survey page: no role at all
CREATED = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
RESOLVED = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
VALID_DAYS = 14


@pytest.fixture
def acme(customer: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    return customer(SALES1, "A科技有限公司", value_tier="normal")


def resolved(desk: ServiceDeskApp, acme: dict[str, Any], at: datetime = RESOLVED, **fields: Any) -> dict:
    ticket = add_ticket(desk, acme, created_at=CREATED, **fields)
    assert deliver(desk, resolve_ticket(desk, ticket["id"], at)) is Outcome.APPLIED
    return ticket


def token_for(desk: ServiceDeskApp, ticket_id: str) -> str:
    survey = desk.run(SUPPORT, surveys.get_ticket_survey, ticket_id)
    assert survey["link"].startswith("/survey/")
    return str(survey["link"].removeprefix("/survey/"))


def test_resolving_sends_one_survey_and_support_gets_its_link(desk: ServiceDeskApp, acme: dict) -> None:
    ticket = resolved(desk, acme)
    survey = Survey.model_validate(desk.run(SUPPORT, surveys.get_ticket_survey, ticket["id"]))
    assert survey.agent_id == "u-support" and survey.team_id == "team-support"
    assert survey.status == "open" and survey.ticket_number == ticket["number"]
    assert survey.expires_at == "2026-12-21T06:00:00Z"  # resolved + 14 days
    # the customer's owner reads it, without the link; other sellers and finance do not see it
    assert desk.run(SALES1, surveys.get_ticket_survey, ticket["id"])["link"] is None
    for outsider in (SALES2, FINANCE, PAGE):
        with pytest.raises(NotFound):
            desk.run(outsider, surveys.get_ticket_survey, ticket["id"])
    timeline = desk.run(
        SYSTEM,
        lambda unit: list(
            unit.session.scalars(select(TicketEntryRow.kind).where(TicketEntryRow.kind == "survey"))
        ),
    )
    assert timeline == ["survey"]


def test_the_link_answers_once(desk: ServiceDeskApp, acme: dict) -> None:
    ticket = resolved(desk, acme)
    token = token_for(desk, ticket["id"])
    now = RESOLVED + timedelta(days=1)
    page = desk.run(PAGE, surveys.survey_for_token_at, token, now)
    assert page == {
        "ticket_number": ticket["number"],
        "subject": "打印机无法连接",
        "customer_name": "A科技有限公司",
        "status": "open",
        "answerable": True,
        "score": None,
    }
    answered = desk.run(PAGE, surveys.answer_survey_at, token, 4, "  响应很快 ", now)
    assert answered["status"] == "answered" and answered["score"] == 4 and not answered["answerable"]
    with pytest.raises(Conflict) as again:
        desk.run(PAGE, surveys.answer_survey_at, token, 5, None, now)
    assert again.value.errors[0]["field"] == "token"
    assert desk.run(PAGE, surveys.survey_for_token_at, token, now)["status"] == "answered"
    row = desk.run(SYSTEM, lambda unit: unit.session.scalar(select(SurveyRow)))
    assert (row.score, row.comment, row.version) == (4, "响应很快", 2)
    entries = desk.run(
        SYSTEM,
        lambda unit: list(
            unit.session.scalars(select(TicketEntryRow.body).where(TicketEntryRow.kind == "survey"))
        ),
    )
    assert "客户满意度 4/5：响应很快" in entries
    assert desk.run(SUPPORT, surveys.get_ticket_survey, ticket["id"])["link"] is None  # nothing to send


def test_the_link_expires(desk: ServiceDeskApp, acme: dict) -> None:
    ticket = resolved(desk, acme)
    token = token_for(desk, ticket["id"])
    late = RESOLVED + timedelta(days=VALID_DAYS)
    assert desk.run(PAGE, surveys.survey_for_token_at, token, late)["status"] == "expired"
    with pytest.raises(Conflict) as expired:
        desk.run(PAGE, surveys.answer_survey_at, token, 5, None, late)
    assert "expired" in expired.value.detail and expired.value.errors[0]["field"] == "token"


def test_bad_answers_and_bad_tokens(desk: ServiceDeskApp, acme: dict) -> None:
    ticket = resolved(desk, acme)
    token = token_for(desk, ticket["id"])
    now = RESOLVED + timedelta(hours=1)
    for score in (0, 6, 4.5, "5", None, True):
        with pytest.raises(ValidationError) as bad:
            desk.run(PAGE, surveys.answer_survey_at, token, score, None, now)
        assert bad.value.errors[0]["field"] == "score"
    with pytest.raises(ValidationError) as long:
        desk.run(PAGE, surveys.answer_survey_at, token, 3, "x" * 2001, now)
    assert long.value.errors[0]["field"] == "comment"
    body, tag = token.split(".")
    for forged in (f"{body}.{tag[:-2]}AA", "not-a-token", f"{body[:-1]}.{tag}", ""):
        with pytest.raises(NotFound):
            desk.run(PAGE, surveys.survey_for_token_at, forged, now)
        with pytest.raises(NotFound):
            desk.run(PAGE, surveys.answer_survey_at, forged, 5, None, now)
    assert desk.run(PAGE, surveys.survey_for_token_at, token, now)["answerable"]  # still unanswered


def test_redelivery_and_re_resolution(desk: ServiceDeskApp, acme: dict) -> None:
    ticket = add_ticket(desk, acme, created_at=CREATED)
    event = resolve_ticket(desk, ticket["id"], RESOLVED)
    assert deliver(desk, event) is Outcome.APPLIED
    assert deliver(desk, event) is Outcome.DUPLICATE
    first = desk.run(SUPPORT, surveys.get_ticket_survey, ticket["id"])
    # reopened and resolved again by someone else, unanswered: sent again, fresh expiry and agent
    reopen_ticket(desk, ticket["id"], RESOLVED + timedelta(days=1))
    again = RESOLVED + timedelta(days=2)
    deliver(desk, resolve_ticket(desk, ticket["id"], again, assignee_id="u-support2"))
    second = desk.run(SUPPORT, surveys.get_ticket_survey, ticket["id"])
    assert second["id"] == first["id"] and second["agent_id"] == "u-support2"
    assert second["expires_at"] == "2026-12-23T06:00:00Z" and second["link"] != first["link"]
    old_token = first["link"].removeprefix("/survey/")
    assert desk.run(PAGE, surveys.survey_for_token_at, old_token, again)["answerable"]  # until it expires
    desk.run(PAGE, surveys.answer_survey_at, old_token, 2, None, again)
    # answered: a third resolution leaves the answer alone
    reopen_ticket(desk, ticket["id"], again + timedelta(hours=1))
    deliver(desk, resolve_ticket(desk, ticket["id"], again + timedelta(hours=2)))
    third = desk.run(SUPPORT, surveys.get_ticket_survey, ticket["id"])
    assert (third["score"], third["agent_id"], third["version"]) == (2, "u-support2", 3)


def test_results_per_agent_team_and_month(desk: ServiceDeskApp, acme: dict) -> None:
    answers = [("u-support", 5), ("u-support", 3), ("u-support2", 4), ("u-support2", None)]
    for i, (agent, score) in enumerate(answers):
        ticket = resolved(desk, acme, at=RESOLVED + timedelta(days=i * 10), assignee_id=agent)
        if score is not None:
            token = token_for(desk, ticket["id"])
            desk.run(
                PAGE, surveys.answer_survey_at, token, score, None, RESOLVED + timedelta(days=i * 10, hours=1)
            )
    by_agent = SurveyResults.model_validate(desk.run(SUPPORT_LEAD, surveys.survey_results, "agent"))
    groups = {g.key: g for g in by_agent.groups}
    assert groups["u-support"].average_score == "4.00" and groups["u-support"].response_rate == "1.0000"
    assert groups["u-support"].distribution == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    assert (groups["u-support2"].sent, groups["u-support2"].answered) == (2, 1)
    assert groups["u-support2"].response_rate == "0.5000"
    assert (by_agent.total.sent, by_agent.total.answered, by_agent.total.average_score) == (4, 3, "4.00")

    by_team = desk.run(ADMIN, surveys.survey_results, "team")
    assert [(g["key"], g["sent"]) for g in by_team["groups"]] == [("team-support", 4)]
    by_month = desk.run(MANAGER, surveys.survey_results, "month")
    assert [(g["key"], g["sent"]) for g in by_month["groups"]] == [("2026-12", 3), ("2027-01", 1)]
    # the window is in business-zone days, both ends included
    window = desk.run(SUPPORT_LEAD, surveys.survey_results, "agent", "2026-12-17", "2026-12-27")
    assert window["total"]["sent"] == 2
    assert desk.run(SUPPORT_LEAD, surveys.survey_results, "agent", "2027-02-01")["groups"] == []

    for caller in (SUPPORT, SUPPORT2, SALES1, FINANCE, PAGE):
        with pytest.raises(PermissionDenied):
            desk.run(caller, surveys.survey_results, "agent")
    for args, field in (
        (("customer",), "group_by"),
        (("agent", "2026-13-01"), "since"),
        (("agent", "2027-01-02", "2027-01-01"), "since"),
    ):
        with pytest.raises(ValidationError) as bad:
            desk.run(ADMIN, surveys.survey_results, *args)
        assert bad.value.errors[0]["field"] == field
