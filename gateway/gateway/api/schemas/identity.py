"""Tokens, the current user, users and teams."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictBool

from gateway.api.schemas.common import Id, RequestModel
from gateway.auth.records import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    USERNAME_PATTERN,
    TeamRecord,
    UserRecord,
)

Role = Literal["admin", "manager", "sales", "finance", "support"]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")


class UserOut(BaseModel):
    id: str
    username: str
    display_name: str
    roles: list[str]
    team_id: str | None
    active: bool
    timezone: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: UserRecord) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            roles=list(user.roles),
            team_id=user.team_id,
            active=user.active,
            timezone=user.timezone,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


class MeOut(UserOut):
    team_name: str | None = None


class UserList(BaseModel):
    items: list[UserOut]


class UserCreate(RequestModel):
    username: str = Field(pattern=USERNAME_PATTERN, max_length=64, examples=["sales3"])
    password: str = Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    roles: list[Role] = Field(default_factory=list, max_length=5)
    team_id: Id | None = None
    timezone: str | None = Field(default=None, min_length=1, max_length=64, examples=["Asia/Shanghai"])


class UserUpdate(RequestModel):
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    roles: list[Role] | None = Field(default=None, max_length=5)
    team_id: Id | None = None
    active: StrictBool | None = None
    timezone: str | None = Field(default=None, min_length=1, max_length=64)
    password: str | None = Field(default=None, min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)


class TeamOut(BaseModel):
    id: str
    name: str
    created_at: datetime

    @classmethod
    def of(cls, team: TeamRecord) -> TeamOut:
        return cls(id=team.id, name=team.name, created_at=team.created_at)


class TeamList(BaseModel):
    items: list[TeamOut]


class TeamCreate(RequestModel):
    name: str = Field(min_length=1, max_length=100, examples=["华东销售一组"])
