"""Mounts the console on a tier's app: its pages at ``/``, its assets at ``/static``, and the
answers a browser gets when a page cannot be shown (ADR 0017)."""

from __future__ import annotations

from collections.abc import Awaitable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.console.client import ApiError
from shared.console.pages import PAGES
from shared.console.web import (
    HERE,
    CsrfRefused,
    PasswordChangeRequired,
    SignedOut,
    render,
    to_login,
)

TITLES = {
    403: "无权访问",
    404: "页面不存在",
    409: "操作未能完成",
    413: "提交内容过长",
    429: "操作过于频繁",
}
# Console forms that carry a file, and the API route each passes it to.
UPLOAD_FORMS = {"/county/ledger": "/api/v1/ledger/dry-runs"}
UNREADABLE = "无法读取提交的表单。请返回上一页刷新后重新提交。"
TOO_LARGE = "提交的内容过长，超过了服务允许的大小。请返回上一页删减后重新提交。"


def upload_too_large(max_bytes: int) -> str:
    return (
        f"上传的文件超过 {max_bytes / 1_048_576:g} MiB 的上限。请把台账拆分（例如按年度，或把工作表"
        "分别另存为 CSV）后分别上传；很大的台账请在服务器上用命令行导入。"
    )


def is_console(path: str) -> bool:
    """Pages and assets of the console; everything else is the API's (JSON answers)."""
    return not (
        path.startswith("/api/")
        or path in ("/health", "/ready", "/metrics", "/openapi.json")
        or path.startswith("/docs")
        or path.startswith("/redoc")
    )


# Every console answer: not framed by another site (clickjacking; SameSite=Strict covers only
# current browsers), no inline or foreign script, forms only to this service, no type sniffing.
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "content-security-policy": (
        "frame-ancestors 'none'; script-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
# Pages hold people's records: not kept by the browser, so the Back button on a shared office
# computer after signing out shows nothing. Assets may be cached.
NO_STORE = ("cache-control", "no-store")


def _with_headers(message: Message, path: str) -> Message:
    headers = list(message.get("headers", []))
    present = {bytes(k).lower() for k, _ in headers}
    wanted = list(SECURITY_HEADERS.items())
    if not path.startswith("/static/"):
        wanted.append(NO_STORE)
    headers += [(k.encode(), v.encode()) for k, v in wanted if k.encode() not in present]
    return {**message, "headers": headers}


class ConsoleAnswers:
    """What every console answer gets, whatever made it (pure ASGI, outermost):

    - the security headers above;
    - a form posted with a body over ``SANJI_MAX_BODY_BYTES`` is refused by the API's body
      limit before any page runs (shared/api/limits.py), in the API's JSON envelope; a person
      at a browser gets the console's 413 page instead. The body limit still refuses before
      anything reads the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_console(scope["path"]):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        refused = False

        async def guarded(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start":
                if message["status"] == 413:
                    refused = True
                message = _with_headers(message, path)
            if not refused:
                await send(message)

        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = _with_headers(message, path)
            await send(message)

        await self.app(scope, receive, guarded)
        if refused:
            request = Request(scope)
            state = request.app.state
            if path in getattr(state, "upload_paths", ()):  # a file upload: its own limit
                message = upload_too_large(state.runtime.settings.max_upload_bytes)
                answer = problem(request, 413, message, "upload_too_large")
            else:
                answer = problem(request, 413, TOO_LARGE, "body_too_large")
            await answer(scope, receive, headed)


def install(app: FastAPI) -> None:
    app.add_middleware(ConsoleAnswers)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in PAGES:
        app.include_router(router, include_in_schema=False)
    # The upload form takes the upload limit where the API takes the upload (the county's
    # ledger routes); elsewhere its page is a 403 and the general limit guards it.
    for form, api in UPLOAD_FORMS.items():
        if api in getattr(app.state, "upload_paths", ()):
            app.state.upload_paths.add(form)

    @app.exception_handler(SignedOut)
    async def signed_out(request: Request, e: SignedOut) -> Response:
        return to_login(request, e.reason)

    @app.exception_handler(PasswordChangeRequired)
    async def must_change(_: Request, __: PasswordChangeRequired) -> Response:
        return RedirectResponse("/password?reason=first", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, _: CsrfRefused) -> Response:
        return problem(request, 403, "表单已失效，请返回上一页刷新后重新提交。", "csrf_refused")

    @app.exception_handler(ApiError)
    async def refused(request: Request, e: ApiError) -> Response:
        if e.status == 401:
            return to_login(request, "expired" if e.code == "token_expired" else "signed_out")
        if e.code == "password_change_required":
            return RedirectResponse("/password?reason=first", status_code=303)
        return problem(request, e.status, e.message_zh, e.code)

    api_http_error = app.exception_handlers[HTTPException]
    api_invalid = app.exception_handlers[RequestValidationError]

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> Response:
        # A console URL with a malformed id or an unknown choice names no page; forms are
        # posted to the API, so nothing else of the console's is validated here.
        if is_console(request.url.path):
            return problem(request, 404, "没有这个页面。请从首页进入。", "not_found")
        answer = api_invalid(request, e)
        return await answer if isinstance(answer, Awaitable) else answer

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> Response:
        # A browser that asks for a page that does not exist gets a page; the API keeps its
        # JSON envelope.
        if is_console(request.url.path) and e.status_code in (404, 405):
            return problem(request, 404, "没有这个页面。请从首页进入。", "not_found")
        if is_console(request.url.path) and e.status_code < 500:
            # A form body the server could not read (a multipart body without its boundary,
            # say): a page, not the API's envelope.
            return problem(request, 400, UNREADABLE, "unreadable_form")
        answer = api_http_error(request, e)
        return await answer if isinstance(answer, Awaitable) else answer


def problem(request: Request, status: int, message: str, code: str) -> Response:
    return render(
        request,
        "error.html",
        status=status if status >= 400 else 400,
        title=TITLES.get(status, "出错了"),
        message=message,
        code=code,
    )
