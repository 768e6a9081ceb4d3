"""Final touches on the generated OpenAPI document (FastAPI cannot express them by itself)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

from gateway.problems import PROBLEM_MEDIA_TYPE

VERSIONED_SCHEMAS = {"CustomerOut", "ContactOut", "FollowUpOut", "TaskOut"}
ETAG_HEADER = {
    "description": 'The record version as an entity tag, e.g. "3"; send it back in If-Match',
    "schema": {"type": "string"},
}


def _fix_response(status: str, response: dict[str, Any]) -> None:
    content = response.get("content") or {}
    if PROBLEM_MEDIA_TYPE in content:
        # FastAPI files a response model under application/json; errors are problem+json only.
        schema = (content.get("application/json") or {}).get("schema")
        response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": schema} if schema else {}}
        return
    ref = ((content.get("application/json") or {}).get("schema") or {}).get("$ref", "")
    if status in {"200", "201"} and ref.rsplit("/", 1)[-1] in VERSIONED_SCHEMAS:
        response.setdefault("headers", {})["ETag"] = ETAG_HEADER


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    for status, response in (operation.get("responses") or {}).items():
                        _fix_response(status, response)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the vendored swagger-ui-dist, so it works without internet access."""

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_ui_parameters={"persistAuthorization": True, "displayRequestDuration": True},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
