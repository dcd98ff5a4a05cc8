"""Additive counters per division: computed from the read model, and kept in an exact cache.

``collect`` runs every group's SQL once over a division and returns counters per village
(and per township/county code where platforms sit). That is exact, and it is what
reconciliation uses, but at 300,000 organisations it reads millions of rows.

``division_counters`` gives the same numbers for one division from a cache of per-division
counters. The cache is exact, not approximate: the projector bumps a version for an event's
division and its ancestors in the same transaction as the rows (``readmodel.touch``), and a
cached entry is used only while the version it was computed at is still current. A county
report then reads one entry per child; after writes, only the villages that changed are
recomputed, and their township and county entries are re-summed from the children.

On a tree with retired codes (``shared/capabilities/divisions/history.py``, ADR 0005) rows recorded under a retired
code count under its successor: they are fetched with one extra scope per retired code and
their counters moved to the successor (``remap``). Their events move the versions of the
retired code's own ancestors, not the successor's, so an entry of a division that receives
such rows from outside its prefix is never cached (``volatile``): it is recomputed each time.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from shared.infrastructure.store import Database, Tx
from shared.kernel.jurisdiction import Division, Jurisdiction, Tier, prefix_of
from shared.kernel.periods import Period
from shared.kernel.rules import RuleSet
from shared.reporting import figures as f
from shared.reporting.evaluation import count_assignments, count_evaluation
from shared.reporting.figures import Counters, Scope
from shared.reporting.ranking import count_ranking
from shared.reporting.sampling import count_sampling
from shared.reporting.training import count_courses, count_training

# Bump when what a counter means changes, so no entry computed by older code is ever used.
# 2: sampling (ADR 0010); 3: themes, mediation (ADR 0019); 4: coverage (ADR 0018);
# 5: distinct volunteers, funding details (ADR 0021); 6: training (ADR 0024); 7: third-party
# evaluation (ADR 0026).
COUNTERS_VERSION = "7"
# A township with at least this many stale villages is recomputed in one pass over it.
BATCH_FROM = 4
# Codes looked up by a list of parameters; more are read as whole tables (``fetch``).
LIST_UP_TO = 200
# Cache entries written per statement (4 parameters each: well inside SQLite's limit).
STORE_BATCH = 500


def _count_all(
    tx: Tx,
    out: dict[str, Counters],
    j: Jurisdiction,
    s: Scope,
    as_of: date,
    period: Period,
    rules: RuleSet,
) -> None:
    f.count_organisations(tx, out, s, as_of, j)
    f.count_flows(tx, out, s, period)
    f.count_activity(tx, out, s, period)
    f.count_activity_themes(tx, out, s, period)
    f.count_zombies(tx, out, s, as_of, rules)
    f.count_supervision(tx, out, s, as_of, period)
    count_sampling(tx, out, s, as_of, period)
    count_training(tx, out, s, as_of, period)
    count_evaluation(tx, out, s, as_of, period)
    f.count_funding(tx, out, s, period)
    ratings = f.latest_ratings(tx, s.like, as_of)  # read once for both
    f.count_ratings(tx, out, s, as_of, ratings)
    count_ranking(tx, out, j, s.like, s.by, as_of, rules, ratings)


def remap(out: dict[str, Counters], j: Jurisdiction) -> None:
    """Move the counters of retired codes to their successors in tree ``j``."""
    for old in [code for code in out if code in j.aliases]:
        moved = out.pop(old)
        out.setdefault(j.aliases[old], Counter()).update(moved)


def collect(
    tx: Tx, j: Jurisdiction, within: str, as_of: date, period: Period, rules: RuleSet
) -> dict[str, Counters]:
    """Additive counters for every division in ``within`` that holds anything: its villages
    and communities, plus township/county divisions where platforms sit (retired codes'
    counters moved to their successors in ``j``)."""
    out: dict[str, Counters] = defaultdict(Counter)
    for pattern in j.patterns(within):
        scope = Scope(pattern)
        _count_all(tx, out, j, scope, as_of, period, rules)
        f.count_platforms(tx, out, scope, as_of)
        count_courses(tx, out, scope, as_of, period)
        count_assignments(tx, out, scope, as_of, period)
    remap(out, j)
    # Rows whose division is not in the tree stay in: they count in the parent's fold but in
    # no child's, which is exactly the mismatch reconciliation reports.
    for v in j.villages(within):
        f.village_flags(out[v.code], v, rules)
    return dict(out)


def collect_organisations(
    tx: Tx, j: Jurisdiction, village: str, as_of: date, period: Period, rules: RuleSet
) -> dict[str, Counters]:
    """The same counters per organisation of one village (and of the retired villages whose
    records it took over in ``j``): the last step of the drill-down."""
    out: dict[str, Counters] = defaultdict(Counter)
    for code in (village, *j.aliased_into(village)):
        _count_all(tx, out, j, Scope(code, by="org_id"), as_of, period, rules)
    return dict(out)


def _own_level(tx: Tx, j: Jurisdiction, code: str, as_of: date, period: Period) -> Counters:
    """What sits at a township's or the county's own code (platforms, the courses it ran, the
    evaluations it assigned), not in a village, including at retired codes it succeeded."""
    out: dict[str, Counters] = defaultdict(Counter)
    for level in (code, *(old for old, new in j.aliases.items() if new == code)):
        f.count_platforms(tx, out, Scope(level), as_of)
        count_courses(tx, out, Scope(level), as_of, period)
        count_assignments(tx, out, Scope(level), as_of, period)
    remap(out, j)
    return out.get(code, Counter())


def volatile(j: Jurisdiction) -> frozenset[str]:
    """Divisions of tree ``j`` that receive rows of a retired code from outside their prefix:
    that code's events do not move their versions, so their entries are never cached."""
    out: set[str] = set()
    for old, new in j.aliases.items():
        division = j.get(new)
        while division is not None and not old.startswith(prefix_of(division.code)):
            out.add(division.code)
            division = j.get(division.parent) if division.parent else None
    return frozenset(out)


