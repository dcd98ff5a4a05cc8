"""The public disclosure pages (公示, ADR 0023): ``/public/`` (search), ``/public/org/{id}``
and ``/public/division/{code}``, served by the county service without an account.

Read-only and anonymous: no cookie is read or set, no form is posted (the search is a GET),
and any other method answers 405. Each client address may load ``SANJI_PUBLIC_RATE_PER_SECOND``
pages a second (a burst of four seconds' worth) before a 429 page. Pages render only the
models of ``models.py``; answers may be cached briefly by browsers and proxies.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from shared.api.limits import TokenBuckets
from shared.console import labels
from shared.kernel.domain import CHINA
from shared.public import queries

if TYPE_CHECKING:
    from shared.tier.runtime import TierRuntime

HERE = Path(__file__).parent
PREFIX = "/public"
READ_METHODS = ["GET", "HEAD"]
# Published facts change a few times a day: a minute in a cache costs nothing and spares the
# service a crowd reloading one page. Refusals are not kept.
CACHE = "public, max-age=60"
NO_STORE = "no-store"
MAX_PAGE = 10_000

# The public templates, and the console's under "console/" (its macros: one summary list and
# one breadcrumb trail for both surfaces). Only the prefix reaches them, so a public name never
# falls through to a console page.
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(HERE / "templates"),
                jinja2.PrefixLoader(
                    {"console": jinja2.FileSystemLoader(Path(labels.__file__).parent / "templates")}
                ),
            ]
        ),
        autoescape=True,
    )
)
# The console's Chinese formats (dates, numbers, tier names): one vocabulary for both surfaces
# (and the console's macros compile only with its filters).
templates.env.filters.update(labels.FILTERS)


class Refused(Exception):
    """A public request answered with an error page."""

    def __init__(
        self, status: int, title: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self.status, self.title, self.message = status, title, message
        self.headers = headers or {}


def client_key(request: Request) -> str:
    """The rate-limit key: the address that connected (no forwarded header is trusted, and
    the servers run uvicorn with ``proxy_headers=False``). Behind a reverse proxy that is the
    proxy's: the limit then holds for all visitors together, which still protects the service
    (ADR 0023). An IPv6 client is keyed by its /64, the block one subscriber gets: keying by
    address would give it 2^64 buckets."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is that IPv4 client
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


async def limited(request: Request) -> None:
    """One token per page from this client's bucket, else a 429 page with Retry-After."""
    buckets: TokenBuckets | None = request.app.state.public_buckets
    if buckets is None:
        return
    wait = buckets.take(client_key(request))
    if wait > 0:
        seconds = max(1, int(wait + 0.999))
        raise Refused(
            429,
            "访问过于频繁",
            f"您的访问过于频繁，请 {seconds} 秒后再试。",
            {"Retry-After": str(seconds)},
        )


router = APIRouter(prefix=PREFIX, dependencies=[Depends(limited)])


def _runtime(request: Request) -> TierRuntime:
    runtime: TierRuntime = request.app.state.runtime
    return runtime


def _today(runtime: TierRuntime) -> date:
    """Today in China, by the service's clock (what grades and listings are in force on)."""
    return runtime.app.clock().astimezone(CHINA).date()


def render(
    request: Request, template: str, status: int = 200, cache: str = CACHE, **context: Any
) -> HTMLResponse:
    """A public page: the county's name, today's date and the page's models; nothing from any
    session (there is none)."""
    runtime = _runtime(request)
    county = runtime.jurisdiction.county
    response = templates.TemplateResponse(
        request,
        template,
        {
            "county": {"code": county.code, "name": county.name},
            "today": _today(runtime),
            **context,
        },
        status_code=status,
    )
    response.headers["cache-control"] = cache
    return response


def refusal(request: Request, e: Refused) -> HTMLResponse:
    response = render(
        request, "error.html", status=e.status, cache=NO_STORE, title=e.title, message=e.message
    )
    response.headers.update(e.headers)
    return response


