"""Composition root of the county tier: builds its runtime and its API from settings."""

from __future__ import annotations

from fastapi import FastAPI

from services.county.api import router
from services.county.application import CountyApplication
from shared.api.app import create_app
from shared.jurisdiction import Jurisdiction
from shared.projection.projector import SourceReader
from shared.runtime import TierRuntime
from shared.settings import Settings
from shared.transport.base import Transport

APPLICATION = CountyApplication


def build_runtime(
    settings: Settings,
    jurisdiction: Jurisdiction,
    transport: Transport,
    sources: SourceReader | None = None,
) -> TierRuntime:
    return TierRuntime.build(CountyApplication, settings, jurisdiction, transport, sources)


def build_api(runtime: TierRuntime) -> FastAPI:
    return create_app(runtime, router)
