"""Offline docs, request ids, JSON access lines and /metrics (issue 12, item 6)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from shared.api.observability import JsonFormatter, calendar_days_left
from shared.kernel.calendar import load_calendar
from shared.kernel.jurisdiction import Tier
from tests.helpers import VILLAGE, Api, build_platform, envelopes_by_source, village_op

APPLICATION = {
    "village_code": VILLAGE,
    "name": "文昌舞蹈队",
    "field": "culture_sports",
    "founded_on": "2025-03-01",
}
URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_reference_only_local_assets_that_answer(api: Api, page: str) -> None:
    for client in (api.county, api.village):
        r = client.get(page)
        assert r.status_code == 200
        urls = [a or b for a, b in URL.findall(r.text)]
        assert urls, r.text
        for url in urls:
            assert url.startswith("/") and not url.startswith("//"), f"{page} loads {url}"
            assert client.get(url).status_code == 200, url
        assert "cdn" not in r.text.lower() and "fonts.googleapis" not in r.text
    # Swagger UI 5 is needed for OpenAPI 3.1, which FastAPI writes.
    assert api.county.get("/openapi.json").json()["openapi"].startswith("3.1")
    bundle = api.county.get("/docs-assets/swagger-ui-bundle.js").text
    assert "OpenAPI 3.1" in bundle or "openapi31" in bundle.lower() or "3.1.0" in bundle


def test_request_id_is_echoed_generated_and_sanitised(api: Api) -> None:
    r = api.village.get("/health", headers={"X-Request-Id": "proxy-7f3a:1"})
    assert r.headers["X-Request-Id"] == "proxy-7f3a:1"
    generated = api.village.get("/health").headers["X-Request-Id"]
    assert UUID(generated)
    forged = api.village.get("/health", headers={"X-Request-Id": 'x" ,"status": 200'})
    assert forged.headers["X-Request-Id"] != 'x" ,"status": 200'
    assert UUID(forged.headers["X-Request-Id"])
    # Refusals carry it too (the 401 of a missing token).
    assert api.village.post("/api/v1/filing-applications", json={}).headers["X-Request-Id"]


def _correlations(api: Api) -> set[str]:
    return {e.correlation_id for es in envelopes_by_source(api.platform).values() for e in es}


def test_the_request_id_is_the_correlation_id_of_the_events_it_causes(api: Api) -> None:
    headers = api.auth(village_op()) | {"X-Request-Id": "req-0001"}
    r = api.village.post("/api/v1/filing-applications", json=APPLICATION, headers=headers)
    assert r.status_code == 201, r.text
    assert "req-0001" in _correlations(api)
    # An explicit X-Correlation-Id (a caller's saga) still wins.
    headers = api.auth(village_op()) | {"X-Request-Id": "req-0002", "X-Correlation-Id": "saga-9"}
    r = api.village.post("/api/v1/filing-applications", json=APPLICATION, headers=headers)
    assert r.status_code == 201 and r.headers["X-Request-Id"] == "req-0002"
    found = _correlations(api)
    assert "saga-9" in found and "req-0002" not in found


def test_one_json_access_line_per_request(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="sanji.request")
    actor = village_op()
    r = api.village.post(
        "/api/v1/filing-applications",
        json=APPLICATION,
        headers=api.auth(actor) | {"X-Request-Id": "req-log-1"},
    )
    org = r.json()["organisation_id"]
    api.settle()  # the organisation is read from the read model (a 404 until projected)
    api.village.get(f"/api/v1/organisations/{org}", headers=api.auth(actor))
    records = [r for r in caplog.records if r.name == "sanji.request"]
    assert len(records) == 2
    lines = [json.loads(JsonFormatter().format(r)) for r in records]
    first, second = lines
    assert first["request_id"] == "req-log-1"
    assert first["method"] == "POST" and first["status"] == 201
    assert first["route"] == "/api/v1/filing-applications"
    assert UUID(first["account_id"])  # the account behind the token
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0
    assert second["route"] == "/api/v1/organisations/{organisation_id}"
    assert second["status"] == 200 and UUID(second["request_id"])
    assert second["account_id"] == first["account_id"]
    api.village.get("/health")
    anonymous = json.loads(JsonFormatter().format(caplog.records[-1]))
    assert anonymous["route"] == "/health" and anonymous["account_id"] is None


def _samples(text: str, name: str) -> dict[str, float]:
    found = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            key, _, value = line.rpartition(" ")
            found[key] = float(value)
    return found


def test_metrics_in_prometheus_format(api: Api) -> None:
    r = api.village.post(
        "/api/v1/filing-applications", json=APPLICATION, headers=api.auth(village_op())
    )
    org = r.json()["organisation_id"]
    api.settle()
    api.village.get(f"/api/v1/organisations/{org}", headers=api.auth(village_op()))
    api.county.get("/health")
    m = api.village.get("/metrics")
    assert m.status_code == 200 and m.headers["content-type"].startswith("text/plain")
    text = m.text
    requests = _samples(text, "sanji_http_requests_total")
    assert (
        requests[
            'sanji_http_requests_total{method="POST",route="/api/v1/filing-applications",'
            'status="201"}'
        ]
        == 1
    )
    assert any("{organisation_id}" in k for k in requests)
    assert org not in text  # templates, never ids
    assert _samples(text, "sanji_http_request_duration_seconds_count")
    commands = _samples(text, "sanji_commands_total")
    assert (
        commands['sanji_commands_total{command="POST /api/v1/filing-applications",status="201"}']
        == 1
    )
    assert _samples(text, "sanji_relay_lag") == {'sanji_relay_lag{tier="village"}': 0}
    lag = _samples(text, "sanji_projector_lag")
    assert lag and all(v == 0 for v in lag.values())
    positions = _samples(text, "sanji_projector_position")
    assert any(v > 0 for v in positions.values())
    assert _samples(text, "sanji_dead_letters") == {'sanji_dead_letters{tier="village"}': 0}
    (days,) = _samples(text, "sanji_calendar_days_left").values()
    assert days == calendar_days_left(api.platform.tiers[Tier.VILLAGE].app.calendar, _today(api))
    # Each app its own registry: the county's health check is not in the village's numbers.
    assert not any('route="/health"' in k for k in requests)


def _today(api: Api) -> Any:
    from shared.kernel.domain import CHINA

    return api.platform.tiers[Tier.VILLAGE].app.clock().astimezone(CHINA).date()


def test_calendar_days_left_counts_to_the_last_covered_day() -> None:
    from datetime import date

    calendar = load_calendar()
    last = date(max(calendar.years), 12, 31)
    assert calendar_days_left(calendar, last) == 0
    assert calendar_days_left(calendar, date(last.year, 11, 1)) == 60


def test_metrics_token_when_set(tmp_path: Path) -> None:
    p = build_platform(tmp_path, metrics_token="scrape-secret")
    p.start()
    try:
        client = Api.of(p).county
        assert client.get("/metrics").status_code == 401
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
        assert ok.status_code == 200 and "sanji_relay_lag" in ok.text
    finally:
        p.stop()
