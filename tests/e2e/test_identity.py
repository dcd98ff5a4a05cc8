"""Accounts, login and access through the API, as people use them (ADR 0012)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.platform import Platform
from shared.capabilities.identity.accounts import account_id
from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    COUNTY,
    RURAL_TOWNSHIP,
    TOWNSHIP,
    VILLAGE,
    VILLAGE_2,
    Api,
    build_platform,
    meta,
    stores_nothing,
    village_op,
)

ROOT = Path(__file__).resolve().parents[2]
APPLICATION = {"name": "文昌读书会", "field": "culture_sports", "founded_on": "2025-03-01"}
COUNTY_ADMIN = Actor("c-admin", Tier.COUNTY, COUNTY, "admin", "县管理员", ("admin",))


def login(client: Any, username: str, password: str) -> Any:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error(response: Any) -> str:
    code: str = response.json()["error"]["code"]
    return code


def open_clerk(api: Api, username: str = "wangfang", division: str = VILLAGE) -> dict[str, Any]:
    """A county admin opens a village clerk's account at the village service."""
    r = api.village.post(
        "/api/v1/accounts",
        json={"username": username, "name": "王芳", "division": division, "roles": ["operator"]},
        headers=api.auth(COUNTY_ADMIN),
    )
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


@pytest.fixture
def quick_api(tmp_path: Path) -> Iterator[Api]:
    """A platform whose processes re-read an account at most one second old."""
    p = build_platform(tmp_path, account_refresh_seconds=1)
    p.start()
    yield Api.of(p)
    p.stop()


def test_an_admin_opens_an_account_the_person_changes_the_password_acts_and_is_disabled(
    quick_api: Api,
) -> None:
    api = quick_api
    created = open_clerk(api)
    # The initial password works once, for changing it.
    first = login(api.village, "wangfang", created["initial_password"])
    assert first.status_code == 200, first.text
    token = first.json()
    assert token["token_type"] == "bearer" and token["must_change_password"] is True
    assert 8 * 3600 - 5 <= token["expires_in"] <= 8 * 3600
    blocked = api.village.post(
        "/api/v1/filing-applications",
        json=APPLICATION | {"village_code": VILLAGE},
        headers=bearer(token["access_token"]),
    )
    assert (blocked.status_code, error(blocked)) == (403, "password_change_required")
    weak = api.village.post(
        "/api/v1/auth/password",
        json={"old_password": created["initial_password"], "new_password": "short"},
        headers=bearer(token["access_token"]),
    )
    assert (weak.status_code, error(weak)) == (422, "weak_password")
    changed = api.village.post(
        "/api/v1/auth/password",
        json={"old_password": created["initial_password"], "new_password": "Wenchang-2026!"},
        headers=bearer(token["access_token"]),
    )
    assert changed.status_code == 200, changed.text
    fresh = changed.json()["access_token"]
    # The change ended the first session; the new token acts, recorded under the person.
    old = api.village.get("/api/v1/auth/me", headers=bearer(token["access_token"]))
    assert (old.status_code, error(old)) == (401, "token_stale")
    assert (login(api.village, "wangfang", created["initial_password"])).status_code == 401
    applied = api.village.post(
        "/api/v1/filing-applications",
        json=APPLICATION | {"village_code": VILLAGE},
        headers=bearer(fresh),
    )
    assert applied.status_code == 201, applied.text
    village = api.platform.tiers[Tier.VILLAGE].app
    notifications = village.recorder.select_notifications(1, 10_000)
    last = village.mapper.to_domain_event(notifications[-1])
    assert last.meta.actor.id == created["id"] and last.meta.actor.name == "王芳"
    # Disabled by another process (straight in the store, this process not told): refused
    # here within the refresh bound (1 s in this platform).
    village.disable_account(account_id(Tier.VILLAGE, "wangfang"), "离职", meta(COUNTY_ADMIN))
    started = time.monotonic()
    while True:
        r = api.village.get("/api/v1/auth/me", headers=bearer(fresh))
        if r.status_code == 401:
            break
        assert time.monotonic() - started < 1.5, "a disabled account was still accepted"
        time.sleep(0.05)
    assert error(r) == "account_disabled" and time.monotonic() - started <= 1.5
    refused = login(api.village, "wangfang", "Wenchang-2026!")
    assert (refused.status_code, error(refused)) == (401, "account_disabled")


