"""Request and response bodies of the REST API (requests forbid unknown fields)."""
