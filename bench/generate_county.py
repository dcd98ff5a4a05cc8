"""A synthetic county for the report benchmark: a jurisdiction CSV and read-model rows by COPY.

Deterministic for a given :class:`Shape` (every table draws from its own seeded stream). The
county has ``townships`` townships of ``villages`` villages/communities each: the first fifth
of the townships are urban sub-districts (街道, communities only), the rest towns (镇) with
mostly rural villages and a few communities. Organisations are spread over villages by
resident population.

Organisations (``org``), over ``years`` years up to the as-of date:

- about 3 % of applications rejected and 1 % still pending (never active);
- about 71 % filed groups (备案), 8 % of which later upgraded to a registration (same org row);
- about 25 % registered directly (社会团体 / 民办非企业 / 基金会 / 其他, valid USCIs);
- about 9 % of the active ones exited again (filing cancelled, deregistered or revoked);
- charters with party-building / integrity clauses, party organisations, grades, credit
  ratings and stars on realistic shares; entries grow over time, with a migrated backlog at
  the start.

Events: ``events`` rows across the fact tables, in event (chronological) order as a projector
would append them. Annual reports: every registered organisation files for each complete year
with 92 % probability; the other non-activity rows are split 60 / 40 between inspections and
funding awards within a 7 % budget; activities are the rest (93 % or a little more).
Activities come from the organisations active on the day, weighted by a per-organisation
intensity (1–4); about 15 % go dormant at some point and 4 % never report anything, which is
what makes zombie organisations. Weekends carry 1.4× a weekday's activities.

Tables that ``readmodel.create_schema`` creates beyond these are listed and left empty.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from shared.kernel.domain import Field
from shared.kernel.usci import check_character

BOOKKEEPING = ("tracking", "consumer_offset", "relay_position", "dead_letter")

FIELD_WEIGHTS = {
    Field.SERVICES: 22,
    Field.CULTURE_SPORTS: 24,
    Field.SELF_GOVERNANCE: 8,
    Field.SAFETY: 9,
    Field.CHARITY: 10,
    Field.MEDIATION: 6,
    Field.RURAL_REVITALISATION: 8,
    Field.MUTUAL_AID: 9,
    Field.OTHER: 4,
}
FIELD_ZH = {
    Field.SERVICES: "为民服务队",
    Field.CULTURE_SPORTS: "文体队",
    Field.SELF_GOVERNANCE: "议事会",
    Field.SAFETY: "平安巡逻队",
    Field.CHARITY: "公益服务社",
    Field.MEDIATION: "调解会",
    Field.RURAL_REVITALISATION: "乡村振兴促进会",
    Field.MUTUAL_AID: "邻里互助会",
    Field.OTHER: "协会",
}
# Registered organisations: USCI category digit → legal form, with shares.
FORMS = (("1", "social_group", 58), ("2", "private_non_enterprise", 37), ("3", "foundation", 1))
FORMS += (("9", "other", 4),)


@dataclass(frozen=True)
class Shape:
    orgs: int = 300_000
    events: int = 10_000_000
    townships: int = 30
    villages: int = 100  # per township
    as_of: date = date(2026, 9, 30)
    years: int = 6
    seed: int = 20261122
    county_prefix: str = "330699"

    @property
    def county_code(self) -> str:
        return self.county_prefix + "000000"

    def township_code(self, t: int) -> str:
        return f"{self.county_prefix}{t + 1:03d}000"

    @property
    def start(self) -> date:
        return self.as_of.replace(year=self.as_of.year - self.years) + timedelta(days=1)


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    urban: bool
    registered_population: int
    resident_population: int


# ------------------------------------------------------------------ jurisdiction


def villages_of(shape: Shape) -> list[Village]:
    rng = random.Random(f"{shape.seed}-jurisdiction")
    urban_townships = max(1, shape.townships // 5)
    out = []
    for t in range(shape.townships):
        for v in range(shape.villages):
            code = f"{shape.county_prefix}{t + 1:03d}{v + 1:03d}"
            urban = t < urban_townships or v < shape.villages // 10
            if urban:
                resident = int(rng.lognormvariate(8.7, 0.35))  # ~6,000 residents
                registered = int(resident * rng.uniform(0.55, 0.95))
            else:
                registered = int(rng.lognormvariate(7.6, 0.4))  # ~2,000 registered
                resident = int(registered * rng.uniform(0.6, 1.05))
            name = f"第{t + 1}{'街道' if t < urban_townships else '镇'}{v + 1}号{'社区' if urban else '村'}"
            out.append(Village(code, name, urban, registered, resident))
    return out


def write_jurisdiction(shape: Shape, path: Path) -> list[Village]:
    villages = villages_of(shape)
    urban_townships = max(1, shape.townships // 5)
    lines = [
        "# Synthetic county for bench/county_report.py (bench/generate_county.py)",
        "code,name,area,registered_population,resident_population",
        f"{shape.county_code},基准县,,,",
    ]
    for t in range(shape.townships):
        kind = "街道" if t < urban_townships else "镇"
        lines.append(f"{shape.township_code(t)},第{t + 1}{kind},,,")
        for v in villages[t * shape.villages : (t + 1) * shape.villages]:
            area = "urban" if v.urban else "rural"
            lines.append(
                f"{v.code},{v.name},{area},{v.registered_population},{v.resident_population}"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return villages


# ------------------------------------------------------------------ helpers


class Days:
    """ISO text of day ordinals, looked up rather than formatted (millions of rows)."""

    def __init__(self, first: date, last: date) -> None:
        self.base = first.toordinal()
        self.text = [
            (first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)
        ]

    def __call__(self, ordinal: int) -> str:
        return self.text[ordinal - self.base]


def uuid_maker(rng: random.Random) -> Callable[[], str]:
    bits = rng.getrandbits

    def make() -> str:
        h = f"{bits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"

    return make


def row(*values: object) -> str:
    return "\t".join(r"\N" if v is None else str(v) for v in values) + "\n"


class Progress:
    """Rows/s and an ETA on stderr, at most every few seconds."""

    def __init__(self, table: str, total: int, every: float = 5.0) -> None:
        self.table, self.total, self.every = table, total, every
        self.started = self.last = time.monotonic()

    def __call__(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.last < self.every:
            return
        self.last = now
        elapsed = now - self.started
        rate = done / elapsed if elapsed else 0.0
        eta = (self.total - done) / rate if rate and not final else 0.0
        tail = f"done in {elapsed:.0f} s" if final else f"eta {eta:.0f} s"
        print(
            f"[generate] {self.table:<13} {done:>11,} / {self.total:,} rows "
            f"({100 * done / max(1, self.total):5.1f} %), {rate / 1000:6.1f}k rows/s, {tail}",
            file=sys.stderr,
            flush=True,
        )


def copy_rows(
    cur: Any, table: str, columns: str, rows: Iterable[str], total: int, chunk: int = 20_000
) -> int:
    """COPY text rows into ``table``; returns the count."""
    progress = Progress(table, total)
    n = 0
    buffer: list[str] = []
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for line in rows:
            buffer.append(line)
            if len(buffer) >= chunk:
                copy.write("".join(buffer))
                n += len(buffer)
                buffer.clear()
                progress(n)
        if buffer:
            copy.write("".join(buffer))
            n += len(buffer)
    progress(n, final=True)
    return n


# ------------------------------------------------------------------ organisations


@dataclass
class Orgs:
    """What the event generators need to know about each organisation (parallel lists)."""

    ids: list[str] = field(default_factory=list)
    village: list[int] = field(default_factory=list)
    fld: list[str] = field(default_factory=list)  # field of work
    active_from: list[int] = field(default_factory=list)  # 0: never active
    active_until: list[int] = field(default_factory=list)  # exclusive; exit day or after as_of
    reports_until: list[int] = field(default_factory=list)  # exclusive; dormant from
    intensity: list[int] = field(default_factory=list)  # activity weight, 0: never reports
    registered_from: list[int] = field(default_factory=list)  # 0: never registered
    records: list[dict[str, object]] = field(default_factory=list)  # org rows by column
    # (day, org, credit, grade, grade_valid_until, stars): the rating history; org keeps the last
    ratings: list[tuple[int, int, str | None, int | None, str | None, int | None]] = field(
        default_factory=list
    )
    # (entered day, org, list, reason, left day or None)
    listings: list[tuple[int, int, str, str, int | None]] = field(default_factory=list)
    # (effective day, org, fact, source, value): field / category / charter statements
    history: list[tuple[int, int, str, str, str]] = field(default_factory=list)


# Columns of the org rows drawn; the load writes those the table has (the rest stay NULL).
ORG_FIELDS = [
    "org_id",
    "village_code",
    "name",
    "field",
    "profile_at",
    "legal_form",
    "category",
    "category_at",
    "applied_on",
    "filing_number",
    "filed_on",
    "rejected_on",
    "filing_ended_on",
    "usci",
    "registered_on",
    "registration_ended_on",
    "exit_kind",
    "charter_at",
    "party_clause",
    "integrity_clause",
    "party_org",
    "party_org_on",
    "grade",
    "grade_valid_until",
    "credit",
    "stars",
]


def make_orgs(shape: Shape, villages: list[Village], days: Days) -> Orgs:
    rng = random.Random(f"{shape.seed}-org")
    uid = uuid_maker(rng)
    rand, randint, choice = rng.random, rng.randint, rng.choice
    first, last = shape.start.toordinal(), shape.as_of.toordinal()
    span = last - first
    never = last + 100_000  # "not before the horizon"
    weights = [v.resident_population**0.9 * (1.6 if v.urban else 1.0) for v in villages]
    placed = rng.choices(range(len(villages)), weights=weights, k=shape.orgs)
    fields = list(FIELD_WEIGHTS)
    field_of = rng.choices(fields, weights=list(FIELD_WEIGHTS.values()), k=shape.orgs)
    forms = [(digit, form) for digit, form, _ in FORMS]
    form_weights = [w for *_, w in FORMS]
    out = Orgs()
    serial = 0

    def version(day: int, hour: int) -> str:
        """readmodel.version_stamp: effective date, then the recording time (UTC)."""
        return (
            f"{days(day)}|{days(day)}T{hour:02d}:{randint(0, 59):02d}:{randint(0, 59):02d}.000000Z"
        )

    for i in range(shape.orgs):
        vi = placed[i]
        v = villages[vi]
        fld = field_of[i]
        # entries grow over time, with a migrated backlog in the first half year
        backlog = rand() < 0.2
        entered = min(last, first + int(rand() * 180 if backlog else span * rand() ** 0.75))
        applied = filed = rejected = filing_ended = None
        registered = registration_ended = None
        exit_kind = usci = filing_number = None
        legal_form = None
        r = rand()
        if r < 0.03:  # rejected filing
            applied, rejected = entered - randint(20, 40), entered
        elif r < 0.04:  # pending application, recent
            applied = last - randint(0, 30)
        elif r < 0.75:  # filed group
            applied, filed = entered - randint(5, 30), entered
            filing_number = f"{v.code[:9]}-{days(entered)[:4]}-{i:06d}"
            legal_form = "filed_group"
            if rand() < 0.08:
                up = filed + randint(200, 900)
                if up <= last:
                    registered = up
        else:
            registered = entered
        if registered is not None:
            serial += 1
            digit, legal_form = rng.choices(forms, weights=form_weights)[0]
            first17 = f"5{digit}{shape.county_prefix}MJ{serial:07d}"
            usci = first17 + check_character(first17)
        start = filed if filed is not None else registered
        end = never
        if start is not None and rand() < 0.09:
            gone = start + randint(60, 2000)
            if gone <= last:
                end = gone
                if registered is not None and gone > registered:
                    registration_ended = gone
                    exit_kind = "deregistered" if rand() < 0.8 else "revoked"
                elif registered is not None:  # registered later than the exit: drop it
                    registered = usci = None
                    legal_form = "filed_group"
                    filing_ended = gone
                else:
                    filing_ended = gone
        # profile statements (name, field): application (village), filing (township),
        # registration (county); each is also a field statement in the history
        statements = [
            (day, source)
            for day, source in ((applied, "village"), (filed, "township"), (registered, "county"))
            if day is not None
        ]
        for day, source in statements:
            out.history.append((day, i, "field", source, fld.value))
        profile_at = version(max(day for day, _ in statements), 1)
        category = category_at = None
        if not v.urban and rand() < 0.04:  # 乡贤参事会, stated at application or registration
            category, (day, source) = "village_sage_council", statements[0]
            category_at = version(day, 1)
            out.history.append((day, i, "category", source, category))
        charter_at = party_clause = integrity_clause = party_org = party_org_on = None
        grade = grade_until = credit = stars = None
        if start is not None:
            alive = min(end, last + 1)
            if rand() < 0.85:
                on = min(start + randint(0, 60), last)
                for _ in range(2 if rand() < 0.06 and on + 400 < alive else 1):  # amended
                    party_clause = int(rand() < 0.8)
                    integrity_clause = int(rand() < 0.6)
                    charter_at = version(on, 2)
                    clauses = f"{party_clause}{integrity_clause}"
                    out.history.append((on, i, "charter", "township", clauses))
                    on += randint(365, max(365, alive - on - 1))
            p = rand()
            if p < 0.45:
                party_org = "own" if p < 0.1 else "joint"
                party_org_on = min(start + randint(0, 700), last)
            if registered is not None and rand() < 0.3:
                rated = registered + randint(180, 1200)
                if rated < alive:
                    if rand() < 0.25 and rated + 400 < alive:  # re-graded later
                        earlier = rng.choices((1, 2, 3, 4, 5), weights=(5, 15, 40, 28, 12))[0]
                        out.ratings.append((rated, i, None, earlier, days(rated + 5 * 365), None))
                        rated += randint(365, alive - rated - 1)
                    grade = rng.choices((1, 2, 3, 4, 5), weights=(5, 15, 40, 28, 12))[0]
                    grade_until = days(rated + 5 * 365)
                    out.ratings.append((rated, i, None, grade, grade_until, None))
            if registered is not None and rand() < 0.4:
                on = registered + randint(90, 1500)
                if on < alive:
                    credit = rng.choices(("A", "B", "C", "D"), weights=(70, 20, 8, 2))[0]
                    out.ratings.append((on, i, credit, None, None, None))
            if rand() < 0.2:
                on = start + randint(180, 1500)
                if on < alive:
                    stars = rng.choices((1, 2, 3, 4, 5), weights=(10, 25, 35, 20, 10))[0]
                    out.ratings.append((on, i, None, None, None, stars))
            if registered is not None and rand() < 0.04:
                on = registered + randint(200, 1800)
                if on < alive:
                    serious = rand() < 0.1
                    left = None if serious or rand() < 0.4 else on + randint(90, 400)
                    out.listings.append(
                        (
                            on,
                            i,
                            "serious" if serious else "abnormal",
                            "严重违法失信" if serious else "未按时报送年度报告",
                            left if left is not None and left <= last else None,
                        )
                    )
        oid = uid()
        out.records.append(
            {
                "org_id": oid,
                "village_code": v.code,
                "name": f"{v.name}{FIELD_ZH[fld]}{i % 97 + 1}",
                "field": fld.value,
                "profile_at": profile_at,
                "legal_form": legal_form,
                "category": category,
                "category_at": category_at,
                "applied_on": days(applied) if applied else None,
                "filing_number": filing_number,
                "filed_on": days(filed) if filed else None,
                "rejected_on": days(rejected) if rejected else None,
                "filing_ended_on": days(filing_ended) if filing_ended else None,
                "usci": usci,
                "registered_on": days(registered) if registered else None,
                "registration_ended_on": days(registration_ended) if registration_ended else None,
                "exit_kind": exit_kind,
                "charter_at": charter_at,
                "party_clause": party_clause,
                "integrity_clause": integrity_clause,
                "party_org": party_org,
                "party_org_on": days(party_org_on) if party_org_on else None,
                "grade": grade,
                "grade_valid_until": grade_until,
                "credit": credit,
                "stars": stars,
            }
        )
        out.ids.append(oid)
        out.village.append(vi)
        out.fld.append(fld.value)
        out.active_from.append(start or 0)
        out.active_until.append(end)
        intensity = 0 if start is None or rand() < 0.04 else choice((1, 1, 1, 2, 2, 3, 4))
        dormant = end
        if intensity and rand() < 0.15:
            dormant = min(end, start + randint(30, max(31, last - start)))
        out.intensity.append(intensity)
        out.reports_until.append(dormant)
        out.registered_from.append(registered or 0)
    return out


def org_history_rows(villages: list[Village], orgs: Orgs, days: Days) -> list[str]:
    """Every field / category / charter statement with its effective date (readmodel._history);
    positions are per source, in effective-date order."""
    positions: dict[str, int] = {}
    out = []
    for day, i, fact, source, value in sorted(orgs.history, key=lambda h: h[:2]):
        positions[source] = position = positions.get(source, 0) + 1
        stamp = f"{days(day)}|{days(day)}T03:00:00.000000Z"
        code = villages[orgs.village[i]].code
        out.append(row(orgs.ids[i], fact, source, position, code, days(day), stamp, value))
    return out


# ------------------------------------------------------------------ events


def annual_report_candidates(
    shape: Shape, orgs: Orgs, rng: random.Random
) -> list[tuple[int, int, int]]:
    """(org, year, filed day): registered organisations report each complete year by 31 May."""
    last = shape.as_of.toordinal()
    out = []
    for i, reg in enumerate(orgs.registered_from):
        if not reg:
            continue
        for year in range(date.fromordinal(reg).year, shape.as_of.year):
            on = date(year + 1, 1, 2).toordinal() + int(rng.random() * 148)
            if on <= last and on < orgs.active_until[i] and rng.random() < 0.92:
                out.append((i, year, on))
    return out


def activity_rows(
    shape: Shape, villages: list[Village], orgs: Orgs, days: Days, count: int
) -> Iterator[str]:
    """``count`` activities in day order, from the organisations reporting on each day."""
    rng = random.Random(f"{shape.seed}-activity")
    uid = uuid_maker(rng)
    rand, randrange, getrandbits = rng.random, rng.randrange, rng.getrandbits
    first, last = shape.start.toordinal(), shape.as_of.toordinal()
    n_days = last - first + 1
    # live intensity per day (entries minus exits), for the daily quotas
    delta = [0] * (n_days + 1)
    joining: list[list[int]] = [[] for _ in range(n_days)]
    for i, w in enumerate(orgs.intensity):
        a, b = orgs.active_from[i], min(orgs.reports_until[i], last + 1)
        if not w or a > last or a >= b:
            continue
        a = max(a, first)
        delta[a - first] += w
        delta[b - first] -= w
        joining[a - first].append(i)
    weight, live = [], 0
    for d in range(n_days):
        live += delta[d]
        weekend = date.fromordinal(first + d).weekday() >= 5
        weight.append(live * (1.4 if weekend else 1.0))
    total = sum(weight) or 1.0
    fields = [f.value for f in Field]
    codes = [v.code for v in villages]
    pool: list[int] = []
    cumulative, emitted = 0.0, 0
    for d in range(n_days):
        for i in joining[d]:
            pool.extend([i] * orgs.intensity[i])
        cumulative += weight[d]
        quota = round(count * cumulative / total) - emitted
        if quota <= 0:
            continue
        emitted += quota
        day = first + d
        on = days(day)
        for _ in range(quota):
            while True:
                k = randrange(len(pool))
                i = pool[k]
                if orgs.reports_until[i] > day:
                    break
                pool[k] = pool[-1]  # gone or dormant: drop the entry for good
                pool.pop()
            people = 5 + int(rand() ** 2.2 * 200)
            volunteers = int(rand() * min(people, 30))
            hours = volunteers * (50 + getrandbits(9))  # hundredths of an hour
            money = 0 if rand() < 0.6 else getrandbits(19)
            yield (
                f"{uid()}\t{orgs.ids[i]}\t{codes[orgs.village[i]]}\t{on}\t"
                f"{orgs.fld[i] if rand() < 0.85 else fields[getrandbits(3)]}\t"
                f"{people}\t{volunteers}\t{volunteers}\t{hours}\t"
                f"{int(people * rand() * 2.5)}\t{money}\n"
            )


def _active_on(orgs: Orgs, rng: random.Random, day_of: Callable[[int], int]) -> tuple[int, int]:
    """A random organisation active on a random day (rejection sampling)."""
    n = len(orgs.ids)
    while True:
        i = rng.randrange(n)
        day = day_of(i)
        if orgs.active_from[i] and orgs.active_from[i] <= day < orgs.active_until[i]:
            return i, day


def inspection_rows(
    shape: Shape, villages: list[Village], orgs: Orgs, days: Days, count: int
) -> list[str]:
    rng = random.Random(f"{shape.seed}-inspection")
    uid = uuid_maker(rng)
    first, last = shape.start.toordinal(), shape.as_of.toordinal()
    picked = []
    for _ in range(count):
        i, day = _active_on(
            orgs, rng, lambda i: rng.randint(max(first, orgs.active_from[i] or first), last)
        )
        picked.append((day, i))
    picked.sort()
    out = []
    for day, i in picked:
        r = rng.random()
        result = "compliant" if r < 0.75 else "rectification_ordered" if r < 0.95 else "violation"
        rectified = None
        if result != "compliant" and rng.random() < 0.85:
            done = day + rng.randint(10, 60)
            rectified = days(done) if done <= last else None
        out.append(
            row(uid(), orgs.ids[i], villages[orgs.village[i]].code, days(day), result, rectified)
        )
    return out


def annual_report_rows(
    villages: list[Village], orgs: Orgs, days: Days, picked: list[tuple[int, int, int]]
) -> list[str]:
    return [
        row(orgs.ids[i], year, villages[orgs.village[i]].code, days(on))
        for i, year, on in sorted(picked, key=lambda p: p[2])
    ]


def funding_rows(
    shape: Shape, villages: list[Village], orgs: Orgs, days: Days, count: int
) -> tuple[list[str], list[tuple[str, int, str, int, int]]]:
    """Awards in rounds (micro-venture and purchased services three times a year, the special
    fund once), chronological; also (award id, org, programme, fen, day) for disbursements."""
    rng = random.Random(f"{shape.seed}-funding")
    uid = uuid_maker(rng)
    first, last = shape.start.toordinal(), shape.as_of.toordinal()
    rounds = []
    for year in range(shape.start.year, shape.as_of.year + 1):
        for k, month in enumerate((3, 6, 10)):
            for programme, day in (("micro_venture", 10), ("purchase_of_services", 20)):
                on = date(year, month, day).toordinal()
                if first <= on <= last:
                    rounds.append((on, programme, f"{year}-{k + 1}"))
        on = date(year, 6, 28).toordinal()
        if first <= on <= last:
            rounds.append((on, "special_fund", f"{year}"))
    rounds.sort()
    out, awards = [], []
    n = len(orgs.ids)
    for r, (on, programme, round_) in enumerate(rounds):
        share = count * (r + 1) // len(rounds) - count * r // len(rounds)
        for _ in range(share):
            i, _day = _active_on(orgs, rng, lambda _i, on=on: on)
            host = orgs.ids[rng.randrange(n)] if rng.random() < 0.1 else None
            fen = rng.choice((5_000, 10_000, 20_000, 30_000, 50_000, 100_000, 300_000)) * 100
            project = f"{FIELD_ZH[Field(orgs.fld[i])]}项目{rng.randrange(1000):03d}"
            award = uid()
            code = villages[orgs.village[i]].code
            out.append(
                row(award, orgs.ids[i], code, programme, round_, project, fen, days(on), host)
            )
            awards.append((award, i, programme, fen, on))
    return out, awards


def disbursement_rows(
    shape: Shape,
    villages: list[Village],
    orgs: Orgs,
    days: Days,
    awards: list[tuple[str, int, str, int, int]],
) -> list[str]:
    """A first tranche a month after the award; half the awards pay a second one later."""
    rng = random.Random(f"{shape.seed}-disbursement")
    last = shape.as_of.toordinal()
    picked = []
    for award, i, programme, fen, on in awards:
        two = rng.random() < 0.5
        first_fen = fen * 6 // 10 if two else fen
        tranches = [("1", first_fen, on + rng.randint(15, 45))]
        if two:
            tranches.append(("2", fen - first_fen, on + rng.randint(150, 250)))
        for tranche, amount, day in tranches:
            if day <= last:
                picked.append((day, award, tranche, i, programme, amount))
    picked.sort()
    return [
        row(award, tranche, orgs.ids[i], villages[orgs.village[i]].code, programme, fen, days(d))
        for d, award, tranche, i, programme, fen in picked
    ]


def rating_rows(villages: list[Village], orgs: Orgs, days: Days) -> list[str]:
    out = []
    for position, (day, i, credit, grade, until, stars) in enumerate(
        sorted(orgs.ratings, key=lambda r: r[:2]), 1
    ):
        code = villages[orgs.village[i]].code
        out.append(row(orgs.ids[i], position, code, days(day), credit, grade, until, stars))
    return out


def credit_listing_rows(villages: list[Village], orgs: Orgs, days: Days) -> list[str]:
    out = []
    for position, (day, i, kind, reason, left) in enumerate(
        sorted(orgs.listings, key=lambda r: r[:2]), 1
    ):
        code = villages[orgs.village[i]].code
        left_on = days(left) if left is not None else None
        out.append(row(orgs.ids[i], kind, position, code, days(day), reason, left_on))
    return out


def platform_rows(shape: Shape, villages: list[Village], days: Days) -> list[str]:
    """The county centre, two incubators, a platform per township, stations in 70 % of villages."""
    rng = random.Random(f"{shape.seed}-platform")
    uid = uuid_maker(rng)
    first, last = shape.start.toordinal(), shape.as_of.toordinal()
    found: list[tuple[int, str, str, str, str, int | None]] = [
        (first, shape.county_code, "county", "county_centre", "县社会组织服务中心", None),
        (first + 200, shape.county_code, "county", "incubator", "县社会组织孵化园", None),
        (first + 900, shape.county_code, "county", "incubator", "县乡村振兴孵化基地", None),
    ]
    for t in range(shape.townships):
        on = first + rng.randint(0, 700)
        found.append(
            (
                on,
                shape.township_code(t),
                "township",
                "township_platform",
                f"第{t + 1}服务平台",
                None,
            )
        )
    for v in villages:
        if rng.random() < 0.7:
            on = first + rng.randint(0, last - first)
            gone = on + rng.randint(100, 1500) if rng.random() < 0.03 else None
            closed = gone if gone is not None and gone <= last else None
            found.append((on, v.code, "village", "village_station", f"{v.name}服务站", closed))
    found.sort(key=lambda f: f[:3])
    return [
        row(uid(), code, tier, kind, name, days(on), days(closed) if closed else None)
        for on, code, tier, kind, name, closed in found
    ]


# ------------------------------------------------------------------ load


ACTIVITY_COLUMNS = (
    "activity_id, org_id, village_code, occurred_on, field, participants, volunteers,"
    " volunteer_services, volunteer_hours_centi, beneficiaries, money_fen"
)
# Event tables other than activity: the columns written, in load order. A table is filled only
# if create_schema made it with (at least) these columns and no other NOT NULL column.
EVENT_TABLES = {
    "inspection": "inspection_id, org_id, village_code, inspected_on, result, rectified_on",
    "annual_report": "org_id, year, village_code, filed_on",
    "funding": "award_id, org_id, village_code, programme, round, project, amount_fen,"
    " awarded_on, host_org_id",
    "disbursement": "award_id, tranche, org_id, village_code, programme, amount_fen, disbursed_on",
    "rating": "org_id, position, village_code, rated_on, credit, grade, grade_valid_until, stars",
    "credit_listing": "org_id, credit_list, position, village_code, entered_on, reason, left_on",
    "platform": "platform_id, division_code, source_tier, kind, name, opened_on, closed_on",
}
# The field / category / charter statements of the organisations' own lifecycle events.
ORG_HISTORY_COLUMNS = "org_id, fact, source, position, village_code, effective_on, stamp, value"
REQUIRED = ("org", "activity", "inspection", "annual_report", "funding")


@dataclass
class Generated:
    split: dict[str, int]  # event rows per table, activity first
    orgs: int
    org_history: int  # statements behind the org rows, not counted as events
    seconds: dict[str, float] = field(default_factory=dict)  # per step
    unfilled: list[str] = field(default_factory=list)

    @property
    def events(self) -> int:
        return sum(self.split.values())

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def say(message: str) -> None:
    print(f"[generate] {message}", file=sys.stderr, flush=True)


class _Tx:
    """What readmodel.create_schema needs of a Tx, over a psycopg cursor."""

    def __init__(self, cur: Any) -> None:
        self.cur = cur

    def execute(self, sql: str, params: Any = ()) -> int:
        self.cur.execute(sql, params)
        return int(self.cur.rowcount)

    def write(self, sql: str, params: Any = ()) -> None:
        self.cur.execute(sql, params)

    def all(self, sql: str, params: Any = ()) -> list[Any]:
        self.cur.execute(sql, params)
        names = [c.name for c in self.cur.description or ()]
        return [dict(zip(names, r, strict=True)) for r in self.cur.fetchall()]

    def one(self, sql: str, params: Any = ()) -> Any:
        rows = self.all(sql, params)
        return rows[0] if rows else None


def create_schema(conn: Any, schema: str) -> None:
    """The project's own read-model DDL (tables and indexes), in ``schema``."""
    from shared.tier import readmodel

    conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    conn.execute(f'SET search_path = "{schema}"')
    with conn.transaction(), conn.cursor() as cur:
        readmodel.create_schema(_Tx(cur))


