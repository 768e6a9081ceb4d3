"""Elasticsearch field types the mapping is built from (common fields and each kind's fragment)."""

from __future__ import annotations

from typing import Any

KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 256}
TEXT: dict[str, Any] = {"type": "text", "analyzer": "standard"}
DATE: dict[str, Any] = {"type": "date"}
LONG: dict[str, Any] = {"type": "long"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
# Not searchable; read back per hit from doc values (search.display).
BINARY_DOC_VALUES: dict[str, Any] = {"type": "binary", "doc_values": True}
