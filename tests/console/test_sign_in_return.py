"""After an ended session, signing in returns to the page the person was on (issue 13)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import person
from tests.helpers import VILLAGE, Api

ADMIN = Actor("adm-return", Tier.VILLAGE, VILLAGE, "admin", "村管理员", ("admin",))


def _next(location: str) -> str:
    return parse_qs(urlsplit(location).query).get("next", ["/"])[0]


def test_a_form_posted_after_the_session_ended_returns_to_its_page(api: Api) -> None:
    admin = person(api, ADMIN)
    person(api, Actor("v-return", Tier.VILLAGE, VILLAGE), login=False)  # an account to act on
    api.settle()  # the list is the read model; the account was just opened in the store
    rows = api.village.get("/api/v1/accounts", headers=api.auth(ADMIN)).json()
    other = next(r["account_id"] for r in rows if r["username"] == "v-return")
    admin.get(f"/accounts/{other}")
    admin.client.cookies.delete("sanji_session")  # the session ended (expired, signed out)
    page = f"http://testserver/accounts/{other}"
    posted = admin.submit(f"/accounts/{other}/disable", {}, headers={"referer": page})
    assert posted.status_code == 303 and posted.headers["location"].startswith("/login?")
    assert _next(posted.headers["location"]) == f"/accounts/{other}"
    elsewhere = admin.submit(
        f"/accounts/{other}/disable", {}, headers={"referer": "https://evil.example/x"}
    )
    assert _next(elsewhere.headers["location"]) == "/"
    looked = admin.client.get("/audit?x=1", follow_redirects=False)  # a page: itself
    assert _next(looked.headers["location"]) == "/audit?x=1"
