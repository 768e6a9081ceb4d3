"""Search, the gateway and the services' contracts agree on the record kinds, their labels and links.

The contracts' ``SEARCH_KINDS`` are the one source; search's registry and the gateway's labels,
links and group order are derived from them, and the gateway never imports the search package.
"""

from __future__ import annotations

import subprocess
import sys

from gateway.kinds import SEARCH_KINDS
from gateway.services.search.web import KIND_ORDER, group_by_kind
from gateway.web.labels import LABELS
from gateway.web.templating import record_href
from kernel import registry
from search.kinds import KNOWN_KINDS, REGISTRY

PUBLISHED = [kind for service in registry.SERVICES for kind in registry.search_kinds(service)]


def test_gateway_and_search_know_the_same_kinds_in_the_same_order():
    assert tuple(SEARCH_KINDS) == KNOWN_KINDS == KIND_ORDER
    assert {k: s.contract for k, s in REGISTRY.items()} == SEARCH_KINDS


def test_labels_and_links_are_the_contracts():
    assert LABELS["kind"] == {k.kind: k.label for k in PUBLISHED}
    assert {"customer", "quote"} <= set(LABELS["kind"])
    for kind in PUBLISHED:
        assert record_href(kind.kind, "r/1", "c 1") == kind.href("r/1", "c 1")
    assert record_href("customer", "c1", "c1") == "/customers/c1"
    assert record_href("follow_up", "f1", "c1") == "/customers/c1#follow-up-f1"
    assert record_href("contact", "x1", None) == "#"  # no page to anchor on
    assert record_href("planet", "p1", "c1") == "/customers/c1"  # unknown kind: its customer
    assert record_href(None, None, None) == "#"


def test_groups_follow_the_published_order_and_unknown_kinds_come_last():
    items = [{"kind": k, "id": k} for k in ("zeta", "task", "customer", "contact")]
    assert [kind for kind, _ in group_by_kind(items)] == ["customer", "contact", "task", "zeta"]


def test_the_gateway_does_not_import_the_search_package():
    probe = "import sys, gateway.main; print(sorted(m for m in sys.modules if m.split('.')[0] == 'search'))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