def test_logout_revokes_the_token_at_once(api: Api) -> None:
    created = open_clerk(api)
    token = login(api.village, "wangfang", created["initial_password"]).json()["access_token"]
    assert api.village.post("/api/v1/auth/logout", headers=bearer(token)).status_code == 200
    after = api.village.get("/api/v1/auth/me", headers=bearer(token))
    assert (after.status_code, error(after)) == (401, "token_revoked")
    assert after.headers["www-authenticate"] == "Bearer"


def test_repeated_failed_logins_lock_the_account_and_are_recorded(api: Api) -> None:
    created = open_clerk(api)
    for _ in range(5):
        r = login(api.village, "wangfang", "wrong-password")
        assert (r.status_code, error(r)) == (401, "invalid_credentials")
    locked = login(api.village, "wangfang", created["initial_password"])
    assert (locked.status_code, error(locked)) == (401, "account_locked")
    assert "锁定" in locked.json()["error"]["message"]
    account = api.platform.tiers[Tier.VILLAGE].app.account_named("wangfang")
    assert account is not None and account.locked_until is not None
    # An unknown username answers exactly like a wrong password, and records nothing.
    with stores_nothing(api.platform):
        unknown = login(api.village, "nobody-here", "wrong-password")
    assert (unknown.status_code, error(unknown)) == (401, "invalid_credentials")
    # An admin's re-enable lifts the lock (disable first: enable needs a disabled account).
    admin = api.auth(COUNTY_ADMIN)
    for step in ("disable", "enable"):
        r = api.village.post(
            f"/api/v1/accounts/{created['id']}/{step}", json={"reason": "解锁"}, headers=admin
        )
        assert r.status_code == 200, r.text
    assert login(api.village, "wangfang", created["initial_password"]).status_code == 200


def test_an_expired_token_is_refused_as_expired(api: Api) -> None:
    runtime = api.platform.tiers[Tier.VILLAGE]
    account = runtime.app.account_named(village_op().id)
    assert account is not None
    token, _ = runtime.keyring.mint(
        account_id=str(account.id),
        tier="village",
        division=VILLAGE,
        roles=("operator",),
        name=account.name,
        version=account.security_version,
        now=runtime.app.clock() - timedelta(hours=9),
    )
    r = api.village.get(f"/api/v1/reports/{VILLAGE}", headers=bearer(token))
    assert (r.status_code, error(r)) == (401, "token_expired")


def test_admins_manage_accounts_of_their_division_and_below_only(api: Api) -> None:
    township_admin = Actor("t-admin", Tier.TOWNSHIP, TOWNSHIP, "admin", "街道管理员", ("admin",))
    other_admin = Actor("r-admin", Tier.TOWNSHIP, RURAL_TOWNSHIP, "admin", "镇管理员", ("admin",))
    body = {"username": "lisi", "name": "李四", "division": VILLAGE_2, "roles": ["operator"]}
    headers = {a.id: api.auth(a) for a in (township_admin, other_admin)}
    operator = api.auth(village_op())
    with stores_nothing(api.platform):
        # Another township's admin: outside its jurisdiction (the central check, ADR 0014).
        r = api.village.post("/api/v1/accounts", json=body, headers=headers[other_admin.id])
        assert (r.status_code, error(r)) == (403, "out_of_jurisdiction")
        # An operator in its own village is no admin.
        r = api.village.post(
            "/api/v1/accounts", json=body | {"division": VILLAGE}, headers=operator
        )
        assert (r.status_code, error(r)) == (403, "not_account_admin")
        # An account of the service's tier only: a township division is not a village's.
        r = api.village.post(
            "/api/v1/accounts", json=body | {"division": TOWNSHIP}, headers=headers["t-admin"]
        )
        assert (r.status_code, error(r)) == (422, "unknown_division")
        # A township admin cannot touch the county's accounts.
        r = api.county.post(
            "/api/v1/accounts",
            json=body | {"division": COUNTY, "username": "boss"},
            headers=headers["t-admin"],
        )
        assert (r.status_code, error(r)) == (403, "out_of_jurisdiction")
    created = api.village.post("/api/v1/accounts", json=body, headers=headers["t-admin"])
    assert created.status_code == 201, created.text
    again = api.village.post("/api/v1/accounts", json=body, headers=headers["t-admin"])
    assert (again.status_code, error(again)) == (409, "username_taken")
    target = created.json()["id"]
    with stores_nothing(api.platform):
        r = api.village.post(
            f"/api/v1/accounts/{target}/disable", json={"reason": "x"}, headers=headers["r-admin"]
        )
        assert (r.status_code, error(r)) == (403, "out_of_jurisdiction")
        unknown = "00000000-0000-4000-8000-000000000000"
        r = api.village.post(
            f"/api/v1/accounts/{unknown}/disable", json={"reason": "x"}, headers=headers["t-admin"]
        )
        assert r.status_code == 403  # below the county, unknown ids cannot be told apart
    r = api.village.post(
        f"/api/v1/accounts/{target}/change",
        json={"name": "李四", "roles": ["operator", "viewer"]},
        headers=headers["t-admin"],
    )
    assert r.status_code == 200, r.text
    api.settle()
    listed = api.village.get("/api/v1/accounts", headers=headers["t-admin"]).json()
    mine = [a for a in listed if a["username"] == "lisi"]
    assert mine and mine[0]["roles"] == ["operator", "viewer"] and mine[0]["enabled"] is True
    assert all(a["division_code"].startswith(TOWNSHIP[:9]) for a in listed)
    r = api.village.get("/api/v1/accounts", headers=headers["r-admin"])
    assert all(a["division_code"].startswith(RURAL_TOWNSHIP[:9]) for a in r.json())
    assert "lisi" not in {a["username"] for a in r.json()}


