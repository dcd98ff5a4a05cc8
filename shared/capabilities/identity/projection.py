"""Read model of operator accounts (ADR 0012): one row per account of any tier, as its own tier
recorded it, for admins' lists and auditors' questions ("who could act where, and when": the
events themselves are in the account's store). Password hashes never reach it.
``shared/tier/readmodel.py`` adds the table and handlers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from shared.infrastructure.store import Row, Tx
from shared.kernel.integration import events as ev
from shared.kernel.integration.envelope import Envelope

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS account (
        account_id TEXT PRIMARY KEY, username TEXT NOT NULL, name TEXT NOT NULL,
        tier TEXT NOT NULL, division_code TEXT NOT NULL, roles TEXT NOT NULL,
        enabled INTEGER NOT NULL, must_change_password INTEGER NOT NULL,
        locked_until TEXT, last_login_at TEXT, created_at TEXT NOT NULL, changed_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS account_division ON account (division_code)",
]
TABLES = {"account": "account_id"}

Handler = Callable[[Tx, Envelope, Any], None]


def _stamp(env: Envelope) -> str:
    return env.recorded_at.isoformat()


def _set(tx: Tx, env: Envelope, account_id: object, **columns: Any) -> None:
    columns["changed_at"] = _stamp(env)
    assignments = ", ".join(f"{c} = %s" for c in columns)
    tx.write(
        f"UPDATE account SET {assignments} WHERE account_id = %s",
        (*columns.values(), str(account_id)),
    )


def created(tx: Tx, env: Envelope, p: ev.AccountCreatedV1) -> None:
    tx.write(
        "INSERT INTO account (account_id, username, name, tier, division_code, roles, enabled,"
        " must_change_password, created_at, changed_at) VALUES (%s, %s, %s, %s, %s, %s, 1, %s,"
        " %s, %s) ON CONFLICT (account_id) DO NOTHING",
        (
            str(p.account_id),
            p.username,
            p.name,
            p.tier,
            p.division_code,
            json.dumps(p.roles),
            int(p.must_change_password),
            _stamp(env),
            _stamp(env),
        ),
    )


def changed(tx: Tx, env: Envelope, p: ev.AccountChangedV1) -> None:
    _set(tx, env, p.account_id, name=p.name, roles=json.dumps(p.roles))


def disabled(tx: Tx, env: Envelope, p: ev.AccountStatusV1) -> None:
    _set(tx, env, p.account_id, enabled=0)


def enabled(tx: Tx, env: Envelope, p: ev.AccountStatusV1) -> None:
    _set(tx, env, p.account_id, enabled=1, locked_until=None)


def password_changed(tx: Tx, env: Envelope, p: ev.AccountPasswordChangedV1) -> None:
    _set(tx, env, p.account_id, must_change_password=int(p.must_change_password), locked_until=None)


def locked(tx: Tx, env: Envelope, p: ev.AccountLockedV1) -> None:
    _set(tx, env, p.account_id, locked_until=p.until.isoformat())


def logged_in(tx: Tx, env: Envelope, p: ev.AccountLoginV1) -> None:
    # Not a change of the account: changed_at stays.
    tx.write(
        "UPDATE account SET last_login_at = %s WHERE account_id = %s",
        (_stamp(env), str(p.account_id)),
    )


def nothing(tx: Tx, env: Envelope, p: ev.Payload) -> None:
    """Failed logins and logouts are in the account's own store; no row changes."""


HANDLERS: dict[str, Handler] = {
    f"sanji.{tier}.account.{action}.v1": handler
    for tier in ("village", "township", "county")
    for action, handler in (
        ("created", created),
        ("changed", changed),
        ("disabled", disabled),
        ("enabled", enabled),
        ("password_changed", password_changed),
        ("locked", locked),
        ("logged_in", logged_in),
        ("login_failed", nothing),
        ("logged_out", nothing),
    )
}


def is_account_event(type_name: str) -> bool:
    """Account events change no report: they move no division's counter version."""
    return type_name.split(".")[2:3] == ["account"]


def within(tx: Tx, patterns: list[str]) -> list[Row]:
    """Accounts whose division matches one of the ``LIKE`` patterns, by tier and division."""
    where = " OR ".join("division_code LIKE %s" for _ in patterns)
    return tx.all(
        f"SELECT * FROM account WHERE {where} ORDER BY tier, division_code, username",
        tuple(patterns),
    )
