"""Satisfaction surveys: sent when a ticket is resolved, answered once through a signed link.

The link's token (``domain.survey_tokens``) carries the survey id and the link's expiry, signed
with a key of its own derived from the process's identity key, so a survey token can never pass
for an identity or a cursor, nor the other way round. Verifying needs no lookup; the row then
decides "answered". The token is deterministic in (survey id, expiry): support can be shown the
same link again (``get_ticket_survey``) without storing it.

Re-resolution (reopened, then resolved again): an unanswered survey is sent again (new expiry,
the new assignee as its agent; the old link still answers the same survey until it expires); an
answered one stays as it is: one answer per ticket (``surveys.ticket_id`` is unique).

The public calls (``survey_for_token``, ``answer_survey``) ignore who the caller is beyond the
signed identity the RPC entrypoint insists on: the token is the authority. The gateway's
survey page calls them as the rolesless ``survey-page`` identity, which can read nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from kernel.audit import diff
from kernel.clock import isoformat, utcnow
from kernel.consumer import PoisonEvent
from kernel.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kernel.ids import new_id
from kernel.schema import parse
from kernel.signing import signing_keys
from sqlalchemy import func, select

from service_desk import policy
from service_desk.contracts.surveys import GROUP_BYS, SCORES, SURVEY_ANSWERED, SURVEY_CREATED, SurveyAnswer
from service_desk.domain import survey_tokens
from service_desk.handlers.ticket_state import business_calendar
from service_desk.settings import service_desk_settings
from service_desk.storage.models import SurveyRow, TicketEntryRow, TicketRow
from service_desk.storage.unit import ServiceDeskUnit

_KEY_LABEL = b"panorama:survey-link"


def survey_key() -> bytes:
    """The survey links' key: derived from the identity key (one secret to manage), distinct
    from every other use of it."""
    return hmac.new(signing_keys().identity, _KEY_LABEL, hashlib.sha256).digest()


def token_of(row: SurveyRow) -> str:
    return survey_tokens.sign(survey_key(), row.id, row.expires_at)


def link_of(row: SurveyRow) -> str:
    return f"/survey/{token_of(row)}"


def status_of(row: SurveyRow, now: datetime) -> str:
    if row.answered_at is not None:
        return "answered"
    return "expired" if now >= row.expires_at else "open"


def survey_state(
    row: SurveyRow, ticket: TicketRow, now: datetime, *, link: str | None = None
) -> dict[str, Any]:
    return {
        "id": row.id,
        "version": row.version,
        "ticket_id": row.ticket_id,
        "ticket_number": ticket.number,
        "ticket_subject": ticket.subject,
        "customer_id": row.customer_id,
        "customer_name": ticket.customer_name,
        "customer_owner_id": ticket.customer_owner_id,
        "customer_team_id": ticket.customer_team_id,
        "agent_id": row.agent_id,
        "team_id": row.team_id,
        "sent_at": isoformat(row.sent_at),
        "expires_at": isoformat(row.expires_at),
        "score": row.score,
        "comment": row.comment,
        "answered_at": isoformat(row.answered_at),
        "status": status_of(row, now),
        "link": link,
    }


def _entry(unit: ServiceDeskUnit, ticket_id: str, body: str, data: dict[str, Any], now: datetime) -> None:
    unit.session.add(
        TicketEntryRow(
            id=new_id(),
            ticket_id=ticket_id,
            kind="survey",
            visibility="internal",
            body=body,
            data=data,
            actor_id=unit.caller.user_id,
            at=now,
        )
    )


# -- sending (on ticket.resolved) --------------------------------------------------------------------
def send_survey(unit: ServiceDeskUnit, ticket: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The survey of a ticket just resolved (``ticket`` is the event's state): a new one, or the
    unanswered one sent again; None when it was answered already."""
    row_ticket = unit.session.get(TicketRow, ticket["id"])
    if row_ticket is None:
        raise PoisonEvent(f"ticket.resolved for unknown ticket {ticket['id']}")
    expires = (now + timedelta(days=service_desk_settings().survey_valid_days)).replace(microsecond=0)
    row = unit.session.scalar(select(SurveyRow).where(SurveyRow.ticket_id == row_ticket.id).with_for_update())
    agent, team = ticket.get("assignee_id"), ticket.get("team_id")
    if row is None:
        row = SurveyRow(
            id=new_id(),
            ticket_id=row_ticket.id,
            customer_id=row_ticket.customer_id,
            agent_id=agent,
            team_id=team,
            sent_at=now,
            expires_at=expires,
            version=1,
        )
        unit.session.add(row)
        unit.session.flush()
        before: dict[str, Any] = {}
    elif row.answered_at is not None:
        return None
    else:
        before = survey_state(row, row_ticket, now)
        row.agent_id, row.team_id, row.sent_at, row.expires_at = agent, team, now, expires
        row.version += 1
    state = survey_state(row, row_ticket, now)
    _entry(
        unit,
        row_ticket.id,
        f"满意度调查已发送，有效至 {isoformat(expires)}。Satisfaction survey sent.",
        {"survey_id": row.id, "expires_at": isoformat(expires)},
        now,
    )
    unit.record(
        "survey",
        "created",
        state,
        customer_id=row.customer_id,
        changes=diff(_audited(before), _audited(state)),
        event_type=SURVEY_CREATED,
    )
    return state


