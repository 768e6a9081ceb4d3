from gateway_stack import gateway_engine, gateway_sessions, servers  # noqa: F401  (fixtures)
