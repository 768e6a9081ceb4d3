from search.results import shape_search, shape_suggest, snippet


def hit(doc_id: str, highlight=None, orig=None, sort=None) -> dict:
    source = {
        "kind": "customer",
        "id": doc_id,
        "customer_id": doc_id,
        "status": "active",
        "updated_at": "2026-01-01T00:00:00Z",
        "orig": orig or {"title": "T", "customer_name": "C"},
    }
    return {
        "_id": doc_id,
        "_score": 2.5,
        "_source": source,
        "highlight": highlight or {},
        "sort": sort or [2.5, 1, doc_id],
    }


def test_snippet_prefers_body_and_merges_adjacent_ideographs():
    h = hit("1", highlight={"title": ["A<em>科</em><em>技</em>"], "body": ["买 <em>科</em><em>技</em>"]})
    assert snippet(h) == "买 <em>科技</em>"
    assert (
        snippet(hit("1", highlight={"title": ["A<em>科</em><em>技</em>有限公司"]}))
        == "A<em>科技</em>有限公司"
    )


def test_snippet_falls_back_to_an_escaped_summary():
    assert (
        snippet(hit("1", orig={"title": "<b>x</b>", "summary": "a & <i>b</i>"}))
        == "a &amp; &lt;i&gt;b&lt;/i&gt;"
    )
    assert snippet(hit("1", orig={"title": "<b>x</b>"})) == "&lt;b&gt;x&lt;/b&gt;"


def test_shape_search_trims_the_probe_hit_and_keeps_the_last_sort():
    body = {
        "hits": {"total": {"value": 3}, "hits": [hit("1"), hit("2"), hit("3")]},
        "aggregations": {"kind": {"buckets": [{"key": "customer", "doc_count": 3}]}},
    }
    page = shape_search(body, 2)
    assert [i["id"] for i in page["items"]] == ["1", "2"]
    assert page["_last_sort"] == [2.5, 1, "2"]
    assert page["facets"] == {"kind": {"customer": 3}} and page["total"] == 3
    assert page["items"][0] == {
        "kind": "customer", "id": "1", "customer_id": "1", "customer_name": "C", "title": "T",
        "snippet": "T", "score": 2.5, "updated_at": "2026-01-01T00:00:00Z", "status": "active",
    }  # fmt: skip
    assert shape_search(body, 3)["_last_sort"] is None


def test_shape_suggest():
    assert shape_suggest({"hits": {"hits": [hit("1")]}}) == [
        {"kind": "customer", "id": "1", "customer_id": "1", "title": "T", "customer_name": "C"}
    ]
