"""Seeded, bounded fuzzing of the three OpenAPIs with schemathesis (issue 12 item 8).

Every operation of every tier is called with generated requests (valid and invalid), as an
operator of that tier with a valid token, against a running in-memory platform seeded with
real records (``seed_history`` and ``seed_supervision``). So that most cases get past the
jurisdiction and existence checks, a share of the valid cases has its path parameters and
``division`` query replaced by the operator's own division and ids read back from the
tier's own listings. An answer
fails on a 5xx, on a body its documented schema does not describe, or on a status the
operation does not document. Hypothesis is derandomized with a fixed seed, so a run is
reproducible and fits the suite's time budget (``MAX_EXAMPLES`` per operation and mode).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    Api,
    build_platform,
    county_op,
    seed_history,
    seed_supervision,
    township_op,
    village_op,
)

MAX_EXAMPLES = 8  # per operation and generation mode
REAL_SHARE = 2  # every other valid case carries real ids and the operator's division
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
OPERATORS = {Tier.COUNTY: county_op, Tier.TOWNSHIP: township_op, Tier.VILLAGE: village_op}

# These end the session whose token every other call carries (tests/e2e/test_identity.py
# covers them); fuzzing them would turn the rest of the run into 401s.
TOKEN_ENDING = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/password")}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    # One platform for the whole module: building one per operation would cost minutes.
    p = build_platform(Path(tmp_path_factory.mktemp("fuzz")))
    seed_supervision(p, seed_history(p))
    p.start()
    yield Api.of(p)
    p.stop()


# The path parameter an ``id`` in a listing's items stands for, by the listing's last segment.
LISTED_IDS = {
    "accounts": "account_id",
    "organisations": "organisation_id",
    "returns": "return_id",
    "sample-draws": "draw_id",
    "issued-reports": "report_id",
    "platforms": "platform_id",
    "funding-awards": "award_id",
    "funding-calls": "call_id",
    "funding-applications": "application_id",
    "inspections": "inspection_id",
    "proceedings": "proceeding_id",
}


ALIASES = {"org_id": "organisation_id"}


def _is_id(value: object) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def real_ids(client: Any, headers: dict[str, str], schema: Any) -> dict[str, list[str]]:
    """Ids by path parameter name, read from every listing the operator may read."""
    found: dict[str, set[str]] = {}

    def walk(node: object, listed: str | None) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, listed)
        elif isinstance(node, dict):
            for key, value in node.items():
                name = (listed if key == "id" else ALIASES.get(key, key)) or ""
                if name.endswith("_id") and isinstance(value, str) and _is_id(value):
                    found.setdefault(name, set()).add(value)
                walk(value, listed)

    for path, item in schema.raw_schema["paths"].items():
        if "get" in item and "{" not in path:
            response = client.get(path, headers=headers)
            if response.status_code == 200 and "json" in response.headers.get("content-type", ""):
                walk(response.json(), LISTED_IDS.get(path.rstrip("/").rsplit("/", 1)[-1]))
    return {name: sorted(ids) for name, ids in found.items()}


def deepen(case: Any, real: dict[str, list[str]], division: str, n: int) -> None:
    """Put the operator's division and real ids (picked by ``n``) in place of generated ones."""
    for name in list(case.path_parameters):
        if name == "division_code":
            case.path_parameters[name] = division
        elif real.get(name):
            case.path_parameters[name] = real[name][n % len(real[name])]
    for fields in (case.query, case.body):
        if not isinstance(fields, dict):
            continue
        for name in ("division", "division_code"):
            if name in fields:
                fields[name] = division
        for name, value in fields.items():
            if name.endswith("_id") and real.get(name) and isinstance(value, str):
                fields[name] = real[name][n % len(real[name])]


@pytest.mark.parametrize("tier", list(Tier), ids=str)
def test_fuzzing_finds_no_server_error_schema_violation_or_undocumented_status(
    fuzzed: Api, tier: Tier
) -> None:
    client = fuzzed.clients[tier]
    client.raise_server_exceptions = False  # a 500 is a finding, not a crash of the test
    operator = OPERATORS[tier]()
    headers = fuzzed.auth(operator)
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    real = real_ids(client, headers, schema)
    failures: list[str] = []
    cases = 0
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in TOKEN_ENDING:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @seed(20261205)
            @settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                nonlocal cases
                cases += 1
                # Called within its own iteration, so `mode` is the one it was built for.
                if mode is GenerationMode.POSITIVE and cases % REAL_SHARE == 0:  # noqa: B023
                    deepen(case, real, operator.division, cases // REAL_SHARE)
                # The operator's token wins over a generated Authorization header.
                try:
                    response = case.call(headers={**(case.headers or {}), **headers})
                except Exception as e:  # raised inside the app: a 500 when served
                    text = f"{case.method} {case.operation.path} raised {type(e).__name__}: {e}"
                    statuses[500] += 1
                    failures.append(f"{text}\n{case.as_curl_command()}"[:800])
                    return
                statuses[response.status_code] += 1
                try:
                    case.validate_response(response, checks=CHECKS)
                except (Exception, BaseExceptionGroup) as e:  # every finding is collected
                    text = f"{case.method} {case.operation.path} -> {response.status_code}: {e}"
                    failures.append(text[:800])

            # Unsatisfiable: nothing to make invalid (no parameters or body); the valid mode
            # covers the operation.
            with contextlib.suppress(Unsatisfiable):
                call()
    print(f"{tier}: {cases} cases, {len(failures)} failures, statuses {sorted(statuses.items())}")
    assert failures == [], "\n\n".join(failures[:20])
