"""Random inspection sampling (抽查): the draw, its quota and its reproduction (ADR 0010).

A draw is a fact recorded with everything an auditor needs to recompute it by hand or in any
language: the population snapshot (the sorted ids of the organisations eligible on the draw
date) and its SHA-256, the seed, the rate of the rule version in force, the quota and the
selection. The algorithm (``sha256-rank/v1``):

1. Each id is its canonical text: lower-case UUID with hyphens.
2. ``population_hash`` = SHA-256 (hex) of the sorted ids joined by ``"\\n"`` (UTF-8).
3. ``quota`` = ceil(rate × population size), computed exactly on the decimal rate, at least 1
   if the population is not empty, at most its size (a supplementary draw names its size).
4. Each id's rank key is SHA-256 (hex) of ``seed + "|" + id`` (UTF-8); the ids sorted by
   (key, id) ascending; the first ``quota`` of them are the selection, in that order.

``python -m shared.capabilities.sampling.domain RECORD.json`` checks a record (the draw's integration payload, or
``GET /api/v1/sample-draws/{id}``) and exits 1 if it does not reproduce. The class path of
:class:`SampleDraw.Drawn` is a storage contract in the county's and the townships' stores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.kernel.domain import Meta
from shared.kernel.domain import SanjiAggregate as Agg
from shared.kernel.jurisdiction import Tier

ALGORITHM = "sha256-rank/v1"
# Which organisations a tier's draw is made from (domain.md §3: the county checks registered
# organisations, a township the groups it filed).
POPULATION = {Tier.COUNTY: "registered", Tier.TOWNSHIP: "filed"}


def canonical(ids: Iterable[UUID | str]) -> list[str]:
    """Ids as canonical text, sorted: the population snapshot as recorded."""
    return sorted(str(UUID(str(i))) for i in ids)


def population_hash(population: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(population).encode("utf-8")).hexdigest()


def quota(rate: str, size: int) -> int:
    """ceil(rate × size), exact on the decimal rate; at least 1 of a non-empty population."""
    if size <= 0:
        return 0
    return min(size, max(1, math.ceil(Fraction(rate) * size)))


def rank_key(seed: str, organisation_id: str) -> str:
    return hashlib.sha256(f"{seed}|{organisation_id}".encode()).hexdigest()


def select(seed: str, population: Sequence[str], k: int) -> list[str]:
    """The first ``k`` ids of ``population`` by (SHA-256 of seed|id, id)."""
    return sorted(population, key=lambda i: (rank_key(seed, i), i))[:k]


def regular_draw_id(tier: Tier, division_code: str, year: int) -> UUID:
    """One regular draw per tier, division and year: a second attempt collides (409)."""
    return uuid5(NAMESPACE_URL, f"sanji:sample-draw:{tier}:{division_code}:{year}")


class SampleDraw(Agg):
    """A recorded draw of organisations to inspect (抽查抽签)."""

    if TYPE_CHECKING:
        year: int
        division_code: str
        selected: list[dict[str, str]]

    class Event(Agg.Event):
        ID_NAME = "draw_id"
        ABOUT_ORGANISATION = False

    class Drawn(Event, Agg.Created):
        division_code: str
        year: int
        population_kind: str
        population: list[str]
        population_hash: str
        seed: str
        rate: str
        quota: int
        algorithm: str
        selected: list[dict[str, str]]  # [{organisation_id, village_code}] in rank order
        supplementary: bool
        minimum_inspectors: int

        def apply(self, draw: Any) -> None:
            draw.year = self.year
            draw.division_code = self.division_code
            draw.selected = self.selected

    @classmethod
    def draw(cls, id: UUID, meta: Meta, **fields: Any) -> SampleDraw:
        return cls._create(cls.Drawn, id=id, meta=meta, **fields)


def sampling_events(tier: str) -> dict[type, str]:
    """A tier application's ``published`` entry for its draws."""
    return {SampleDraw.Drawn: f"sanji.{tier}.sample.drawn.v1"}


def reproduce(record: dict[str, Any], rate_of_rule: str | None = None) -> dict[str, Any]:
    """Recompute a draw from its record (seed, population, rate) and compare every part.

    ``rate_of_rule``: the rate of the rule version the record names, if known (the record's
    own ``rate`` must match it). A supplementary draw's quota is its stated size."""
    population = [str(i) for i in record["population"]]
    recorded = [str(s["organisation_id"]) for s in record["selected"]]
    k = int(record["quota"])
    expected_quota = (
        k if record.get("supplementary") else quota(str(record["rate"]), len(population))
    )
    expected = select(str(record["seed"]), population, expected_quota)
    checks = {
        "algorithm": record.get("algorithm") == ALGORITHM,
        "population_sorted": population == canonical(population),
        "population_hash": population_hash(population) == record["population_hash"],
        "rate": rate_of_rule is None or Fraction(str(record["rate"])) == Fraction(rate_of_rule),
        "quota": k == expected_quota,
        "selection": recorded == expected,
    }
    return {
        "reproduced": all(checks.values()),
        "checks": checks,
        "expected_quota": expected_quota,
        "expected_selection": expected,
        "recorded_selection": recorded,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="reproduce a recorded inspection draw")
    parser.add_argument("record", type=Path, help="the draw's record (JSON)")
    args = parser.parse_args(argv)
    record = json.loads(args.record.read_text(encoding="utf-8"))
    result = reproduce(record.get("record", record))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["reproduced"] else 1


if __name__ == "__main__":
    sys.exit(main())
