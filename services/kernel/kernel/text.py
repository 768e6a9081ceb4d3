"""Chinese/Latin text normalisation shared by duplicate detection and search enrichment.

NFKC folds full-width forms (ＡＢＣ１２３ → ABC123); OpenCC folds Traditional to Simplified;
company-form suffixes (有限公司, Co., Ltd. …) are legal boilerplate, not identity.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_T2S = opencc.OpenCC("t2s")


def _t2s_triggers(converter: opencc.OpenCC) -> frozenset[str] | None:
    """Characters without which ``converter`` leaves a text unchanged: the keys of its character
    table, plus the characters of any rewritten phrase that has none of those (a phrase can only
    match where all its characters are). None (always convert) if the package's tables are not
    laid out as expected."""
    try:
        converter.convert("")  # loads the tables
        tables = [table for group in converter._dict_chain_data for _longest, _shortest, table in group]
        characters = {key for table in tables for key in table if len(key) == 1}
        for table in tables:
            for key, value in table.items():
                if len(key) > 1 and key != value and characters.isdisjoint(key):
                    characters.update(key)
        return frozenset(characters)
    except (AttributeError, TypeError, ValueError):
        return None


_T2S_TRIGGERS = _t2s_triggers(_T2S)


def t2s(text: str) -> str:
    """Traditional → Simplified. OpenCC's pure-Python conversion is the costliest step of indexing
    a document; a text without a single character it could rewrite (nearly all Simplified and
    Latin text) comes back unchanged, so it is not handed over at all."""
    if _T2S_TRIGGERS is not None and _T2S_TRIGGERS.isdisjoint(text):
        return text
    return str(_T2S.convert(text))


# Longest first so 股份有限公司 is stripped before 有限公司.
COMPANY_SUFFIXES = sorted(
    {
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "集团有限公司",
        "集团股份有限公司",
        "集团公司",
        "集团",
        "分公司",
        "总公司",
        "公司",
        "工作室",
        "合伙企业",
        "有限合伙",
        "事务所",
        "商行",
        "厂",
        "co., ltd.",
        "co.,ltd.",
        "co. ltd.",
        "co ltd",
        "company limited",
        "limited",
        "ltd.",
        "ltd",
        "inc.",
        "inc",
        "corporation",
        "corp.",
        "corp",
        "llc",
        "gmbh",
        "plc",
        "co.",
        "group",
    },
    key=len,
    reverse=True,
)
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """NFKC + Traditional→Simplified + lower case: the form every comparison uses."""
    return t2s(unicodedata.normalize("NFKC", text)).lower().strip()


def strip_company_suffix(folded: str) -> str:
    """Remove trailing company-form words (repeatedly: "A科技集团有限公司" → "a科技")."""
    name = folded.strip()
    changed = True
    while changed and name:
        changed = False
        for suffix in COMPANY_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)].rstrip(" ,.-")
                changed = True
                break
    # A parenthesised place qualifier is not identity either: "A科技(北京)" vs "A科技".
    name = re.sub(r"[(（][^()（）]*[)）]$", "", name).strip()
    return name


def company_key(name: str) -> str:
    """Normalised identity of a company name for duplicate detection."""
    return _PUNCT.sub("", strip_company_suffix(fold(name)))


def digits_only(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
