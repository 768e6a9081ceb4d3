from customers_testkit import customers_engine, hub, servers, sessions  # noqa: F401  (fixtures)
