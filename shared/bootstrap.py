"""How a tier is assembled: its application class and its command routes are all that differ.

Each ``services/<tier>/bootstrap.py`` names those two parts; everything else (runtime, read
model, relay, projector, reports, health, the console) is built here the same way for every
tier. It sits above the layers of ``shared/`` (ADR 0016): the one place that composes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, FastAPI

from shared.api.app import create_app
from shared.console.app import install as install_console
from shared.infrastructure.projector import SourceReader
from shared.infrastructure.settings import Settings
from shared.infrastructure.transport.base import Transport
from shared.kernel.jurisdiction import Jurisdiction, Tier
from shared.public.pages import install as install_public
from shared.tier.application import TierApplication
from shared.tier.runtime import TierRuntime


@dataclass(frozen=True)
class TierBootstrap:
    APPLICATION: type[TierApplication]
    router: APIRouter

    def build_runtime(
        self,
        settings: Settings,
        jurisdiction: Jurisdiction,
        transport: Transport,
        sources: SourceReader | None = None,
    ) -> TierRuntime:
        return TierRuntime.build(self.APPLICATION, settings, jurisdiction, transport, sources)

    def build_api(self, runtime: TierRuntime) -> FastAPI:
        app = create_app(runtime, self.router)
        install_console(app)
        if runtime.tier == Tier.COUNTY:
            # The public disclosure pages (ADR 0023): the county holds every organisation.
            install_public(app)
        return app
