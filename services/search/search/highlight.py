"""What matched, marked in a hit's own text: done here, on the page being returned, not by
Elasticsearch.

Elasticsearch's highlighter ran every field's phrase queries again for each of the page's hits:
about 60 % of a search's time on the server for a Chinese query (科技 took 7 ms with it, 2 without,
on 5,000 customers). The text fields use the ``standard`` analyser, whose tokens this module
reproduces closely enough to mark the same characters: one token per ideograph, Latin and digit
words in lower case (joined across ``.``/``'`` inside a word, as UAX #29 does). The rules follow
the query's text clauses (``query.text_clauses``):

* ``title``: the query as a phrase, its last word also as a prefix (typeahead: "acme tra"), and
  every query word when all of them occur (the all-words clause);
* ``alt_names`` and ``customer_name``: the phrase;
* ``body``: the phrase and, when all occur, every query word; one fragment of about
  ``FRAGMENT_SIZE`` characters: the sentence (or the piece of a long sentence) with most marks;
* ``tax_id``: the whole value when it is the query's tax-id key.

Fuzzy matches are not marked (a typo match shows the record's name as is), nor are prefix,
pinyin or identity matches (phones and e-mails are marked by ``results`` from the named query).
Output has Elasticsearch's ``highlight`` shape, HTML-escaped with ``<em>`` marks, adjacent marks
joined, so ``results`` reads it unchanged.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kernel.text import fold

from search import enrich

FRAGMENT_SIZE = 120
MARKED_FIELDS = ("title", "alt_names", "customer_name", "body", "tax_id")
# Tokens of the standard analyser: one per ideograph; a Latin/digit word otherwise, kept whole
# across an apostrophe or a dot between letters or digits ("o'neil", "tech.cn", "3.14").
_IDEOGRAPH = enrich.IDEOGRAPHS
_WORD_CHAR = rf"[^\W_{_IDEOGRAPH}]"
_TOKEN = re.compile(rf"[{_IDEOGRAPH}]|{_WORD_CHAR}+(?:['.’]{_WORD_CHAR}+)*")
_IDEOGRAPHS_ONLY = re.compile(rf"[{_IDEOGRAPH}]+$")
# Where a passage may end: after sentence punctuation (and the space after Latin punctuation), or
# at a line break.
_SENTENCE_END = re.compile(r"[。！？；!?;]+|[.]+(?=\s)|\n+")

Span = tuple[int, int]


@dataclass(frozen=True)
class Token:
    text: str  # lower case
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    return [Token(m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


@dataclass(frozen=True)
class Marking:
    """What one query marks, prepared once per search."""

    words: tuple[str, ...]
    prefix_last: bool  # the title's phrase may end on a prefix of its last word
    tax_id: str | None
    # The query's ideographs as one string when it has nothing else: each ideograph is a token,
    # so its phrase is that substring and its words those characters, found without tokenising.
    ideographs: str | None = None

    @classmethod
    def of(cls, q: str) -> Marking:
        folded = fold(q)
        words = tuple(t.text for t in tokens(folded))
        joined = "".join(words)
        return cls(
            words,
            bool(words) and not enrich.ends_in_ideograph(folded),
            enrich.query_tax_id(q),
            joined if joined and _IDEOGRAPHS_ONLY.match(joined) else None,
        )

    def highlight(self, source: dict[str, Any]) -> dict[str, list[str]]:
        """``{field: [fragment]}`` for the fields of ``source`` (a hit's indexed copies) with a
        mark; the shape of Elasticsearch's ``highlight``."""
        out: dict[str, list[str]] = {}
        if self.words:
            title = source.get("title")
            if isinstance(title, str) and (spans := self.spans(title, words=True, prefix=True)):
                out["title"] = [render(title, spans)]
            for value in _strings(source.get("alt_names")):
                if spans := self.spans(value):
                    out["alt_names"] = [render(value, spans)]
                    break
            name = source.get("customer_name")
            if isinstance(name, str) and (spans := self.spans(name)):
                out["customer_name"] = [render(name, spans)]
            body = source.get("body")
            if isinstance(body, str) and (spans := self.spans(body, words=True)):
                out["body"] = [fragment(body, spans)]
        tax_id = source.get("tax_id")
        if self.tax_id and isinstance(tax_id, str) and tax_id == self.tax_id:
            out["tax_id"] = [render(tax_id, [(0, len(tax_id))])]
        return out

    def spans(self, text: str, *, words: bool = False, prefix: bool = False) -> list[Span]:
        """Where the phrase (its last word a prefix if ``prefix``) and, if ``words``, each query
        word (when all occur) are in ``text``."""
        lowered = text.lower()
        if any(word not in lowered for word in self.words):  # the common case, and cheap
            return []
        if self.ideographs is not None and len(lowered) == len(text):  # every ideograph is a token
            spans = _occurrences(lowered, self.ideographs)
            if words and len(self.words) > 1:
                spans += [span for word in set(self.words) for span in _occurrences(lowered, word)]
            return spans
        found = tokens(text)
        spans = phrase_spans(found, self.words, prefix_last=prefix and self.prefix_last)
        return spans + word_spans(found, self.words) if words and len(self.words) > 1 else spans


def _occurrences(text: str, sub: str) -> list[Span]:
    spans, at = [], text.find(sub)
    while at >= 0:
        spans.append((at, at + len(sub)))
        at = text.find(sub, at + len(sub))
    return spans


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return (v for v in value if isinstance(v, str))
    return ()


def phrase_spans(found: Sequence[Token], words: Sequence[str], *, prefix_last: bool = False) -> list[Span]:
    """Each run of tokens spelling ``words`` in order (the last may be a prefix of its token)."""
    n = len(words)
    spans = []
    for i in range(len(found) - n + 1):
        head = found[i : i + n - 1]
        last = found[i + n - 1].text
        if all(t.text == w for t, w in zip(head, words[:-1], strict=True)) and (
            last == words[-1] or (prefix_last and last.startswith(words[-1]))
        ):
            spans.append((found[i].start, found[i + n - 1].end))
    return spans


def word_spans(found: Sequence[Token], words: Sequence[str]) -> list[Span]:
    """Every occurrence of a query word, when each of them occurs (the all-words clause)."""
    wanted = set(words)
    present = {t.text for t in found if t.text in wanted}
    if present != wanted:
        return []
    return [(t.start, t.end) for t in found if t.text in wanted]


def merged(spans: Iterable[Span]) -> list[Span]:
    """Sorted, overlapping and touching spans joined (adjacent ideographs mark as one)."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def _escape(text: str) -> str:
    # Most text has nothing to escape; html.escape always makes five passes.
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return html.escape(text)
    return text


def render(text: str, spans: Iterable[Span], start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` HTML-escaped, ``spans`` (inside it) wrapped in ``<em>``."""
    stop = len(text) if end is None else end
    out, at = [], start
    for s, e in merged(spans):
        out += [_escape(text[at:s]), "<em>", _escape(text[s:e]), "</em>"]
        at = e
    out.append(_escape(text[at:stop]))
    return "".join(out)


def passages(text: str, size: int = FRAGMENT_SIZE) -> list[Span]:
    """Sentences, a sentence longer than ``size`` cut at the first token boundary past it."""
    cuts = [m.end() for m in _SENTENCE_END.finditer(text)]
    bounds = [0, *[c for c in cuts if 0 < c < len(text)], len(text)]
    out: list[Span] = []
    for start, end in itertools.pairwise(bounds):
        while end - start > size:
            cut = start + size
            while cut < end and _inside_word(text, cut):
                cut += 1
            out.append((start, cut))
            start = cut
        if start < end:
            out.append((start, end))
    return out


def _inside_word(text: str, at: int) -> bool:
    """Whether ``at`` falls inside a Latin/digit word (between ideographs every point is a
    token boundary)."""
    pair = text[at - 1 : at + 1]
    return len(pair) == 2 and all(ch.isalnum() and not enrich.has_cjk(ch) for ch in pair)


def fragment(text: str, spans: list[Span], size: int = FRAGMENT_SIZE) -> str:
    """The passage with the most marks (the first of equals), marked; a mark a cut would split
    keeps its passage going to the mark's end."""
    marks = merged(spans)
    best: tuple[int, int, int] | None = None  # (marks, start, end)
    for start, end in passages(text, size):
        inside = [(s, e) for s, e in marks if start <= s < end]
        if inside and (best is None or len(inside) > best[0]):
            best = (len(inside), start, max(end, inside[-1][1]))
    if best is None:
        return ""
    _, start, end = best
    shown = [(s, min(e, end)) for s, e in marks if start <= s < end]
    # Leading and trailing whitespace of the passage is not shown.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return render(text, shown, start, end)
