"""The report's ranking counters (``ranking.count_ranking``: one statement, the scores'
arithmetic without the explanations) equal the explained ranking's own numbers
(``ranking.gather`` + ``score``) summed the same way, on SQLite and PostgreSQL.

The read model is written directly, at random but deterministically, so that every input of
the four scores varies: charters and clauses (some restated after the as-of day, so
``org_history`` says what held then), party organisations set up before and after it, annual
reports filed in time, late, for another year or under another village, rectifications open
and closed, credit listings, awards inside and outside the window, ratings (grades expired and
valid, stars), activities on ragged days and in whole months, recorded under another village or
outside the tree, and organisations that are not active on the date.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.infrastructure.store import Database, Tx
from shared.kernel import jurisdiction as jurisdiction_module
from shared.kernel.jurisdiction import Jurisdiction
from shared.kernel.rules import load_rules
from shared.reporting import ranking
from shared.tier import readmodel, rollups
from tests.integration.conftest import NewStore

COUNTY, TOWNSHIPS = "330699000000", ("330699001000", "330699002000")
VILLAGES = [f"{t[:9]}{v:03d}" for t in TOWNSHIPS for v in (1, 2, 3)]
OUTSIDE_TREE = "330699003001"  # a village code the tree does not know: no residents
AS_OF = (date(2026, 9, 30), date(2026, 6, 17), date(2026, 1, 1))


def tree(tmp_path: Path) -> Jurisdiction:
    lines = ["code,name,area,registered_population,resident_population", f"{COUNTY},县,,,"]
    for i, t in enumerate(TOWNSHIPS):
        lines.append(f"{t},镇{i},,,")
    for i, v in enumerate(VILLAGES):
        lines.append(f"{v},村{i},{'urban' if i % 2 else 'rural'},{900 + 37 * i},{400 + 53 * i}")
    path = tmp_path / "county.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return jurisdiction_module.load(path)


def day(rng: random.Random, first: date, last: date) -> str:
    """A day in ``[first, last]``: often an as-of day itself, where ``<`` and ``<=`` differ."""
    on = [d for d in AS_OF if first <= d <= last]
    if on and rng.random() < 0.15:
        return rng.choice(on).isoformat()
    return (first + timedelta(days=rng.randint(0, (last - first).days))).isoformat()


def maybe(rng: random.Random, value: Any, p: float = 0.5) -> Any:
    return value if rng.random() < p else None


def fill(tx: Tx, rng: random.Random) -> None:
    early, late = date(2024, 1, 1), date(2026, 12, 31)
    codes = [*VILLAGES, OUTSIDE_TREE]
    for n in range(90):
        org, village = f"org-{n:03d}", rng.choice(codes)
        filed = maybe(rng, day(rng, early, late), 0.8)
        registered = maybe(rng, day(rng, early, late), 0.6)
        tx.write(
            "INSERT INTO org (org_id, village_code, name, filed_on, filing_ended_on,"
            " registered_on, registration_ended_on, charter_at, party_clause, integrity_clause,"
            " party_org_on) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                org,
                village,
                f"组织{n}",
                filed,
                maybe(rng, day(rng, early, late), 0.2),
                registered,
                maybe(rng, day(rng, early, late), 0.2),
                maybe(rng, day(rng, early, late), 0.7),
                rng.choice((0, 1, None)),
                rng.choice((0, 1, None)),
                maybe(rng, day(rng, early, late), 0.5),
            ),
        )
        for i in range(rng.choice((0, 0, 1, 2))):  # charters stated with an effective date
            tx.write(
                "INSERT INTO org_history (org_id, fact, source, position, village_code,"
                " effective_on, stamp, value) VALUES (%s, 'charter', 'county', %s, %s, %s, %s, %s)",
                (
                    org,
                    i,
                    village,
                    day(rng, early, late),
                    f"s{i}",
                    rng.choice(("00", "01", "10", "11")),
                ),
            )
        for i in range(rng.randint(0, 14)):
            where = village if rng.random() < 0.85 else rng.choice(codes)
            tx.write(
                "INSERT INTO activity (activity_id, org_id, village_code, occurred_on, field,"
                " participants, volunteers, volunteer_services, volunteer_hours_centi,"
                " beneficiaries, money_fen) VALUES (%s, %s, %s, %s, 'culture_sports', %s, %s,"
                " %s, %s, %s, %s)",
                (
                    f"{org}-a{i}",
                    org,
                    where,
                    day(rng, date(2025, 1, 1), late),
                    rng.randint(1, 80),
                    rng.randint(0, 9),
                    rng.randint(0, 9),
                    rng.randint(0, 9000),
                    rng.randint(0, 300),
                    rng.randint(0, 99999),
                ),
            )
        for year in rng.sample((2024, 2025), rng.randint(0, 2)):
            where = village if rng.random() < 0.9 else rng.choice(codes)
            tx.write(
                "INSERT INTO annual_report (org_id, year, village_code, filed_on)"
                " VALUES (%s, %s, %s, %s)",
                (org, year, where, day(rng, date(year + 1, 1, 1), date(year + 1, 9, 30))),
            )
        for i in range(rng.choice((0, 0, 1, 2))):
            inspected = day(rng, early, late)
            tx.write(
                "INSERT INTO inspection (inspection_id, org_id, village_code, inspected_on,"
                " result, rectified_on) VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    f"{org}-i{i}",
                    org,
                    village,
                    inspected,
                    rng.choice(("compliant", "rectification_ordered", "violation")),
                    maybe(rng, day(rng, date.fromisoformat(inspected), late)),
                ),
            )
        if rng.random() < 0.15:
            tx.write(
                "INSERT INTO credit_listing (org_id, credit_list, position, village_code,"
                " entered_on, reason, left_on) VALUES (%s, 'abnormal', 1, %s, %s, '', %s)",
                (org, village, day(rng, early, late), maybe(rng, day(rng, early, late))),
            )
        for i in range(rng.choice((0, 0, 1))):
            tx.write(
                "INSERT INTO funding (award_id, org_id, village_code, programme, round,"
                " project, amount_fen, awarded_on) VALUES (%s, %s, %s, 'venture', 'r', 'p',"
                " 100000, %s)",
                (f"{org}-f{i}", org, village, day(rng, early, late)),
            )
        for i in range(rng.choice((0, 0, 1, 2))):
            tx.write(
                "INSERT INTO rating (org_id, position, village_code, rated_on, credit, grade,"
                " grade_valid_until, stars) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    org,
                    i,
                    village,
                    day(rng, early, late),
                    maybe(rng, "good"),
                    maybe(rng, rng.randint(1, 5)),
                    day(rng, early, date(2028, 1, 1)),
                    maybe(rng, rng.randint(1, 5)),
                ),
            )
    # And one case fixed rather than drawn: a registered organisation whose annual report was
    # filed on an as-of day itself, counted on that day (``filed_on <= day``, not ``<``).
    tx.write(
        "INSERT INTO org (org_id, village_code, name, registered_on, charter_at)"
        " VALUES ('org-boundary', %s, '边界组织', '2024-03-01', '2024-03-05')",
        (VILLAGES[0],),
    )
    tx.write(
        "INSERT INTO annual_report (org_id, year, village_code, filed_on)"
        " VALUES ('org-boundary', 2025, %s, %s)",
        (VILLAGES[0], AS_OF[1].isoformat()),
    )
    tx.write(rollups.FILL)  # the rollup as the projector keeps it: Σ of the rows


@pytest.fixture
def store(new_store: NewStore) -> Database:
    db = new_store()
    with db.transaction() as tx:
        readmodel.create_schema(tx)
        fill(tx, random.Random(20261205))
    return db


def explained(tx: Tx, j: Jurisdiction, like: str, by: str, as_of: date) -> dict[str, Counter[str]]:
    """The counters from the explained ranking: each organisation's ``score``, summed."""
    rules = load_rules().in_force(as_of)
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for o in ranking.gather(tx, j, like, as_of, rules):
        s = ranking.score(o, rules)
        c = out[o.org_id if by == "org_id" else o.village_code]
        c["ranking.ranked"] += 1
        for d in ranking.DIMENSIONS:
            c[f"ranking.sum_{d}_centi"] += round(s["scores"][d] * 100)
        c["ranking.sum_total_centi"] += round(s["total"] * 100)
    return dict(out)


def test_the_report_counters_equal_the_explained_ranking(store: Database, tmp_path: Path) -> None:
    j = tree(tmp_path)
    scopes = [("330699%", "village_code"), ("330699001%", "village_code")]
    scopes += [(v, "org_id") for v in (VILLAGES[0], OUTSIDE_TREE)]
    ranked = 0
    with store.snapshot() as tx:
        for as_of in AS_OF:
            rules = load_rules().in_force(as_of)
            for like, by in scopes:
                got: dict[str, Counter[str]] = defaultdict(Counter)
                ranking.count_ranking(tx, got, j, like, by, as_of, rules)
                assert dict(got) == explained(tx, j, like, by, as_of), (as_of, like)
                if like == "330699%":
                    ranked += sum(c["ranking.ranked"] for c in got.values())
                    sums = {k for c in got.values() for k, v in c.items() if v}
                    # every dimension scored above zero somewhere: the inputs vary
                    assert {f"ranking.sum_{d}_centi" for d in ranking.DIMENSIONS} <= sums
    assert ranked > 60
