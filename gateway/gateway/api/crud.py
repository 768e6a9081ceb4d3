"""Create/get/update/delete/list routes of one record kind, written once.

Every record kind's REST routes repeat the same moves: check a capability, call the service with
the caller's identity, answer with ``ETag``/``Location``, take the expected version from
``If-Match`` (or the body's ``version``), run creates under ``Idempotency-Key``, and document the
problem+json errors. ``CrudRoutes`` adds those routes to a router from a few declarations; what
differs per kind (paths, schemas, which client method, extra query parameters) is an argument.

Endpoint functions are built with an explicit ``__signature__`` so FastAPI validates, documents
and names them exactly as hand-written ones (the route name is the OpenAPI operation id).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway.api.concurrency import expected_version, record_response
from gateway.api.deps import idempotency, requires
from gateway.api.routes._params import Cursor, IfMatch, Limit, RecordId
from gateway.auth.records import UserRecord
from gateway.idempotency import Idempotency
from gateway.problems import CONFLICT, NOT_FOUND

Record = dict[str, Any]
Params = dict[str, Any]  # path and extra query parameters by name
Endpoint = Callable[..., Awaitable[Response]]


@dataclass(frozen=True)
class QueryParam:
    """An extra query parameter of a route: its annotation and default (e.g. ``force``)."""

    annotation: Any
    default: Any = None


def _param(name: str, annotation: Any, default: Any = inspect.Parameter.empty) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)


def _endpoint(name: str, params: list[inspect.Parameter], run: Endpoint) -> Endpoint:
    async def endpoint(**kwargs: Any) -> Response:
        return await run(**kwargs)

    endpoint.__name__ = endpoint.__qualname__ = name
    endpoint.__signature__ = inspect.Signature(params, return_annotation=Response)  # type: ignore[attr-defined]
    return endpoint


@dataclass
class CrudRoutes:
    """Routes of one kind on ``router``; ``client`` is the FastAPI dependency of its service client.

    ``capability`` prefixes the permission checks: ``<capability>:read`` and ``<capability>:write``.
    """

    router: APIRouter
    client: Callable[..., Any]
    capability: str
    out: type[BaseModel]

    def _common(self, access: str) -> list[inspect.Parameter]:
        user = Annotated[UserRecord, Depends(requires(f"{self.capability}:{access}"))]
        return [_param("user", user), _param("service", Annotated[Any, Depends(self.client)])]

    @staticmethod
    def _query(query: Mapping[str, QueryParam]) -> list[inspect.Parameter]:
        return [_param(name, spec.annotation, spec.default) for name, spec in query.items()]

    def get(
        self, path: str, id_name: str, *, name: str, summary: str, fetch: Callable[..., Awaitable[Record]]
    ) -> None:
        async def run(user: UserRecord, service: Any, **params: Any) -> Response:
            return record_response(await fetch(service, user.caller, params[id_name]))

        params = [_param(id_name, RecordId), *self._common("read")]
        self.router.add_api_route(
            path,
            _endpoint(name, params, run),
            methods=["GET"],
            response_model=self.out,
            summary=summary,
            responses=NOT_FOUND,
        )

    def update(
        self,
        path: str,
        id_name: str,
        body: type[BaseModel],
        *,
        name: str,
        summary: str,
        save: Callable[..., Awaitable[Record]],
        query: Mapping[str, QueryParam] | None = None,
    ) -> None:
        """PATCH: ``save(service, caller, id, changes, expected_version, **query)``."""

        async def run(
            user: UserRecord, service: Any, body: BaseModel, if_match: str | None, **params: Any
        ) -> Response:
            version = expected_version(if_match, getattr(body, "version", None))
            changes = body.model_dump(mode="json", exclude_unset=True, exclude={"version"})
            record_id = params.pop(id_name)
            return record_response(await save(service, user.caller, record_id, changes, version, **params))

        params = [
            _param("body", body),
            _param(id_name, RecordId),
            *self._query(query or {}),
            _param("if_match", IfMatch, None),
            *self._common("write"),
        ]
        self.router.add_api_route(
            path,
            _endpoint(name, params, run),
            methods=["PATCH"],
            response_model=self.out,
            summary=summary,
            responses={**NOT_FOUND, **CONFLICT},
        )

    def delete(
        self, path: str, id_name: str, *, name: str, summary: str, remove: Callable[..., Awaitable[Any]]
    ) -> None:
        async def run(user: UserRecord, service: Any, if_match: str | None, **params: Any) -> Response:
            await remove(service, user.caller, params[id_name], expected_version(if_match, None))
            return Response(status_code=204)

        params = [_param(id_name, RecordId), _param("if_match", IfMatch, None), *self._common("write")]
        self.router.add_api_route(
            path,
            _endpoint(name, params, run),
            methods=["DELETE"],
            status_code=204,
            response_class=Response,
            summary=summary,
            responses={**NOT_FOUND, **CONFLICT},
        )

    def create(
        self,
        path: str,
        body: type[BaseModel],
        *,
        name: str,
        summary: str,
        make: Callable[..., Awaitable[Record]],
        location: str,
        path_ids: tuple[str, ...] = (),
        query: Mapping[str, QueryParam] | None = None,
        responses: Mapping[int | str, Any] | None = None,
    ) -> None:
        """POST, once per ``Idempotency-Key``: ``make(service, caller, data, **path_ids, **query)``;
        ``location`` is formatted with the new record's ``id``."""

        async def run(
            user: UserRecord, service: Any, body: BaseModel, once: Idempotency, **params: Any
        ) -> Response:
            async def create() -> Response:
                data = body.model_dump(mode="json", exclude_none=True)
                record = await make(service, user.caller, data, **params)
                return record_response(record, 201, location.format(id=record.get("id")))

            return await once.run(user.id, create)

        params = [
            _param("body", body),
            *(_param(id_name, RecordId) for id_name in path_ids),
            *self._query(query or {}),
            *self._common("write"),
            _param("once", Annotated[Idempotency, Depends(idempotency)]),
        ]
        self.router.add_api_route(
            path,
            _endpoint(name, params, run),
            methods=["POST"],
            response_model=self.out,
            status_code=201,
            summary=summary,
            responses=dict(responses) if responses is not None else {**NOT_FOUND, **CONFLICT},
        )

    def list_children(
        self,
        path: str,
        parent_id: str,
        page: type[BaseModel],
        *,
        name: str,
        summary: str,
        fetch: Callable[..., Awaitable[Record]],
    ) -> None:
        """GET a parent's records a page at a time: ``fetch(service, caller, parent, cursor, limit)``."""

        async def run(
            user: UserRecord, service: Any, limit: int, cursor: str | None, **params: Any
        ) -> Response:
            return JSONResponse(await fetch(service, user.caller, params[parent_id], cursor, limit))

        params = [
            _param(parent_id, RecordId),
            _param("limit", Limit, 50),
            _param("cursor", Cursor, None),
            *self._common("read"),
        ]
        self.router.add_api_route(
            path,
            _endpoint(name, params, run),
            methods=["GET"],
            response_model=page,
            summary=summary,
            responses=NOT_FOUND,
        )


def query_flag(description: str) -> QueryParam:
    """A boolean query switch that is off unless given (e.g. ``force``)."""
    return QueryParam(Annotated[bool, Query(description=description)], False)
