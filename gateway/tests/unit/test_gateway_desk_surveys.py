"""The public survey page (no login, CSRF-checked, called as the rolesless survey-page identity),
support's survey link and the results API/page, on a small stateful stand-in for the service (the
survey rules themselves are tested against the real service in
services/service-desk/tests/integration/test_desk_surveys.py)."""

from __future__ import annotations

from typing import Any

import pytest
from gateway_fakes import browser_login, csrf_of
from kernel.errors import Conflict, NotFound, ValidationError
from kernel.identity import Caller

GOOD, EXPIRED = "c3VydmV5LTE.good", "c3VydmV5LTI.expired"


class Surveys:
    """Two surveys: one open, one expired; answering works once."""

    def __init__(self) -> None:
        self.public = {
            GOOD: {
                "ticket_number": "T-2026-000042",
                "subject": "打印机无法连接",
                "customer_name": "A科技有限公司",
                "status": "open",
                "answerable": True,
                "score": None,
            },
            EXPIRED: {
                "ticket_number": "T-2026-000007",
                "subject": "旧问题",
                "customer_name": "A科技有限公司",
                "status": "expired",
                "answerable": False,
                "score": None,
            },
        }
        self.callers: list[Caller] = []

    def dispatch(self, method: str, kwargs: dict[str, Any], original: Any) -> Any:
        if method in ("survey_for_token", "answer_survey"):
            self.callers.append(Caller.from_payload(kwargs["caller"]))
            survey = self.public.get(kwargs["token"])
            if survey is None:
                raise NotFound("this survey link is not valid")
            if method == "survey_for_token":
                return survey
            if not isinstance(kwargs["score"], int) or not 1 <= kwargs["score"] <= 5:
                raise ValidationError.for_field("score", "Input should be between 1 and 5")
            if not survey["answerable"]:
                raise Conflict("this survey was answered already")
            survey.update(status="answered", answerable=False, score=kwargs["score"])
            return survey
        if method == "get_ticket_survey":
            if kwargs["ticket_id"] != "ticket-1":
                raise NotFound("no such ticket")
            return {
                "id": "survey-1",
                "version": 1,
                "ticket_id": "ticket-1",
                "ticket_number": "T-2026-000042",
                "customer_id": "c-1",
                "sent_at": "2026-12-07T06:00:00Z",
                "expires_at": "2026-12-21T06:00:00Z",
                "status": "open",
                "link": f"/survey/{GOOD}",
            }
        if method == "survey_results":
            dist = {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
            group = {
                "key": "u-agent",
                "sent": 4,
                "answered": 2,
                "average_score": "4.00",
                "distribution": dist,
                "response_rate": "0.5000",
            }
            return {
                "group_by": kwargs["group_by"],
                "since": kwargs.get("since"),
                "until": kwargs.get("until"),
                "groups": [group],
                "total": {**group, "key": None},
            }
        return original(method, kwargs)


@pytest.fixture
def surveys(rpc: Any, monkeypatch: pytest.MonkeyPatch) -> Surveys:
    fake = rpc.services["service_desk"]
    state = Surveys()
    original = fake.dispatch
    monkeypatch.setattr(fake, "dispatch", lambda method, kwargs: state.dispatch(method, kwargs, original))
    return state


def answer(client: Any, token: str, **fields: str) -> Any:
    page = client.get(f"/survey/{token}")
    data = {"csrf_token": csrf_of(page.text), **fields}
    return client.post(f"/survey/{token}", data=data, follow_redirects=False)


def test_the_survey_page_needs_no_login_and_answers_once(client: Any, surveys: Surveys) -> None:
    page = client.get(f"/survey/{GOOD}")
    assert page.status_code == 200 and 'data-testid="survey-form"' in page.text
    assert "T-2026-000042" in page.text and "A科技有限公司" in page.text
    assert page.headers["referrer-policy"] == "no-referrer" and "noindex" in page.headers["x-robots-tag"]
    assert 'data-testid="current-user"' not in page.text  # nobody is logged in, and nothing asks to

    done = answer(client, GOOD, score="4", comment="响应很快")
    assert done.status_code == 303 and done.headers["location"] == f"/survey/{GOOD}/thanks"
    thanks = client.get(done.headers["location"])
    assert thanks.status_code == 200 and 'data-testid="survey-thanks"' in thanks.text
    again = client.get(f"/survey/{GOOD}")
    assert again.status_code == 200 and 'data-testid="survey-answered"' in again.text
    # the service only ever heard the rolesless survey-page identity
    assert {(c.user_id, c.roles) for c in surveys.callers} == {("survey-page", ())}


def test_a_logged_in_visitor_still_answers_as_the_survey_page(
    client: Any, surveys: Surveys, sales1: Any
) -> None:
    assert browser_login(client, "sales1").status_code == 303
    assert answer(client, GOOD, score="5").status_code == 303
    assert {c.user_id for c in surveys.callers} == {"survey-page"}


def test_invalid_and_expired_links(client: Any, surveys: Surveys) -> None:
    for token in ("nonsense", "x" * 600, f"{GOOD}x"):
        page = client.get(f"/survey/{token}")
        assert page.status_code == 404 and 'data-testid="survey-invalid"' in page.text
    expired = client.get(f"/survey/{EXPIRED}")
    assert expired.status_code == 410 and 'data-testid="survey-expired"' in expired.text
    assert client.get(f"/survey/{EXPIRED}/thanks", follow_redirects=False).status_code == 303


def test_the_form_is_csrf_checked_and_a_bad_score_is_named(client: Any, surveys: Surveys) -> None:
    forged = client.post(f"/survey/{GOOD}", data={"score": "5"}, follow_redirects=False)
    assert forged.status_code == 403 and 'data-testid="survey-errors"' in forged.text
    assert surveys.public[GOOD]["status"] == "open"
    bad = answer(client, GOOD, score="9")
    assert bad.status_code == 422 and "score" in bad.text
    missing = answer(client, GOOD)
    assert missing.status_code == 422
    assert surveys.public[GOOD]["status"] == "open"


def test_support_gets_the_link_to_send(client: Any, surveys: Surveys, make_user: Any, token_for: Any) -> None:
    support = make_user("support", ["support"], team="客服组")
    response = client.get("/api/v1/tickets/ticket-1/survey", headers=token_for(support))
    assert response.status_code == 200, response.text
    assert response.json()["url"] == f"http://127.0.0.1:8000/survey/{GOOD}"
    missing = client.get("/api/v1/tickets/ticket-2/survey", headers=token_for(support))
    assert missing.status_code == 404
    assert browser_login(client, "support").status_code == 303
    box = client.get("/ui/tickets/ticket-1/survey")
    assert box.status_code == 200 and 'data-testid="ticket-survey-url"' in box.text and GOOD in box.text
    none = client.get("/ui/tickets/ticket-2/survey")
    assert 'data-testid="ticket-survey-none"' in none.text


def test_results_api_and_page(
    client: Any, surveys: Surveys, make_user: Any, token_for: Any, finance: Any, rpc: Any
) -> None:
    lead = make_user("supportlead", ["support", "manager"], team="客服组", display_name="客服主管")
    url = "/api/v1/surveys/results?group_by=month&since=2026-12-01&until=2026-12-31"
    response = client.get(url, headers=token_for(lead))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["groups"][0]["average_score"] == "4.00" and body["total"]["response_rate"] == "0.5000"
    call = rpc.calls_to("survey_results")[-1]
    assert (call["group_by"], call["since"], call["until"]) == ("month", "2026-12-01", "2026-12-31")
    backwards = client.get(
        "/api/v1/surveys/results?since=2026-12-02&until=2026-12-01", headers=token_for(lead)
    )
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "since"
    assert client.get("/api/v1/surveys/results?group_by=customer", headers=token_for(lead)).status_code == 422
    assert client.get("/api/v1/surveys/results", headers=token_for(finance)).status_code == 403
    assert client.get("/api/v1/surveys/results").status_code == 401

    assert browser_login(client, "supportlead").status_code == 303
    page = client.get("/surveys?group_by=agent")
    assert page.status_code == 200 and 'data-testid="survey-results"' in page.text and "50.0%" in page.text


def test_notifications_are_the_callers_own(client: Any, make_user: Any, token_for: Any, rpc: Any) -> None:
    support = make_user("support", ["support"], team="客服组")
    response = client.get("/api/v1/service-desk/notifications?unread=true", headers=token_for(support))
    assert response.status_code == 200 and response.json() == {"items": [], "next_cursor": None}
    assert rpc.calls_to("list_notifications")[-1]["unread_only"] is True
    missing = client.post("/api/v1/service-desk/notifications/n-1/read", headers=token_for(support))
    assert missing.status_code == 404
