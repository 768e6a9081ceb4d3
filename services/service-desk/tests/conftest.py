from customers_testkit import customer, customers_engine, hub, servers, sessions  # noqa: F401  (fixtures)
from service_desk_testkit import desk, desk_engine, desk_sessions  # noqa: F401  (fixtures)
