"""Account administration (ADR 0012): an admin manages the accounts of its division and below.

The routes are the same on every tier's service and act on that tier's accounts (its store holds
them); an admin of a higher tier may use them with its own token, so a county admin can open a
village clerk's account at the village service. Every change is an event on the account.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from shared.api.auth import AccountOut
from shared.api.commands import CREATED, CommandOut
from shared.api.deps import Person, RequestIn, Runtime
from shared.api.text import LongText, Name
from shared.capabilities.identity import passwords
from shared.capabilities.identity import projection as rm
from shared.capabilities.identity.accounts import ROLES
from shared.capabilities.identity.directory import AccountView
from shared.kernel.domain import CommandResult, Meta, NotFound, OutOfJurisdiction
from shared.kernel.jurisdiction import contains

router = APIRouter(prefix="/api/v1/accounts", tags=["accounts 账号管理"])

Roles = Annotated[list[str], Field(min_length=1, description=f"角色 / roles: {', '.join(ROLES)}")]


class AccountIn(RequestIn):
    username: str = Field(min_length=3, max_length=64, description="登录名 / login name")
    name: Name = Field(max_length=64, description="姓名 / the person's name")
    division: str = Field(pattern=r"^\d{12}$", description="所在区划 / division they work in")
    roles: Roles


class AccountChangeIn(RequestIn):
    name: Name = Field(max_length=64, description="姓名 / the person's name")
    roles: Roles


class StatusIn(RequestIn):
    reason: LongText = Field(max_length=500, description="理由 / reason")


class AccountRowOut(BaseModel):
    """账号 / An account of any tier, as every tier's read model knows it (no password)."""

    account_id: str
    username: str
    name: str = Field(description="姓名 / the person's name")
    tier: str
    division_code: str
    roles: list[str]
    enabled: bool
    must_change_password: bool
    locked_until: str | None = Field(description="锁定至 / locked until (ISO 8601), if locked")
    last_login_at: str | None
    created_at: str
    changed_at: str


class CreatedOut(CommandOut):
    initial_password: str = Field(
        description="初始密码（仅此一次显示，首次登录须修改）/ shown once; must be changed at "
        "first login"
    )


async def admin_meta(
    request: Request,
    person: Person,
    runtime: Runtime,
    idempotency_key: Annotated[str | None, Header()] = None,
    x_correlation_id: Annotated[str | None, Header()] = None,
) -> Meta:
    """Meta of an admin's act on an account, at any tier's service (the account's store)."""
    if not person.has("admin"):
        raise OutOfJurisdiction("not_account_admin", "只有管理员可以管理账号 / admins only")
    body = await request.body()
    digest = hashlib.sha256(request.url.path.encode() + b"\0" + body).hexdigest()
    return Meta(
        actor=person,
        effective_at=runtime.app.clock(),
        correlation_id=x_correlation_id or str(uuid4()),
        idempotency_key=idempotency_key,
        request_hash=digest if idempotency_key else None,
    )


AdminMeta = Annotated[Meta, Depends(admin_meta)]


def _done(runtime: Runtime, result: CommandResult) -> CommandOut:
    runtime.directory.forget(str(result.id))  # this process refuses old tokens at once
    return CommandOut.of(result)


@router.get("")
def list_accounts(
    person: Person, runtime: Runtime, division: str | None = Query(None, pattern=r"^\d{12}$")
) -> list[AccountRowOut]:
    """账号列表 / Accounts of every tier in a division and below (admins and auditors)."""
    if not (person.has("admin") or person.has("auditor")):
        raise OutOfJurisdiction("not_account_admin", "只有管理员或审计可以查看 / admins only")
    code = division or person.division
    if not contains(person.division, code):
        raise OutOfJurisdiction("out_of_jurisdiction", f"{code} 不在本账号辖区 / out of scope")
    tree = runtime.jurisdiction
    with runtime.db.transaction() as tx:
        rows = rm.within(tx, tree.patterns(code))
    return [
        AccountRowOut.model_validate(
            {
                **dict(r),
                "roles": json.loads(r["roles"]),
                "enabled": bool(r["enabled"]),
                "must_change_password": bool(r["must_change_password"]),
            }
        )
        for r in rows
    ]


@router.post("", status_code=CREATED)
async def create_account(body: AccountIn, meta: AdminMeta, runtime: Runtime) -> CreatedOut:
    """开设账号 / Open an account of this tier; answers its initial password once."""
    password = secrets.token_urlsafe(12)
    hashed = await run_in_threadpool(passwords.hash_password, password)
    result = await run_in_threadpool(
        runtime.app.create_account,
        body.username,
        body.name,
        body.division,
        body.roles,
        hashed,
        meta,
    )
    return CreatedOut(**_done(runtime, result).model_dump(), initial_password=password)


@router.get("/{account_id}")
def get_account(account_id: UUID, person: Person, runtime: Runtime) -> AccountOut:
    """账号详情 / One account of this tier (its admins and auditors)."""
    if not (person.has("admin") or person.has("auditor")):
        raise OutOfJurisdiction("not_account_admin", "只有管理员或审计可以查看 / admins only")
    record = runtime.app.account(account_id)
    where = record.division if record else runtime.jurisdiction.county.code
    if not contains(person.division, where):
        raise OutOfJurisdiction("out_of_jurisdiction", "该账号不在本账号辖区 / out of scope")
    if record is None:
        raise NotFound("unknown_account", f"没有账号 {account_id} / no account {account_id}")
    return AccountOut.of(AccountView.of(record))


@router.post("/{account_id}/change")
def change_account(
    account_id: UUID, body: AccountChangeIn, meta: AdminMeta, runtime: Runtime
) -> CommandOut:
    """变更姓名或角色 / Change the person's name or roles (ends their sessions)."""
    return _done(runtime, runtime.app.change_account(account_id, body.name, body.roles, meta))


@router.post("/{account_id}/disable")
def disable_account(
    account_id: UUID, body: StatusIn, meta: AdminMeta, runtime: Runtime
) -> CommandOut:
    """停用账号 / Disable an account (ends its sessions within the refresh bound)."""
    return _done(runtime, runtime.app.disable_account(account_id, body.reason, meta))


@router.post("/{account_id}/enable")
def enable_account(
    account_id: UUID, body: StatusIn, meta: AdminMeta, runtime: Runtime
) -> CommandOut:
    """重新启用 / Re-enable a disabled account (and lift a lock)."""
    return _done(runtime, runtime.app.enable_account(account_id, body.reason, meta))


@router.post("/{account_id}/reset-password")
async def reset_password(account_id: UUID, meta: AdminMeta, runtime: Runtime) -> CreatedOut:
    """重置密码 / Set a new initial password, to be changed at the next login."""
    password = secrets.token_urlsafe(12)
    hashed = await run_in_threadpool(passwords.hash_password, password)
    result = await run_in_threadpool(runtime.app.reset_password, account_id, hashed, meta)
    return CreatedOut(**_done(runtime, result).model_dump(), initial_password=password)
