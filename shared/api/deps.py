"""Dependencies every tier's routes use: the runtime, the operator, and command metadata."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, datetime, time
from typing import Annotated
from uuid import uuid4

from fastapi import Depends, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from shared.api import limits
from shared.api.observability import request_id
from shared.api.text import LongText
from shared.api.versions import IF_MATCH_DESCRIPTION, expected_version
from shared.capabilities.identity.accounts import EVALUATOR, account_id
from shared.capabilities.identity.directory import AccountView
from shared.capabilities.identity.tokens import Claims, Unauthenticated
from shared.kernel import backdating
from shared.kernel.domain import CHINA, Actor, Meta, OutOfJurisdiction, check_not_future
from shared.kernel.jurisdiction import Tier, contains
from shared.tier.runtime import TierRuntime


# Dependencies that do no I/O are async: FastAPI runs a sync one on a worker thread, and
# those hand-offs cost more than the work itself (~6 ms per request on 2 busy cores).
async def get_runtime(request: Request) -> TierRuntime:
    runtime: TierRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[TierRuntime, Depends(get_runtime)]


# Both schemes read the same header; declaring both lets Swagger's Authorize button log in
# with a username and password (OAuth2 password flow) or take a pasted token (ADR 0012).
oauth2 = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    auto_error=False,
    description="登录获取令牌 / log in with an account's username and password",
)
bearer = HTTPBearer(
    auto_error=False, description="访问令牌 / an access token from POST /api/v1/auth/token"
)


async def authenticated(
    request: Request,
    runtime: Runtime,
    token: Annotated[str | None, Security(oauth2)] = None,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
) -> AccountView:
    """The account behind the request's bearer token, if it may still act (any tier). Once
    per request: the scope check (shared/api/scope.py) and the route share the answer."""
    known: AccountView | None = getattr(request.state, "account", None)
    if known is not None:
        return known
    raw = token or (credentials.credentials if credentials else None)
    if not raw:
        raise Unauthenticated(
            "missing_token", "请先登录 / log in first: send 'Authorization: Bearer <token>'"
        )
    if runtime.oidc is not None and runtime.oidc.issued(raw):
        claims, view = await run_in_threadpool(_from_issuer, runtime, raw)
    else:
        claims = runtime.keyring.read(raw, runtime.app.clock())
        view = runtime.directory.cached(claims.account_id)
        if view is None:  # not read within the refresh bound: the store read runs off the loop
            view = await run_in_threadpool(
                runtime.directory.get, Tier(claims.tier), claims.account_id
            )
    view = runtime.directory.authenticate(claims, view)
    if EVALUATOR in view.roles:
        _evaluator_route(request)
    request.state.claims = claims
    request.state.actor = view.actor()
    request.state.account = view
    # Keyed on the account, so it runs here, once the token names one (shared/api/limits.py).
    limits.spend(
        getattr(request.app.state, "rate_buckets", None),
        request.method,
        claims.account_id,
    )
    return view


# The only routes an evaluator's account may call (ADR 0026): its own session, and its
# organisation's assignments (which ones: shared/api/scope.py). Checked here, where every
# authenticated request passes, so a new operator route is closed to evaluators without
# anyone remembering to close it.
EVALUATOR_ROUTES = frozenset(
    {
        ("GET", "/api/v1/auth/me"),
        ("POST", "/api/v1/auth/password"),
        ("POST", "/api/v1/auth/logout"),
        ("GET", "/api/v1/evaluation-assignments"),
        ("GET", "/api/v1/evaluation-assignments/{assignment_id}"),
        ("POST", "/api/v1/evaluation-assignments/{assignment_id}/findings"),
    }
)


def _evaluator_route(request: Request) -> None:
    route = request.scope.get("route")
    method = "GET" if request.method == "HEAD" else request.method
    if (method, getattr(route, "path", None)) not in EVALUATOR_ROUTES:
        raise OutOfJurisdiction(
            "evaluator_forbidden",
            "第三方评估账号只能查看和办理本机构的评估委托 / an evaluator's account reaches only "
            "its organisation's assignments",
        )


def _from_issuer(runtime: TierRuntime, token: str) -> tuple[Claims, AccountView | None]:
    """Claims of a token from the county's identity provider, for the account of this tier
    its mapping claim names (ADR 0012). The password and the security version are the
    provider's business: a first-login password change does not apply."""
    assert runtime.oidc is not None
    now = runtime.app.clock()
    username, session, expires = runtime.oidc.username(token, now)
    id = str(account_id(runtime.tier, username))
    view = runtime.directory.cached(id) or runtime.directory.get(runtime.tier, id)
    if view is None:
        raise Unauthenticated(
            "account_unknown", f"没有与统一身份 {username} 对应的账号 / no account {username}"
        )
    view = replace(view, must_change_password=False)
    claims = Claims(
        id,
        str(runtime.tier),
        view.division,
        view.roles,
        view.name,
        view.security_version,
        session,
        now,
        expires,
    )
    return claims, view


