"""Console page latency on the demo county (issue 13: every page < 300 ms p95).

Loads the demo county as ``./scripts/run`` does (in memory), signs in the demo accounts through
the console's login form, then renders each main page ``--runs`` times, interleaved round by
round with its baseline measured in the same run: the API call that page mostly waits on, made
directly with a bearer token (the page's cost above it is the console's own: its other calls,
the template, the cookie session). In-process (TestClient, ASGI), like the API benchmarks;
first ``--warmup`` rounds discarded.

    .venv/bin/python -m bench.console [--runs 40] [--warmup 5] [--quick] [--json]
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.measures import Measure, Output, parse, parser
from services.platform import BOOTSTRAPS
from shared.kernel.jurisdiction import Tier
from tests.browser.demo import demo_platform

TARGET_MS = 300.0


@dataclass
class Case:
    name: str
    username: str
    path: str
    baseline: str  # the API route the page mostly waits on


def cases(p: Any) -> list[Case]:
    j = p.jurisdiction
    township = j.townships()[0]
    village = next(v for v in j.villages() if v.code.startswith(township.code[:9]))
    county, org = j.county.code, _an_organisation(p, village.code)
    return [
        Case("login page", "county-operator", "/login", "/health"),
        Case(
            "county dashboard",
            "county-viewer",
            "/county/dashboard",
            f"/api/v1/reports/{county}",
        ),
        Case(
            "dashboard, township",
            "county-viewer",
            f"/county/dashboard?division={township.code}",
            f"/api/v1/reports/{township.code}",
        ),
        Case(
            "township worklist",
            f"township-{township.code}-operator",
            "/township/worklist",
            "/api/v1/returns",
        ),
        Case(
            "township report",
            f"township-{township.code}-operator",
            "/township/report",
            f"/api/v1/reports/{township.code}",
        ),
        Case(
            "village groups",
            f"village-{village.code}-operator",
            "/village/groups",
            f"/api/v1/organisations?division={village.code}",
        ),
        Case(
            "organisation page",
            "county-operator",
            f"/organisations/{org}",
            f"/api/v1/reports/organisations/{org}",
        ),
        Case(
            "timeline (auditor)",
            "county-auditor",
            f"/audit/organisations/{org}/timeline",
            f"/api/v1/organisations/{org}/timeline",
        ),
        Case("accounts (admin)", "county-admin", "/accounts", "/api/v1/accounts"),
    ]


def _an_organisation(p: Any, village: str) -> str:
    with p.tiers[Tier.COUNTY].db.snapshot() as tx:
        row = tx.one("SELECT org_id FROM org WHERE village_code = %s LIMIT 1", (village,))
    return str(row["org_id"])


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def signed_in(app: Any, username: str, password: str) -> tuple[Any, dict[str, str]]:
    """A console browser and an API bearer header for one demo account."""
    from fastapi.testclient import TestClient

    browser = TestClient(app)
    token = CSRF.search(browser.get("/login").text)
    assert token, "no CSRF token on the login page"
    answer = browser.post(
        "/login",
        data={"csrf_token": token.group(1), "username": username, "password": password},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    bearer = TestClient(app).post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )
    return browser, {"Authorization": f"Bearer {bearer.json()['access_token']}"}


def timed(call: Any) -> float:
    start = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return elapsed


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    cli = parser(__doc__)
    cli.add_argument("--runs", type=int, default=40)
    cli.add_argument("--warmup", type=int, default=5)
    args = parse(cli, {"runs": 10, "warmup": 2}, argv)
    out = Output("console", args.json)
    with out.human():
        measured = run(args.runs, args.warmup)
    for case, pm, bm in measured:
        api = UUID_RE.sub("{id}", case.baseline.split("?")[0])
        out.add(Measure(f"console_page_p95:{case.name}", p95(pm), "ms", f"API {api}", p95(bm)))
    out.emit()
    return 0


def run(runs: int, warmup: int) -> list[tuple[Case, list[float], list[float]]]:
    """Each page's and its baseline's times (ms), after printing the table."""
    p, accounts = demo_platform(Path(tempfile.mkdtemp(prefix="sanji-bench-console-")))
    try:
        apps = {tier: BOOTSTRAPS[tier].build_api(rt) for tier, rt in p.tiers.items()}
        plan = []
        for case in cases(p):
            account = accounts[case.username]
            app = apps[Tier(account["tier"])]
            browser, bearer = signed_in(app, case.username, account["password"])
            api = browser.__class__(app, headers=bearer)
            plan.append((case, browser, api))
        pages: dict[str, list[float]] = {c.name: [] for c, _, _ in plan}
        bases: dict[str, list[float]] = {c.name: [] for c, _, _ in plan}
        for round_ in range(warmup + runs):
            for case, browser, api in plan:
                page = timed(lambda b=browser, c=case: b.get(c.path))
                base = timed(lambda a=api, c=case: a.get(c.baseline))
                if round_ >= warmup:
                    pages[case.name].append(page)
                    bases[case.name].append(base)
        print(f"console pages on the demo county, {runs} runs each (ms)")
        print("| page | p50 | p95 | baseline API call | its p50 | its p95 | p95 ratio |")
        print("|---|---|---|---|---|---|---|")
        worst = 0.0

        def shown(path: str) -> str:
            return UUID_RE.sub("{id}", path.split("?")[0])

        for case, _, _ in plan:
            pm, bm = pages[case.name], bases[case.name]
            worst = max(worst, p95(pm))
            print(
                f"| {case.name} `{shown(case.path)}` | {statistics.median(pm):.1f} "
                f"| {p95(pm):.1f} | `{shown(case.baseline)}` "
                f"| {statistics.median(bm):.1f} | {p95(bm):.1f} | {p95(pm) / p95(bm):.2f}× |"
            )
        verdict = "meets" if worst < TARGET_MS else "MISSES"
        print(f"\nslowest page p95 {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")
        return [(case, pages[case.name], bases[case.name]) for case, _, _ in plan]
    finally:
        p.stop()


if __name__ == "__main__":
    sys.exit(main())
