"""Typed errors shared by every service and understood by the gateway.

nameko serialises a raised exception as ``{exc_type, exc_path, exc_args, value}``; we keep
``args`` JSON-friendly (a detail string, then a list of ``{field, message}``) so that a client
on the other side of the wire can rebuild the error without importing this module.
"""

from __future__ import annotations

from typing import Any


class PanoramaError(Exception):
    status = 500
    title = "Internal error"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        self.detail = detail
        self.errors = list(errors or [])
        super().__init__(detail, self.errors)

    def __str__(self) -> str:
        return self.detail

    # The names nameko's RemoteError uses, so a caller reads a typed error the same way whether
    # its process registered the kernel errors with nameko (kernel.nameko_ext) or not.
    @property
    def exc_type(self) -> str:
        return type(self).__name__

    @property
    def value(self) -> str:
        return f"{self.detail} {self.errors}" if self.errors else self.detail


class ValidationError(PanoramaError):
    status = 422
    title = "Validation failed"

    @classmethod
    def for_field(cls, field: str, message: str) -> ValidationError:
        return cls(f"{field}: {message}", [{"field": field, "message": message}])


class NotFound(PanoramaError):
    status = 404
    title = "Not found"


class PermissionDenied(PanoramaError):
    status = 403
    title = "Permission denied"


class Conflict(PanoramaError):
    """A write that clashes with existing state: duplicate key, stale version, likely duplicate."""

    status = 409
    title = "Conflict"


ERROR_TYPES: dict[str, type[PanoramaError]] = {
    cls.__name__: cls for cls in (ValidationError, NotFound, PermissionDenied, Conflict)
}


class FieldErrors:
    """Collects every field problem of one input so the caller sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append({"field": field, "message": message})

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in self.errors)
            raise ValidationError(detail, self.errors)
