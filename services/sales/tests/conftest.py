from customers_testkit import customer, customers_engine, hub, servers, sessions  # noqa: F401  (fixtures)
from sales_testkit import sales, sales_engine, sales_process, sales_sessions  # noqa: F401  (fixtures)
