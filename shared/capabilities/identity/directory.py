"""Who a token's account is now: looked up in the account's own store, cached for a bounded time.

A token is checked on every request against its account: still there, enabled, same security
version (roles, password and status unchanged since the token was minted), session not logged
out. Reading the account from the event store on every request would cost a read per command,
so each process keeps what it read for at most ``refresh`` seconds (``SANJI_ACCOUNT_REFRESH_SECONDS``,
default 30): a disabled account or a role change takes effect everywhere within that bound,
and at once in the process that recorded it (ADR 0012).

An account of another tier (a county admin managing a village's accounts at the village service)
is read from that tier's store, which every tier's processes may read (ADR 0001).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from shared.capabilities.identity.accounts import Account
from shared.capabilities.identity.tokens import Claims, Unauthenticated
from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier

Store = Callable[[Tier], Any]  # tier → its application (anything with find(id)), or None


@dataclass(frozen=True)
class AccountView:
    """What a request needs to know of an account (never its password hash)."""

    id: str
    username: str
    name: str
    tier: Tier
    division: str
    roles: tuple[str, ...]
    enabled: bool
    must_change_password: bool
    security_version: int
    revoked: frozenset[str]

    @classmethod
    def of(cls, account: Account) -> AccountView:
        return cls(
            str(account.id),
            account.username,
            account.name,
            Tier(account.tier),
            account.division,
            tuple(account.roles),
            account.enabled,
            account.must_change_password,
            account.security_version,
            frozenset(account.revoked),
        )

    def actor(self) -> Actor:
        """The actor its acts are recorded under: the person, in the role of operator when the
        account has it (the role recorded before accounts existed)."""
        role = "operator" if "operator" in self.roles else self.roles[0]
        return Actor(self.id, self.tier, self.division, role, self.name, self.roles)


class Directory:
    def __init__(self, store: Store, refresh: float, clock: Callable[[], float] = time.monotonic):
        self.store, self.refresh, self.clock = store, refresh, clock
        self._cache: dict[str, tuple[float, AccountView | None]] = {}
        self._lock = threading.Lock()

    def cached(self, account_id: str) -> AccountView | None:
        """What this process read of the account within the refresh bound (no I/O), if any."""
        with self._lock:
            cached = self._cache.get(account_id)
        if cached is not None and self.clock() - cached[0] < self.refresh:
            return cached[1]
        return None

    def get(self, tier: Tier, account_id: str) -> AccountView | None:
        """The account as its store holds it now (a read), remembered for ``refresh`` seconds."""
        now = self.clock()
        view = self._read(tier, account_id)
        with self._lock:
            self._cache[account_id] = (now, view)
        return view

    def forget(self, account_id: str) -> None:
        """Drop what this process knows of an account (it has just changed it)."""
        with self._lock:
            self._cache.pop(account_id, None)

    def _read(self, tier: Tier, account_id: str) -> AccountView | None:
        app = self.store(tier)
        try:
            found = app.find(UUID(account_id)) if app is not None else None
        except ValueError:
            return None
        return AccountView.of(found) if isinstance(found, Account) else None

    @staticmethod
    def authenticate(claims: Claims, view: AccountView | None) -> AccountView:
        """The account behind valid claims, if it may still act; 401 with the reason if not."""
        if view is None or str(view.tier) != claims.tier:
            raise Unauthenticated("account_unknown", "账号不存在 / no such account")
        if not view.enabled:
            raise Unauthenticated("account_disabled", "账号已停用 / the account is disabled")
        if claims.token_id in view.revoked:
            raise Unauthenticated("token_revoked", "已退出登录 / this session was logged out")
        if claims.version != view.security_version:
            raise Unauthenticated(
                "token_stale",
                "账号的角色、状态或密码已变更，请重新登录 / the account changed since this "
                "token was issued: log in again",
            )
        return view
