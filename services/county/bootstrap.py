"""Composition root of the county tier: its application and its command routes."""

from __future__ import annotations

from fastapi import APIRouter

from services.county import api
from services.county.application import CountyApplication
from services.county.evaluation import api as evaluation_api
from services.county.funding import api as funding_api
from services.county.supervision import api as supervision_api
from services.ledger_import import api as ledger_api
from shared.api import assessment
from shared.bootstrap import TierBootstrap
from shared.capabilities.exits import api as zombie_exit

router = APIRouter()
router.include_router(api.router)
router.include_router(supervision_api.router)
router.include_router(zombie_exit.router)
router.include_router(funding_api.router)
router.include_router(evaluation_api.router)  # third-party evaluation (ADR 0026)
router.include_router(ledger_api.router)  # the ledger import (ADR 0020 addendum)
router.include_router(assessment.issue_router)  # issuing scorecards (ADR 0025)

BOOTSTRAP = TierBootstrap(CountyApplication, router)