def not_found() -> Refused:
    # One answer for an unknown address, id or division and an organisation never disclosed.
    return Refused(404, "未找到", "没有找到这个页面或这家组织。请返回查询页重新查询。")


@router.api_route("/", methods=READ_METHODS, response_class=HTMLResponse)
async def search_page(request: Request) -> HTMLResponse:
    raw = request.query_params.get("q", "")
    try:
        text = queries.clean_query(raw)
    except queries.BadQuery as e:
        raise Refused(400, "查询内容无效", str(e)) from None
    runtime = _runtime(request)
    today = _today(runtime)

    def read() -> Any:
        j = queries.tree(runtime.db, runtime.jurisdiction, today)
        return queries.search(runtime.db, j, today, text)

    found = await run_in_threadpool(read)
    return render(request, "search.html", title="社会组织信息查询", found=found)


@router.api_route("/org/{org_id}", methods=READ_METHODS, response_class=HTMLResponse)
async def organisation_page(request: Request, org_id: str) -> HTMLResponse:
    runtime = _runtime(request)
    today = _today(runtime)

    def read() -> Any:
        j = queries.tree(runtime.db, runtime.jurisdiction, today)
        return queries.organisation(runtime.db, j, today, org_id.lower())

    page = await run_in_threadpool(read)
    if page is None:
        raise not_found()
    return render(request, "organisation.html", title=page.organisation.name, page=page)


@router.api_route("/division/{code}", methods=READ_METHODS, response_class=HTMLResponse)
async def division_page(request: Request, code: str) -> HTMLResponse:
    raw = request.query_params.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise Refused(400, "页码无效", f"页码应为 1 到 {MAX_PAGE} 之间的整数。")
    runtime = _runtime(request)
    today = _today(runtime)

    def read() -> Any:
        j = queries.tree(runtime.db, runtime.jurisdiction, today)
        return queries.division(runtime.db, j, today, code, int(raw))

    page = await run_in_threadpool(read)
    if page is None:
        raise not_found()
    crumbs = [(f"{PREFIX}/division/{p.code}", p.name) for p in page.parents]
    return render(request, "division.html", title=page.division.name, page=page, crumbs=crumbs)


@router.api_route("/{rest:path}", methods=READ_METHODS, response_class=HTMLResponse)
async def unknown_page(request: Request, rest: str) -> HTMLResponse:
    raise not_found()


def is_public(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def install(app: FastAPI) -> None:
    """Mount the public pages; call after the console's install (their error handlers are
    chained: a public address gets the public pages' answers, anything else is passed on)."""
    settings = app.state.runtime.settings
    rate = float(settings.public_rate_per_second)
    app.state.public_buckets = TokenBuckets(rate, burst=max(1.0, 4 * rate)) if rate > 0 else None
    app.include_router(router, include_in_schema=False)

    @app.exception_handler(Refused)
    async def refused(request: Request, e: Refused) -> Response:
        return refusal(request, e)

    earlier_http = app.exception_handlers[HTTPException]
    earlier_invalid = app.exception_handlers[RequestValidationError]

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> Response:
        if is_public(request.url.path):
            if e.status_code == 405:
                only_reads = Refused(
                    405,
                    "不支持的请求",
                    "信息公示页面只能查看，不接受提交。",
                    {"Allow": ", ".join(READ_METHODS)},
                )
                return refusal(request, only_reads)
            if e.status_code == 404:
                return refusal(request, not_found())
            return refusal(request, Refused(400, "请求无效", "无法处理这个请求。请返回查询页。"))
        answer = earlier_http(request, e)
        return await answer if isinstance(answer, Awaitable) else answer

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> Response:
        if is_public(request.url.path):
            return refusal(request, not_found())
        answer = earlier_invalid(request, e)
        return await answer if isinstance(answer, Awaitable) else answer
