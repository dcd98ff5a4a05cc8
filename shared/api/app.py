"""FastAPI app factory shared by the three tiers: same errors, auth, reports and health routes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Response

from shared.api import (
    access_log,
    assessment,
    audit,
    auth,
    divisions,
    docs,
    errors,
    limits,
    models,
    observability,
    points,
    reports,
    scope,
    themes,
)
from shared.api.contract import ERRORS
from shared.api.deps import Runtime
from shared.capabilities.approvals import api as returns
from shared.capabilities.commendations import api as commendations
from shared.capabilities.identity import api as accounts
from shared.capabilities.platforms import api as platforms
from shared.capabilities.sampling import api as sampling
from shared.capabilities.training import api as training
from shared.kernel.calendar import horizon
from shared.kernel.domain import legal_date
from shared.tier.runtime import TierRuntime

TITLES = {
    "county": "Sanji 县级服务 / County service",
    "township": "Sanji 乡镇级服务 / Township service",
    "village": "Sanji 村（社区）级服务 / Village & community service",
}


def create_app(runtime: TierRuntime, commands: APIRouter) -> FastAPI:
    app = FastAPI(
        title=TITLES[str(runtime.tier)],
        version="1",
        description=(
            "三级社区社会组织平台的操作接口。先用账号登录（POST /api/v1/auth/token）取得令牌，"
            "每个请求携带该令牌。\n\n"
            "Operator API of the Sanji three-tier platform for community social organisations. "
            "Log in with an account (POST /api/v1/auth/token, or Swagger's Authorize button); every "
            "request carries the bearer token, bound to a person, a tier, a division and roles "
            "(ADR 0012). Errors are "
            '`{"error": {"code", "message"}}`: 401 bad token, 403 outside jurisdiction, 404 '
            "unknown, 409 illegal transition or concurrent change, 422 invalid input."
        ),
        # Scope is checked here, for every route, before the route runs (ADR 0014).
        dependencies=[Depends(scope.in_scope)],
        # Served from local assets instead of a CDN (shared/api/docs.py).
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    errors.install(app)
    app.include_router(auth.router, responses=ERRORS)
    app.include_router(accounts.router, responses=ERRORS)
    app.include_router(commands, responses=ERRORS)
    app.include_router(platforms.router, responses=ERRORS)
    app.include_router(returns.router, responses=ERRORS)
    app.include_router(sampling.router, responses=ERRORS)
    app.include_router(training.router, responses=ERRORS)
    app.include_router(commendations.router, responses=ERRORS)
    app.include_router(reports.router, responses=ERRORS)
    app.include_router(divisions.router, responses=ERRORS)
    app.include_router(themes.router, responses=ERRORS)
    app.include_router(audit.router, responses=ERRORS)
    app.include_router(access_log.router, responses=ERRORS)
    app.include_router(assessment.router, responses=ERRORS)  # 考核 (ADR 0025)
    app.include_router(points.router, responses=ERRORS)  # 积分制 (ADR 0027)
    app.include_router(_health)
    scope.classify_routes(app)  # a parameter without a jurisdiction rule stops the build
    # Outermost: logs reads of one organisation's record with the status actually answered.
    app.add_middleware(
        access_log.AccessLog, db=runtime.db, tier=str(runtime.tier), clock=runtime.app.clock
    )
    # Around the access log: expensive reads bounded, then bodies over the limit refused before
    # anything reads them or checks a token (shared/api/limits.py).
    settings = runtime.settings
    limits.install(
        app,
        max_body_bytes=settings.max_body_bytes,
        rate_per_second=settings.rate_limit_per_second,
        concurrency=settings.expensive_concurrency,
        max_upload_bytes=settings.max_upload_bytes,
    )
    docs.install(app)
    # Outermost of all: request id, access line and metrics for every answer (413s included).
    observability.install(app, runtime)
    return app


_health = APIRouter(tags=["health 运行状态"])


@_health.get("/health", response_model=models.HealthOut)
def health(runtime: Runtime) -> dict[str, Any]:
    """存活 / Liveness."""
    return {"status": "ok", "tier": str(runtime.tier)}


@_health.get("/ready", response_model=models.ReadyOut, responses={503: {"model": models.ReadyOut}})
def ready(runtime: Runtime, response: Response) -> dict[str, Any]:
    """就绪与传输延迟 / Readiness: relay lag of this tier's store, projector lag per source, and
    dead letters. 503 while a source is stopped on a dead letter (ADR 0003). ``calendar_horizon``
    warns 60 days before the working-day calendar runs out (ADR 0007); it never makes a 503."""
    head = runtime.app.recorder.max_notification_id() or 0
    relayed = runtime.relay.position()
    blocked = sorted(runtime.projector.blocked_sources())
    if blocked:
        response.status_code = 503
    return {
        "status": "degraded" if blocked else "ready",
        "tier": str(runtime.tier),
        "source": runtime.app.name,
        "store_head": head,
        "relay_position": relayed,
        "relay_lag": head - relayed,
        "projector_positions": runtime.projector.positions(),
        "projector_lag": runtime.projector.lag(),
        "blocked_sources": blocked,
        "dead_letters": len(runtime.projector.dead_letters()),
        "calendar_horizon": horizon(legal_date(runtime.app.clock()), runtime.app.calendar),
    }
