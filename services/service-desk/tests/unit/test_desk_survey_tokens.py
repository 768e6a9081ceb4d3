"""The survey link's token: signed, expiring, and worthless once edited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from service_desk.domain import survey_tokens as tokens

KEY = b"k" * 32
EXPIRES = datetime(2026, 12, 21, 1, 0, tzinfo=UTC)


def test_a_token_carries_its_survey_and_expiry() -> None:
    token = tokens.sign(KEY, "survey-1", EXPIRES)
    claims = tokens.verify(KEY, token)
    assert claims == tokens.SurveyToken("survey-1", EXPIRES)
    assert not claims.expired(EXPIRES - timedelta(seconds=1))
    assert claims.expired(EXPIRES)
    assert token.isascii() and "/" not in token and "+" not in token  # safe in a URL path


def test_another_key_or_garbage_is_invalid() -> None:
    token = tokens.sign(KEY, "survey-1", EXPIRES)
    for bad in (tokens.sign(b"x" * 32, "survey-1", EXPIRES), "", "abc", "a.b.c", token + "x", None, 42):
        with pytest.raises(tokens.InvalidToken):
            tokens.verify(KEY, bad)


def test_a_longer_life_cannot_be_forged_by_editing_the_payload() -> None:
    token = tokens.sign(KEY, "survey-1", EXPIRES)
    body, tag = token.split(".")
    forged_body = tokens.sign(KEY, "survey-1", EXPIRES + timedelta(days=365)).split(".")[0]
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(KEY, f"{forged_body}.{tag}")
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(KEY, f"{body}.{tokens.sign(KEY, 'survey-2', EXPIRES).split('.')[1]}")


@given(st.integers(min_value=0), st.characters(codec="ascii", exclude_characters="."))
def test_any_one_character_changed_is_invalid(position: int, replacement: str) -> None:
    token = tokens.sign(KEY, "survey-1", EXPIRES)
    index = position % len(token)
    if token[index] == "." or token[index] == replacement:
        return
    edited = token[:index] + replacement + token[index + 1 :]
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(KEY, edited)


def test_naive_expiry_is_refused() -> None:
    with pytest.raises(ValueError):
        tokens.sign(KEY, "survey-1", datetime(2026, 12, 21))
