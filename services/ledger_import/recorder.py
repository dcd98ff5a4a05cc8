"""Records one checked ledger row through the tier applications' own commands (ADR 0020).

Nothing here writes an event or a read-model row: every act goes through the command a tier's
operator would use, with its guards, as the import account of that tier (role ``import``, which
may date acts back: ADR 0013) and the row's historical effective date. Each command carries:

- an idempotency key derived from the county, the sheet and the row's ledger key (never the
  file or the row number), so a re-import, a corrected file or a resumed import finds what is
  already recorded and records nothing twice; the ids of created records follow from it
  (``new_id``), so the same ledger key is the same organisation in every file (one import account acts at
  every tier, so the id does not depend on the tier that created the record);
- a request hash of the command's own inputs, so a row whose recorded fact changed is told
  apart (``idempotency_key_reused`` → "changed", refused: a recorded fact is never overwritten)
  from one recorded already (replayed → "already present");
- ``Meta.imported``: the file's SHA-256, sheet and row that recorded the act.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, cast
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from services.county.application import CountyApplication
from services.county.funding.budgets import budget_id_for
from services.county.funding.domain import application_id_for, award_id_for, call_id_for
from services.county.registration.claims import usci_claim_id
from services.ledger_import.bulk import Chunk
from services.ledger_import.sheets import Sheet
from services.township.application import TownshipApplication
from services.village.application import VillageApplication
from services.village.domain import volunteer_key
from shared.capabilities.approvals.domain import step_id
from shared.capabilities.identity.accounts import account_id
from shared.capabilities.identity.passwords import hash_password
from shared.capabilities.identity.provision import provisioner
from shared.capabilities.training import application as training
from shared.capabilities.training.domain import TrainingCourse
from shared.kernel import backdating, themes
from shared.kernel.domain import (
    CHINA,
    Actor,
    CommandResult,
    DomainError,
    Imported,
    Meta,
    new_id,
)
from shared.kernel.integration.events import PlatformKind
from shared.kernel.jurisdiction import Tier
from shared.kernel.rules import RuleNotInForce

IMPORT_USERNAME = "ledger-import"
CHANGED = (
    "该行已导入，内容与已记录的不同：已记录的事实不会被覆盖或删除，请按更正流程办理（见导入说明）"
)
IMPORT_ROLE = "import"
BACKDATE_REASON = "台账导入 / ledger import"


class RowRefused(Exception):
    """A row the import does not record: code, Chinese message, and the column at fault."""

    def __init__(self, code: str, message: str, column: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.column = code, message, column


class OutsideReference(RowRefused):
    """Dry run: the row refers to a record the real stores hold but the file does not define;
    it is checked up to that reference (the scratch platform does not hold the record)."""


@dataclass
class Outcome:
    recorded: int = 0  # commands that recorded something
    present: int = 0  # commands answered from an earlier import (replayed)


@dataclass
class Row:
    sheet: Sheet
    number: int
    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values.get(key)


def import_actors(platform: Any) -> dict[Tier, Actor]:
    """The import account (a county account with the role ``import``, opened on first use)
    as the actor of each tier's commands (ADR 0020).

    An account belongs to one tier and one of its divisions, but a ledger spans the county's
    three tiers. The import is one county account acting at each tier: its acts carry the
    tier they belong to (the applications check it) and the county as the division, so the
    account's id, the role ``import`` and the file, sheet and row say who recorded them."""
    county = platform.jurisdiction.county.code
    app = platform.tiers[Tier.COUNTY].app
    account = app.account(account_id(Tier.COUNTY, IMPORT_USERNAME))
    if account is None:
        meta = Meta(provisioner(county), app.clock(), f"provision:{uuid4()}")
        # Nobody logs in as the import: its password is random and never shown.
        secret = hash_password(uuid4().hex + uuid4().hex)
        app.create_account(IMPORT_USERNAME, "台账导入", county, [IMPORT_ROLE], secret, meta, False)
        account = app.account(account_id(Tier.COUNTY, IMPORT_USERNAME))
    return {
        tier: Actor(str(account.id), tier, county, IMPORT_ROLE, account.name, tuple(account.roles))
        for tier in platform.tiers
    }


