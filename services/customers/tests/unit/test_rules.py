import pytest
from customers.domain import rules
from kernel.errors import PermissionDenied
from kernel.identity import Caller

OWNED = rules.Ownership(owner_id="s1", team_id="t1")
sales1 = Caller("s1", ("sales",), "t1")
sales2 = Caller("s2", ("sales",), "t2")
manager1 = Caller("m1", ("manager",), "t1")
manager2 = Caller("m2", ("manager",), "t2")
admin = Caller("a", ("admin",), None)
finance = Caller("f", ("finance",), None)


@pytest.mark.parametrize(
    ("caller", "read", "basics", "write"),
    [
        (sales1, True, True, True),
        (sales2, False, False, False),
        (manager1, True, True, True),
        (manager2, False, False, False),
        (admin, True, True, True),
        (finance, False, True, False),
    ],
)
def test_visibility_matrix(caller, read, basics, write):
    assert rules.can_read(caller, OWNED) is read
    assert rules.can_read(caller, OWNED, basics=True) is basics
    assert rules.can_write(caller, OWNED) is write


def test_assignment_limits():
    rules.require_can_assign(manager1, "t1", "s9")
    rules.require_can_assign(sales1, "t1", "s1")
    with pytest.raises(PermissionDenied):
        rules.require_can_assign(sales1, "t1", "s9")
    with pytest.raises(PermissionDenied):
        rules.require_can_assign(manager1, "t2", "s2")


def test_diff_lists_changed_fields_only():
    assert rules.diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}
