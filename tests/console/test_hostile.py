"""Hostile input at every console form (issue 13, ADR 0017): each POST route of each tier's
console, submitted by a signed-in person (a) without a CSRF token and (b) with a valid token and
garbage fields, path ids that are real, of no record, or malformed. The console never answers a
5xx, always answers HTML (a 403 page, or a 4xx page or the form with its error summary), records
nothing, and echoes what was typed only escaped."""

from __future__ import annotations

import enum
import functools
import itertools
import re
import time
import typing
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote_plus
from uuid import uuid4

import pytest
from fastapi.routing import APIRoute

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import Person, person
from tests.helpers import COUNTY, TOWNSHIP, VILLAGE, Api, county_op, today_cst, village_op

SCRIPT = "<script>alert(1)</script>"
GARBAGE = {
    "empty": "",
    "long": "长" * 10_000,
    "control": "a\x00b\x01\x07\x1b[31m\u202e\u200b",
    "formula": '=HYPERLINK("http://evil.example/","点此")',
    "script": SCRIPT,
    "bad date": "2026-02-30",
}
# Field names of the console's forms, posted to every route whatever its own form has.
COMMON = (
    "name",
    "reason",
    "division",
    "division_code",
    "organisation_id",
    "village_code",
    "field",
    "founded_on",
    "occurred_on",
    "effective_on",
    "year",
    "period",
    "kind",
    "decision",
    "title",
    "amount",
    "username",
    "password",
)
# Routes that act with no field at all: with a real id, a valid token is enough, so only ids
# of no record (or malformed ones) are hostile there; /logout is the person's own act.
FIELDLESS = frozenset(
    {
        "/accounts/{account_id}/disable",
        "/accounts/{account_id}/enable",
        "/accounts/{account_id}/reset-password",
        "/township/inspections/{inspection_id}/rectification-completed",
    }
)
MALFORMED = ("not-a-uuid", "%3Cscript%3Ealert(1)", "..%3F")
NAMES = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
DIVISION = {Tier.VILLAGE: VILLAGE, Tier.TOWNSHIP: TOWNSHIP, Tier.COUNTY: COUNTY}
FORBIDDEN = "表单已失效"
BAD_TOKENS = ("0" * 64, "", "长" * 64, "\x00", SCRIPT)


def everyone(tier: Tier) -> Actor:
    """A person with every role of their tier, so that each form is one they may use."""
    roles = ("operator", "auditor", "admin")  # in ROLES order
    return Actor(f"hostile-{tier}", tier, DIVISION[tier], "operator", "测试员", roles)


def routes(entries: Iterable[Any]) -> Iterable[APIRoute]:
    # Recent FastAPI keeps an included router as one lazy entry holding the original router
    # (the console's routers are included without a prefix: their paths are whole).
    for entry in entries:
        if isinstance(entry, APIRoute):
            yield entry
        elif (included := getattr(entry, "original_router", None)) is not None:
            yield from routes(included.routes)


def console_posts(api: Api, tier: Tier) -> list[APIRoute]:
    return [
        r
        for r in routes(api.clients[tier].app.routes)
        if isinstance(r, APIRoute)
        and "POST" in r.methods
        and not r.path.startswith("/api")
        and r.path != "/logout"
    ]


def choices(annotation: Any) -> list[str] | None:
    """The values a path parameter of a closed type takes (Literal, enum), or None."""
    if typing.get_origin(annotation) is typing.Literal:
        return [str(v) for v in typing.get_args(annotation)]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(m.value) for m in annotation]
    return None


def addresses(route: APIRoute, real: dict[str, str]) -> list[tuple[str, bool]]:
    """Every address to post to: (path, whether its ids are all real records)."""
    options: list[list[tuple[str, bool]]] = []
    for param in route.dependant.path_params:
        closed = choices(param.field_info.annotation)
        if closed is not None:
            options.append([(v, True) for v in closed] + [("bogus-choice", False)])
            continue
        ids = [(str(uuid4()), False)] + [(m, False) for m in MALFORMED]
        if param.name in real and route.path not in FIELDLESS:
            ids.insert(0, (real[param.name], True))
        options.append(ids)
    out = []
    names = [p.name for p in route.dependant.path_params]
    for combo in itertools.product(*options) if options else [()]:
        path = route.path
        for name, (value, _) in zip(names, combo, strict=True):
            path = path.replace("{" + name + "}", value)
        out.append((path, all(ok for _, ok in combo)))
    return out


@functools.cache
def quoted(text: str) -> str:
    return quote_plus(text)


def post_form(who: Person, path: str, data: dict[str, str]) -> Any:
    """POST ``data`` as a browser's form, not following the redirect. The body is the bytes
    httpx would send (``urlencode``), but each name and value is quoted once per run: quoting
    the 10,000-character value in every field of every request was half this test's time."""
    body = "&".join(f"{quoted(k)}={quoted(v)}" for k, v in data.items())
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return who.client.post(path, content=body.encode(), headers=headers, follow_redirects=False)