Account = Annotated[AccountView, Depends(authenticated)]


async def current_person(request: Request, account: Account) -> Actor:
    """The person acting at any tier's service (account management: ADR 0012); their first
    password must have been changed."""
    if account.must_change_password:
        raise OutOfJurisdiction(
            "password_change_required",
            "首次登录须先修改密码 / change your password first: POST /api/v1/auth/password",
        )
    actor: Actor = request.state.actor
    return actor


Person = Annotated[Actor, Depends(current_person)]


async def current_operator(runtime: Runtime, person: Person) -> Actor:
    """The person acting at this service: their account must be of this service's tier."""
    if person.tier is not runtime.tier:
        raise OutOfJurisdiction(
            "wrong_tier",
            f"{person.tier} 账号不能使用 {runtime.tier} 服务 / a {person.tier} account cannot "
            f"use the {runtime.tier} service",
        )
    return person


Operator = Annotated[Actor, Depends(current_operator)]


class RequestIn(BaseModel):
    """A request body: a field the model does not name is refused (422 naming it), so a
    misspelt optional field is not silently dropped (issue 12: "catgory" lost a category)."""

    model_config = ConfigDict(extra="forbid")


class CommandIn(RequestIn):
    """Fields every command accepts."""

    effective_on: date | None = Field(
        None, description="生效日期 / legal effective date (default: today, China time)"
    )
    backdate_reason: LongText | None = Field(
        None,
        description="补录原因 / why effective_on lies before the backdating window (ADR 0013);"
        " needed then, with the admin or backdate role",
    )


async def command_meta(
    request: Request,
    operator: Operator,
    runtime: Runtime,
    idempotency_key: Annotated[
        str | None, Header(description="重试安全 / makes a retried command safe")
    ] = None,
    x_correlation_id: Annotated[str | None, Header()] = None,
    x_causation_id: Annotated[str | None, Header()] = None,
    if_match: Annotated[str | None, Header(description=IF_MATCH_DESCRIPTION)] = None,
) -> Meta:
    # An evaluator records findings (the only command its routes allow: EVALUATOR_ROUTES).
    if not (operator.has("operator") or operator.has(EVALUATOR)):
        raise OutOfJurisdiction(
            "role_forbidden",
            "该账号没有经办权限，不能变更记录 / this account has no operator role: it may not "
            "change records",
        )
    # Malformed is refused before anything else is read (400; ADR 0035).
    expected = expected_version(if_match)
    body = await request.body()
    fields = _command_fields(body)
    effective_on = fields.effective_on
    now = runtime.app.clock()
    if effective_on is not None:
        check_not_future("effective_on", effective_on, now)
        effective_at = datetime.combine(effective_on, time(0), CHINA)
    else:
        effective_at = now
    window = runtime.settings.backdate_days
    reason = backdating.check(
        effective_on, fields.backdate_reason, operator, now.astimezone(CHINA).date(), window
    )
    digest = hashlib.sha256(request.url.path.encode() + b"\0" + body).hexdigest()
    return Meta(
        actor=operator,
        effective_at=effective_at,
        # An explicit correlation id (a caller's saga) wins; else the request's own id, so the
        # events and the access line of one request share one id (shared/api/observability.py).
        correlation_id=x_correlation_id or request_id(request.state) or str(uuid4()),
        causation_id=x_causation_id,
        idempotency_key=idempotency_key,
        request_hash=digest if idempotency_key else None,
        backdate_reason=reason,
        expected_version=expected,
    )


class _CommandFields(CommandIn):
    # Reads only the common fields out of a whole command body; the route's model refuses
    # unknown fields.
    model_config = ConfigDict(extra="ignore")


def _command_fields(body: bytes) -> CommandIn:
    # An invalid body is reported by the route's own validation (422); here it means "none".
    try:
        return _CommandFields.model_validate_json(body or b"{}")
    except ValueError:
        return _CommandFields.model_validate({})


CommandMeta = Annotated[Meta, Depends(command_meta)]


def check_reads(actor: Actor, code: str, runtime: TierRuntime | None = None) -> None:
    """403 unless ``actor`` may read records of division ``code``; with ``runtime``, records
    of a retired division are readable through its successor too (ADR 0005)."""
    if contains(actor.division, code):
        return
    if runtime is None or not runtime.app.in_charge(
        actor, code, runtime.app.clock().astimezone(CHINA).date()
    ):
        raise OutOfJurisdiction(
            "out_of_jurisdiction", f"{actor.id} ({actor.division}) may not read {code}"
        )
