"""Leads: validation of what comes in, and the small rules of a lead's life (framework-free).

Every problem of one input is reported at once, each naming its field, so a bulk import can say
per row what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kernel.errors import FieldErrors, ValidationError
from kernel.schema import ID_MAX
from kernel.text import COMPANY_SUFFIXES, fold

from sales.contracts import leads as c

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_PHONE = re.compile(r"^\+?[0-9 ()\-]+(?:\s*(?:ext|转|x)\s*[0-9]{1,6})?$", re.IGNORECASE)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_LEGACY_TAX_ID = re.compile(r"^[0-9A-Z]{15}$|^[0-9A-Z]{20}$")

Cleaner = Callable[[FieldErrors, str, Any], Any]


# -- field cleaners: the cleaned value, or None with a message naming the field ---------------------
def text(errors: FieldErrors, field: str, value: Any, *, max_len: int, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(field, "must not be empty")
        return None
    if not isinstance(value, str):
        errors.add(field, "must be a string")
        return None
    value = value.strip()
    if len(value) > max_len:
        errors.add(field, f"must be at most {max_len} characters")
        return None
    return value


def choice(
    errors: FieldErrors, field: str, value: Any, allowed: tuple[str, ...], *, required: bool = False
) -> str | None:
    if value is None:
        if required:
            errors.add(field, "is required")
        return None
    if not isinstance(value, str) or value not in allowed:
        errors.add(field, f"must be one of {', '.join(allowed)}")
        return None
    return value


def integer(errors: FieldErrors, field: str, value: Any, *, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(field, f"must be an integer from {low} to {high}")
        return None
    return value


def boolean(errors: FieldErrors, field: str, value: Any) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        errors.add(field, "must be true or false")
        return None
    return value


def phone(errors: FieldErrors, field: str, value: Any) -> str | None:
    raw = text(errors, field, value, max_len=c.MAX_LEN["phone"])
    if raw is None:
        return None
    digits = sum(ch.isdigit() for ch in raw)
    if not _PHONE.match(raw) or not 5 <= digits <= 20:
        errors.add(field, "is not a phone number")
        return None
    return raw


def email(errors: FieldErrors, field: str, value: Any) -> str | None:
    raw = text(errors, field, value, max_len=c.MAX_LEN["email"])
    if raw is None:
        return None
    if not _EMAIL.match(raw):
        errors.add(field, "is not an email address")
        return None
    local, _, domain = raw.rpartition("@")
    return f"{local}@{domain.lower()}"


def uscc_is_valid(code: str) -> bool:
    """GB 32100-2015 unified social credit code: 18 characters, the last a mod-31 check."""
    if len(code) != 18 or any(ch not in _USCC_ALPHABET for ch in code):
        return False
    total = sum(_USCC_ALPHABET.index(ch) * w for ch, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


def tax_id(errors: FieldErrors, field: str, value: Any) -> str | None:
    raw = text(errors, field, value, max_len=c.MAX_LEN["tax_id"])
    if raw is None:
        return None
    code = raw.replace(" ", "").upper()
    if len(code) == 18:
        if not uscc_is_valid(code):
            errors.add(field, "is not a valid unified social credit code (check character mismatch)")
            return None
        return code
    if _LEGACY_TAX_ID.match(code):
        return code  # pre-2015 tax registration numbers carry no check character
    errors.add(field, "must be an 18-character unified social credit code or a 15/20-character tax id")
    return None


def _limit(name: str) -> int:
    return c.MAX_LEN[name]


# field -> (cleaner, required on create)
LEAD_FIELDS: dict[str, tuple[Cleaner, bool]] = {
    "company_name": (lambda e, k, v: text(e, k, v, max_len=_limit("company_name"), required=True), True),
    "tax_id": (tax_id, False),
    "contact_name": (lambda e, k, v: text(e, k, v, max_len=_limit("contact_name")), False),
    "phone": (phone, False),
    "email": (email, False),
    "source": (lambda e, k, v: choice(e, k, v, c.LEAD_SOURCES), False),
    "region": (lambda e, k, v: text(e, k, v, max_len=_limit("region")), False),
    "grade": (lambda e, k, v: choice(e, k, v, c.LEAD_GRADES), False),
    "score": (lambda e, k, v: integer(e, k, v, low=0, high=c.SCORE_MAX), False),
    "notes": (lambda e, k, v: text(e, k, v, max_len=_limit("notes")), False),
}
# Only on create: who gets it.
CREATE_ONLY: dict[str, tuple[Cleaner, bool]] = {
    "owner_id": (lambda e, k, v: text(e, k, v, max_len=ID_MAX), False),
    "team_id": (lambda e, k, v: text(e, k, v, max_len=ID_MAX), False),
    "assign": (lambda e, k, v: choice(e, k, v, c.LEAD_ASSIGN_MODES), False),
}


def require_mapping(payload: Any, field: str = "data") -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise ValidationError.for_field(field, "must be an object")
    return dict(payload)


def _clean(
    spec: Mapping[str, tuple[Cleaner, bool]], payload: Any, *, partial: bool, field_name: str
) -> dict[str, Any]:
    payload = require_mapping(payload, field_name)
    errors = FieldErrors()
    for key in payload:
        if key not in spec:
            errors.add(key, "is not a known field")
    cleaned: dict[str, Any] = {}
    for key, (cleaner, required) in spec.items():
        if key in payload:
            cleaned[key] = cleaner(errors, key, payload[key])
        elif required and not partial:
            errors.add(key, "is required")
    errors.raise_if_any()
    if partial and not cleaned:
        raise ValidationError.for_field(field_name, "no changes given")
    return cleaned


def grade_for(score: int | None) -> str:
    """A lead without a grade: from its score (≥80 A, ≥50 B, else C); no score → B."""
    if score is None:
        return "B"
    return "A" if score >= 80 else "B" if score >= 50 else "C"


def clean_create(payload: Any) -> dict[str, Any]:
    """A new lead's values with their defaults (source ``other``, grade from the score)."""
    values = _clean({**LEAD_FIELDS, **CREATE_ONLY}, payload, partial=False, field_name="data")
    if values.get("owner_id") and values.get("assign"):
        raise ValidationError.for_field("assign", "give either owner_id or assign, not both")
    values["source"] = values.get("source") or "other"
    values["grade"] = values.get("grade") or grade_for(values.get("score"))
    return values


