"""Shared pieces of request and response bodies (the building blocks live in kernel.schema, so a
service's contracts and the gateway's REST bodies are made of the same parts)."""

from __future__ import annotations

from kernel.schema import Day, Id, Moment, Page, RequestModel, Tag
from pydantic import BaseModel, ConfigDict, Field, StrictInt

__all__ = ["Day", "Id", "Moment", "Page", "RequestModel", "ResponseModel", "Tag", "Versioned"]


class Versioned(RequestModel):
    version: StrictInt | None = Field(
        default=None,
        ge=1,
        description="Expected current version (same as the If-Match header); a stale one gives 409",
    )


class ResponseModel(BaseModel):
    # A service may add fields before the gateway knows them: documentation only, never a 500.
    model_config = ConfigDict(extra="ignore")