def test_an_account_just_opened_is_in_its_admins_jurisdiction_before_it_is_projected(
    platform: Platform,
) -> None:
    """The jurisdiction check finds a record this tier has just stored, not yet projected, in
    its store (shared/api/scope.py): an admin acts on an account the moment it is opened, as
    on an organisation. Once a 403 "not known here yet": the account's division was looked
    for under the organisations' names. Nothing is projected here (no platform threads)."""
    api = Api.of(platform)
    admin = api.auth(Actor("t-admin", Tier.TOWNSHIP, TOWNSHIP, "admin", "街道管理员", ("admin",)))
    body = {"username": "lisi", "name": "李四", "division": VILLAGE_2, "roles": ["operator"]}
    created = api.village.post("/api/v1/accounts", json=body, headers=admin)
    assert created.status_code == 201, created.text
    target = created.json()["id"]
    for path, change in (
        ("change", {"name": "李四", "roles": ["operator", "viewer"]}),
        ("disable", {"reason": "调离"}),
    ):
        r = api.village.post(f"/api/v1/accounts/{target}/{path}", json=change, headers=admin)
        assert r.status_code == 200, r.text
    shown = api.village.get(f"/api/v1/accounts/{target}", headers=admin)
    assert shown.status_code == 200, shown.text
    assert (shown.json()["roles"], shown.json()["enabled"]) == (["operator", "viewer"], False)
    # Another township's admin is still refused it.
    other = Actor("r-admin", Tier.TOWNSHIP, RURAL_TOWNSHIP, "admin", "镇管理员", ("admin",))
    refused = api.village.get(f"/api/v1/accounts/{target}", headers=api.auth(other))
    assert (refused.status_code, error(refused)) == (403, "out_of_jurisdiction")


def test_the_openapi_declares_how_to_log_in(api: Api) -> None:
    document = api.county.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == (
        "/api/v1/auth/token"
    )
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["HTTPBearer"]["description"],
    }
    report = document["paths"]["/api/v1/reports/{division_code}"]["get"]
    assert {"OAuth2PasswordBearer": []} in report["security"]


def test_reads_of_an_organisation_are_logged_for_auditors(api: Api) -> None:
    r = api.village.post(
        "/api/v1/filing-applications",
        json=APPLICATION | {"village_code": VILLAGE},
        headers=api.auth(village_op()),
    )
    org = r.json()["id"]
    api.settle()
    assert api.village.get(
        f"/api/v1/organisations/{org}", headers=api.auth(village_op())
    ).is_success
    neighbour = api.village.get(
        f"/api/v1/organisations/{org}/timeline", headers=api.auth(village_op(VILLAGE_2))
    )
    assert neighbour.status_code == 403
    api.village.get(f"/api/v1/reports/{VILLAGE}", headers=api.auth(village_op()))  # not logged
    auditor = Actor("v-auditor", Tier.VILLAGE, VILLAGE, "auditor", "审计员", ("auditor",))
    log = api.village.get(f"/api/v1/access-log?organisation_id={org}", headers=api.auth(auditor))
    assert log.status_code == 200, log.text
    rows = log.json()
    assert [(row["status"], row["path"].split("/")[-1]) for row in rows] == [
        (403, "timeline"),
        (200, org),
    ]
    assert rows[1]["name"] == village_op().id and rows[1]["division_code"] == VILLAGE
    assert rows[0]["division_code"] == VILLAGE_2 and rows[0]["address"]
    refused = api.village.get("/api/v1/access-log", headers=api.auth(village_op()))
    assert (refused.status_code, error(refused)) == (403, "auditors_only")
    assert rows[0]["at"] >= rows[1]["at"]


