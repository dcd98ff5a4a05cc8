"""Signing in to the console: the session cookie, CSRF, forced password change, expiry,
logout, and the pages a browser gets when something is wrong (issue 13, ADR 0017)."""

from __future__ import annotations

from shared.capabilities.identity.passwords import hash_password
from shared.capabilities.identity.provision import ensure_account
from shared.kernel.jurisdiction import Tier
from tests.console.browser import Person, person
from tests.helpers import TEST_PASSWORD, VILLAGE, Api, village_op


def test_a_person_signs_in_and_lands_on_their_work(api: Api) -> None:
    clerk = person(api, village_op(), login=False)
    start = clerk.get("/", follow_redirects=False)
    assert start.status_code == 303 and start.headers["location"] == "/login"
    page = clerk.get("/login")
    assert page.status_code == 200 and "登录村（社区）服务" in page.text
    signed_in = clerk.submit("/login", {"username": "v-330699001001", "password": TEST_PASSWORD})
    assert signed_in.status_code == 303
    cookie = signed_in.headers["set-cookie"]
    assert "sanji_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    home = clerk.get("/", follow_redirects=False)
    assert home.headers["location"] == "/village/groups"


def test_a_wrong_password_is_told_in_chinese_and_signs_nobody_in(api: Api) -> None:
    clerk = person(api, village_op(), login=False)
    clerk.get("/login")
    refused = clerk.submit("/login", {"username": "v-330699001001", "password": "wrong"})
    assert refused.status_code == 400
    assert "用户名或密码错误" in refused.text and 'class="error-summary"' in refused.text
    assert "sanji_session" not in refused.headers.get("set-cookie", "")
    empty = clerk.submit("/login", {"username": "", "password": ""})
    assert "请填写用户名" in empty.text and "请填写密码" in empty.text
    assert 'href="#username"' in empty.text  # the summary links to the field


def test_a_form_without_this_browsers_csrf_token_changes_nothing(api: Api) -> None:
    clerk = person(api, village_op())
    forged = clerk.client.post(
        "/password",
        data={"old_password": TEST_PASSWORD, "new_password": "New-password-99", "confirm": "x"},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "表单已失效" in forged.text
    other = person(api, village_op(), login=False)
    other.get("/login")  # another browser's token is bound to another browser
    stolen = clerk.client.post("/logout", data={"csrf_token": other.csrf}, follow_redirects=False)
    assert stolen.status_code == 403
    assert clerk.get("/", follow_redirects=False).headers["location"] == "/village/groups"


def test_a_new_account_changes_its_password_before_anything_else(api: Api) -> None:
    app = api.platform.tiers[Tier.VILLAGE].app
    hashed = hash_password("First-pass-123")
    ensure_account(app, "new-clerk", "新文书", VILLAGE, ("operator",), hashed, True)
    clerk = Person(api.clients[Tier.VILLAGE].__class__(api.clients[Tier.VILLAGE].app))
    clerk.get("/login")
    first = clerk.submit("/login", {"username": "new-clerk", "password": "First-pass-123"})
    assert first.headers["location"] == "/password?reason=first"
    # Every other page sends the person back to change it.
    assert clerk.get("/", follow_redirects=False).headers["location"] == "/password?reason=first"
    assert "须先设置新密码" in clerk.get("/password").text
    mismatch = clerk.submit(
        "/password",
        {"old_password": "First-pass-123", "new_password": "Second-pass-456", "confirm": "x"},
    )
    assert mismatch.status_code == 400 and "两次输入的新密码不一致" in mismatch.text
    changed = clerk.submit(
        "/password",
        {
            "old_password": "First-pass-123",
            "new_password": "Second-pass-456",
            "confirm": "Second-pass-456",
        },
    )
    assert changed.status_code == 303 and changed.headers["location"].startswith("/?done=")
    again = Person(clerk.client.__class__(clerk.client.app))
    again.get("/login")
    assert (
        again.submit("/login", {"username": "new-clerk", "password": "Second-pass-456"}).status_code
        == 303
    )


def test_logging_out_ends_the_session_on_the_server(api: Api) -> None:
    clerk = person(api, village_op())
    token = clerk.client.cookies.get("sanji_session")
    out = clerk.submit("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login?reason=logged_out"
    # The old cookie, replayed, is refused by the API: back to the login page.
    replay = person(api, village_op(), login=False)
    replay.client.cookies.set("sanji_session", token)
    again = replay.get("/", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_an_unknown_page_is_a_page_and_the_api_keeps_its_envelope(api: Api) -> None:
    clerk = person(api, village_op())
    page = clerk.get("/no-such-page")
    assert page.status_code == 404 and "没有这个页面" in page.text
    assert page.headers["content-type"].startswith("text/html")
    missing = clerk.client.get("/api/v1/no-such-route")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_next_never_leaves_the_service(api: Api) -> None:
    clerk = person(api, village_op(), login=False)
    clerk.get("/login")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = clerk.submit(
            "/login",
            {"username": "v-330699001001", "password": TEST_PASSWORD, "next": target},
        )
        assert answer.headers["location"] == "/", target


def test_a_malformed_id_in_a_page_address_is_a_page_not_json(api: Api) -> None:
    clerk = person(api, village_op())
    page = clerk.get("/county/zombie-exit/proceedings/not-a-uuid/withdrawal")
    assert page.status_code == 404 and "没有这个页面" in page.text
    assert page.headers["content-type"].startswith("text/html")
    api_answer = clerk.client.get("/api/v1/returns/not-a-uuid", headers=api.auth(village_op()))
    assert api_answer.status_code in (403, 422) and "error" in api_answer.json()


def test_an_error_page_keeps_the_persons_header_and_navigation(api: Api) -> None:
    clerk = person(api, village_op())
    refused = clerk.get("/county/dashboard")
    assert refused.status_code == 403 and "无权访问" in refused.text
    assert 'action="/logout"' in refused.text and 'href="/village/groups"' in refused.text
