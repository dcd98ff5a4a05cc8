"""Composition root of the county tier: its application and its command routes."""

from __future__ import annotations

from fastapi import APIRouter

from services.county import api
from services.county.application import CountyApplication
from services.county.funding import api as funding_api
from services.county.supervision import api as supervision_api
from shared.bootstrap import TierBootstrap
from shared.capabilities.exits import api as zombie_exit

router = APIRouter()
router.include_router(api.router)
router.include_router(supervision_api.router)
router.include_router(zombie_exit.router)
router.include_router(funding_api.router)

BOOTSTRAP = TierBootstrap(CountyApplication, router)
