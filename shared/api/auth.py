"""Logging in and out (ADR 0012): the OAuth2 password flow as FastAPI documents it.

``POST /api/v1/auth/token`` takes the form fields ``username`` and ``password`` of an account of
this service's tier and answers ``{"access_token", "token_type": "bearer", "expires_in"}``.
Failed logins are recorded on the account; ``SANJI_LOGIN_MAX_FAILURES`` in a row lock it for
``SANJI_LOGIN_LOCK_MINUTES`` (recorded too). Logging out revokes the token it is called with.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from shared.api.deps import Account, RequestIn, Runtime
from shared.capabilities.identity import passwords
from shared.capabilities.identity.accounts import Account as AccountRecord
from shared.capabilities.identity.directory import AccountView
from shared.capabilities.identity.tokens import Claims, Unauthenticated
from shared.kernel.domain import CHINA, InvalidInput, Meta
from shared.tier.runtime import TierRuntime

router = APIRouter(prefix="/api/v1/auth", tags=["auth 登录"])

# Verified against when the username is unknown, so that a miss costs what a hit costs and
# timing does not tell which usernames exist.
_DUMMY_HASH = passwords.hash_password("sanji-no-such-account")
WRONG = "用户名或密码错误 / wrong username or password"


class TokenOut(BaseModel):
    access_token: str = Field(description="访问令牌 / the bearer token")
    token_type: str = Field("bearer", description="always 'bearer'")
    expires_in: int = Field(description="有效秒数 / seconds until it expires")
    must_change_password: bool = Field(
        False, description="须先修改密码 / change the password before anything else"
    )


class PasswordIn(RequestIn):
    old_password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)
    new_password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)


class AccountOut(BaseModel):
    """账号 / An account, as its holder or an admin sees it (never its password)."""

    id: str
    username: str
    name: str
    tier: str
    division: str
    roles: list[str]
    enabled: bool
    must_change_password: bool

    @classmethod
    def of(cls, v: AccountView) -> AccountOut:
        return cls(
            id=v.id,
            username=v.username,
            name=v.name,
            tier=str(v.tier),
            division=v.division,
            roles=list(v.roles),
            enabled=v.enabled,
            must_change_password=v.must_change_password,
        )


def self_meta(account: AccountRecord, runtime: TierRuntime, correlation: str) -> Meta:
    """Meta of what a person records about their own account (logins, their password)."""
    actor = AccountView.of(account).actor()
    return Meta(actor=actor, effective_at=runtime.app.clock(), correlation_id=correlation)


def mint(runtime: TierRuntime, account: AccountRecord, address: str) -> TokenOut:
    """A new session for ``account``: a token, and the login recorded on the account."""
    now = runtime.app.clock()
    token, claims = runtime.keyring.mint(
        account_id=str(account.id),
        tier=str(runtime.tier),
        division=account.division,
        roles=tuple(account.roles),
        name=account.name,
        version=account.security_version,
        now=now,
    )
    meta = self_meta(account, runtime, f"login:{claims.token_id}")
    runtime.app.record_login(account, claims.token_id, claims.expires_at, address, meta)
    runtime.directory.forget(str(account.id))
    return TokenOut(
        access_token=token,
        token_type="bearer",
        expires_in=int((claims.expires_at - now).total_seconds()),
        must_change_password=account.must_change_password,
    )


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post("/token")
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], runtime: Runtime, request: Request
) -> TokenOut:
    """登录 / Log in with an account of this service's tier; answers a bearer token."""
    account = runtime.app.account_named(form.username)
    if account is None:
        passwords.verify_password(_DUMMY_HASH, form.password)
        raise Unauthenticated("invalid_credentials", WRONG)
    now = runtime.app.clock()
    if account.locked(now):
        until = account.locked_until.astimezone(CHINA) if account.locked_until else now
        raise Unauthenticated(
            "account_locked",
            f"多次登录失败，账号锁定至 {until:%Y-%m-%d %H:%M} / too many failed logins: locked "
            f"until {until.isoformat(timespec='minutes')}",
        )
    if not passwords.verify_password(account.password_hash, form.password):
        settings = runtime.settings
        runtime.app.record_failed_login(
            account,
            _address(request),
            settings.login_max_failures,
            timedelta(minutes=settings.login_lock_minutes),
            self_meta(account, runtime, f"login-failed:{uuid4()}"),
        )
        raise Unauthenticated("invalid_credentials", WRONG)
    if not account.enabled:
        raise Unauthenticated("account_disabled", "账号已停用 / the account is disabled")
    return mint(runtime, account, _address(request))


@router.post("/logout")
def logout(account: Account, runtime: Runtime, request: Request) -> dict[str, str]:
    """退出登录 / Revoke the token this request carries."""
    claims: Claims = request.state.claims
    if account.tier is not runtime.tier:
        raise Unauthenticated(
            "wrong_tier", "请在本账号所属层级的服务退出 / log out at your own tier's service"
        )
    record = runtime.app.account(UUID(account.id))
    if record is not None:
        meta = self_meta(record, runtime, f"logout:{claims.token_id}")
        runtime.app.record_logout(record.id, claims.token_id, claims.expires_at, meta)
    runtime.directory.forget(account.id)
    return {"status": "logged_out"}


@router.post("/password")
async def change_password(
    body: PasswordIn, account: Account, runtime: Runtime, request: Request
) -> TokenOut:
    """修改密码 / Change your own password (required at first login); answers a new token,
    since the change ends every session of the account, this one included."""
    if account.tier is not runtime.tier:
        raise Unauthenticated(
            "wrong_tier", "请在本账号所属层级的服务修改密码 / use your own tier's service"
        )
    return await run_in_threadpool(_change_password, body, account, runtime, _address(request))


def _change_password(
    body: PasswordIn, account: AccountView, runtime: TierRuntime, address: str
) -> TokenOut:
    record = runtime.app.account(UUID(account.id))
    if record is None or not passwords.verify_password(record.password_hash, body.old_password):
        raise Unauthenticated("invalid_credentials", "原密码错误 / wrong current password")
    passwords.check_policy(body.new_password, record.username)
    if passwords.verify_password(record.password_hash, body.new_password):
        raise InvalidInput("password_reused", "新密码不能与原密码相同 / choose a new password")
    meta = self_meta(record, runtime, f"password:{uuid4()}")
    runtime.app.change_own_password(record, passwords.hash_password(body.new_password), meta)
    return mint(runtime, record, address)


@router.get("/me")
def me(account: Account) -> AccountOut:
    """当前账号 / The account this token belongs to."""
    return AccountOut.of(account)
