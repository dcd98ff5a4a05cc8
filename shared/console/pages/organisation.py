"""``/organisations/{id}``: one organisation's facts, for every tier — status, filing and
registration, charter, grade, credit listings and activity totals — from the API's organisation
row and organisation report. Another division's organisation: the API answers 403 and the
console shows its 403 page."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from shared.console import labels
from shared.console.web import CurrentPage

router = APIRouter()

# Where each tier's organisation list is, for the breadcrumbs.
LISTS = {
    "village": ("/village/groups", "本村（社区）组织"),
    "township": ("/township/organisations", "辖区组织"),
    "county": ("/county/organisations", "组织登记"),
}


def _chain(names: dict[str, dict[str, Any]], code: str) -> list[dict[str, Any]]:
    """The village and the divisions above it, county first."""
    chain = []
    seen: set[str] = set()
    current: str | None = code
    while current and current in names and current not in seen:
        seen.add(current)
        chain.append(names[current])
        current = names[current].get("parent")
    return list(reversed(chain))


@router.get("/organisations/{organisation_id}")
async def organisation(page: CurrentPage, organisation_id: UUID) -> Response:
    page.require()
    # The row first: for another division's organisation the API answers 403 here.
    org = await page.api.get(f"/api/v1/organisations/{organisation_id}")
    report = await page.api.get(f"/api/v1/reports/organisations/{organisation_id}")
    tree = await page.api.get("/api/v1/divisions")
    names = {d["code"]: d for d in tree["divisions"]}
    village = report.get("village_in_tree") or org["village_code"]
    status = labels.status_of(org)
    return page.render(
        "organisation.html",
        title=org.get("name") or "组织",
        org=org,
        org_status=status,
        active=status in ("filed", "registered"),
        report=report,
        activity=report["figures"]["activity"],
        chain=_chain(names, village),
        recorded_in=names.get(org["village_code"]),
        listing=LISTS[page.tier],
    )
