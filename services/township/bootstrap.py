"""Composition root of the township tier: its application and its command routes."""

from __future__ import annotations

from fastapi import APIRouter

from services.township import api
from services.township.application import TownshipApplication
from shared.api import zombie_exit
from shared.bootstrap import TierBootstrap

router = APIRouter()
router.include_router(api.router)
router.include_router(zombie_exit.router)

BOOTSTRAP = TierBootstrap(TownshipApplication, router)
