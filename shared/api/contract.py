"""The error half of the API contract (issue 12 item 1): the envelope every failure answers,
the statuses every operation documents with it, and where malformed JSON went wrong.

Routers are included with :data:`ERRORS` (``responses=``), so each operation lists every
status it can answer; codes known to a status are named in its description.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    field: str = Field(description="出错字段 / the field, dotted (empty for the whole body)")
    problem: str = Field(description="问题 / what is wrong with it")
    type: str | None = Field(None, description="pydantic error type, e.g. missing, int_parsing")
    ge: str | None = Field(None, description="下限 / the bound broken, when there is one")
    le: str | None = Field(None, description="上限 / the bound broken, when there is one")
    max_length: str | None = Field(None, description="最大长度 / the length bound broken")


class ErrorBody(BaseModel):
    code: str = Field(description="错误代码 / machine-readable code, e.g. unknown_organisation")
    message: str = Field(description="说明 / human-readable explanation")
    details: list[dict[str, Any]] | None = Field(
        None,
        description="明细 / per-field problems (422), or the line and column of malformed JSON",
    )
    current_version: int | None = Field(
        None,
        description="当前版本 / with version_mismatch (409): the version the record is at now",
    )


class ErrorOut(BaseModel):
    """错误 / Every failure: ``{"error": {"code", "message", "details"?}}``."""

    error: ErrorBody


def _documented(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _documented(
        "请求头有误 / a malformed precondition: invalid_if_match (If-Match is not one strong "
        'ETag such as "v7"), if_match_not_applicable (If-Match on a command that creates a '
        "record); ADR 0035"
    ),
    401: _documented(
        "未登录 / not authenticated: missing_token, invalid_token, token_expired, "
        "token_revoked, account_disabled, account_unknown"
    ),
    403: _documented(
        "无权 / forbidden: out_of_jurisdiction (outside the account's division, or not known "
        "at this tier yet), wrong_tier, role_forbidden, password_change_required"
    ),
    404: _documented(
        "不存在 / unknown: unknown_organisation, unknown_division, unknown_return, "
        "unknown_draw, unknown_issued_report, unknown_award, … (the thing the path names)"
    ),
    409: _documented(
        "冲突 / conflict: an illegal transition for the record's state (e.g. "
        "illegal_transition, already_decided), concurrent_change (two commands raced), "
        "version_mismatch (If-Match names another version than the record's: the body's "
        "current_version and the ETag header give the record's; ADR 0035), "
        "idempotency_key_reused, rule or calendar not in force"
    ),
    413: _documented("请求体过大 / body_too_large: the body exceeds SANJI_MAX_BODY_BYTES"),
    422: _documented(
        "输入无效 / invalid input: invalid_input (details name each field; unknown fields are "
        "refused), invalid_json (details give line and column), and route-specific codes"
    ),
    429: _documented("请求过多 / rate_limited: too many requests; retry after Retry-After"),
    503: _documented(
        "繁忙 / busy: too many expensive reads (reproductions, known-at reports) at once; "
        "retry after Retry-After"
    ),
}


def json_position(document: str | bytes, pos: int) -> tuple[int, int]:
    """Line and column (both from 1) of character offset ``pos`` in ``document``."""
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
    pos = max(0, min(pos, len(text)))
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1