def _audited(state: dict[str, Any]) -> dict[str, Any]:
    keep = ("agent_id", "team_id", "sent_at", "expires_at", "score", "comment", "answered_at")
    return {k: state[k] for k in keep if k in state}


# -- the public link ---------------------------------------------------------------------------------
def _by_token(
    unit: ServiceDeskUnit, token: Any, *, lock: bool = False
) -> tuple[SurveyRow, TicketRow, datetime]:
    try:
        claims = survey_tokens.verify(survey_key(), token)
    except survey_tokens.InvalidToken:
        raise NotFound("this survey link is not valid") from None
    stmt = select(SurveyRow).where(SurveyRow.id == claims.survey_id)
    row = unit.session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound("this survey link is not valid")
    ticket = unit.session.get(TicketRow, row.ticket_id)
    assert ticket is not None  # a foreign key
    return row, ticket, claims.expires_at


def _public(row: SurveyRow, ticket: TicketRow, link_expires: datetime, now: datetime) -> dict[str, Any]:
    status = status_of(row, now)
    if status == "open" and now >= link_expires:
        status = "expired"  # an older link of a survey sent again
    return {
        "ticket_number": ticket.number,
        "subject": ticket.subject,
        "customer_name": ticket.customer_name,
        "status": status,
        "answerable": status == "open",
        "score": row.score if status == "answered" else None,
    }


def survey_for_token_at(unit: ServiceDeskUnit, token: Any, now: datetime) -> dict[str, Any]:
    row, ticket, link_expires = _by_token(unit, token)
    return _public(row, ticket, link_expires, now)


def survey_for_token(unit: ServiceDeskUnit, token: Any) -> dict[str, Any]:
    """What the survey page shows (ticket number, subject, customer name, answerable); a bad
    token is NotFound. Public: see the module's doc."""
    return survey_for_token_at(unit, token, utcnow())


def answer_survey_at(
    unit: ServiceDeskUnit, token: Any, score: Any, comment: Any, now: datetime
) -> dict[str, Any]:
    answer = parse(SurveyAnswer, {"score": score, "comment": comment})
    row, ticket, link_expires = _by_token(unit, token, lock=True)
    public = _public(row, ticket, link_expires, now)
    if public["status"] == "answered":
        raise Conflict(
            "this survey was answered already", [{"field": "token", "message": "already answered"}]
        )
    if public["status"] == "expired":
        until = isoformat(min(link_expires, row.expires_at))
        raise Conflict(
            f"this survey link expired on {until}", [{"field": "token", "message": f"expired on {until}"}]
        )
    before = survey_state(row, ticket, now)
    text = (answer.comment or "").strip() or None
    row.score, row.comment, row.answered_at = answer.score, text, now
    row.version += 1
    state = survey_state(row, ticket, now)
    _entry(
        unit,
        ticket.id,
        f"客户满意度 {answer.score}/5" + (f"：{text}" if text else ""),
        {"survey_id": row.id, "score": answer.score},
        now,
    )
    unit.record(
        "survey",
        "answered",
        state,
        customer_id=row.customer_id,
        changes=diff(_audited(before), _audited(state)),
        event_type=SURVEY_ANSWERED,
    )
    return _public(row, ticket, link_expires, now)


