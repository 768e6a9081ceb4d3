import pytest
from search.bulk import OpResult, Outcome, classify_item, interpret, operations
from search.documents import IndexOp

OPS = [IndexOp("customer:1", 3, {"kind": "customer"}), IndexOp("contact:2", 5, {"kind": "contact"})]


def item(status: int, error_type: str = "") -> dict:
    body: dict = {"_index": "i", "status": status}
    if error_type:
        body["error"] = {"type": error_type, "reason": "because"}
    return {"index": body}


def test_operations_write_every_op_to_every_target_with_external_versions():
    lines = operations(OPS, ["alias", "alias-building"])
    assert len(lines) == 8
    assert lines[0] == {
        "index": {"_index": "alias", "_id": "customer:1", "version": 3, "version_type": "external"}
    }
    assert lines[2]["index"]["_index"] == "alias-building" and lines[3] == {"kind": "customer"}


@pytest.mark.parametrize(
    ("status", "error", "primary", "expected"),
    [
        (201, "", True, Outcome.INDEXED),
        (200, "", True, Outcome.INDEXED),
        (409, "version_conflict_engine_exception", True, Outcome.STALE),
        (429, "es_rejected_execution_exception", True, Outcome.RETRY),
        (503, "unavailable_shards_exception", True, Outcome.RETRY),
        (400, "document_parsing_exception", True, Outcome.POISON),
        (404, "index_not_found_exception", True, Outcome.RETRY),
        (404, "index_not_found_exception", False, None),
    ],
)
def test_classify_item(status, error, primary, expected):
    result = classify_item(item(status, error), primary)
    assert (result.outcome if result else None) == expected


def test_interpret_folds_targets_worst_first():
    response = {
        "items": [
            item(201), item(503, "unavailable_shards_exception"),  # primary ok, building down → retry
            item(409, "version_conflict_engine_exception"), item(404, "index_not_found_exception"),  # stale
        ]
    }  # fmt: skip
    assert [r.outcome for r in interpret(OPS, ["a", "b"], response)] == [Outcome.RETRY, Outcome.STALE]


def test_interpret_reports_the_mapper_error():
    results = interpret(OPS[:1], ["a"], {"items": [item(400, "document_parsing_exception")]})
    assert results == [OpResult(Outcome.POISON, "400 document_parsing_exception: because")]


def test_interpret_refuses_a_short_answer():
    with pytest.raises(ValueError):
        interpret(OPS, ["a"], {"items": [item(201)]})
