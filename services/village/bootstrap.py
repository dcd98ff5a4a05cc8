"""Composition root of the village tier: its application and its command routes."""

from __future__ import annotations

from services.village.api import router
from services.village.application import VillageApplication
from shared.bootstrap import TierBootstrap

BOOTSTRAP = TierBootstrap(VillageApplication, router)