def fields_of(who: Person, path: str) -> set[str]:
    """The fields of the form at ``path`` (its GET page), if it has one."""
    page = who.client.get(path, follow_redirects=False)
    return set(NAMES.findall(page.text)) - {"csrf_token"} if page.status_code == 200 else set()


def refusal_problems(response: Any, where: str) -> list[str]:
    """What is wrong with the answer to a hostile form: [] for a 4xx page or the form again
    with its error summary, in HTML, echoing nothing unescaped."""
    status, text = response.status_code, response.text
    problems = []
    if not response.headers.get("content-type", "").startswith("text/html"):
        problems.append(f"{where}: {status} {response.headers.get('content-type')} {text[:200]}")
    elif status == 200:
        if 'class="error-summary"' not in text:
            problems.append(f"{where}: 200 without an error summary")
    elif not 400 <= status < 500:
        problems.append(f"{where}: {status} {text[:200]}")
    if SCRIPT in text or "<script>alert" in text:
        problems.append(f"{where}: echoes a script unescaped")
    return problems


def setup(api: Api) -> dict[str, str]:
    """Real records to aim at: a pending organisation and an account of another person."""
    answer = api.village.post(
        "/api/v1/filing-applications",
        json={
            "village_code": VILLAGE,
            "name": "门球队",
            "field": "culture_sports",
            "founded_on": today_cst().isoformat(),
        },
        headers=api.auth(village_op()),
    )
    assert answer.status_code == 201, answer.text
    org = str(answer.json()["organisation_id"])
    api.auth(county_op())  # an account at the county too
    api.settle()
    return {"organisation_id": org, "org_id": org}


def accounts(api: Api, tier: Tier, who: Actor) -> Any:
    api.settle()  # the list is the read model: compare it once it holds all that was recorded
    answer = api.clients[tier].get("/api/v1/accounts", headers=api.auth(who))
    assert answer.status_code == 200, answer.text
    return sorted(answer.json(), key=lambda r: str(r["account_id"]))


@pytest.mark.parametrize("tier", [Tier.VILLAGE, Tier.TOWNSHIP, Tier.COUNTY])
def test_every_console_form_refuses_hostile_input(api: Api, tier: Tier) -> None:
    started = time.monotonic()
    real = setup(api)
    actor = everyone(tier)
    who = person(api, actor)
    others = [r for r in accounts(api, tier, actor) if r["username"] != actor.id.lower()]
    other = others[0]["account_id"] if others else uuid4()
    real["account_id"] = str(other)
    posts = console_posts(api, tier)
    assert any(r.path == "/login" for r in posts) and len(posts) > 20
    who.get("/")
    before, people = api.heads(), accounts(api, tier, actor)
    problems: list[str] = []
    for route in posts:
        for path, all_real in addresses(route, real):
            names = (fields_of(who, path) if all_real else set()) | set(COMMON)
            # (a) no CSRF token, a token of another browser, a token of garbage: a 403 page.
            for token in ({}, *({"csrf_token": t} for t in BAD_TOKENS)):
                refused = post_form(who, path, {**dict.fromkeys(names, "x"), **token})
                where = f"{path} without a valid CSRF token"
                if refused.status_code != 403 or FORBIDDEN not in refused.text:
                    problems.append(f"{where}: {refused.status_code} {refused.text[:200]}")
            # (b) a valid token and garbage.
            for kind, value in GARBAGE.items():
                data = dict.fromkeys(names, value)
                data[f"unknown_{kind.replace(' ', '_')}"] = value
                answer = post_form(who, path, {"csrf_token": who.csrf, **data})
                problems += refusal_problems(answer, f"{path} with {kind} fields")
        if (after := api.heads()) != before:
            problems.append(f"{route.path} recorded events: {before} -> {after}")
            before = after
        if (now := accounts(api, tier, actor)) != people:
            problems.append(f"{route.path} changed an account: {people} -> {now}")
            people = now
    assert not problems, "\n".join(problems)
    api.settle()
    assert api.heads() == before
    # Still signed in: no garbage signed the person out or locked them.
    assert who.get("/").status_code in (200, 303)
    assert time.monotonic() - started < 60