def digest(*parts: Any) -> str:
    text = json.dumps(parts, ensure_ascii=False, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Recorder:
    """Runs the commands of ledger rows against one platform (the real one, or a dry run's)."""

    platform: Any
    file_sha256: str
    actors: dict[Tier, Actor]
    window_days: int
    outcome: Outcome = field(default_factory=Outcome)
    # Ledger keys met in this run → Sanji ids (others are looked up by their derived ids).
    orgs: dict[str, UUID] = field(default_factory=dict)
    awards: dict[str, UUID] = field(default_factory=dict)
    # Called after each command that recorded something (tests interrupt an import here).
    after_record: Callable[[], None] | None = None
    # Dry run: the real platform, where keys the file does not define are looked up.
    outside: Any = None
    # Ledger keys of organisation rows this run refused: rows that refer to them say so.
    refused_orgs: set[str] = field(default_factory=set)
    # Founding dates of the organisations in this file (the registration does not keep one).
    founded: dict[str, date] = field(default_factory=dict)
    # The column of the effective date of the command being run (where date refusals point).
    date_column: str = ""
    # The command being run: its metadata, tier and the aggregate its key lands on (a dry run
    # asks the real stores whether that aggregate has the key applied already).
    last_meta: Meta | None = None
    last_tier: Tier = Tier.COUNTY
    last_target: UUID | None = None
    last_on: UUID | None = None
    # Dry run: this row refers to a record only the real stores hold (reset for every row).
    outside_ref: bool = False
    # Training courses (ledger key → id, the tier running it, its last day) met in this run.
    courses_met: dict[str, tuple[UUID, Tier, date]] = field(default_factory=dict)

    @property
    def county_code(self) -> str:
        return str(self.platform.jurisdiction.county.code)

    @property
    def village(self) -> VillageApplication:
        return cast(VillageApplication, self.platform.tiers[Tier.VILLAGE].app)

    @property
    def township(self) -> TownshipApplication:
        return cast(TownshipApplication, self.platform.tiers[Tier.TOWNSHIP].app)

    @property
    def county(self) -> CountyApplication:
        return cast(CountyApplication, self.platform.tiers[Tier.COUNTY].app)

    # ------------------------------------------------------------ keys, metadata, commands

    def key(self, sheet: str, *parts: Any) -> str:
        """The idempotency key of a row's command: county, sheet, ledger key, step. A ledger
        key is the county's own text, so ``:`` in it is escaped: key ``A:备案`` must not be
        the filing step of key ``A``."""
        escaped = (str(p).replace("%", "%25").replace(":", "%3A") for p in parts)
        return ":".join(["ledger", self.county_code, sheet, *escaped])

    def meta(
        self,
        tier: Tier,
        row: Row,
        when: str,
        key: str,
        inputs: tuple[Any, ...],
        on: UUID | None = None,
    ) -> Meta:
        """The command's metadata; ``when`` is the column (key) of the act's effective date,
        ``on`` the aggregate the command acts on (None: the one it creates, id from the key)."""
        actor, day = self.actors[tier], row[when]
        self.date_column = row.sheet.column(when).header
        today = self.platform.tiers[tier].app.clock().astimezone(CHINA).date()
        try:
            reason = backdating.check(day, BACKDATE_REASON, actor, today, self.window_days)
        except DomainError as e:
            raise RowRefused(e.code, _zh(e), self.date_column) from None
        meta = Meta(
            actor=actor,
            effective_at=datetime.combine(day, time(0), CHINA),
            correlation_id=str(uuid5(NAMESPACE_URL, f"sanji:{key}")),
            idempotency_key=key,
            request_hash=digest(str(day), *inputs),
            backdate_reason=reason,
            imported=Imported(self.file_sha256, row.sheet.name, row.number),
        )
        self.last_meta, self.last_tier, self.last_on = meta, tier, on
        self.last_target = on if on is not None else new_id(meta)
        return meta

    def run(self, command: Callable[[], CommandResult]) -> CommandResult:
        if self.outside is not None:
            present = self.present_outside()
            if present is not None:
                self.outcome.present += 1
                return present
            if self.outside_ref or self.only_outside(self.last_on):
                raise OutsideReference("outside_reference", "本行引用已有记录", "")
        try:
            result = command()
        except DomainError as e:
            if e.code == "idempotency_key_reused":
                raise RowRefused("import_row_changed", CHANGED) from None
            column = COLUMNS_BY_CODE.get(e.code)
            if column is None:
                column = self.date_column if e.code in DATE_CODES else ""
            raise RowRefused(e.code, _zh(e), column) from None
        if result.replayed:
            self.outcome.present += 1
        else:
            self.outcome.recorded += 1
            if self.after_record is not None:
                self.after_record()
        return result

    def only_outside(self, aggregate_id: UUID | None) -> bool:
        """Dry run: the command acts on a record the real stores hold and the scratch not."""
        if aggregate_id is None:
            return False
        app = self.platform.tiers[self.last_tier].app
        if app.find(aggregate_id) is not None:
            return False
        return self.outside.tiers[self.last_tier].app.find(aggregate_id) is not None

    def present_outside(self) -> CommandResult | None:
        """Dry run: the command's result if the real stores have its key applied already;
        refused as changed if they have it for other inputs."""
        assert self.last_meta is not None and self.last_target is not None
        existing = self.outside.tiers[self.last_tier].app.find(self.last_target)
        if existing is None:
            return None
        try:
            version = existing.replayed_version(self.last_meta)
        except DomainError:
            raise RowRefused("import_row_changed", CHANGED) from None
        if version is None:
            return None
        return CommandResult(existing.id, version, None, replayed=True)

    # ------------------------------------------------------------ ids of ledger keys

    def created_id(self, key: str) -> UUID:
        """The id of the record the command with idempotency key ``key`` creates."""
        return new_id(Meta(self.actors[Tier.COUNTY], datetime.now(CHINA), "", idempotency_key=key))

    def org_id(self, key: str) -> UUID:
        """The id of the organisation with this ledger key: the record its first act created
        (the village's application, or the county's registration: both keyed alike)."""
        return self.created_id(self.key("组织", key))

    # ------------------------------------------------------------ bulk reads (bulk.py)

    def prefetch(self, step: str, rows: list[Row], chunks: dict[Tier, Chunk]) -> None:
        """Reads in bulk what a chunk of ``step``'s rows will read: their organisations (as
        records and as facts, at every tier), the records they create, and for activities
        the returns that could lock their days and the volunteers they name. A guess that
        misses costs nothing but the read it would have cost anyway."""
        orgs = {self.orgs.get(r[k]) or self.org_id(r[k]) for r in rows for k in ORG_KEYS if r[k]}
        created: set[UUID] = set()
        if step in CREATES:
            sheet, column, suffix = CREATES[step]
            created = {self.created_id(self.key(sheet, r[column], *suffix)) for r in rows}
        if step == "organisation_register":  # each registration reads its code's claim
            created |= {usci_claim_id(r["usci"]) for r in rows if r["usci"]}
        for chunk in chunks.values():
            chunk.prefetch(organisations=orgs)
        if step != "activities":
            for chunk in chunks.values():
                chunk.prefetch(orgs | created)
            return
        village = chunks[Tier.VILLAGE]
        returns: set[UUID] = set()
        volunteers: set[UUID] = set()
        for r in rows:
            facts = village.org_facts(self.orgs.get(r["org"]) or self.org_id(r["org"]))
            if facts is not None:
                returns |= Chunk.returns_covering(facts.village_code, r["day"])
                volunteers |= {
                    volunteer_key(facts.village_code, v) for v in r["volunteer_ids"] or []
                }
        steps = {step_id(r, 1) for r in returns}
        village.prefetch(orgs | created | steps | volunteers, returns=returns)

    def org(self, key: str, column: str = "组织编号") -> UUID:
        if self.outside is None and key in self.orgs:
            return self.orgs[key]  # an import: what this run created or found is there
        candidate = self.orgs.get(key) or self.org_id(key)
        if self.county.lookup.get(candidate) is not None:
            self.orgs[key] = candidate
            return candidate
        outside = self.outside.tiers[Tier.COUNTY].app if self.outside is not None else None
        if outside is not None and outside.lookup.get(candidate) is not None:
            self.outside_ref = True  # the real stores hold it; the scratch stores do not
            return candidate
        # Not recorded: because its own row was refused in this run, if it was.
        if key in self.refused_orgs:
            raise RowRefused(
                "reference_refused", f"组织编号“{key}”所在的组织行未通过检查，本行不能导入", column
            )
        raise RowRefused(
            "unknown_reference", f"组织编号“{key}”在本台账和已有记录中都不存在", column
        )

    def call_exists(self, call: UUID) -> bool:
        if self.county.find(call) is not None:
            return True
        if self.outside is not None and self.outside.tiers[Tier.COUNTY].app.find(call):
            self.outside_ref = True
            return True
        return False

    # ------------------------------------------------------------ sheets

    def divisions(self, row: Row) -> None:
        division = self.platform.jurisdiction.get(row["code"])
        if division is None:
            raise RowRefused("unknown_division", f"本县没有区划代码 {row['code']}", "区划代码")
        if division.name != row["name"]:
            raise RowRefused(
                "division_mismatch", f"区划名称应为“{division.name}”，台账为“{row['name']}”", "名称"
            )
        if row["tier"] and str(division.tier) != row["tier"]:
            raise RowRefused("division_mismatch", f"{division.name}的层级与台账不符", "层级")
        if row["area"] and division.area is not None and str(division.area) != row["area"]:
            raise RowRefused("division_mismatch", f"{division.name}的城乡类别与台账不符", "城乡")

    def check_organisation(self, row: Row) -> None:
        filed = row["applied"] is not None or row["filed"] is not None
        registered = row["usci"] is not None or row["registered"] is not None
        if not filed and not registered:
            raise RowRefused(
                "status_required",
                "须填写备案信息（申请日期、备案日期）或登记信息（统一社会信用代码、登记日期）",
                "申请日期",
            )
        for present, needed in (
            (filed, ("applied", "filed")),
            (registered, ("usci", "registered")),
        ):
            for k in needed:
                if present and row[k] is None:
                    header = row.sheet.column(k).header
                    raise RowRefused("required", f"“{header}”为必填项", header)

    def organisation_apply(self, row: Row) -> None:
        self.check_organisation(row)
        self.founded[row["org"]] = row["founded"]
        if row["applied"] is None:
            return
        inputs = (row["village"], row["name"], str(row["field"]), str(row["founded"]))
        category = str(row["category"] or "general")
        meta = self.meta(
            Tier.VILLAGE, row, "applied", self.key("组织", row["org"]), (*inputs, category)
        )
        result = self.run(
            lambda: self.village.apply_for_filing(
                row["village"], row["name"], str(row["field"]), row["founded"], meta, category
            )
        )
        self.orgs[row["org"]] = result.id

    def organisation_file(self, row: Row) -> None:
        if row["filed"] is None:
            return
        org = self.org(row["org"])
        key = self.key("组织", row["org"], "备案")
        meta = self.meta(Tier.TOWNSHIP, row, "filed", key, (), on=org)
        self.run(lambda: self.township.decide_filing(org, True, "", meta))

    def organisation_register(self, row: Row) -> None:
        if row["registered"] is None:
            return
        category = str(row["category"] or "general")
        upgrade = row["applied"] is not None
        org = self.org(row["org"]) if upgrade else None
        key = self.key("组织", row["org"], "登记") if upgrade else self.key("组织", row["org"])
        inputs = (row["usci"], row["name"], str(row["field"]), row["village"], category)
        meta = self.meta(Tier.COUNTY, row, "registered", key, inputs, on=org)
        result = self.run(
            lambda: self.county.register(
                row["usci"], row["name"], str(row["field"]), row["village"], org, meta, category
            )
        )
        self.orgs[row["org"]] = result.id

    def charters(self, row: Row) -> None:
        org, day = self.org(row["org"]), row["day"]
        inputs = (row["party"], row["integrity"])
        facts = self.county.lookup.get(org)
        if facts is None and self.outside is not None:  # dry run: a recorded organisation
            facts = self.outside.tiers[Tier.COUNTY].app.lookup.get(org)
        if facts is not None and facts.registered_on_day(day):
            meta = self.meta(Tier.COUNTY, row, "day", self.key("章程", row["org"]), inputs, org)
            self.run(lambda: self.county.approve_charter(org, *inputs, meta))
        else:
            meta = self.meta(Tier.TOWNSHIP, row, "day", self.key("章程", row["org"]), inputs, org)
            self.run(lambda: self.township.approve_charter(org, *inputs, meta))

    def activities(self, row: Row) -> None:
        org = self.org(row["org"])
        founded = self.founded.get(row["org"])
        if founded is not None and row["day"] < founded:
            raise RowRefused(
                "activity_before_founding",
                f"活动日期 {row['day']} 早于组织成立日期 {founded}",
                "活动日期",
            )
        figures: dict[str, Any] = {
            "field": str(row["field"]),
            "participants": row["participants"],
            "volunteers": row["volunteers"] or 0,
            "volunteer_services": row["volunteer_services"] or 0,
            "volunteer_hours": row["volunteer_hours"] or Decimal(0),
            "beneficiaries": row["beneficiaries"] or 0,
            "money_spent": row["money_spent"] or Decimal(0),
            "themes": self.theme_codes(row["themes"] or [], row["day"]),
            "cases_taken": row["cases_taken"],
            "cases_resolved": row["cases_resolved"],
            "volunteer_ids": row["volunteer_ids"] or [],
        }
        # Named, and only when filled: a column added later (主题, 受理纠纷数, 调解成功数)
        # changes the hash only of rows that fill it, so activities imported before it existed
        # still replay (tests/e2e/test_ledger_import.py pins one such hash).
        inputs = (str(org), *(f"{k}={v}" for k, v in figures.items() if v not in (None, "", [])))
        meta = self.meta(Tier.VILLAGE, row, "day", self.key("活动", row["key"]), inputs)
        self.run(lambda: self.village.report_activity(org, row["day"], meta=meta, **figures))

    def volunteers(self, row: Row) -> None:
        """A volunteer in the village's register, by the village's own number (ADR 0021)."""
        village, number = row["village"], row["volunteer_id"]
        key = self.key("志愿者", village, number)
        meta = self.meta(
            Tier.VILLAGE, row, "day", key, (village, number), on=volunteer_key(village, number)
        )
        self.run(lambda: self.village.register_volunteer(village, number, meta))
        if row["left"] is not None:
            # One leaving per ledger row (ADR 0021 addendum): its date is in the request hash,
            # so a corrected date is refused as a changed row, not recorded as a second leaving.
            reason = row["left_reason"] or "other"
            key = self.key("志愿者", village, number, "离开")
            meta = self.meta(
                Tier.VILLAGE, row, "left", key, (reason,), on=volunteer_key(village, number)
            )
            self.run(lambda: self.village.leave_volunteer(village, number, reason, meta))

    def budgets(self, row: Row) -> None:
        """A programme's budget for a year; a corrected amount is recorded as a revision."""
        programme, year, amount = str(row["programme"]), row["year"], row["amount"]
        inputs = (programme, year, str(amount))
        key = self.key("资金预算", programme, year, digest(*inputs)[:16])
        on = budget_id_for(programme, year)
        meta = self.meta(Tier.COUNTY, row, "day", key, inputs, on=on)
        self.run(lambda: self.county.set_programme_budget(programme, year, amount, meta))

    def theme_codes(self, typed: list[str], on: date) -> list[str]:
        """The codes of the themes as typed: a Chinese name of the vocabulary in force on the
        activity's date, else of any version (so a retired name is refused by the command as
        ``theme_not_in_force``, not as unknown), or a code. What matches nothing is passed on
        as typed and refused by the command as ``unknown_theme``."""
        if not typed:
            return []
        rules = self.village.rules
        names = {
            t.zh: t.code for v in rules.families.get(themes.FAMILY, ()) for t in themes.themes_of(v)
        }
        # Before the first version there is none in force: the command refuses every theme.
        with suppress(RuleNotInForce):
            names |= {t.zh: t.code for t in themes.in_force(rules, on)[1]}
        return [names.get(t, t) for t in typed]

    def inspections(self, row: Row) -> None:
        org = self.org(row["org"])
        findings, inspectors = row["findings"] or "", row["inspectors"]
        inputs = (str(org), row["result"], findings, inspectors)
        meta = self.meta(Tier.TOWNSHIP, row, "day", self.key("检查", row["key"]), inputs)
        done = self.run(
            lambda: self.township.record_inspection(org, row["result"], findings, inspectors, meta)
        )
        if row["rectified"] is not None:
            key = self.key("检查", row["key"], "整改")
            meta = self.meta(Tier.TOWNSHIP, row, "rectified", key, (), on=done.id)
            self.run(lambda: self.township.complete_rectification(done.id, meta))

    def annual_reports(self, row: Row) -> None:
        org = self.org(row["org"])
        key = self.key("年报", row["org"], row["year"])
        meta = self.meta(Tier.COUNTY, row, "day", key, (row["year"],), on=org)
        self.run(lambda: self.county.file_annual_report(org, row["year"], meta))

    def ratings(self, row: Row) -> None:
        org = self.org(row["org"])
        inputs = (row["credit"], row["grade"], str(row["valid_until"]), row["stars"])
        if all(v is None for v in (row["credit"], row["grade"], row["stars"])):
            raise RowRefused("rating_empty", "信用评价、评估等级、星级至少填写一项", "信用评价")
        # A rating supersedes the one before it: a changed row records a new rating (the
        # correction), so its content is part of its key (ADR 0020).
        key = self.key("评级", row["org"], row["day"], digest(*inputs)[:16])
        meta = self.meta(Tier.COUNTY, row, "day", key, inputs, on=org)
        self.run(
            lambda: self.county.rate(
                org, row["credit"], row["grade"], row["valid_until"], row["stars"], meta
            )
        )

    def platforms(self, row: Row) -> None:
        kind = PlatformKind(row["kind"])
        tier = {
            PlatformKind.COUNTY_CENTRE: Tier.COUNTY,
            PlatformKind.VILLAGE_STATION: Tier.VILLAGE,
        }.get(kind, Tier.TOWNSHIP)
        inputs = (str(kind), row["division"], row["name"])
        meta = self.meta(tier, row, "day", self.key("平台", row["key"]), inputs)
        app = self.platform.tiers[tier].app
        self.run(lambda: app.open_platform(kind, row["division"], row["name"], meta))

    def calls(self, row: Row) -> None:
        programme = str(row["programme"])
        inputs = (programme, row["round"], row["title"], str(row["budget"]), str(row["deadline"]))
        key = self.key("资金征集", programme, row["round"])
        call = call_id_for(programme, row["round"])
        meta = self.meta(Tier.COUNTY, row, "day", key, inputs, on=call)
        self.run(
            lambda: self.county.open_call(
                programme, row["round"], row["title"], row["budget"], row["deadline"], meta
            )
        )

    def project_apply(self, row: Row) -> None:
        org = self.org(row["org"])
        host = self.org(row["host"], "托管组织编号") if row["host"] else None
        call = call_id_for(str(row["programme"]), row["round"])
        if not self.call_exists(call):
            if not row["approved"]:
                raise RowRefused(
                    "call_required", "没有资金征集的批次只能登记立项的项目（直接立项）", "评审结果"
                )
            return  # a direct award, recorded at review
        if row["applied"] is None:
            raise RowRefused("required", "有资金征集的批次，“申报日期”为必填项", "申报日期")
        details = _details(row)
        inputs: tuple[Any, ...] = (str(call), str(org), row["project"], str(row["requested"]))
        inputs += (str(host), *_named(details))
        key = self.key("资助项目", row["key"])
        on = application_id_for(call, org)
        meta = self.meta(Tier.COUNTY, row, "applied", key, inputs, on=on)
        self.run(
            lambda: self.county.apply_for_funding(
                call, org, row["project"], row["requested"], host, False, meta, **details
            )
        )

    def project_review(self, row: Row) -> None:
        org = self.org(row["org"])
        host = self.org(row["host"], "托管组织编号") if row["host"] else None
        programme = str(row["programme"])
        amount = row["amount"]
        if row["approved"] and amount is None:
            raise RowRefused("required", "立项的项目，“资助金额”为必填项", "资助金额")
        call = call_id_for(programme, row["round"])
        key = self.key("资助项目", row["key"], "评审")
        if not self.call_exists(call):
            details = _details(row)
            inputs: tuple[Any, ...] = (str(org), programme, row["round"], row["project"])
            inputs += (str(amount), str(host), *_named(details))
            meta = self.meta(Tier.COUNTY, row, "day", key, inputs)
            result = self.run(
                lambda: self.county.award_funding(
                    org, programme, row["round"], row["project"], amount, host, meta, **details
                )
            )
            self.awards[row["key"]] = result.id
            return
        application = application_id_for(call, org)
        reason = row["reason"] or ""
        decision = (str(application), row["approved"], str(amount), reason)
        meta = self.meta(Tier.COUNTY, row, "day", key, decision, on=application)
        self.run(
            lambda: self.county.review_application(
                application, row["approved"], amount, reason, meta
            )
        )
        if row["approved"]:
            self.awards[row["key"]] = award_id_for(application)

    def award_of(self, row: Row) -> UUID:
        """The award of the row's project, which this ledger's 资助项目 sheet approved."""
        award = self.awards.get(row["project"])
        if award is None:
            raise RowRefused(
                "unknown_reference",
                f"项目编号“{row['project']}”在本台账中不存在或未立项",
                "项目编号",
            )
        return award

    def tranches(self, row: Row) -> None:
        award = self.award_of(row)
        inputs = (str(award), row["tranche"], str(row["amount"]))
        key = self.key("拨付", row["project"], row["tranche"])
        meta = self.meta(Tier.COUNTY, row, "day", key, inputs, on=award)
        self.run(lambda: self.county.disburse(award, row["tranche"], row["amount"], meta))

    def evaluations(self, row: Row) -> None:
        award, stage, comment = self.award_of(row), str(row["stage"]), row["comment"] or ""
        inputs = (str(award), stage, str(row["score"]), comment)
        key = self.key("评估", row["project"], stage)
        meta = self.meta(Tier.COUNTY, row, "day", key, inputs, on=award)
        self.run(lambda: self.county.evaluate_award(award, stage, row["score"], comment, meta))

    def closures(self, row: Row) -> None:
        award, reached = self.award_of(row), row["beneficiaries_reached"]
        inputs = (str(award), row["reason"], *(() if reached is None else (f"reached={reached}",)))
        meta = self.meta(Tier.COUNTY, row, "day", self.key("结项", row["project"]), inputs, award)
        self.run(
            lambda: self.county.close_award(
                award, row["reason"], meta, beneficiaries_reached=reached
            )
        )

    # ------------------------------------------------------------ training (ADR 0024)

    def course_tier(self, code: str) -> Tier:
        """The tier that runs a course for ``code``: the county's or a township's own level."""
        division = self.platform.jurisdiction.get(code)
        if division is None or division.tier not in training.RUNS_COURSES:
            raise RowRefused(
                "course_division",
                f"“{code}”不是本县或本县乡镇（街道）的区划代码：培训班由县或乡镇（街道）举办",
                "举办单位代码",
            )
        return Tier(division.tier)

    def course_kind(self, typed: str, on: date) -> str:
        """The code of the kind as typed: a Chinese name of the training rules in force on the
        course's first day, else of any version, or a code; what matches nothing is passed on
        and refused by the command as ``unknown_course_kind``."""
        rules = self.county.rules
        names = {
            str(k["zh"]): str(k["code"])
            for v in rules.families.get(training.FAMILY, ())
            for k in v.parameters.get("kinds", ())
        }
        with suppress(RuleNotInForce):
            version = rules.version_on(training.FAMILY, on)
            names |= {str(k["zh"]): str(k["code"]) for k in version.parameters.get("kinds", ())}
        return names.get(typed, typed)

    def courses(self, row: Row) -> None:
        code, tier = row["division"], self.course_tier(row["division"])
        kind = self.course_kind(row["kind"], row["starts_on"])
        details = (row["topic"], kind, row["starts_on"], row["ends_on"], row["trainer"])
        inputs = (code, *(str(d) for d in details))
        meta = self.meta(tier, row, "starts_on", self.key("培训班", row["key"]), inputs)
        app = self.platform.tiers[tier].app
        result = self.run(lambda: training.schedule(app, code, *details, None, meta))
        self.courses_met[row["key"]] = (result.id, tier, row["ends_on"])

    def course_of(self, key: str) -> tuple[UUID, Tier, date]:
        """The course with this ledger key: met in this run, else recorded by an earlier
        import (its id follows from the key), at the county or a township."""
        if key in self.courses_met:
            return self.courses_met[key]
        course_id = self.created_id(self.key("培训班", key))
        for platform, outside in ((self.platform, False), (self.outside, True)):
            for tier in training.RUNS_COURSES:
                found = platform.tiers[tier].app.find(course_id) if platform else None
                if isinstance(found, TrainingCourse):
                    self.outside_ref = self.outside_ref or outside
                    return course_id, tier, found.ends_on
        raise RowRefused(
            "unknown_reference",
            f"培训班编号“{key}”在本台账和已有记录中都不存在（或其培训班行未通过检查）",
            "培训班编号",
        )

    def attendance(self, row: Row) -> None:
        course, tier, ends_on = self.course_of(row["course"])
        org = self.org(row["org"])
        if row["day"] is None:
            row.values["day"] = ends_on  # recorded as of the course's last day
        roles = row["roles"] or []
        inputs = (str(course), str(org), row["trainees"], *roles)
        key = self.key("参训", row["course"], row["org"])
        meta = self.meta(tier, row, "day", key, inputs, on=course)
        app = self.platform.tiers[tier].app
        self.run(lambda: training.attend(app, course, org, row["trainees"], roles, meta))


# Columns of a row that name an organisation by its ledger key.
ORG_KEYS = ("org", "host")
# step → (sheet, key column, key suffix) of the record a row's first command creates.
CREATES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "organisation_apply": ("组织", "org", ()),
    "activities": ("活动", "key", ()),
    "inspections": ("检查", "key", ()),
}


