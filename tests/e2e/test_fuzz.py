"""Seeded, bounded fuzzing of the three OpenAPIs with schemathesis (issue 12 item 8).

Every operation of every tier is called with generated requests (valid and invalid), as an
operator of that tier with a valid token, against a running in-memory platform. An answer
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
from tests.helpers import Api, build_platform, county_op, township_op, village_op

MAX_EXAMPLES = 8  # per operation and generation mode
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
OPERATORS = {Tier.COUNTY: county_op, Tier.TOWNSHIP: township_op, Tier.VILLAGE: village_op}

# These end the session whose token every other call carries (tests/e2e/test_identity.py
# covers them); fuzzing them would turn the rest of the run into 401s.
TOKEN_ENDING = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/password")}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    # One platform for the whole module: building one per operation would cost minutes.
    p = build_platform(Path(tmp_path_factory.mktemp("fuzz")))
    p.start()
    yield Api.of(p)
    p.stop()


@pytest.mark.parametrize("tier", list(Tier), ids=str)
def test_fuzzing_finds_no_server_error_schema_violation_or_undocumented_status(
    fuzzed: Api, tier: Tier
) -> None:
    client = fuzzed.clients[tier]
    client.raise_server_exceptions = False  # a 500 is a finding, not a crash of the test
    headers = fuzzed.auth(OPERATORS[tier]())
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
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
