"""Python-side text enrichment: what Elasticsearch core cannot analyse, we precompute as keywords.

Core ES has no Chinese, pinyin, n-gram or ICU analysis, so the indexer stores the normalised text
(for the ``standard`` analyser, which splits CJK into single ideographs and so lets
``match_phrase`` find any contiguous substring) plus keyword arrays built here: pinyin and
initials suffixes, compact-name prefixes, phone-number suffixes and e-mail parts. Queries apply
the same functions, so index and query sides always agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from kernel.text import digits_only, fold, strip_company_suffix, t2s
from pypinyin import Style
from pypinyin.converter import DefaultConverter
from pypinyin.core import Pinyin

# Bounds keep one document's keyword arrays small whatever a user typed into a name.
MAX_UNITS = 32  # pinyin syllables / Latin words per name
MAX_TERMS = 64  # entries per keyword array
MAX_PHONE_DIGITS = 20
MIN_PHONE_SUFFIX = 4

# The ideographs the standard analyser makes one token each (CJK Unified, Extension A, Compatibility):
# the query side and the highlighter reason about the same set.
IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{IDEOGRAPHS}]")
_ENDS_IN_IDEOGRAPH = re.compile(f"[{IDEOGRAPHS}]$")
_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]+$")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """NFKC (full width → half width) and Traditional → Simplified, case kept for display."""
    return t2s(unicodedata.normalize("NFKC", text)).strip()


def compact(text: str) -> str:
    """Folded text without spaces or punctuation: the key prefix queries run against."""
    return _NON_ALNUM.sub("", fold(text))


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def _bounded(values: Iterable[str], limit: int = MAX_TERMS) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
            if len(seen) >= limit:
                break
    return list(seen)


def _boundary_suffixes(units: list[str]) -> list[str]:
    # Suffixes that start on a syllable boundary: "akeji" → akeji, keji, ji. Queried with
    # ``prefix`` they give substring-at-a-syllable search ("keji", "kej") without mid-syllable noise.
    return ["".join(units[i:]) for i in range(len(units))]


@lru_cache(maxsize=65536)
def _stripped(name: str) -> str:
    # Every name goes through this three times per document, and names repeat across documents
    # (a customer's name is on each of its contacts, deals, tickets...): cached, like ``fold``.
    return strip_company_suffix(fold(name))


_NO_PINYIN = "\x00"  # marks what pypinyin passed through: Latin words, digits, punctuation


def _mark_no_pinyin(chars: str) -> str:
    return _NO_PINYIN + chars


class _StyleCache(DefaultConverter):
    """pypinyin's own conversion, each (toned syllable, style) converted once.

    ``lazy_pinyin`` builds a converter per call and runs every syllable through the style's regex
    replacements again; that was ~45 % of its time on new names (41 → 23 µs a name, the same
    output on the bench's 62,728 distinct names). The result depends only on the key (the
    syllable is chosen, from the phrase around it, before this step, and no built-in style reads
    the character), and the keys are bounded by the toned syllables pypinyin knows (~1,500 per
    style), so the cache needs no eviction."""

    def __init__(self) -> None:
        super().__init__()
        self._converted: dict[tuple[str, Style, bool], str] = {}

    def convert_style(self, han: str, orig_pinyin: str, style: Style, strict: bool, **kwargs: object) -> str:
        key = (orig_pinyin, style, strict)
        converted = self._converted.get(key)
        if converted is None:  # a race computes it twice, with the same answer
            converted = self._converted[key] = super().convert_style(
                han, orig_pinyin, style, strict, **kwargs
            )
        return converted


_PINYIN = Pinyin(_StyleCache())


def lazy_pinyin(text: str, style: Style, errors: Any) -> list[str]:
    """``pypinyin.lazy_pinyin`` with its defaults (no ü for v, no tone sandhi), style conversions
    cached."""
    return _PINYIN.lazy_pinyin(text, style=style, errors=errors)


@lru_cache(maxsize=65536)
def _name_pinyin(stripped: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, str]]:
    """Pinyin of one suffix-stripped CJK name. pypinyin's phrase lookup is most of the indexer's
    per-event CPU, so each name is converted once and the result kept (a pure function of the
    name: the cached answer is the one a fresh call would give). One pass gives both styles: an
    initial is the first letter of its syllable's normal form, which is how pypinyin's own
    FIRST_LETTER style makes it; Latin words stay whole in both."""
    full: list[str] = []
    initials: list[str] = []
    for segment in lazy_pinyin(stripped, style=Style.NORMAL, errors=_mark_no_pinyin):
        if segment.startswith(_NO_PINYIN):
            words = [w for w in (_NON_ALNUM.sub("", w).lower() for w in segment[1:].split()) if w]
            full += words
            initials += words
        else:
            syllable = _NON_ALNUM.sub("", segment).lower()
            if syllable:
                full.append(syllable)
                initials.append(syllable[0])
    full, initials = full[:MAX_UNITS], initials[:MAX_UNITS]
    return (
        tuple(_boundary_suffixes(full)),
        tuple(_boundary_suffixes(initials)),
        ("".join(full), "".join(initials)),
    )


def pinyin_terms(names: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
    """(full pinyin suffixes, initials suffixes, whole full+initials strings) of the
    suffix-stripped names that contain CJK. The whole strings let a match from the first
    syllable ("akj" for A科技) outrank one in the middle of a longer name."""
    full: list[str] = []
    initials: list[str] = []
    starts: list[str] = []
    for name in names:
        stripped = _stripped(name)
        if not has_cjk(stripped):
            continue
        name_full, name_initials, name_starts = _name_pinyin(stripped)
        full += name_full
        initials += name_initials
        starts += name_starts
    return _bounded(full), _bounded(initials), _bounded(starts)


def name_prefix_terms(names: Iterable[str]) -> list[str]:
    """Compact forms of each name, with and without the company suffix, for typeahead ``prefix``."""
    terms: list[str] = []
    for name in names:
        folded = fold(name)
        terms += [_NON_ALNUM.sub("", folded), _NON_ALNUM.sub("", _stripped(name))]
    return _bounded(terms)


def name_keys(names: Iterable[str]) -> list[str]:
    """Identity of a name (company suffix and punctuation removed): an exact hit ranks first."""
    return _bounded(_NON_ALNUM.sub("", _stripped(name)) for name in names)


def phone_digits(phone: str) -> str:
    return digits_only(phone)[-MAX_PHONE_DIGITS:]


def phone_suffixes(phones: Iterable[str]) -> list[str]:
    """Every digit suffix of at least four digits: "last 4 digits" becomes a ``term`` lookup."""
    suffixes: list[str] = []
    for phone in phones:
        digits = phone_digits(phone)
        suffixes += [digits[i:] for i in range(0, len(digits) - MIN_PHONE_SUFFIX + 1)]
    return _bounded(suffixes, limit=MAX_TERMS * 2)


def looks_like_phone(text: str) -> bool:
    return bool(_PHONE_LIKE.match(text)) and len(digits_only(text)) >= MIN_PHONE_SUFFIX


def email_terms(emails: Iterable[str]) -> tuple[list[str], list[str]]:
    """(whole addresses, local parts), NFKC-normalised and lower-cased."""
    whole = [unicodedata.normalize("NFKC", e).strip().lower() for e in emails]
    whole = [e for e in whole if e]
    locals_ = [e.split("@", 1)[0] for e in whole if "@" in e]
    return _bounded(whole), _bounded(locals_)


def tax_id_key(tax_id: str) -> str:
    return _NON_ALNUM.sub("", unicodedata.normalize("NFKC", tax_id)).upper()


def query_tax_id(q: str) -> str | None:
    """The tax-id key a query is looked up (and marked) as, if it could be one: 6+ characters with
    a digit."""
    tax = tax_id_key(q)
    return tax if len(tax) >= 6 and any(ch.isdigit() for ch in tax) else None


def ends_in_ideograph(folded: str) -> bool:
    """Whether the last token is an ideograph: a phrase-prefix on it is the phrase itself."""
    return bool(_ENDS_IN_IDEOGRAPH.search(folded))


def tag_terms(tags: Iterable[str]) -> list[str]:
    return _bounded(fold(tag) for tag in tags)


# An amount as typed: currency sign or code around it, thousands separators, "元".
_AMOUNT_MARKS = re.compile(r"^(?:[a-z]{3}|[¥$€£])\s*|\s*(?:[a-z]{3}|元)$|[,\s]")
_AMOUNT = re.compile(r"^\d{1,15}(?:\.\d{1,4})?$")


def amount_key(value: Decimal) -> str:
    """One spelling per amount, whatever the scale: 12345.00 and 12345 → ``"12345"``, 0.50 → ``"0.5"``."""
    return f"{value.normalize():f}"


def amount_terms(values: Iterable[Decimal]) -> list[str]:
    """The keys of a record's amounts (its total, its lines' prices), for exact amount search."""
    return _bounded(amount_key(v) for v in values)


def query_amount(text: str) -> str | None:
    """The amount key of a query that is an amount ("¥12,345.00", "USD 1234.5", "12345元"), else None."""
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    if not any(ch.isdigit() for ch in folded):
        return None
    bare = _AMOUNT_MARKS.sub("", folded)
    if not _AMOUNT.match(bare):
        return None
    try:
        return amount_key(Decimal(bare))
    except InvalidOperation:
        return None
