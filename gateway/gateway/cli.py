"""``python -m gateway.cli``: administration from the shell.

migrate                                     bring the gateway database to the newest schema
create-admin --username X --password-stdin  create an administrator (password read from stdin)
seed-demo                                   demo teams, users (PANORAMA_DEMO_PASSWORD) and customers
sync-users                                  push every user to the services' directory replicas
publish-users                               queue user.upserted for every user (identity.events)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from kernel.errors import PanoramaError
from kernel.logs import configure_logging

from gateway.auth.directory import Directory
from gateway.auth.replication import UserReplicator
from gateway.auth.sql_store import SqlUserStore
from gateway.db import create_sessions, migrate
from gateway.rpc import PikaRpcClient
from gateway.rpc_errors import RpcError
from gateway.seed import seed_demo
from gateway.services.customers.client import CustomersClient
from gateway.settings import GatewaySettings


@contextmanager
def open_directory(settings: GatewaySettings) -> Iterator[Directory]:
    engine, sessions = create_sessions(settings.gateway_database_url, pool_size=2)
    try:
        migrate(engine)
        yield Directory(SqlUserStore(sessions), default_timezone=settings.default_timezone)
    finally:
        engine.dispose()


@contextmanager
def open_rpc(settings: GatewaySettings) -> Iterator[PikaRpcClient]:
    rpc = PikaRpcClient(
        settings.rabbitmq_url, timeout=settings.rpc_timeout_seconds, client_name="gateway-cli"
    )
    rpc.start()
    rpc.wait_connected(5)
    try:
        yield rpc
    finally:
        rpc.stop()


def cmd_migrate(settings: GatewaySettings, args: argparse.Namespace) -> int:
    engine, _ = create_sessions(settings.gateway_database_url, pool_size=1)
    try:
        migrate(engine)
    finally:
        engine.dispose()
    print("gateway database is up to date")
    return 0


def cmd_create_admin(settings: GatewaySettings, args: argparse.Namespace) -> int:
    if not args.password_stdin:
        print(
            "pass --password-stdin and the password on standard input (never on the command line)",
            file=sys.stderr,
        )
        return 2
    password = sys.stdin.readline().rstrip("\r\n")
    with open_directory(settings) as directory:
        existing = directory.get_by_username(args.username)
        if existing is not None:
            if "admin" in existing.roles:
                print(f"admin {existing.username} already exists ({existing.id})")
                return 0
            print(
                f"user {existing.username} exists but is not an admin; change roles via the API",
                file=sys.stderr,
            )
            return 1
        user = directory.create_user(
            username=args.username, password=password, display_name=args.display_name, roles=["admin"]
        )
        print(f"created admin {user.username} ({user.id})")
        with open_rpc(settings) as rpc:
            replicated = asyncio.run(
                UserReplicator(rpc, directory, services=settings.replica_services).replicate(user)
            )
        if not replicated:
            print(
                "warning: customers service unreachable; the gateway syncs users when it starts",
                file=sys.stderr,
            )
    return 0


def cmd_seed_demo(settings: GatewaySettings, args: argparse.Namespace) -> int:
    with open_directory(settings) as directory, open_rpc(settings) as rpc:
        report = asyncio.run(
            seed_demo(
                directory,
                UserReplicator(rpc, directory, services=settings.replica_services),
                CustomersClient(rpc, settings.customers_service),
                settings.demo_password,
                rpc,
            )
        )
    for line in report.lines:
        print(line)
    print(
        f"done: {report.teams_created} teams, {report.users_created} users, "
        f"{report.customers_created} customers created ({report.customers_skipped} already there)"
    )
    return 0


def cmd_sync_users(settings: GatewaySettings, args: argparse.Namespace) -> int:
    with open_directory(settings) as directory, open_rpc(settings) as rpc:
        count = asyncio.run(UserReplicator(rpc, directory, services=settings.replica_services).sync_all())
    print(f"replicated {count} users")
    return 0


def cmd_publish_users(settings: GatewaySettings, args: argparse.Namespace) -> int:
    engine, sessions = create_sessions(settings.gateway_database_url, pool_size=1)
    try:
        migrate(engine)
        count = SqlUserStore(sessions).republish_users()
    finally:
        engine.dispose()
    print(f"queued user.upserted for {count} users (gateway.relay publishes them)")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m gateway.cli", description="Panorama gateway administration"
    )
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="alembic upgrade head").set_defaults(run=cmd_migrate)
    admin = commands.add_parser("create-admin", help="create an administrator")
    admin.add_argument("--username", required=True)
    admin.add_argument("--display-name", default=None)
    admin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    admin.set_defaults(run=cmd_create_admin)
    commands.add_parser("seed-demo", help="demo teams, users and customers").set_defaults(run=cmd_seed_demo)
    commands.add_parser("sync-users", help="replicate users to the services").set_defaults(run=cmd_sync_users)
    commands.add_parser(
        "publish-users", help="queue every user's state on identity.events (a new consumer catches up)"
    ).set_defaults(run=cmd_publish_users)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = GatewaySettings()
    configure_logging("gateway-cli", "WARNING", json_output=False)
    try:
        return int(args.run(settings, args))
    except PanoramaError as exc:
        fields = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
        print(
            f"error: {exc.detail}" + (f" ({fields})" if fields and fields != exc.detail else ""),
            file=sys.stderr,
        )
        return 1
    except RpcError as exc:
        print(f"error: {exc.detail} - is it running? (deploy/local/up.sh, make run)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