def _details(row: Row) -> dict[str, Any]:
    """A project's funding details (ADR 0021), when the ledger gives them."""
    keys = ("purchaser", "purchaser_other", "beneficiaries_planned")
    return {k: row[k] for k in keys if row[k] not in (None, "")}


def _named(details: dict[str, Any]) -> tuple[str, ...]:
    # Named, and only when filled: projects imported before these columns existed still replay.
    return tuple(f"{k}={v}" for k, v in sorted(details.items()))


def _zh(e: DomainError) -> str:
    from shared.api.messages_zh import message_zh

    return message_zh(e.code, e.message, e.status)


# The column a domain refusal is about, where the code says it (else the row as a whole).
COLUMNS_BY_CODE = {
    "unknown_division": "村社区代码",
    "out_of_jurisdiction": "村社区代码",
    "founded_after_application": "成立日期",
    "activity_before_founding": "活动日期",
    "decision_before_application": "备案日期",
    "usci_already_registered": "统一社会信用代码",
    "too_few_inspectors": "检查人员",
    "stars_out_of_range": "星级",
    "unknown_theme": "主题",
    "duplicate_theme": "主题",
    "too_many_themes": "主题",
    "theme_not_in_force": "主题",
    "cases_resolved_exceed_taken": "调解成功数",
    "volunteer_had_left": "志愿者编号",
    "unknown_purchaser": "购买主体",
    "purchaser_not_in_force": "购买主体",
    "purchaser_other_required": "购买主体名称",
    "purchaser_other_not_allowed": "购买主体名称",
    "purchaser_too_long": "购买主体名称",
    "volunteer_left_before_registered": "离开日期",
    # Training (ADR 0024).
    "topic_required": "培训主题",
    "trainer_required": "授课人",
    "course_dates_reversed": "结束日期",
    "course_too_far_ahead": "结束日期",
    "unknown_course_kind": "培训班类别",
    "division_tier_mismatch": "举办单位代码",
    "invalid_trainees": "参训人数",
    "invalid_roles": "参训人员身份",
    "attendee_out_of_jurisdiction": "组织编号",
    "attendance_exists": "组织编号",
    "course_not_started": "登记日期",
}
# Refusals about the act's date: they point at the column the effective date came from.
DATE_CODES = frozenset(
    {
        "rule_not_in_force",
        "date_in_future",
        "organisation_not_active",
        "period_locked",
        "deadline_in_past",
        "call_not_open",
        "backdate_forbidden",
    }
)
