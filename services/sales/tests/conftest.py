from customers_testkit import customers_engine, hub, servers, sessions  # noqa: F401  (fixtures)
from sales_testkit import customer, sales, sales_engine, sales_sessions  # noqa: F401  (fixtures)
