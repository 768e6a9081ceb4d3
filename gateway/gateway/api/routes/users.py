"""Administration of users and teams (admins; managers may list users to pick transfer targets)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from gateway.api.deps import get_directory, get_replicator, requires
from gateway.api.schemas.identity import (
    TeamCreate,
    TeamList,
    TeamOut,
    UserCreate,
    UserList,
    UserOut,
    UserUpdate,
)
from gateway.auth.directory import Directory
from gateway.auth.records import UserRecord
from gateway.auth.replication import UserReplicator
from gateway.problems import COMMON_ERRORS, CONFLICT, NOT_FOUND

router = APIRouter(prefix="/api/v1", tags=["users"], responses=COMMON_ERRORS)
UserId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/users", response_model=UserList, summary="List users")
def list_users(
    _: UserRecord = Depends(requires("users:read")), directory: Directory = Depends(get_directory)
) -> UserList:
    return UserList(items=[UserOut.of(u) for u in directory.list_users()])


@router.post("/users", response_model=UserOut, status_code=201, summary="Create a user", responses=CONFLICT)
async def create_user(
    body: UserCreate,
    admin: UserRecord = Depends(requires("users:admin")),
    directory: Directory = Depends(get_directory),
    replicator: UserReplicator = Depends(get_replicator),
) -> JSONResponse:
    user = await run_in_threadpool(
        lambda: directory.create_user(
            username=body.username,
            password=body.password,
            display_name=body.display_name,
            roles=list(body.roles),
            team_id=body.team_id,
            timezone=body.timezone,
            acting_user_id=admin.id,
        )
    )
    await replicator.replicate(user)
    return JSONResponse(
        UserOut.of(user).model_dump(mode="json"),
        status_code=201,
        headers={"Location": f"/api/v1/users/{user.id}"},
    )


@router.get("/users/{user_id}", response_model=UserOut, summary="Get a user", responses=NOT_FOUND)
def get_user(
    user_id: UserId,
    _: UserRecord = Depends(requires("users:read")),
    directory: Directory = Depends(get_directory),
) -> UserOut:
    return UserOut.of(directory.require_user(user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    summary="Change a user: roles, team, display name, time zone, password, active",
    responses={**NOT_FOUND, **CONFLICT},
)
async def update_user(
    body: UserUpdate,
    user_id: UserId,
    admin: UserRecord = Depends(requires("users:admin")),
    directory: Directory = Depends(get_directory),
    replicator: UserReplicator = Depends(get_replicator),
) -> UserOut:
    # null clears the team; for every other field it means "leave as is".
    changes = {
        k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k == "team_id"
    }
    user = await run_in_threadpool(lambda: directory.update_user(user_id, acting_user_id=admin.id, **changes))
    await replicator.replicate(user)
    return UserOut.of(user)


@router.post(
    "/users/{user_id}/deactivate",
    response_model=UserOut,
    summary="Deactivate a user (their tokens stop working at once)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def deactivate_user(
    user_id: UserId,
    admin: UserRecord = Depends(requires("users:admin")),
    directory: Directory = Depends(get_directory),
    replicator: UserReplicator = Depends(get_replicator),
) -> UserOut:
    user = await run_in_threadpool(
        lambda: directory.update_user(user_id, acting_user_id=admin.id, active=False)
    )
    await replicator.replicate(user)
    return UserOut.of(user)


@router.get("/teams", response_model=TeamList, summary="List teams")
def list_teams(
    _: UserRecord = Depends(requires("users:read")), directory: Directory = Depends(get_directory)
) -> TeamList:
    return TeamList(items=[TeamOut.of(t) for t in directory.list_teams()])


@router.post("/teams", response_model=TeamOut, status_code=201, summary="Create a team", responses=CONFLICT)
def create_team(
    body: TeamCreate,
    _: UserRecord = Depends(requires("users:admin")),
    directory: Directory = Depends(get_directory),
) -> JSONResponse:
    team = directory.create_team(body.name)
    return JSONResponse(TeamOut.of(team).model_dump(mode="json"), status_code=201)
