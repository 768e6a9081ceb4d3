from typing import Any

from search import display


def hit(doc_id: str, shown: dict[str, Any] | None) -> dict[str, Any]:
    fields = {"fields": {"display": [display.encode(shown)]}} if shown is not None else {}
    return {"_score": 1.0, "sort": [1.0, "2026-01-01", doc_id], **fields}


def test_encode_keeps_only_the_shown_fields_and_decode_reads_them_back():
    blob = display.encode(
        {"kind": "quote", "title": "报价", "version": 2, "pinyin": ["baojia"], "acl": ["u"]}
    )
    assert display.decode({"fields": {"display": [blob]}}) == {"kind": "quote", "title": "报价", "version": 2}
    assert display.decode({"_score": 1.0}) is None


def test_hits_without_a_blob_are_read_from_source_in_one_call_and_the_others_are_not():
    calls: list[list[str]] = []

    def read(doc_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        calls.append(doc_ids)
        return {"customer:old": {"kind": "customer", "title": "旧客户"}}

    hits = [
        hit("customer:new", {"kind": "customer", "title": "新客户"}),
        hit("customer:old", None),
        hit("customer:gone", None),
    ]
    display.hydrate(hits, lambda h: h["sort"][-1], read)
    assert calls == [["customer:old", "customer:gone"]]
    assert [h["_source"].get("title") for h in hits] == ["新客户", "旧客户", None]


def test_a_page_of_blobs_needs_no_read():
    def read(doc_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        raise AssertionError(f"read {doc_ids}")

    hits = [hit("customer:a", {"kind": "customer"})]
    display.hydrate(hits, lambda h: h["sort"][-1], read)
    assert hits[0]["_source"] == {"kind": "customer"}


def test_every_field_the_results_read_is_in_the_blob():
    assert {"kind", "id", "customer_id", "status", "updated_at", "orig", "version", "is_final"} <= set(
        display.FIELDS
    )
    assert {"title", "alt_names", "customer_name", "body", "tax_id"} <= set(display.FIELDS)