def test_a_production_role_refuses_the_demo_secret(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SANJI_PERSISTENCE": "postgres",
        "SANJI_SECRET": "sanji-demo-secret-change-me",
        "SANJI_POSTGRES_URL": "postgresql://nobody@127.0.0.1:1/none",
        "SANJI_DATA_DIR": str(tmp_path),
    }
    for secret, problem in (
        ("sanji-demo-secret-change-me", "public demo default"),
        ("", "not set"),
        ("short", "shorter than 32 bytes"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "services", "run", "--tier", "county", "--role", "api"],
            env={**env, "SANJI_SECRET": secret},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "SANJI_SECRET" in lines[0] and problem in lines[0], done.stderr


def test_the_run_command_says_how_to_log_in_and_the_demo_accounts_work(tmp_path: Path) -> None:
    ports = {t: _free_port() for t in Tier}
    env = {
        **os.environ,
        "SANJI_DATA_DIR": str(tmp_path),
        **{f"SANJI_{t.upper()}_PORT": str(p) for t, p in ports.items()},
        "SANJI_SUPERVISION_SECONDS": "0",
    }
    env.pop("SANJI_SECRET", None)
    log = tmp_path / "embedded.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services", "embedded"],
            env=env,
            cwd=ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        out = _read_until(proc, log, "python -m services tokens", timeout=240)
        assert "demo accounts: sign in at the console of the account's tier" in out
        # The console's address for each tier, and its sign-in page there.
        console = f"http://127.0.0.1:{ports[Tier.VILLAGE]}/"
        assert f"village   {console} " in out
        login = httpx.get(console + "login")
        assert login.status_code == 200 and "登录村（社区）服务" in login.text
        accounts = json.loads((tmp_path / "demo-accounts.json").read_text(encoding="utf-8"))
        assert (tmp_path / "demo-accounts.json").stat().st_mode & 0o777 == 0o600
        assert {a["role"] for a in accounts} == {
            "operator",
            "viewer",
            "auditor",
            "admin",
            "evaluator",
        }
        assert set(accounts[0]) == {"username", "password", "tier", "division", "role"}
        clerk = next(a for a in accounts if a["tier"] == "village" and a["role"] == "operator")
        assert f"{clerk['username']:<32} {clerk['password']}" in out
        base = f"http://127.0.0.1:{ports[Tier.VILLAGE]}"
        token = httpx.post(
            f"{base}/api/v1/auth/token",
            data={"username": clerk["username"], "password": clerk["password"]},
        ).json()
        assert token["token_type"] == "bearer" and token["expires_in"] > 0
        me = httpx.get(f"{base}/api/v1/auth/me", headers=bearer(token["access_token"])).json()
        assert (me["username"], me["division"]) == (clerk["username"], clerk["division"])
        printed = subprocess.run(
            [sys.executable, "-m", "services", "tokens"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        tokens = json.loads(printed.stdout)
        assert set(tokens) == {a["username"] for a in accounts}
        assert set(tokens[clerk["username"]]) == {"tier", "division", "name", "role", "token"}
        scripted = tokens[clerk["username"]]["token"]
        assert httpx.get(f"{base}/api/v1/auth/me", headers=bearer(scripted)).is_success
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read_until(proc: subprocess.Popen[bytes], log: Path, marker: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        seen = log.read_text(encoding="utf-8", errors="replace")
        if marker in seen:
            return seen
        if proc.poll() is not None:
            raise AssertionError(f"embedded exited {proc.returncode}:\n{seen}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no '{marker}' within {timeout:.0f}s:\n{seen}")
        time.sleep(0.2)