# ------------------------------------------------------------------ the cache


@dataclass
class CounterCache:
    """One report's view of the cache: entries valid at its snapshot, and what it computed.

    Entries are read on demand, a division and its children at a time, so a warm county
    report reads one row per township rather than one per village."""

    key: str
    volatile: frozenset[str] = frozenset()
    versions: dict[str, int] = field(default_factory=dict)
    entries: dict[str, Counters] = field(default_factory=dict)
    computed: dict[str, Counters] = field(default_factory=dict)
    looked_up: set[str] = field(default_factory=set)

    @classmethod
    def load(
        cls, tx: Tx, j: Jurisdiction, code: str, as_of: date, period: Period, rules: RuleSet
    ) -> CounterCache:
        cache = cls(cache_key(j, as_of, period, rules), volatile(j))
        cache.fetch(tx, [code])
        return cache

    def fetch(self, tx: Tx, codes: list[str]) -> None:
        """Read the versions and valid entries of ``codes`` not read yet (in the snapshot)."""
        wanted = [c for c in codes if c not in self.looked_up]
        if not wanted:
            return
        self.looked_up.update(wanted)
        if len(wanted) > LIST_UP_TO:
            # A cold county report asks for every village at once: one statement with
            # thousands of parameters cost ~100 ms to plan at 3,000 villages; the tables hold
            # at most one row per division (and key), so read them whole and keep the wanted.
            versions = tx.all("SELECT code, version FROM division_version")
            entries = tx.all(
                "SELECT code, version, counters FROM counter_cache WHERE key = %s", (self.key,)
            )
        else:
            marks = ", ".join(["%s"] * len(wanted))
            versions = tx.all(
                f"SELECT code, version FROM division_version WHERE code IN ({marks})", wanted
            )
            entries = tx.all(
                "SELECT code, version, counters FROM counter_cache WHERE key = %s"
                f" AND code IN ({marks})",
                (self.key, *wanted),
            )
        chosen = set(wanted)
        for r in versions:
            if r["code"] in chosen:
                self.versions[r["code"]] = int(r["version"])
        for r in entries:
            if (
                r["code"] in chosen
                and int(r["version"]) == self.versions.get(r["code"], 0)
                and r["code"] not in self.volatile
            ):
                self.entries[r["code"]] = Counter(json.loads(r["counters"]))

    def remember(self, code: str, counters: Counters) -> None:
        """Use ``counters`` for the rest of this report; keep them unless ``code`` is volatile."""
        self.entries[code] = counters
        if code not in self.volatile:
            self.computed[code] = counters

    def store(self, db: Database) -> None:
        """Write what this report computed; an entry whose division changed meanwhile carries
        the older version and is simply never used."""
        if not self.computed:
            return
        entries = [
            (self.key, code, self.versions.get(code, 0), json.dumps(dict(c)))
            for code, c in self.computed.items()
        ]
        with db.transaction() as tx:
            # Many rows per statement: a cold county report stores one entry per division
            # (3,031 at 3,000 villages), and a statement each cost more than computing them.
            for i in range(0, len(entries), STORE_BATCH):
                chunk = entries[i : i + STORE_BATCH]
                tx.execute(
                    "INSERT INTO counter_cache (key, code, version, counters) VALUES "
                    + ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
                    + " ON CONFLICT (key, code) DO UPDATE SET version = excluded.version,"
                    " counters = excluded.counters",
                    [v for entry in chunk for v in entry],
                )


