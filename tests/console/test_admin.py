"""Account administration in the console: the list, opening an account, roles, disabling and
re-enabling, password reset (issue 13, ADR 0012)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import Person, person
from tests.helpers import TOWNSHIP, VILLAGE, Api, township_op, village_op

VILLAGE_ADMIN = Actor("adm-village", Tier.VILLAGE, VILLAGE, "admin", "村管理员", ("admin",))
TOWNSHIP_ADMIN = Actor("adm-town", Tier.TOWNSHIP, TOWNSHIP, "admin", "镇管理员", ("admin",))
PASSWORD = re.compile(r'<code id="initial-password">([^<]+)</code>')
NEW = {
    "username": "li.si",
    "name": "李四",
    "division": VILLAGE,
    "role_operator": "on",
    "role_viewer": "on",
}


def accounts(api: Api, actor: Actor, tier: Tier = Tier.VILLAGE) -> list[dict[str, Any]]:
    api.settle()  # the list is the read model; tests open accounts straight in the store
    client = api.clients[tier]
    response = client.get("/api/v1/accounts", headers=api.auth(actor))
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def account_id(api: Api, username: str) -> str:
    return next(r["account_id"] for r in accounts(api, VILLAGE_ADMIN) if r["username"] == username)


@pytest.fixture
def admin(api: Api) -> Person:
    return person(api, VILLAGE_ADMIN)


def test_the_list_shows_the_divisions_accounts_in_chinese(api: Api, admin: Person) -> None:
    person(api, village_op(), login=False)  # the clerk's account exists
    api.settle()  # the list is the read model; the accounts were just opened in the store
    page = admin.get("/accounts")
    assert page.status_code == 200
    assert f"v-{VILLAGE}" in page.text and "经办人" in page.text and "正常" in page.text
    assert "村管理员" in page.text and "账号管理" in page.text
    assert 'href="/accounts/new"' in page.text
    clerk = account_id(api, f"v-{VILLAGE}")
    assert f'href="/accounts/{clerk}"' in page.text


def test_an_admin_opens_an_account_that_must_change_its_password(api: Api, admin: Person) -> None:
    form = admin.get("/accounts/new")
    assert form.status_code == 200
    assert f'<option value="{VILLAGE}"' in form.text and 'name="role_operator"' in form.text
    created = admin.submit("/accounts/new", NEW)
    assert created.status_code == 200, created.text
    assert created.headers["cache-control"] == "no-store"
    assert "只显示这一次" in created.text
    found = PASSWORD.search(created.text)
    assert found
    row = next(r for r in accounts(api, VILLAGE_ADMIN) if r["username"] == "li.si")
    assert (row["name"], row["division_code"], row["roles"]) == (
        "李四",
        VILLAGE,
        ["operator", "viewer"],
    )
    assert row["must_change_password"] is True
    # The new person signs in with it and is sent to change it first.
    newcomer = person(api, village_op(), login=False)
    newcomer.get("/login")
    signed_in = newcomer.submit("/login", {"username": "li.si", "password": found.group(1)})
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/password?reason=first"
    assert newcomer.get("/", follow_redirects=False).headers["location"] == "/password?reason=first"
    assert "须先设置新密码" in newcomer.get("/password").text


def test_a_bad_or_duplicate_account_shows_the_error_summary(api: Api, admin: Person) -> None:
    admin.get("/accounts/new")
    empty = admin.submit("/accounts/new", {"username": "", "name": "", "division": ""})
    assert empty.status_code == 400 and 'class="error-summary"' in empty.text
    assert "请填写登录名" in empty.text and "请填写姓名" in empty.text
    assert "请至少选择一个角色" in empty.text and 'href="#roles"' in empty.text
    assert "请选择所在区划" in empty.text
    short = admin.submit("/accounts/new", {**NEW, "username": "ab"})
    assert short.status_code == 400 and "登录名至少 3 个字符" in short.text
    assert 'value="ab"' in short.text and 'value="李四"' in short.text
    before = accounts(api, VILLAGE_ADMIN)
    assert admin.submit("/accounts/new", NEW).status_code == 200
    again = admin.submit("/accounts/new", {**NEW, "name": "李四二"})
    assert again.status_code == 400 and 'class="error-summary"' in again.text
    assert "登录名 li.si 已被使用" in again.text
    assert 'value="李四二"' in again.text and 'name="role_viewer" value="on" checked' in again.text
    assert len(accounts(api, VILLAGE_ADMIN)) == len(before) + 1


def test_roles_are_changed_through_the_form(api: Api, admin: Person) -> None:
    person(api, village_op(), login=False)
    clerk = account_id(api, f"v-{VILLAGE}")
    page = admin.get(f"/accounts/{clerk}")
    assert page.status_code == 200 and f"v-{VILLAGE}" in page.text
    none = admin.submit(f"/accounts/{clerk}/change", {"name": "王五"})
    assert none.status_code == 400 and "请至少选择一个角色" in none.text
    changed = admin.submit(
        f"/accounts/{clerk}/change", {"name": "王五", "role_operator": "on", "role_auditor": "on"}
    )
    assert changed.status_code == 303 and changed.headers["location"].startswith(
        f"/accounts/{clerk}?done="
    )
    row = next(r for r in accounts(api, VILLAGE_ADMIN) if r["account_id"] == clerk)
    assert (row["name"], row["roles"]) == ("王五", ["operator", "auditor"])


def test_a_disabled_person_is_sent_back_to_login(api: Api, admin: Person) -> None:
    clerk = person(api, village_op())
    assert clerk.get("/", follow_redirects=False).headers["location"] == "/village/groups"
    target = account_id(api, f"v-{VILLAGE}")
    admin.get(f"/accounts/{target}")
    no_reason = admin.submit(f"/accounts/{target}/disable", {"reason": ""})
    assert no_reason.status_code == 400 and "请填写理由" in no_reason.text
    disabled = admin.submit(f"/accounts/{target}/disable", {"reason": "调离岗位"})
    assert disabled.status_code == 303
    assert "已停用" in admin.get(disabled.headers["location"]).text
    next_page = clerk.get("/password", follow_redirects=False)  # any signed-in page
    assert next_page.status_code == 303 and next_page.headers["location"].startswith("/login")
    enabled = admin.submit(f"/accounts/{target}/enable", {"reason": "返岗"})
    assert enabled.status_code == 303
    row = next(r for r in accounts(api, VILLAGE_ADMIN) if r["account_id"] == target)
    assert row["enabled"] is True


def test_a_password_reset_is_shown_once_and_works(api: Api, admin: Person) -> None:
    person(api, village_op(), login=False)
    target = account_id(api, f"v-{VILLAGE}")
    admin.get(f"/accounts/{target}")
    reset = admin.submit(f"/accounts/{target}/reset-password")
    assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
    found = PASSWORD.search(reset.text)
    assert found and "只显示这一次" in reset.text
    clerk = person(api, village_op(), login=False)
    clerk.get("/login")
    signed_in = clerk.submit("/login", {"username": f"v-{VILLAGE}", "password": found.group(1)})
    assert signed_in.headers["location"] == "/password?reason=first"


def test_a_village_admin_cannot_see_the_townships_accounts(api: Api, admin: Person) -> None:
    page = admin.get("/accounts", params={"division": TOWNSHIP})
    assert page.status_code == 403 and "无权访问" in page.text
    person(api, township_op(), login=False)
    township_clerk = next(
        r["account_id"]
        for r in accounts(api, TOWNSHIP_ADMIN, Tier.TOWNSHIP)
        if r["username"] == f"t-{TOWNSHIP}"
    )
    # At the township's own service the village admin has no account; at the village service
    # the township's accounts are not this store's (and out of the admin's division).
    assert admin.get(f"/accounts/{township_clerk}").status_code == 403


def test_a_non_admin_gets_the_403_page(api: Api) -> None:
    clerk = person(api, village_op())
    for path in ("/accounts", "/accounts/new"):
        page = clerk.get(path)
        assert page.status_code == 403 and "账号管理" in page.text
    forged = clerk.submit("/accounts/new", NEW)
    assert forged.status_code == 403
    assert all(r["username"] != "li.si" for r in accounts(api, VILLAGE_ADMIN))


def test_a_township_admin_filters_the_list_by_division(api: Api) -> None:
    person(api, village_op(), login=False)
    person(api, township_op(), login=False)
    admin = person(api, TOWNSHIP_ADMIN)
    api.settle()  # the list is the read model; the accounts were just opened in the store
    everything = admin.get("/accounts")
    assert f"t-{TOWNSHIP}" in everything.text and f"v-{VILLAGE}" in everything.text
    assert f'<option value="{VILLAGE}"' in everything.text
    village = admin.get("/accounts", params={"division": VILLAGE})
    assert village.status_code == 200
    assert f"v-{VILLAGE}" in village.text and f"t-{TOWNSHIP}" not in village.text
    # Only this service's (township) accounts are opened from here.
    assert f'href="/accounts/{account_id(api, f"v-{VILLAGE}")}"' not in village.text
