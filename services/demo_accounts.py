"""The demo's accounts: one per division and role, with generated passwords (ADR 0012).

``<data dir>/demo-accounts.json`` lists them as ``[{"username", "password", "tier", "division",
"role"}]``; the file is written once and read on later starts. An account whose password the
file no longer holds gets a new one (recorded as a password change by the platform).
"""

from __future__ import annotations

import json
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from shared.capabilities.identity import passwords
from shared.capabilities.identity.accounts import account_id
from shared.capabilities.identity.provision import ensure_account, reset, token_for
from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Division, Jurisdiction, Tier

DEMO_ROLES = ("operator", "viewer", "auditor", "admin")
ROLE_TITLES = {"operator": "经办人", "viewer": "查阅员", "auditor": "审计员", "admin": "管理员"}
EVALUATOR_USERNAME = "county-evaluator"
FILE = "demo-accounts.json"
SCRIPT_TOKEN_LIFETIME = timedelta(hours=1)  # `python -m services tokens`: short-lived


@dataclass(frozen=True)
class DemoAccount:
    username: str
    name: str
    tier: Tier
    division: str
    role: str

    @property
    def id(self) -> str:
        return str(account_id(self.tier, self.username))


def demo_accounts(j: Jurisdiction) -> list[DemoAccount]:
    """County ``county-<role>``, townships ``township-<code>-<role>``, villages
    ``village-<code>-<role>``; the person's name is the division's and the role's."""

    def of(d: Division, role: str) -> DemoAccount:
        username = f"county-{role}" if d.tier is Tier.COUNTY else f"{d.tier}-{d.code}-{role}"
        return DemoAccount(username, f"{d.name}{ROLE_TITLES[role]}", d.tier, d.code, role)

    divisions = [j.county, *j.townships(), *j.villages()]
    return [of(d, role) for d in divisions for role in DEMO_ROLES] + [
        # An outside evaluator's person (ADR 0026): bound to the demo's evaluator by the demo
        # history (services/demo.py), it sees that evaluator's assignments only.
        DemoAccount(
            EVALUATOR_USERNAME, "示范评估中心评估员", Tier.COUNTY, j.county.code, "evaluator"
        )
    ]


def demo_operators(j: Jurisdiction) -> list[Actor]:
    """The demo's operator of every division, as its acts are recorded."""
    return [
        Actor(a.id, a.tier, a.division, "operator", a.name, ("operator",))
        for a in demo_accounts(j)
        if a.role == "operator"
    ]


def provision(platform: Any) -> list[dict[str, str]]:
    """Open the demo accounts that are missing and write the file; answers its rows."""
    path: Path = platform.settings.data_dir / FILE
    known = {r["username"]: r["password"] for r in _read(path)}
    wanted = demo_accounts(platform.jurisdiction)
    fresh = {a.username: secrets.token_urlsafe(12) for a in wanted if a.username not in known}
    with ThreadPoolExecutor(4) as pool:  # Argon2 releases the GIL: hash on every core
        hashes = dict(zip(fresh, pool.map(passwords.hash_password, fresh.values()), strict=True))
    rows = []
    for a in wanted:
        app = platform.tiers[a.tier].app
        if a.username in hashes:
            existing = app.account_named(a.username)
            if existing is None:
                ensure_account(app, a.username, a.name, a.division, (a.role,), hashes[a.username])
            else:
                reset(app, existing, hashes[a.username])  # its password was lost with the file
        password = known.get(a.username) or fresh[a.username]
        rows.append(
            {
                "username": a.username,
                "password": password,
                "tier": str(a.tier),
                "division": a.division,
                "role": a.role,
            }
        )
    _write(path, rows)
    return rows


def demo_tokens(platform: Any, lifetime: timedelta = SCRIPT_TOKEN_LIFETIME) -> dict[str, Any]:
    """A short-lived token per demo account, keyed by username (for scripts)."""
    out: dict[str, Any] = {}
    for a in demo_accounts(platform.jurisdiction):
        runtime = platform.tiers[a.tier]
        account = runtime.app.account_named(a.username)
        if account is None or not account.enabled:
            continue
        out[a.username] = {
            "tier": str(a.tier),
            "division": a.division,
            "name": a.name,
            "role": a.role,
            "token": token_for(runtime.keyring, account, runtime.app.clock(), lifetime),
        }
    return out


def _read(path: Path) -> list[dict[str, str]]:
    try:
        rows: list[dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return []
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    """Readable by the owner only: the file holds passwords."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(rows, f, ensure_ascii=False, indent=2)
    os.replace(temporary, path)
