"""Accounts from the command line: the first admin of a new deployment, and the demo's accounts.

``account-add`` is how a deployment gets its first admin (who then opens everyone else's account
in the API or the console); it is recorded by the platform's provisioning actor, and the person
must change the printed initial password at first login (ADR 0012).
"""

from __future__ import annotations

import argparse
import secrets

from services.demo_accounts import FILE, provision
from services.platform import Platform
from shared.capabilities.identity import passwords
from shared.capabilities.identity.provision import ensure_account
from shared.infrastructure.settings import Settings
from shared.kernel.domain import DomainError
from shared.kernel.jurisdiction import Tier


def add_arguments(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    add = sub.add_parser(
        "account-add", help="open an account (e.g. a deployment's first admin); prints its password"
    )
    add.add_argument("--tier", required=True, choices=[str(t) for t in Tier])
    add.add_argument("--division", help="12-digit division code (default: the county)")
    add.add_argument("--username", required=True)
    add.add_argument("--name", required=True, help="the person's name")
    add.add_argument("--roles", default="admin", help="comma-separated, e.g. admin,operator")
    sub.add_parser(
        "demo-accounts",
        help="open one account per division and role, passwords in <data dir>/demo-accounts.json",
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    platform = Platform.build(settings)
    try:
        if args.command == "demo-accounts":
            rows = provision(platform)
            print(f"[sanji] {len(rows)} demo accounts: {settings.data_dir / FILE}")
            return 0
        tier = Tier(args.tier)
        division = args.division or platform.jurisdiction.county.code
        roles = tuple(r.strip() for r in args.roles.split(",") if r.strip())
        password = secrets.token_urlsafe(12)
        app = platform.tiers[tier].app
        if app.account_named(args.username) is not None:
            print(f"[sanji] {tier} account {args.username} exists already")
            return 1
        try:
            account = ensure_account(
                app,
                args.username,
                args.name,
                division,
                roles,
                passwords.hash_password(password),
                must_change_password=True,
            )
        except DomainError as e:
            print(f"[sanji] {e.code}: {e.message}")
            return 1
        print(f"[sanji] {tier} account {account.username} ({account.name}, {', '.join(roles)})")
        print(f"  initial password (change it at first login): {password}")
        return 0
    finally:
        platform.stop()
