"""Writes screenshots of the console's main pages to docs/screenshots/ (the README shows them):
the demo county in memory, served on free ports, Debian's Chromium headless.

    .venv/bin/python -m tests.browser.screenshots [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from services.ledger_import.template import write_xlsx
from shared.kernel.jurisdiction import Tier
from tests.browser.conftest import ARGS
from tests.browser.demo import demo_platform
from tests.browser.live import Live, chromium_path, serve
from tests.e2e.test_ledger_import import activity, fill


def sign_in(page: Any, live: Live, tier: Tier, account: dict[str, Any]) -> None:
    page.goto(live.url(tier, "/login"))
    page.get_by_label("用户名").fill(account["username"])
    page.get_by_label("密码").fill(account["password"])
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def ledger_with_mistakes(live: Live, folder: Path) -> Path:
    """The county's template filled as a clerk might: a good organisation and its activity,
    and the mistakes a dry run reports row by row (a month 13, a village code that is not the
    county's, an activity of an organisation the ledger does not have)."""
    template = write_xlsx(folder / "模板.xlsx", live.platform.tiers[Tier.COUNTY].app.rules)
    village = live.platform.jurisdiction.villages()[0].code

    def org(key: str, name: str, code: str, founded: str) -> dict[str, Any]:
        return {"组织编号": key, "组织名称": name, "村社区代码": code, "服务领域": "为民服务",
                "成立日期": founded, "申请日期": "2021-04-01", "备案日期": "2021-04-20"}  # fmt: skip

    ledger = {
        "组织": [
            org("ZZ-001", "文昌社区为老服务队", village, "2021-03-01"),
            org("ZZ-002", "文昌社区书画社", village, "2021-13-01"),
            org("ZZ-003", "河东村志愿队", "330699999999", "2021-02-01"),
        ],
        "活动": [
            activity("HD-001", "ZZ-001", "2021-05-10", 30),
            activity("HD-002", "ZZ-009", "2021-05-12", 12),
        ],
    }
    return fill(template, ledger, folder / "台账（试导入）.xlsx")


def shots(live: Live, accounts: dict[str, dict[str, Any]]) -> list[tuple[str, Tier, str, str]]:
    """(file, tier, username, path) of every screenshot."""
    j = live.platform.jurisdiction
    township = j.townships()[0]
    village = next(v for v in j.villages() if v.code.startswith(township.code[:9]))
    with live.platform.tiers[Tier.COUNTY].db.snapshot() as tx:
        org = tx.one(
            "SELECT org_id FROM org WHERE village_code = %s AND filed_on IS NOT NULL LIMIT 1",
            (village.code,),
        )["org_id"]
    t_op, v_op = f"township-{township.code}-operator", f"village-{village.code}-operator"
    return [
        ("01-login", Tier.VILLAGE, "", "/login"),
        ("02-village-groups", Tier.VILLAGE, v_op, "/village/groups"),
        ("03-village-activity-errors", Tier.VILLAGE, v_op, f"/village/groups/{org}/activities/new"),
        ("04-township-worklist", Tier.TOWNSHIP, t_op, "/township/worklist"),
        ("05-township-report", Tier.TOWNSHIP, t_op, "/township/report"),
        ("06-county-dashboard", Tier.COUNTY, "county-viewer", "/county/dashboard"),
        (
            "07-county-drilldown",
            Tier.COUNTY,
            "county-viewer",
            f"/county/dashboard?division={township.code}",
        ),
        ("08-organisation", Tier.COUNTY, "county-operator", f"/organisations/{org}"),
        (
            "09-audit-timeline",
            Tier.COUNTY,
            "county-auditor",
            f"/audit/organisations/{org}/timeline",
        ),
        ("10-accounts", Tier.COUNTY, "county-admin", "/accounts"),
        # Issue 16: the public page (no account), the scorecard, training, evaluation, points.
        ("11-public-organisation", Tier.COUNTY, "", f"/public/org/{org}"),
        ("12-county-assessment", Tier.COUNTY, "county-operator", "/county/assessment"),
        ("13-training", Tier.COUNTY, "county-operator", "/training"),
        ("14-county-evaluation", Tier.COUNTY, "county-operator", "/county/evaluation"),
        ("15-village-points", Tier.VILLAGE, v_op, "/village/points"),
        # Issue 14: the ledger import's upload page, and a dry run's row-level errors.
        ("16-county-ledger", Tier.COUNTY, "county-admin", "/county/ledger"),
        ("17-county-ledger-dry-run", Tier.COUNTY, "county-admin", "/county/ledger"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="sanji-screenshots-"))
    p, accounts = demo_platform(work)
    try:
        with serve(p) as live, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(chromium_path()), headless=True, args=ARGS
            )
            for name, tier, username, path in shots(live, accounts):
                context = browser.new_context(
                    locale="zh-CN", viewport={"width": 1280, "height": 900}
                )
                page = context.new_page()
                if username:
                    sign_in(page, live, tier, accounts[username])
                page.goto(live.url(tier, path))
                if name.endswith("errors"):
                    page.get_by_role("button").last.click()  # submitted empty: the summary
                    page.wait_for_load_state()
                if name.endswith("dry-run"):  # upload a ledger: on to its dry-run report
                    page.set_input_files(
                        'input[type="file"]', str(ledger_with_mistakes(live, work))
                    )
                    page.get_by_role("button").last.click()
                    page.wait_for_load_state()
                target = args.out / f"{name}.png"
                page.screenshot(path=str(target), full_page=True)
                print(f"[screenshots] {target} ({path})", flush=True)
                context.close()
            browser.close()
    finally:
        p.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
