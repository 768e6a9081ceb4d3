"""Search results as the search service returns them."""

from __future__ import annotations

from pydantic import Field

from gateway.api.schemas.common import ResponseModel


class SearchHit(ResponseModel):
    kind: str = Field(examples=["customer"])
    id: str
    customer_id: str | None = None
    customer_name: str | None = None
    title: str
    title_html: str | None = Field(default=None, description="HTML: the title with <em> around matches")
    customer_name_html: str | None = Field(
        default=None, description="HTML: the customer's name with <em> around matches (not for customers)"
    )
    snippet: str | None = Field(
        default=None, description="HTML: escaped text with <em> around matches, from `snippet_field`"
    )
    snippet_field: str | None = Field(
        default=None,
        examples=["phones"],
        description="Field the snippet shows (phones, emails, tax_id, body, alt_names); null: a summary",
    )
    score: float | None = None
    updated_at: str | None = None
    status: str | None = None
    # Fields some kinds' hits carry (search.kinds: KindSpec.hit_fields); absent for the others.
    version: int | None = Field(default=None, description="A quote hit: the version number n")
    is_final: bool | None = Field(default=None, description="A quote hit: whether this version is final")


class SearchResults(ResponseModel):
    items: list[SearchHit]
    facets: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        examples=[{"kind": {"customer": 3}}],
        description="Hits per kind, with `facets=true` only (empty otherwise)",
    )
    total: int = Field(description="Hits counted: exact, or a lower bound when `total_is_lower_bound`")
    total_is_lower_bound: bool = Field(
        default=False, description="True when counting stopped at a cap: there are at least `total` hits"
    )
    next_cursor: str | None = None


class Suggestion(ResponseModel):
    kind: str
    id: str
    customer_id: str | None = None
    title: str
    customer_name: str | None = None


class SuggestionList(ResponseModel):
    items: list[Suggestion]
