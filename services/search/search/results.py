"""Elasticsearch responses → the RPC's result shapes (items, snippets, facets).

A hit names its record once (``title``, and ``customer_name`` when the record belongs to another
one); what matched is marked in place (``title_html``, ``customer_name_html``) and, when the match
is in another field, shown as ``snippet`` with that field's name in ``snippet_field``: a phone or
e-mail (from the named query that matched, marked in the original spelling), a tax id, the text
(follow-up content, a contact's job title, a customer's industry and address) or a short name.
Without such a match the snippet is the record's summary and ``snippet_field`` is None.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

from kernel.text import fold

from search import enrich
from search.kinds import KNOWN_KINDS, REGISTRY

# Named queries (see query.py) that say which identity field matched.
MATCH_PHONE = "phones"
MATCH_EMAIL = "emails"
MATCH_EMAIL_LOCAL = "email_locals"
# Highlighted fields shown as a snippet, most telling first; title and customer name are marked
# where they are already displayed instead.
SNIPPET_HIGHLIGHTS = ("tax_id", "body", "alt_names")
_TAGS = re.compile(r"</?em>")


def _merge_adjacent(fragment: str) -> str:
    # CJK is one token per ideograph, so a phrase comes back as <em>科</em><em>技</em>.
    return fragment.replace("</em><em>", "")


def _plain(fragment: str) -> str:
    return html.unescape(_TAGS.sub("", fragment)).strip()


def _after_title(fragment: str, title: str | None) -> str:
    """The fragment without a leading copy of the title (a note's first line is its title)."""
    if not title or not _plain(fragment).startswith(_plain(title)):
        return fragment
    skip = len(_plain(title))
    out: list[str] = []
    inside = emitted_open = False
    for part in re.split(r"(</?em>)", fragment):
        if part in ("<em>", "</em>"):
            inside = part == "<em>"
            if skip == 0 and (inside or emitted_open):
                out.append(part)
                emitted_open = inside
            continue
        text = html.unescape(part)
        if skip:
            taken = min(skip, len(text))
            text, skip = text[taken:], skip - taken
            if skip or not text:
                continue
            if inside:  # the title ended inside a marked phrase: reopen it
                out.append("<em>")
                emitted_open = True
        out.append(html.escape(text, quote=False))
    return "".join(out).strip()


def _marked(text: str, start: int, end: int) -> str:
    return f"{html.escape(text[:start])}<em>{html.escape(text[start:end])}</em>{html.escape(text[end:])}"


def mark_phone(phones: list[str], q: str) -> str | None:
    """The first phone ending with the query's digits, those digits marked in its own format."""
    wanted = enrich.phone_digits(q)
    for phone in phones:
        if not wanted or not enrich.phone_digits(phone).endswith(wanted):
            continue
        positions = [i for i, ch in enumerate(phone) if ch.isdigit()]
        if len(positions) < len(wanted):
            continue
        return _marked(phone, positions[-len(wanted)], positions[-1] + 1)
    return None


def mark_email(emails: list[str], q: str, local_only: bool) -> str | None:
    wanted = fold(q).replace(" ", "")
    for email in emails:
        folded = unicodedata.normalize("NFKC", email).strip().lower()
        if local_only and folded.split("@", 1)[0] == wanted:
            return _marked(email, 0, email.index("@"))
        if not local_only and folded == wanted:
            return _marked(email, 0, len(email))
    return None


def _highlight(hit: dict[str, Any], field: str) -> str | None:
    fragments = (hit.get("highlight") or {}).get(field)
    return _merge_adjacent(fragments[0]) if fragments else None


def snippet(hit: dict[str, Any], q: str = "") -> tuple[str, str | None]:
    """(HTML, field it shows or None for the summary)."""
    matched = set(hit.get("matched_queries") or ())
    orig = (hit.get("_source") or {}).get("orig") or {}
    if MATCH_PHONE in matched and (phone := mark_phone(orig.get("phones") or [], q)):
        return phone, "phones"
    for name, local_only in ((MATCH_EMAIL, False), (MATCH_EMAIL_LOCAL, True)):
        if name in matched and (email := mark_email(orig.get("emails") or [], q, local_only)):
            return email, "emails"
    title = _highlight(hit, "title")
    for field in SNIPPET_HIGHLIGHTS:
        fragment = _highlight(hit, field)
        if fragment and field == "body":
            # A note's first line is its title, marked there already: not repeated below it.
            fragment = _after_title(fragment, title)
        if fragment and "<em>" in fragment:
            return fragment, field
    return html.escape(orig.get("summary") or ""), None


def _item(hit: dict[str, Any], q: str) -> dict[str, Any]:
    source = hit.get("_source") or {}
    orig = source.get("orig") or {}
    title, customer_name = orig.get("title"), orig.get("customer_name")
    text, field = snippet(hit, q)
    spec = REGISTRY.get(str(source.get("kind")))
    # The fields this kind's hits carry besides (a quote: its version number, is_final).
    extra = {name: source.get(name) for name in (spec.hit_fields if spec else ())}
    return {
        **extra,
        "kind": source.get("kind"),
        "id": source.get("id"),
        "customer_id": source.get("customer_id"),
        "customer_name": customer_name,
        "title": title,
        "title_html": _highlight(hit, "title"),
        # A customer is its own customer: its name is the title, marked there.
        "customer_name_html": _highlight(hit, "customer_name") if customer_name != title else None,
        "snippet": text or None,
        "snippet_field": field,
        "score": hit.get("_score"),
        "updated_at": source.get("updated_at"),
        "status": source.get("status"),
    }


def _kind_rank(kind: str) -> tuple[int, str]:
    return (KNOWN_KINDS.index(kind) if kind in KNOWN_KINDS else len(KNOWN_KINDS), kind)


def shape_search(
    body: dict[str, Any], limit: int, q: str = "", facets: bool = True, probed: bool = True
) -> dict[str, Any]:
    """``facets`` is ``{}`` when they were not asked for (the key stays: one response shape).
    ``total`` is exact up to the query's cap; past it, it is the cap and ``total_is_lower_bound``
    says so (Elasticsearch's ``relation: gte``). ``probed``: the query asked for ``limit + 1``
    hits, the extra one telling whether more exist; otherwise (a first page) the count tells."""
    hits = body.get("hits", {}).get("hits", [])  # filter_path drops an empty list
    page = hits[:limit]
    total = body.get("hits", {}).get("total") or {"value": 0, "relation": "eq"}
    shaped: dict[str, Any] = {}
    if facets:
        buckets = body.get("aggregations", {}).get("kind", {}).get("buckets", [])
        counts = {bucket["key"]: bucket["doc_count"] for bucket in buckets}
        # In registry order (the customer hub first), not by count: tabs that do not jump around.
        shaped = {"kind": dict(sorted(counts.items(), key=lambda kv: _kind_rank(kv[0])))}
    lower_bound = total.get("relation") == "gte"
    if probed:
        more = len(hits) > limit
    else:
        more = bool(page) and len(page) == limit and (lower_bound or total["value"] > limit)
    return {
        "items": [_item(hit, q) for hit in page],
        "facets": shaped,
        "total": total["value"],
        "total_is_lower_bound": lower_bound,
        "_last_sort": page[-1]["sort"] if more else None,
    }


def shape_suggest(body: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for hit in body.get("hits", {}).get("hits", []):  # filter_path drops an empty list
        source = hit.get("_source") or {}
        orig = source.get("orig") or {}
        out.append(
            {
                "kind": source.get("kind"),
                "id": source.get("id"),
                "customer_id": source.get("customer_id"),
                "title": orig.get("title"),
                "customer_name": orig.get("customer_name"),
            }
        )
    return out
