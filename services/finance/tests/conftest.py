from customers_testkit import customer, customers_engine, hub, servers, sessions  # noqa: F401  (fixtures)
from finance_testkit import finance, finance_engine, finance_sessions  # noqa: F401  (fixtures)
