from unittest.mock import MagicMock

import pytest
from kernel.errors import PermissionDenied
from kernel.identity import Caller
from nameko.testing.services import worker_factory
from search.service import SearchService


def test_search_passes_a_typed_caller_to_the_engine():
    service = worker_factory(SearchService, engine=MagicMock())
    service.engine.search.return_value = {"items": []}
    assert service.search(Caller("u1", ("sales",), "t1").to_payload(), "科技", kinds=["task"]) == {
        "items": []
    }
    service.engine.search.assert_called_once_with(
        Caller("u1", ("sales",), "t1"), "科技", ["task"], None, None, None, 20, None, False
    )


def test_suggest_and_ping():
    service = worker_factory(SearchService, engine=MagicMock())
    service.engine.suggest.return_value = [{"id": "1"}]
    assert service.suggest(Caller("u1", ("admin",)).to_payload(), "ak", limit=3) == [{"id": "1"}]
    service.engine.suggest.assert_called_once_with(Caller("u1", ("admin",), None), "ak", 3)
    assert service.ping() == "pong"


@pytest.mark.parametrize(
    "caller",
    [None, {}, {"user_id": "u1", "roles": ["emperor"]}, {"user_id": "system", "roles": ["system"]}],
)
def test_a_missing_or_bad_caller_is_permission_denied(caller):
    service = worker_factory(SearchService, engine=MagicMock())
    with pytest.raises(PermissionDenied):
        service.search(caller, "x")
    service.engine.search.assert_not_called()
