"""Everything the console serves stays inside the service (issue 13: an intranet with no
internet): every page a person can reach by following links, and every stylesheet and script,
refers to no URL outside the service. The crawl also proves no reachable page answers a 5xx."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import person
from tests.helpers import COUNTY, TOWNSHIP, VILLAGE, Api

# src/href/action attributes, CSS url(...) and @import, and any scheme-relative or absolute URL.
REFERENCE = re.compile(
    r"""(?:src|href|action|formaction|poster|data)\s*=\s*["']([^"']*)["']"""
    r"""|url\(\s*["']?([^"')]+)["']?\s*\)|@import\s+["']([^"']+)["']""",
    re.IGNORECASE,
)
ABSOLUTE = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""", re.IGNORECASE)
MAX_PAGES = 120


def outside(reference: str) -> bool:
    """A reference that would make the browser leave the service."""
    parts = urlsplit(reference.strip())
    # A path on this service, or inline data, stays inside.
    return not (parts.scheme in ("", "data") and not parts.netloc)


def references(text: str) -> list[str]:
    found = [next(g for g in m.groups() if g is not None) for m in REFERENCE.finditer(text)]
    return found


def crawl(browser, start: str = "/") -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Every console page reachable by links from ``start``, and its status."""
    seen: dict[str, int] = {}
    todo = [start]
    while todo and len(seen) < MAX_PAGES:
        path = todo.pop(0)
        if path in seen:
            continue
        response = browser.get(path)
        seen[path] = response.status_code
        kind = response.headers.get("content-type", "")
        if "text/html" not in kind:
            continue
        for ref in references(response.text):
            assert not outside(ref), f"{path} refers outside the service: {ref}"
            target = urlsplit(urljoin("http://service" + path, ref))
            if target.path.startswith(("/api/", "/docs", "/redoc", "/static", "/metrics")):
                continue
            if "export." in target.path or target.path in ("/logout",):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen:
                todo.append(link)
    return seen


def test_the_stylesheet_and_script_refer_to_nothing_outside(api: Api) -> None:
    clerk = person(api, Actor("v-clerk", Tier.VILLAGE, VILLAGE))
    for asset in ("/static/sanji.css", "/static/sanji.js"):
        response = clerk.get(asset)
        assert response.status_code == 200, asset
        code = _code_only(response.text)
        assert not ABSOLUTE.findall(code), asset
        assert not [r for r in references(code) if outside(r)], asset


def _code_only(text: str) -> str:
    """The asset without its comments (a comment may name a website; it loads nothing)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$", "", text)


def test_every_reachable_page_stays_inside_and_answers(api: Api) -> None:
    people = [
        Actor("v-clerk", Tier.VILLAGE, VILLAGE, "operator", "村文书", ("operator",)),
        Actor("t-officer", Tier.TOWNSHIP, TOWNSHIP, "operator", "乡镇干部", ("operator",)),
        Actor("c-officer", Tier.COUNTY, COUNTY, "operator", "县局干部", ("operator",)),
        Actor("c-leader", Tier.COUNTY, COUNTY, "viewer", "县领导", ("viewer",)),
        Actor("c-auditor", Tier.COUNTY, COUNTY, "auditor", "审计员", ("auditor",)),
        Actor("c-admin", Tier.COUNTY, COUNTY, "admin", "管理员", ("admin",)),
    ]
    for actor in people:
        pages = crawl(person(api, actor))
        assert len(pages) >= 2, (actor.id, pages)
        broken = {p: s for p, s in pages.items() if s >= 500}
        assert not broken, (actor.id, broken)


def test_the_reference_finder_finds_what_a_browser_would_load() -> None:
    page = (
        '<link href="https://cdn.example/x.css"><script src="//cdn.example/x.js"></script>'
        '<img src="/static/a.png"><div style="background: url(http://x.example/i.png)">'
    )
    found = references(page)
    assert [outside(r) for r in found] == [True, True, False, True]
