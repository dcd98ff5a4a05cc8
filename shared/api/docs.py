"""Swagger UI and ReDoc served by the service itself (issue 12, item 6).

FastAPI's own /docs and /redoc load their scripts and fonts from a public CDN: a blank page on a
government intranet. The assets here come from the ``fastapi-offline`` wheel (Swagger UI and
ReDoc bundles, MIT), installed with the service, and are served under ``/docs-assets``; the
pages reference nothing outside the service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse

ASSETS = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/docs-assets"


def install(app: Any) -> None:
    """Serve /docs, its OAuth2 redirect and /redoc from local assets (the app is built with
    ``docs_url=None, redoc_url=None``)."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")
    redirect = app.swagger_ui_oauth2_redirect_url

    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{redirect}",
            swagger_js_url=f"{root}{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{root}{PREFIX}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    async def oauth2_redirect(_: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{PREFIX}/favicon.png",
            with_google_fonts=False,
        )

    # Plain routes: not part of the operator API's schema, and readable without a token.
    app.router.add_route("/docs", swagger, methods=["GET"], include_in_schema=False)
    app.router.add_route(redirect, oauth2_redirect, methods=["GET"], include_in_schema=False)
    app.router.add_route("/redoc", redoc, methods=["GET"], include_in_schema=False)
