"""``/``: each person starts where their day's work is."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from shared.console.web import CurrentPage

router = APIRouter()

START = {
    "village": "/village/groups",
    "township": "/township/worklist",
    "county": "/county/dashboard",
}


@router.get("/")
async def home(page: CurrentPage) -> RedirectResponse:
    me = page.me
    if me.has("operator", "viewer"):
        target = START[page.tier]
    elif me.has("auditor"):
        target = "/audit"
    elif me.has("admin"):
        target = "/accounts"
    elif me.has("evaluator"):
        target = "/evaluator/assignments"  # an outside evaluator's only pages (ADR 0026)
    else:
        target = "/password"
    query = page.request.url.query
    return RedirectResponse(target + (f"?{query}" if query else ""), status_code=303)
