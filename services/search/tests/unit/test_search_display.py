from typing import Any

from search import display
from search.record import doc_seq


def hit(shown: dict[str, Any] | None) -> dict[str, Any]:
    fields = {"fields": {"display": [display.encode(shown)]}} if shown is not None else {}
    return {"_score": 1.0, "sort": [1.0, 1767225600000, 42], **fields}


def test_encode_keeps_only_the_shown_fields_and_decode_reads_them_back():
    document = {"kind": "quote", "title": "报价", "version": 2, "pinyin": ["baojia"], "acl": ["u"]}
    blob = display.encode(document)
    assert display.decode({"fields": {"display": [blob]}}) == {"kind": "quote", "title": "报价", "version": 2}
    assert display.decode({"_score": 1.0}) is None


def test_hits_get_their_blob_as_source_and_a_hit_without_one_makes_the_page_legacy():
    hits = [hit({"kind": "customer", "title": "新客户"})]
    assert display.hydrate(hits) is True
    assert hits[0]["_source"] == {"kind": "customer", "title": "新客户"}
    legacy = [hit({"kind": "customer", "title": "新客户"}), hit(None)]
    assert display.hydrate(legacy) is False
    assert display.hydrate([]) is True


def test_every_field_the_results_read_is_in_the_blob():
    shown = set(display.FIELDS)
    assert {"kind", "id", "customer_id", "status", "updated_at", "orig", "version", "is_final"} <= shown
    assert {"title", "alt_names", "customer_name", "body", "tax_id"} <= shown


def test_the_sort_tiebreaker_is_a_stable_signed_long_per_document():
    seqs = {doc_seq(f"customer:{n}") for n in range(10_000)}
    assert len(seqs) == 10_000
    assert all(-(2**63) <= s < 2**63 for s in seqs)
    assert doc_seq("customer:1") == doc_seq("customer:1") != doc_seq("contact:1")
