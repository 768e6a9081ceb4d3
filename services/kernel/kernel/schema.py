"""Building blocks of published contracts (``<service>/contracts.py``) and of the gateway's REST
bodies: ids, tags, ISO-8601 moments and days, strict request models, ``Page[T]``.

pydantic only (no nameko, no SQLAlchemy), so a contract built from these stays importable by the
gateway.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, StringConstraints

T = TypeVar("T")


def _text_only(value: Any) -> Any:
    # JSON has no date type: only ISO-8601 text is one. Pydantic alone would also read a number
    # as a Unix timestamp, accepting input the published schema calls invalid.
    if not isinstance(value, str):
        raise ValueError("must be an ISO-8601 string")
    return value


ID_MAX, TAG_MAX = 64, 32
Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=TAG_MAX)]
Moment = Annotated[AwareDatetime, BeforeValidator(_text_only)]
Day = Annotated[date, BeforeValidator(_text_only)]


class RequestModel(BaseModel):
    # No whitespace stripping here: the documented max lengths must hold for the bytes sent;
    # the services trim values themselves.
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` to continue."""

    items: list[T]
    next_cursor: str | None = None


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any, *, field: str = "data") -> M:
    """RPC input through a request model: a ``ValidationError`` naming each bad field (dotted
    paths, e.g. ``allocations.0.amount_minor``) instead of pydantic's own exception."""
    from pydantic import ValidationError as SchemaError

    from kernel.errors import FieldErrors

    if not isinstance(data, dict):
        raise _validation_error(field, "must be an object")
    try:
        return model.model_validate(data)
    except SchemaError as exc:
        errors = FieldErrors()
        for problem in exc.errors():
            path = ".".join(str(part) for part in problem["loc"]) or field
            errors.add(path, problem["msg"])
        errors.raise_if_any()
        raise  # unreachable: pydantic reports at least one error


def _validation_error(field: str, message: str) -> Exception:
    from kernel.errors import ValidationError

    return ValidationError.for_field(field, message)
