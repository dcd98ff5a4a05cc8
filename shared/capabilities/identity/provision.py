"""Accounts the platform opens by itself: the demo's, the command line's, the tests'.

They are recorded like an admin's, under the provisioning actor (a county-wide admin that is
the platform itself), so the log says the platform opened them and when.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from shared.capabilities.identity.accounts import Account, account_id
from shared.capabilities.identity.tokens import Keyring
from shared.kernel.domain import Actor, Meta
from shared.kernel.jurisdiction import Tier

PROVISIONER_ROLE = "system"


def provisioner(county_code: str) -> Actor:
    return Actor(
        "sanji-provision",
        Tier.COUNTY,
        county_code,
        PROVISIONER_ROLE,
        "平台初始化 / provisioning",
        ("admin",),
    )


def ensure_account(
    app: Any,
    username: str,
    name: str,
    division: str,
    roles: tuple[str, ...],
    password_hash: str,
    must_change_password: bool = False,
) -> Account:
    """The account ``username`` of ``app``'s tier: opened if missing; its name and roles set to
    these if they differ (recorded as changes)."""
    meta = Meta(
        actor=provisioner(app.jurisdiction.county.code),
        effective_at=app.clock(),
        correlation_id=f"provision:{uuid4()}",
    )
    account = app.account(account_id(app.tier, username))
    if account is None:
        app.create_account(
            username, name, division, roles, password_hash, meta, must_change_password
        )
    elif tuple(account.roles) != tuple(roles) or account.name != name:
        app.change_account(account.id, name, roles, meta)
    found: Account = app.account(account_id(app.tier, username))
    return found


def reset(app: Any, account: Account, password_hash: str) -> Account:
    """A new password for a provisioned account whose password was lost (demo file deleted)."""
    meta = Meta(
        actor=provisioner(app.jurisdiction.county.code),
        effective_at=app.clock(),
        correlation_id=f"provision:{uuid4()}",
    )
    account.set_password(password_hash, False, meta)
    app.save(account)
    return account


def token_for(
    keyring: Keyring, account: Account, now: datetime, lifetime: timedelta | None = None
) -> str:
    """A token for ``account`` minted by the holder of the signing key (scripts, tests)."""
    token, _ = keyring.mint(
        account_id=str(account.id),
        tier=account.tier,
        division=account.division,
        roles=tuple(account.roles),
        name=account.name,
        version=account.security_version,
        now=now,
        lifetime=lifetime,
    )
    return token