def cache_key(j: Jurisdiction, as_of: date, period: Period, rules: RuleSet) -> str:
    """Everything besides the rows that a division's counters depend on: the tree's codes,
    attributes and aliases among them (a tree without aliases keeps its old key)."""
    shape: list[object] = [
        *sorted(
            (d.code, d.area, d.registered_population, d.resident_population)
            for d in j.divisions.values()
        )
    ]
    if j.aliases:
        shape.append(sorted(j.aliases.items()))
    tree = hashlib.sha256(repr(shape).encode()).hexdigest()[:12]
    return "|".join(
        (
            COUNTERS_VERSION,
            as_of.isoformat(),
            period.start.isoformat(),
            period.end.isoformat(),
            rules.version,
            tree,
        )
    )


def division_counters(
    tx: Tx,
    cache: CounterCache,
    j: Jurisdiction,
    division: Division,
    as_of: date,
    period: Period,
    rules: RuleSet,
) -> Counters:
    """A division's additive counters: Σ its children + its own level, from the cache where
    valid, recomputed (and remembered) where not."""
    code = division.code
    cache.fetch(tx, [code])
    if code in cache.entries:
        return cache.entries[code]
    if division.tier is Tier.VILLAGE:
        _compute_villages(tx, cache, j, j.divisions[division.parent or code], as_of, period, rules)
        return cache.entries[code]
    total = Counter(_own_level(tx, j, code, as_of, period))
    children = [j.divisions[c] for c in j.children[code]]
    cache.fetch(tx, [c.code for c in children])
    stale = [c for c in children if c.tier is Tier.VILLAGE and c.code not in cache.entries]
    areas = [c for c in children if c.tier is not Tier.VILLAGE and c.code not in cache.entries]
    if len(stale) >= BATCH_FROM or (len(areas) >= BATCH_FROM and 2 * len(areas) >= len(children)):
        # Most of it stale (a cold county report): one pass over the whole division rather
        # than a pass per township, ~35 statements instead of ~35 per township (ADR 0030).
        _compute_villages(tx, cache, j, division, as_of, period, rules)
    for child in children:
        total.update(division_counters(tx, cache, j, child, as_of, period, rules))
    cache.remember(code, total)
    return total


def _compute_villages(
    tx: Tx,
    cache: CounterCache,
    j: Jurisdiction,
    township: Division,
    as_of: date,
    period: Period,
    rules: RuleSet,
) -> None:
    """Recompute the stale villages of one township (or of the county): one pass over it when
    many are stale, one small pass per village otherwise."""
    villages = j.villages(township.code)
    cache.fetch(tx, [v.code for v in villages])
    stale = [v for v in villages if v.code not in cache.entries]
    if len(stale) >= BATCH_FROM:
        scopes = [Scope(p) for p in j.patterns(township.code)]
    else:
        scopes = [Scope(p) for v in stale for p in j.patterns(v.code)]
    out: dict[str, Counters] = defaultdict(Counter)
    for scope in scopes:
        _count_all(tx, out, j, scope, as_of, period, rules)
        f.count_platforms(tx, out, scope, as_of)
    remap(out, j)
    for v in stale:
        c = out.get(v.code, Counter())
        f.village_flags(c, v, rules)
        cache.remember(v.code, c)
