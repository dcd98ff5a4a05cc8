"""Composition root of the township tier: its application and its command routes."""

from __future__ import annotations

from services.township.api import router
from services.township.application import TownshipApplication
from shared.bootstrap import TierBootstrap

BOOTSTRAP = TierBootstrap(TownshipApplication, router)
