"""Account commands of a tier application: what admins do to accounts, and what logging in and
out records (ADR 0012). Mixed into every tier's application, so each keeps its own accounts.

An admin manages the accounts of its division and below: a county admin may create a village
clerk's account (at the village service, whose store holds it); a township admin may not touch
a sibling township's accounts or the county's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from shared.capabilities.identity.accounts import (
    Account,
    account_id,
    check_name,
    check_roles,
    check_username,
)
from shared.kernel.domain import (
    CommandResult,
    Conflict,
    InvalidInput,
    Meta,
    NotFound,
    OutOfJurisdiction,
    legal_date,
)
from shared.kernel.jurisdiction import Tier, contains

if TYPE_CHECKING:
    from datetime import date

    from eventsourcing.application import Application

    from shared.kernel.jurisdiction import Jurisdiction

    _Base = Application[UUID]
else:
    _Base = object


class AccountCommands(_Base):
    if TYPE_CHECKING:
        tier: ClassVar[Tier]
        jurisdiction: Jurisdiction

        def find(self, aggregate_id: UUID) -> Any | None: ...
        def tree_on(self, day: date) -> Jurisdiction: ...

    def account(self, id: UUID) -> Account | None:
        found = self.find(id)
        return found if isinstance(found, Account) else None

    def account_named(self, username: str) -> Account | None:
        return self.account(account_id(self.tier, username.strip().lower()))

    def _admin_of(self, meta: Meta, division: str) -> None:
        actor = meta.actor
        if not actor.has("admin") or not contains(actor.division, division):
            raise OutOfJurisdiction(
                "not_account_admin",
                f"只有 {division} 或其上级的管理员可以管理该账号 / only an admin of {division} "
                "or above may manage its accounts",
            )

    def _managed(self, id: UUID, meta: Meta) -> Account:
        # 403 before 404: an unknown id counts as the county's, so only a county-wide admin
        # learns that it does not exist; others cannot probe which ids exist.
        account = self.account(id)
        self._admin_of(meta, account.division if account else self.jurisdiction.county.code)
        if account is None:
            raise NotFound("unknown_account", f"没有账号 {id} / no account {id}")
        return account

    def create_account(
        self,
        username: str,
        name: str,
        division: str,
        roles: list[str] | tuple[str, ...],
        password_hash: str,
        meta: Meta,
        must_change_password: bool = True,
    ) -> CommandResult:
        """An account of this tier, for a person working in ``division``."""
        username = check_username(username.strip().lower())
        self._admin_of(meta, division)
        found = self.tree_on(legal_date(meta.effective_at)).get(division)
        if found is None or found.tier is not self.tier:
            raise InvalidInput(
                "unknown_division",
                f"{division} 不是本级（{self.tier}）的区划 / {division} is not a {self.tier} "
                "division in force",
            )
        id = account_id(self.tier, username)
        existing = self.account(id)
        if existing is not None:
            if (replayed := existing.replayed_version(meta.without_precondition())) is not None:
                return CommandResult(id, replayed, None, replayed=True)
            raise Conflict("username_taken", f"登录名 {username} 已被使用 / username taken")
        account = Account.create(
            id,
            meta,
            username=username,
            name=check_name(name),
            tier=str(self.tier),
            division_code=division,
            roles=list(check_roles(roles)),
            password_hash=password_hash,
            must_change_password=must_change_password,
        )
        self.save(account)
        return CommandResult(account.id, account.version, None)

    def _step(self, account: Account, meta: Meta, act: Any, *args: Any) -> CommandResult:
        if (replayed := account.replayed_version(meta)) is not None:
            return CommandResult(account.id, replayed, None, replayed=True)
        act(*args, meta)
        self.save(account)
        return CommandResult(account.id, account.version, None)

    def change_account(
        self, id: UUID, name: str, roles: list[str] | tuple[str, ...], meta: Meta
    ) -> CommandResult:
        account = self._managed(id, meta)
        return self._step(account, meta, account.change, check_name(name), check_roles(roles))

    def disable_account(self, id: UUID, reason: str, meta: Meta) -> CommandResult:
        account = self._managed(id, meta)
        return self._step(account, meta, account.disable, reason)

    def enable_account(self, id: UUID, reason: str, meta: Meta) -> CommandResult:
        account = self._managed(id, meta)
        return self._step(account, meta, account.enable, reason)

    def reset_password(self, id: UUID, password_hash: str, meta: Meta) -> CommandResult:
        """An admin sets a new password the person must change at the next login."""
        account = self._managed(id, meta)
        return self._step(account, meta, account.set_password, password_hash, True)

    # ------------------------------------------------------------ the person themselves

    def change_own_password(self, account: Account, password_hash: str, meta: Meta) -> int:
        account.set_password(password_hash, False, meta)
        self.save(account)
        return account.security_version

    def record_failed_login(
        self, account: Account, address: str, max_failures: int, lock_for: timedelta, meta: Meta
    ) -> datetime | None:
        """Count a failed login; the time the account is locked until, if this one locked it."""
        account.fail_login(address, meta.effective_at, max_failures, lock_for, meta)
        self.save(account)
        return account.locked_until if account.locked(meta.effective_at) else None

    def record_login(
        self, account: Account, token_id: str, expires_at: datetime, address: str, meta: Meta
    ) -> None:
        account.log_in(token_id, expires_at, address, meta)
        self.save(account)

    def record_logout(self, id: UUID, token_id: str, expires_at: datetime, meta: Meta) -> None:
        account = self.account(id)
        if account is not None and token_id not in account.revoked:
            account.log_out(token_id, expires_at, meta)
            self.save(account)