def table_columns(conn: Any, schema: str) -> dict[str, dict[str, bool]]:
    """table → column → required (NOT NULL without a default)."""
    out: dict[str, dict[str, bool]] = {}
    for table, column, nullable, default in conn.execute(
        "SELECT table_name, column_name, is_nullable, column_default"
        " FROM information_schema.columns WHERE table_schema = %s",
        (schema,),
    ):
        out.setdefault(table, {})[column] = nullable == "NO" and default is None
    return out


def fits(columns: dict[str, bool] | None, written: str) -> bool:
    names = {c.strip() for c in written.split(",")}
    return (
        columns is not None
        and names <= set(columns)
        and all(c in names for c, required in columns.items() if required)
    )


def generate(conn: Any, schema: str, shape: Shape, villages: list[Village]) -> Generated:
    """Create the read-model schema in ``schema`` and fill it (``conn``: psycopg, autocommit)."""
    began = time.monotonic()
    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    create_schema(conn, schema)
    columns = table_columns(conn, schema)
    missing = [t for t in REQUIRED if t not in columns]
    if missing:
        raise SystemExit(f"create_schema made no {', '.join(missing)} table: generator out of date")
    org_columns = [c for c in ORG_FIELDS if c in columns["org"]]
    if not fits(columns["org"], ", ".join(org_columns)) or not fits(
        columns["activity"], ACTIVITY_COLUMNS
    ):
        raise SystemExit("the org or activity table changed: bench/generate_county.py out of date")
    new_org_columns = [c for c in columns["org"] if c not in ORG_FIELDS]
    filled = {t: c for t, c in EVENT_TABLES.items() if fits(columns.get(t), c)}
    history = fits(columns.get("org_history"), ORG_HISTORY_COLUMNS)
    known = {"org", "activity", *filled, *(("org_history",) if history else ())}
    unfilled = sorted(t for t in columns if t not in known and t not in BOOKKEEPING)
    unfilled += [f"org.{c}" for c in new_org_columns]
    days = Days(shape.start - timedelta(days=400), shape.as_of + timedelta(days=6 * 366))
    seconds: dict[str, float] = {}

    t0 = time.monotonic()
    say(f"drawing {shape.orgs:,} organisations over {len(villages):,} villages")
    orgs = make_orgs(shape, villages, days)
    history_rows = org_history_rows(villages, orgs, days) if history else []
    rows: dict[str, list[str]] = {}
    if "rating" in filled:
        rows["rating"] = rating_rows(villages, orgs, days)
    if "credit_listing" in filled:
        rows["credit_listing"] = credit_listing_rows(villages, orgs, days)
    if "platform" in filled:
        rows["platform"] = platform_rows(shape, villages, days)
    candidates = annual_report_candidates(shape, orgs, random.Random(f"{shape.seed}-annual"))
    # non-activity events: 7 % of the total; annual reports and ratings as they come, the rest
    # inspections and funding
    budget = shape.events * 7 // 100
    keep = min(len(candidates), max(0, budget - sum(len(r) for r in rows.values())))
    picked = random.Random(f"{shape.seed}-annual-pick").sample(candidates, keep)
    rows["annual_report"] = annual_report_rows(villages, orgs, days, picked)
    rest = max(0, budget - sum(len(r) for r in rows.values()))
    with_disbursements = "disbursement" in filled
    rows["inspection"] = inspection_rows(shape, villages, orgs, days, rest * 55 // 100)
    awards_share = 20 if with_disbursements else 45
    rows["funding"], awards = funding_rows(shape, villages, orgs, days, rest * awards_share // 100)
    if with_disbursements:
        rows["disbursement"] = disbursement_rows(shape, villages, orgs, days, awards)
    activities = shape.events - sum(len(r) for r in rows.values())
    if activities < 0:
        raise SystemExit(f"--events {shape.events} is too small for {shape.orgs} organisations")
    split = {"activity": activities, **{t: len(rows[t]) for t in EVENT_TABLES if t in rows}}
    seconds["draw organisations and small tables"] = time.monotonic() - t0
    say("events: " + " + ".join(f"{t} {n:,}" for t, n in split.items()) + f" = {shape.events:,}")

    def load(table: str, written: str, lines: Iterable[str], total: int) -> None:
        started = time.monotonic()
        with conn.transaction(), conn.cursor() as cur:
            copy_rows(cur, table, written, lines, total)
        seconds[table] = time.monotonic() - started

    org_lines = (row(*(r[c] for c in org_columns)) for r in orgs.records)
    load("org", ", ".join(org_columns), org_lines, shape.orgs)
    orgs.records.clear()
    if history:
        load("org_history", ORG_HISTORY_COLUMNS, history_rows, len(history_rows))
    load(
        "activity",
        ACTIVITY_COLUMNS,
        activity_rows(shape, villages, orgs, days, activities),
        activities,
    )
    for table, lines in sorted(rows.items(), key=lambda kv: list(EVENT_TABLES).index(kv[0])):
        load(table, EVENT_TABLES[table], lines, len(lines))
    if "activity_month" in columns:
        # What the projector keeps with the rows (ADR 0030), from the rows written by COPY.
        from shared.tier import rollups

        started = time.monotonic()
        with conn.transaction():
            conn.execute(rollups.FILL)
        seconds["activity_month (rollup)"] = time.monotonic() - started
        unfilled.remove("activity_month")
    started = time.monotonic()
    say("VACUUM (ANALYZE) and CHECKPOINT (steady state: visibility map and hint bits set)")
    for table in columns:
        conn.execute(f'VACUUM (ANALYZE) "{schema}"."{table}"')
    conn.execute("CHECKPOINT")
    seconds["vacuum analyze"] = time.monotonic() - started
    say(f"generated in {time.monotonic() - began:.0f} s")
    return Generated(split, shape.orgs, len(history_rows), seconds, unfilled)