def answer_survey(unit: ServiceDeskUnit, token: Any, score: Any, comment: Any = None) -> dict[str, Any]:
    """Answer through the link: score 1–5, optional comment (≤ 2000). Public: see the module's doc."""
    return answer_survey_at(unit, token, score, comment, utcnow())


# -- support's side ----------------------------------------------------------------------------------
def get_ticket_survey(unit: ServiceDeskUnit, ticket_id: Any) -> dict[str, Any]:
    """The ticket's survey for whoever may read the ticket; the link for support while open."""
    ticket = unit.session.get(TicketRow, ticket_id) if isinstance(ticket_id, str) else None
    readable = ticket is not None and policy.TICKET.can_read(
        unit.caller,
        {"customer_owner_id": ticket.customer_owner_id, "customer_team_id": ticket.customer_team_id},
    )
    if ticket is None or not readable:
        raise NotFound(f"ticket {ticket_id} does not exist")
    row = unit.session.scalar(select(SurveyRow).where(SurveyRow.ticket_id == ticket.id))
    if row is None:
        raise NotFound(f"ticket {ticket.number} has no survey (it is sent when the ticket is resolved)")
    now = utcnow()
    link = link_of(row) if policy.can_write(unit.caller) and status_of(row, now) == "open" else None
    return survey_state(row, ticket, now, link=link)


def _day(value: Any, field: str) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationError.for_field(field, "must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError.for_field(field, "must be a date YYYY-MM-DD") from None


def _ratio(numerator: int, denominator: int, places: str) -> str | None:
    if not denominator:
        return None
    return str((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(places)))


def _group(key: str | None, sent: int, answered: int, total: int, counts: list[int]) -> dict[str, Any]:
    return {
        "key": key,
        "sent": sent,
        "answered": answered,
        "average_score": _ratio(total, answered, "0.01"),
        "distribution": {str(s): n for s, n in zip(SCORES, counts, strict=True)},
        "response_rate": _ratio(answered, sent, "0.0001"),
    }


def survey_results(
    unit: ServiceDeskUnit, group_by: Any = "agent", since: Any = None, until: Any = None
) -> dict[str, Any]:
    """Count, average, distribution and response rate of the surveys sent in [since, until]
    (business-zone dates, both included), per agent, team or month. Admins and managers."""
    caller = unit.caller
    if not (caller.is_admin or caller.has("manager")):
        raise PermissionDenied("survey results are for support leads, managers and admins")
    if group_by not in GROUP_BYS:
        raise ValidationError.for_field("group_by", f"must be one of {', '.join(GROUP_BYS)}")
    first, last = _day(since, "since"), _day(until, "until")
    if first and last and first > last:
        raise ValidationError.for_field("since", "must not be after `until`")
    zone = business_calendar().zone
    month = func.to_char(func.timezone(business_calendar().timezone, SurveyRow.sent_at), "YYYY-MM")
    key = {"agent": SurveyRow.agent_id, "team": SurveyRow.team_id, "month": month}[group_by]
    columns: list[Any] = [
        key.label("key"),
        func.count().label("sent"),
        func.count(SurveyRow.answered_at).label("answered"),
        func.coalesce(func.sum(SurveyRow.score), 0).label("total"),
        *(func.count().filter(SurveyRow.score == s).label(f"s{s}") for s in SCORES),
    ]
    stmt = select(*columns).group_by(key)
    if first is not None:
        stmt = stmt.where(SurveyRow.sent_at >= datetime.combine(first, time(0), tzinfo=zone))
    if last is not None:
        stmt = stmt.where(
            SurveyRow.sent_at < datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
        )
    rows = list(unit.session.execute(stmt.order_by(key)))
    groups = [
        _group(r.key, r.sent, r.answered, int(r.total), [getattr(r, f"s{s}") for s in SCORES]) for r in rows
    ]
    total = _group(
        None,
        sum(r.sent for r in rows),
        sum(r.answered for r in rows),
        sum(int(r.total) for r in rows),
        [sum(getattr(r, f"s{s}") for r in rows) for s in SCORES],
    )
    return {
        "group_by": group_by,
        "since": first.isoformat() if first else None,
        "until": last.isoformat() if last else None,
        "groups": groups,
        "total": total,
    }
