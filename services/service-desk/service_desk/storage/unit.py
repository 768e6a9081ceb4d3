"""The service_desk unit of work on PostgreSQL: the session (per-area repositories take it), the
outbox, the audit log, and the customers service port."""

from __future__ import annotations

from kernel.identity import Caller
from kernel.replicas import CustomersPort
from kernel.uow import SqlUnitOfWork, Units
from sqlalchemy.orm import Session, sessionmaker

from service_desk.contracts.common import SERVICE
from service_desk.storage.models import audit_log, outbox


class ServiceDeskUnit(SqlUnitOfWork):
    def __init__(self, sessions: sessionmaker[Session], caller: Caller, customers: CustomersPort) -> None:
        super().__init__(sessions, caller, service=SERVICE, outbox=outbox, audit_log=audit_log)
        self.customers = customers


def sql_units(sessions: sessionmaker[Session], customers: CustomersPort) -> Units[ServiceDeskUnit]:
    """Units of work on the service_desk database (retried on serialization failure or deadlock)."""
    return Units(lambda caller: ServiceDeskUnit(sessions, caller, customers))
