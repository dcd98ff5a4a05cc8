"""Composition root of the township tier: its application and its command routes."""

from __future__ import annotations

from fastapi import APIRouter

from services.township import api
from services.township.application import TownshipApplication
from shared.bootstrap import TierBootstrap
from shared.capabilities.exits import api as zombie_exit

router = APIRouter()
router.include_router(api.router)
router.include_router(zombie_exit.router)

BOOTSTRAP = TierBootstrap(TownshipApplication, router)