def test_logout_without_a_csrf_token_keeps_the_session(api: Api) -> None:
    who = person(api, village_op())
    refused = who.client.post("/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403 and FORBIDDEN in refused.text
    assert who.get("/village/groups").status_code == 200


def test_a_form_over_the_body_limit_answers_a_page_and_the_api_its_envelope(api: Api) -> None:
    who = person(api, village_op())
    who.get("/village/groups/new")
    big = "长" * 400_000  # over SANJI_MAX_BODY_BYTES once encoded
    page = who.submit("/village/groups/new", {"name": big})
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
    assert "提交的内容过长" in page.text and 'lang="zh-CN"' in page.text
    envelope = api.village.post(
        "/api/v1/filing-applications", json={"name": big}, headers=api.auth(village_op())
    )
    assert envelope.status_code == 413 and envelope.json()["error"]["code"] == "body_too_large"


def test_console_answers_are_not_framed_sniffed_or_kept(api: Api) -> None:
    who = person(api, village_op())
    for path in ("/login", "/village/groups", "/no-such-page"):
        answer = who.client.get(path)
        headers = answer.headers
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["cache-control"] == "no-store", path
    asset = who.client.get("/static/sanji.css")
    assert asset.status_code == 200 and "no-store" not in asset.headers.get("cache-control", "")
    assert asset.headers["x-content-type-options"] == "nosniff"
    assert "x-frame-options" not in api.village.get("/health").headers  # the API's own


def test_only_the_service_writes_the_success_notice(api: Api) -> None:
    """A link from elsewhere cannot put its words in the service's success notice; the notice a
    form leaves is shown, to the browser that sent the form."""
    clerk = person(api, village_op())
    lure = "您的账号存在风险，请立即拨打 400-000-0000 核验"
    forged = clerk.get(f"/village/groups?done={lure}")
    assert forged.status_code == 200 and lure not in forged.text
    assert 'class="notice notice-success"' not in forged.text
    guessed = clerk.get(f"/?done={lure}&sig={'0' * 64}")
    assert lure not in guessed.text
    clerk.get("/village/groups/new")
    sent = clerk.submit(
        "/village/groups/new",
        {"name": "文昌合唱团", "field": "culture_sports", "founded_on": "2025-06-01"},
    )
    assert sent.status_code == 303 and "&sig=" in sent.headers["location"]
    assert "已提交“文昌合唱团”的备案申请" in clerk.get(sent.headers["location"]).text
    other = person(api, village_op(id="v-other"))  # another browser, same village
    assert "已提交“文昌合唱团”" not in other.get(sent.headers["location"]).text


def test_an_id_in_a_page_address_names_a_record_never_another_api_path(api: Api) -> None:
    """An id that is not one (``…%3F``, ``..``) answers the 404 page: it must not turn the
    page's API call into a call to another API path (the timeline export served the
    organisation's JSON for ``/audit/organisations/<id>%3F/timeline/export.csv``)."""
    org = setup(api)["organisation_id"]
    auditor = person(api, Actor("aud-v", Tier.VILLAGE, VILLAGE, "auditor", "审计", ("auditor",)))
    assert auditor.get(f"/audit/organisations/{org}/timeline").status_code == 200
    for path in (
        f"/audit/organisations/{org}%3F/timeline/export.csv",
        f"/audit/organisations/{org}%3F/timeline",
        f"/organisations/{org}%3F",
        "/organisations/%2E%2E",
    ):
        answer = auditor.client.get(path, follow_redirects=False)
        assert answer.status_code == 404, (path, answer.status_code, answer.text[:200])
        assert answer.headers["content-type"].startswith("text/html"), path


def test_text_from_an_address_stays_one_segment_of_the_api_path(api: Api) -> None:
    """A report id or a funding round is text: put into an API path, '?', '/' and '.' stay
    part of it (the issued-report page answered 500 for /audit/reports/issued/%3F)."""
    auditor = person(api, Actor("aud-c", Tier.COUNTY, COUNTY, "auditor", "审计", ("auditor",)))
    clerk = person(api, county_op())
    totals = "/county/funding/totals?programme=micro_venture&round="
    for who, path in (
        (auditor, "/audit/reports/issued/%3F"),
        (auditor, "/audit/reports/issued/.%3F"),
        (auditor, "/audit/reports/issued/%2E"),
        (auditor, f"/audit/reports?division={COUNTY}/zombies"),
        (auditor, f"/audit/reports?division={COUNTY}%3Fx=1"),
        (auditor, "/audit/reports?division=.."),
        (clerk, totals + "%3F"),
        (clerk, totals + ".."),
        (clerk, totals + "2026/../../../../organisations"),
    ):
        answer = who.client.get(path, follow_redirects=False)
        # A round of that name has no money (200); an id or division of that text is none.
        assert answer.status_code < 500, (path, answer.status_code)
        assert answer.status_code >= 400 or path.startswith(totals), (path, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html"), path


def test_a_form_body_that_cannot_be_read_answers_a_page(api: Api) -> None:
    who = person(api, village_op())
    who.get("/village/groups/new")
    before = api.heads()
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=xx"):
        answer = who.client.post(
            "/village/groups/new",
            content=b"--xx\r\nbroken",
            headers={"content-type": content_type},
            follow_redirects=False,
        )
        assert answer.status_code in (400, 403), (content_type, answer.status_code)
        assert answer.headers["content-type"].startswith("text/html"), content_type
    assert api.heads() == before
