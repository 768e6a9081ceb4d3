"""Shared pieces of request and response bodies."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
)


def _text_only(value: Any) -> Any:
    # JSON has no date type: only ISO-8601 text is one. Pydantic alone would also read a number
    # as a Unix timestamp, accepting input the published schema calls invalid.
    if not isinstance(value, str):
        raise ValueError("must be an ISO-8601 string")
    return value


Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=32)]
Moment = Annotated[AwareDatetime, BeforeValidator(_text_only)]
Day = Annotated[date, BeforeValidator(_text_only)]


class RequestModel(BaseModel):
    # No whitespace stripping here: the documented max lengths must hold for the bytes sent;
    # the services (and the directory) trim values themselves.
    model_config = ConfigDict(extra="forbid")


class Versioned(RequestModel):
    version: StrictInt | None = Field(
        default=None,
        ge=1,
        description="Expected current version (same as the If-Match header); a stale one gives 409",
    )


class ResponseModel(BaseModel):
    # A service may add fields before the gateway knows them: documentation only, never a 500.
    model_config = ConfigDict(extra="ignore")
