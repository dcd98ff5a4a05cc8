"""The tier's projector: the projector machinery (shared/infrastructure/projector.py) applying
integration events to this tier's read model (shared/tier/readmodel.py)."""

from __future__ import annotations

from typing import ClassVar

from shared.infrastructure.projector import EventProjector, ReadModel
from shared.tier import readmodel


class Projector(EventProjector):
    model: ClassVar[ReadModel] = readmodel
