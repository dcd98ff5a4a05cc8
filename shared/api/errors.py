"""Every failure answers ``{"error": {"code", "message", "message_zh"}}`` with the status its
kind implies: 401 unauthenticated, 403 out of jurisdiction, 404 unknown, 409 conflict, 422
invalid input (``invalid_text`` when text is not data, shared/api/text.py)."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import IntegrityError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from shared.api.contract import json_position
from shared.api.messages_zh import message_zh
from shared.api.text import INVALID_TEXT, TEXT_ERRORS
from shared.api.versions import etag
from shared.kernel.domain import DomainError, VersionMismatch


def error_body(code: str, message: str, status: int = 400, **extra: Any) -> dict[str, Any]:
    zh = message_zh(code, message, status)
    return {"error": {"code": code, "message": message, "message_zh": zh, **extra}}


BOUNDS = ("ge", "gt", "le", "lt", "min_length", "max_length", "decimal_places", "max_digits")


def _bounds(ctx: dict[str, Any] | None) -> dict[str, Any]:
    return {k: str(ctx[k]) for k in BOUNDS if ctx and k in ctx}


HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, e: DomainError) -> JSONResponse:
        # RFC 6750: a 401 names the scheme the client must use.
        headers = {"WWW-Authenticate": "Bearer"} if e.status == 401 else None
        if isinstance(e, VersionMismatch):
            # The version the record is at, in the body and as its ETag, so a client can show
            # what changed and retry deliberately (ADR 0035).
            body = error_body(e.code, e.message, e.status, current_version=e.current)
            return JSONResponse(body, status_code=e.status, headers={"ETag": etag(e.current)})
        return JSONResponse(
            error_body(e.code, e.message, e.status), status_code=e.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        malformed = next((err for err in e.errors() if err["type"] == "json_invalid"), None)
        if malformed is not None:
            # FastAPI names the character offset as the field; a person needs line and column.
            line, column = json_position(e.body or "", int(malformed["loc"][-1]))
            problem = malformed.get("ctx", {}).get("error", malformed["msg"])
            return JSONResponse(
                error_body(
                    "invalid_json",
                    f"the body is not valid JSON: {problem} (line {line}, column {column})",
                    422,
                    details=[{"line": line, "column": column, "problem": problem}],
                ),
                status_code=422,
            )
        details = [
            {
                "field": ".".join(str(p) for p in err["loc"][1:]),
                "problem": err["msg"],
                # pydantic's error type and bounds, so a client (the console) can say it in
                # its own words next to the field.
                "type": err["type"],
                **_bounds(err.get("ctx")),
            }
            for err in e.errors()
        ]
        texts = [
            d for d, err in zip(details, e.errors(), strict=True) if err["type"] in TEXT_ERRORS
        ]
        if texts:
            # Text that is not data has its own code, so a client can tell it from a typo'd
            # field; the message names the fields, Chinese first.
            fields = "、".join(d["field"] for d in texts)
            message = f"文本不合规：{fields} / text not accepted: {fields}"
            body = error_body(INVALID_TEXT, message, 422, details=details)
        else:
            body = error_body("invalid_input", "the request is not valid", 422, details=details)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, e: HTTPException) -> JSONResponse:
        # Starlette's own answers (unknown path, wrong method) and FastAPI's 400 for a body it
        # could not decode (e.g. not UTF-8) answer in the envelope too; the latter is a 422
        # invalid_json like any other malformed body.
        if e.status_code == 400:
            return JSONResponse(
                error_body("invalid_json", f"the body could not be read: {e.detail}", 422),
                status_code=422,
            )
        code = HTTP_CODES.get(e.status_code, "http_error")
        return JSONResponse(
            error_body(code, str(e.detail), e.status_code),
            status_code=e.status_code,
            headers=e.headers,
        )

    @app.exception_handler(IntegrityError)
    async def concurrent(_: Request, e: IntegrityError) -> JSONResponse:
        # Two commands on one aggregate raced; the loser's events were not stored.
        return JSONResponse(
            error_body(
                "concurrent_change",
                "the record was changed concurrently; reload and retry",
                409,
            ),
            status_code=409,
        )
