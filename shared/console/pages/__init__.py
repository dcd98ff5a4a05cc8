"""The console's pages, one module per kind of work; each exports ``router``."""

from __future__ import annotations

from shared.console.pages import (
    admin,
    audit,
    auth,
    county,
    county_funding,
    county_ledger,
    county_work,
    evaluation,
    home,
    organisation,
    township,
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
    evaluation.router,
    audit.router,
    admin.router,
]
