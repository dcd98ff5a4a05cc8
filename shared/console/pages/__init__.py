"""The console's pages, one module per kind of work; each exports ``router``."""

from __future__ import annotations

from shared.console.pages import (
    admin,
    assessment,
    audit,
    auth,
    commendations,
    county,
    county_funding,
    county_ledger,
    county_work,
    division_points,
    evaluation,
    home,
    organisation,
    points,
    township,
    training,
    village,
)

PAGES = [
    auth.router,
    home.router,
    village.router,
    organisation.router,
    township.router,
    county.router,
    county_work.router,
    county_funding.router,
    county_ledger.router,
    assessment.router,  # 考核 (ADR 0025)
    points.router,  # 居民积分 (ADR 0027)
    evaluation.router,
    audit.router,
    admin.router,
    training.router,
    commendations.router,
    division_points.router,  # 居民积分 seen from a township or the county (ADR 0027)
]
