"""Who read which organisation's record, when and from where (个人信息保护法; ADR 0012).

Reads of one organisation's record, its timeline, its exports and its report are written to
``access_log`` in the tier's read-model database once the answer has gone out, refusals
included (a refused look is as telling as a granted one). Reports aggregated above one
organisation are not logged. An ``auditor`` queries the log at ``GET /api/v1/access-log``.

The log is an ASGI wrapper rather than a dependency of each route, so a new route under
``/organisations/{id}`` is logged without anyone remembering to.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from anyio import to_thread
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from shared.api.deps import Operator, Runtime
from shared.infrastructure.store import Database
from shared.kernel.domain import Actor, OutOfJurisdiction
from shared.kernel.jurisdiction import prefix_of

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ONE_ORGANISATION = re.compile(
    r"^/api/v1/(?:reports/)?organisations/(?P<org>[0-9a-fA-F-]{36})(?:/|$)"
)


class AccessLog:
    def __init__(
        self, app: ASGIApp, db: Database, tier: str, clock: Callable[[], datetime]
    ) -> None:
        self.app, self.db, self.tier, self.clock = app, db, tier, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = ONE_ORGANISATION.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        status = 500
        scope.setdefault("state", {})  # shared with the request, which notes its actor there

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sent)
        finally:
            await to_thread.run_sync(self._write, scope, match.group("org"), status)

    def _write(self, scope: Scope, org: str, status: int) -> None:
        actor: Actor | None = scope.get("state", {}).get("actor")
        query = scope.get("query_string", b"").decode("latin-1")
        client = scope.get("client")
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO access_log (id, at, account_id, name, tier, division_code, method,"
                " path, organisation_id, address, status) VALUES (%s, %s, %s, %s, %s, %s, %s,"
                " %s, %s, %s, %s)",
                (
                    str(uuid4()),
                    self.clock().isoformat(),
                    actor.id if actor else "",
                    actor.name if actor else "",
                    str(actor.tier) if actor else "",
                    actor.division if actor else "",
                    "GET",
                    scope["path"] + (f"?{query}" if query else ""),
                    org.lower(),
                    client[0] if client else None,
                    status,
                ),
            )


# ------------------------------------------------------------------ the auditor's query

router = APIRouter(prefix="/api/v1", tags=["audit 审计"])


class AccessOut(BaseModel):
    """一次查阅 / One read of an organisation's record."""

    at: str = Field(description="时间 / when (server clock, ISO 8601)")
    account_id: str = Field(description="账号 / the reader's account ('' if not logged in)")
    name: str = Field(description="姓名 / the reader's name")
    tier: str
    division_code: str = Field(description="读者所属区划 / the reader's division")
    path: str = Field(description="读取内容 / what was read (path and query)")
    organisation_id: str
    address: str | None = Field(description="来源地址 / where from")
    status: int = Field(description="应答 / HTTP status answered (403: refused)")


@router.get("/access-log")
def access_log(
    runtime: Runtime,
    operator: Operator,
    organisation_id: UUID | None = None,
    reader: str | None = Query(None, max_length=64, description="读者账号 / reader's account id"),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = Query(200, ge=1, le=5000),
) -> list[AccessOut]:
    """查阅记录 / Reads of organisations' records within the auditor's division (auditors):
    by readers of the division, or of organisations in it; newest first."""
    if not operator.has("auditor"):
        raise OutOfJurisdiction("auditors_only", "只有审计账号可以查询查阅记录 / auditors only")
    prefix = prefix_of(operator.division) + "%"
    where = ["(l.division_code LIKE %s OR o.village_code LIKE %s)"]
    params: list[Any] = [prefix, prefix]
    for clause, value in (
        ("l.organisation_id = %s", str(organisation_id) if organisation_id else None),
        ("l.account_id = %s", reader),
        ("l.at >= %s", since.isoformat() if since else None),
        ("l.at <= %s", until.isoformat() if until else None),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    with runtime.db.transaction() as tx:
        rows = tx.all(
            "SELECT l.* FROM access_log l LEFT JOIN org o ON o.org_id = l.organisation_id"
            f" WHERE {' AND '.join(where)} ORDER BY l.at DESC, l.id LIMIT %s",
            (*params, limit),
        )
    return [AccessOut.model_validate({k: r[k] for k in AccessOut.model_fields}) for r in rows]
