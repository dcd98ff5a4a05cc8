"""Composition root of the county tier: its application and its command routes."""

from __future__ import annotations

from services.county.api import router
from services.county.application import CountyApplication
from shared.bootstrap import TierBootstrap

BOOTSTRAP = TierBootstrap(CountyApplication, router)
