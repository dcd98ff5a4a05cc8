"""The console's pages, one module per kind of work; each exports ``router``."""

from __future__ import annotations

from shared.console.pages import (
    admin,
    audit,
    auth,
    commendations,
    county,
    county_funding,
    county_ledger,
    county_work,
    home,
    organisation,
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
    audit.router,
    admin.router,
    training.router,
    commendations.router,
]
