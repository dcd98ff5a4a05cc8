"""Operator accounts: one per person, created, changed, disabled and re-enabled as events (ADR 0012).

An account lives in the event store of the tier it works in, so "who could act where, and when"
is recorded, chained and relayed like every other fact. Its id follows from (tier, username):
creating a username twice collides in the store (409), and a login finds its account without
an index. The class paths below are a storage contract (ADR 0002).

Tokens carry the account's ``security_version``; every change that must end existing sessions
(roles, disabling, a new password) moves it, so a token minted before the change no longer
matches (shared/capabilities/identity/directory.py).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.kernel.domain import Conflict, InvalidInput, Meta
from shared.kernel.domain import SanjiAggregate as Agg
from shared.kernel.jurisdiction import Tier

ROLES = ("operator", "viewer", "auditor", "admin", "backdate", "import", "evaluator")
ROLE_NAMES = {
    "operator": "经办人 / operator: records acts of its division",
    "viewer": "查阅 / viewer: reads its division's records and reports",
    "auditor": "审计 / auditor: replays the record, reads the access log",
    "admin": "管理员 / admin: manages the accounts of its division and below",
    "backdate": "补录 / backdate: may record acts effective before the backdating window",
    "import": "台账导入 / import: records a county's ledgers (python -m services import, ADR 0020)",
    "evaluator": "第三方评估 / evaluator: a county account of an outside evaluator; sees and acts on "
    "its organisation's assignments only (ADR 0026)",
}
EVALUATOR = "evaluator"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


def account_id(tier: Tier | str, username: str) -> UUID:
    """The id of the account ``username`` of ``tier`` (usernames are unique within a tier)."""
    return uuid5(NAMESPACE_URL, f"sanji:account:{tier}:{username}")


def check_username(username: str) -> str:
    if not USERNAME.fullmatch(username):
        raise InvalidInput(
            "invalid_username",
            "登录名须为 3–64 位小写字母、数字、点、下划线或连字符 / "
            "username: 3-64 lower-case letters, digits, '.', '_' or '-'",
        )
    return username


def check_roles(roles: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown or not roles:
        raise InvalidInput(
            "invalid_roles",
            f"角色须取自 {', '.join(ROLES)} / roles must be some of {', '.join(ROLES)}"
            + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
        )
    if EVALUATOR in roles and len(set(roles)) > 1:
        # An outside evaluator's account is scoped to its assignments (ADR 0026): any other
        # role would open the bureau's records to it.
        raise InvalidInput(
            "evaluator_role_alone",
            "“第三方评估”角色不能与其他角色同时授予 / the evaluator role is given alone",
        )
    return tuple(r for r in ROLES if r in roles)  # canonical order, no duplicates


def check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or not name.isprintable():
        raise InvalidInput("invalid_name", "姓名不能为空且不超过 64 个字符 / name: 1-64 characters")
    return name


class Account(Agg):
    if TYPE_CHECKING:
        username: str
        name: str
        tier: str
        division: str
        roles: list[str]
        password_hash: str
        must_change_password: bool
        enabled: bool
        security_version: int
        failures: int
        locked_until: datetime | None
        revoked: dict[str, str]  # token id → expiry (ISO), pruned when expired

    class Event(Agg.Event):
        ID_NAME = "account_id"
        ABOUT_ORGANISATION = False

    class Created(Event, Agg.Created):
        username: str
        name: str
        tier: str
        division_code: str
        roles: list[str]
        password_hash: str  # Argon2id; never leaves the store (not in the integration event)
        must_change_password: bool

        def apply(self, account: Any) -> None:
            account.username, account.name = self.username, self.name
            account.tier, account.division = self.tier, self.division_code
            account.roles = list(self.roles)
            account.password_hash = self.password_hash
            account.must_change_password = self.must_change_password
            account.enabled, account.security_version = True, 1
            account.failures, account.locked_until, account.revoked = 0, None, {}

    class Changed(Event):
        name: str
        roles: list[str]

        def apply(self, account: Any) -> None:
            account.name, account.roles = self.name, list(self.roles)
            account.security_version += 1

    class Disabled(Event):
        reason: str

        def apply(self, account: Any) -> None:
            account.enabled = False
            account.security_version += 1

    class Enabled(Event):
        reason: str

        def apply(self, account: Any) -> None:
            account.enabled = True
            account.failures, account.locked_until = 0, None
            account.security_version += 1

    class PasswordChanged(Event):
        password_hash: str
        must_change_password: bool  # True when an admin reset it

        def apply(self, account: Any) -> None:
            account.password_hash = self.password_hash
            account.must_change_password = self.must_change_password
            account.failures, account.locked_until = 0, None
            account.security_version += 1

    class LoginFailed(Event):
        address: str

        def apply(self, account: Any) -> None:
            account.failures += 1

    class Locked(Event):
        until: datetime
        failures: int

        def apply(self, account: Any) -> None:
            account.locked_until = self.until
            account.failures = 0

    class LoggedIn(Event):
        token_id: str
        expires_at: datetime
        address: str

        def apply(self, account: Any) -> None:
            account.failures = 0

    class LoggedOut(Event):
        token_id: str
        expires_at: datetime

        def apply(self, account: Any) -> None:
            now = self.timestamp
            account.revoked = {
                t: e for t, e in account.revoked.items() if datetime.fromisoformat(e) > now
            }
            account.revoked[self.token_id] = self.expires_at.isoformat()

    # ------------------------------------------------------------ commands

    @classmethod
    def create(cls, id: UUID, meta: Meta, **fields: Any) -> Account:
        return cls._create(cls.Created, id=id, meta=meta, **fields)

    def change(self, name: str, roles: tuple[str, ...], meta: Meta) -> None:
        if name == self.name and list(roles) == self.roles:
            raise Conflict("account_unchanged", "账号信息没有变化 / nothing to change")
        self.trigger_event(self.Changed, name=name, roles=list(roles), meta=meta)

    def disable(self, reason: str, meta: Meta) -> None:
        if not self.enabled:
            raise Conflict("account_disabled", "账号已停用 / the account is already disabled")
        self.trigger_event(self.Disabled, reason=reason, meta=meta)

    def enable(self, reason: str, meta: Meta) -> None:
        if self.enabled:
            raise Conflict("account_enabled", "账号已启用 / the account is already enabled")
        self.trigger_event(self.Enabled, reason=reason, meta=meta)

    def set_password(self, password_hash: str, must_change: bool, meta: Meta) -> None:
        self.trigger_event(
            self.PasswordChanged,
            password_hash=password_hash,
            must_change_password=must_change,
            meta=meta,
        )

    def fail_login(
        self, address: str, now: datetime, max_failures: int, lock_for: timedelta, meta: Meta
    ) -> None:
        """Count a failed login; the ``max_failures``-th in a row locks the account."""
        self.trigger_event(self.LoginFailed, address=address, meta=meta)
        if self.failures >= max_failures:
            self.trigger_event(self.Locked, until=now + lock_for, failures=self.failures, meta=meta)

    def log_in(self, token_id: str, expires_at: datetime, address: str, meta: Meta) -> None:
        self.trigger_event(
            self.LoggedIn, token_id=token_id, expires_at=expires_at, address=address, meta=meta
        )

    def log_out(self, token_id: str, expires_at: datetime, meta: Meta) -> None:
        self.trigger_event(self.LoggedOut, token_id=token_id, expires_at=expires_at, meta=meta)

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


def account_events(tier: str) -> dict[type, str]:
    """A tier application's ``published`` entries for its accounts."""
    base = f"sanji.{tier}.account"
    return {
        Account.Created: f"{base}.created.v1",
        Account.Changed: f"{base}.changed.v1",
        Account.Disabled: f"{base}.disabled.v1",
        Account.Enabled: f"{base}.enabled.v1",
        Account.PasswordChanged: f"{base}.password_changed.v1",
        Account.LoginFailed: f"{base}.login_failed.v1",
        Account.Locked: f"{base}.locked.v1",
        Account.LoggedIn: f"{base}.logged_in.v1",
        Account.LoggedOut: f"{base}.logged_out.v1",
    }