def clean_update(payload: Any) -> dict[str, Any]:
    values = _clean(LEAD_FIELDS, payload, partial=True, field_name="changes")
    for key in ("company_name", "source", "grade"):
        if key in values and values[key] is None:
            raise ValidationError.for_field(key, "must not be empty")
    return values


def clean_note(note: Any, field: str = "note", *, required: bool = True) -> str | None:
    errors = FieldErrors()
    limit = _limit("note") if field == "note" else _limit("reason")
    value = text(errors, field, note, max_len=limit, required=required)
    errors.raise_if_any()
    return value


# -- conversion ---------------------------------------------------------------------------------------
def is_registered_name(name: str) -> bool:
    """A "standard" company name ends in its legal form (…有限公司, …Co., Ltd.): what a customer
    is registered under, as opposed to a nickname such as "A科技" or "老王那家"."""
    folded = fold(name)
    # The longest legal form it ends in must leave a name in front ("有限公司" alone is none).
    longest = next((s for s in COMPANY_SUFFIXES if folded.endswith(s)), None)
    return longest is not None and bool(folded[: -len(longest)].strip(" ,.-"))


def conversion_identity(company_name: str, tax_id: str | None) -> None:
    """A customer needs a registered company name or a tax id to be created or matched."""
    if tax_id:
        return
    if not is_registered_name(company_name):
        raise ValidationError(
            "a lead becomes a customer under its registered company name or its tax id",
            [
                {
                    "field": "company_name",
                    "message": "is not a registered company name (e.g. …有限公司); give it, or a tax id",
                },
                {"field": "tax_id", "message": "is required when the company name is not registered"},
            ],
        )


def clean_convert(payload: Any) -> dict[str, Any]:
    spec: dict[str, tuple[Cleaner, bool]] = {
        "company_name": (lambda e, k, v: text(e, k, v, max_len=_limit("company_name")), False),
        "tax_id": (tax_id, False),
        "customer_id": (lambda e, k, v: text(e, k, v, max_len=ID_MAX), False),
        "force": (boolean, False),
    }
    values = _clean(spec, payload or {}, partial=False, field_name="data")
    values["force"] = bool(values.get("force"))
    return values


def conversion_note(lead: Mapping[str, Any], notes: Sequence[Mapping[str, Any]], *, limit: int) -> str:
    """The customer follow-up a conversion leaves: where the lead came from and what was noted."""
    lines = [
        f"线索转化 Lead converted: {lead['company_name']} "
        f"(source {lead['source']}, grade {lead['grade']}, lead {lead['id']})"
    ]
    if lead.get("notes"):
        lines += ["", str(lead["notes"])]
    for item in notes:
        lines += ["", f"[{item['at']}] {item['author_id']}: {item['note']}"]
    text_ = "\n".join(lines)
    return text_ if len(text_) <= limit else text_[: limit - 1] + "…"
