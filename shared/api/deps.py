"""Dependencies every tier's routes use: the runtime, the operator, and command metadata."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from typing import Annotated
from uuid import uuid4

from fastapi import Depends, Header, Request
from pydantic import BaseModel, Field

from shared import backdating
from shared.api import auth
from shared.domain import CHINA, Actor, Meta, OutOfJurisdiction, check_not_future
from shared.jurisdiction import contains
from shared.runtime import TierRuntime


# Dependencies that do no I/O are async: FastAPI runs a sync one on a worker thread, and
# those hand-offs cost more than the work itself (~6 ms per request on 2 busy cores).
async def get_runtime(request: Request) -> TierRuntime:
    runtime: TierRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[TierRuntime, Depends(get_runtime)]


async def current_operator(
    runtime: Runtime,
    authorization: Annotated[str | None, Header(description="Bearer <operator token>")] = None,
) -> Actor:
    if not authorization or not authorization.startswith("Bearer "):
        raise auth.Unauthenticated("missing_token", "send 'Authorization: Bearer <token>'")
    actor = auth.verify(authorization.removeprefix("Bearer ").strip(), runtime.settings.secret)
    if actor.tier is not runtime.tier:
        raise OutOfJurisdiction(
            "wrong_tier", f"a {actor.tier} operator cannot use the {runtime.tier} service"
        )
    return actor


Operator = Annotated[Actor, Depends(current_operator)]


class CommandIn(BaseModel):
    """Fields every command accepts."""

    effective_on: date | None = Field(
        None, description="生效日期 / legal effective date (default: today, China time)"
    )
    backdate_reason: str | None = Field(
        None,
        max_length=2000,
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
) -> Meta:
    if operator.role != "operator":
        raise OutOfJurisdiction("role_forbidden", f"role {operator.role} may not change records")
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
        correlation_id=x_correlation_id or str(uuid4()),
        causation_id=x_causation_id,
        idempotency_key=idempotency_key,
        request_hash=digest if idempotency_key else None,
        backdate_reason=reason,
    )


def _command_fields(body: bytes) -> CommandIn:
    # An invalid body is reported by the route's own validation (422); here it means "none".
    try:
        return CommandIn.model_validate_json(body or b"{}")
    except ValueError:
        return CommandIn.model_validate({})


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
