"""The scope rule's build-time guard (ADR 0014): a route parameter without a rule stops the app."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI

from shared.api import scope


def test_a_route_with_an_unclassified_parameter_stops_the_build() -> None:
    app = FastAPI()
    router = APIRouter()

    @router.get("/api/v1/widgets/{widget_id}")
    def widget(widget_id: str, fmt: str = "csv") -> dict[str, str]:
        return {}

    app.include_router(router)
    with pytest.raises(RuntimeError, match="widget_id"):
        scope.classify_routes(app)


def test_classified_parameters_pass() -> None:
    app = FastAPI()

    @app.get("/api/v1/organisations/{organisation_id}")
    def organisation(organisation_id: str, as_of: str | None = None) -> dict[str, str]:
        return {}

    scope.classify_routes(app)
