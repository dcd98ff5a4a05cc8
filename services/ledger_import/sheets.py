"""The ledger's sheets and columns: one definition for the templates, the reader and the checks.

A sheet is one kind of record; sheets come in dependency order (an organisation before its
charter, a funding call before the projects that answer it). Every column has a Chinese header
(what the county's clerks type and read), a kind (how a cell is parsed), whether it is required,
the allowed values in Chinese where it is a code list, and an example. Rows refer to each other
by ledger keys the county chooses (组织编号, 项目编号 …), never by Sanji ids (ADR 0020).

To add a column (as 主题, 受理纠纷数 and 调解成功数 were added to 活动), append a :class:`Column` to the sheet:
the template, the 说明 sheet and the reader follow; the recorder reads it by its ``key``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.kernel.domain import Category
from shared.kernel.domain import Field as OrgField
from shared.kernel.integration.events import FundingProgramme, PlatformKind

FIELDS = {
    "为民服务": OrgField.SERVICES,
    "自治": OrgField.SELF_GOVERNANCE,
    "文体": OrgField.CULTURE_SPORTS,
    "平安": OrgField.SAFETY,
    "公益慈善": OrgField.CHARITY,
    "矛盾调处": OrgField.MEDIATION,
    "乡村振兴": OrgField.RURAL_REVITALISATION,
    "邻里互助": OrgField.MUTUAL_AID,
    "其他": OrgField.OTHER,
}
CATEGORIES = {"一般": Category.GENERAL, "乡贤参事会": Category.VILLAGE_SAGE_COUNCIL}
YES_NO = {"是": True, "否": False}
INSPECTION_RESULTS = {
    "合规": "compliant",
    "责令整改": "rectification_ordered",
    "违规": "violation",
}
PLATFORM_KINDS = {
    "县级中心": PlatformKind.COUNTY_CENTRE,
    "乡镇平台": PlatformKind.TOWNSHIP_PLATFORM,
    "孵化园": PlatformKind.INCUBATOR,
    "村社区服务站": PlatformKind.VILLAGE_STATION,
}
PROGRAMMES = {
    "微公益创投": FundingProgramme.MICRO_VENTURE,
    "政府购买服务": FundingProgramme.PURCHASE_OF_SERVICES,
    "专项资金": FundingProgramme.SPECIAL_FUND,
}
DECISIONS = {"立项": True, "不予立项": False}
STAGES = {"中期评估": "mid_term", "结项评估": "final"}
LEAVE_REASONS = {"迁出": "moved_away", "本人退出": "withdrew", "其他": "other"}
DIVISION_TIERS = {"县": "county", "乡镇街道": "township", "村社区": "village"}
AREAS = {"城市社区": "urban", "农村": "rural"}
GRADES = {f"{n}A": n for n in range(1, 6)} | {str(n): n for n in range(1, 6)}

# Cell kinds (services/ledger_import/cells.py parses them).
TEXT, NAME, KEY, CODE, DATE, INT, MONEY, HOURS, CHOICE, USCI, NAMES, THEMES, IDS, SCORE = (
    "text",
    "name",
    "key",
    "code",
    "date",
    "int",
    "money",
    "hours",
    "choice",
    "usci",
    "names",
    "themes",
    "ids",
    "score",
)
# A kind of training course (ADR 0024): a name or code of the ``training`` rules, which version
# applies depends on the course's first day, so the recorder resolves it and the command checks.
COURSE_KIND = "course_kind"
FORMATS = {
    TEXT: "文本",
    NAME: "文本（1–200 字，不含控制字符）",
    KEY: "文本（本县自定编号，1–64 字，同表内不重复）",
    CODE: "12 位区划代码",
    DATE: "日期：2026-03-01、2026/3/1、2026年3月1日 或 Excel 日期",
    INT: "非负整数",
    MONEY: "金额（元），最多两位小数",
    HOURS: "小时数，最多两位小数",
    CHOICE: "取值之一",
    USCI: "18 位统一社会信用代码（民政登记，首位 5）",
    NAMES: "姓名，用顿号、逗号或分号分隔",
    # Checked against the vocabulary in force on the activity's date by the command itself.
    THEMES: "主题名称或代码，多个用顿号或分号分隔；须在活动日期生效的主题目录中",
    IDS: "编号，多个用顿号、逗号或分号分隔",
    SCORE: "分数，最多两位小数",
    COURSE_KIND: "培训班类别名称或代码；须在培训班开始日期生效的培训班类别目录中",
}


@dataclass(frozen=True)
class Column:
    header: str  # 表头（中文）
    key: str  # the recorder's name for it
    kind: str
    required: bool = False
    note: str = ""  # 说明
    example: str = ""
    choices: Mapping[str, object] = field(default_factory=dict)  # 中文取值 → value

    def allowed(self) -> str:
        return "、".join(self.choices)


@dataclass(frozen=True)
class Sheet:
    name: str  # 工作表名 = CSV 文件名（不含 .csv）
    kind: str  # the recorder's name for it
    note: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the columns that make a row's ledger key (unique in the sheet)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


ORG = Column("组织编号", "org", KEY, True, "本县台账中的组织编号，其他表以此引用", "ZZ-0001")

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "区划",
        "divisions",
        "可选：核对台账中的区划与本县区划是否一致，不记录任何内容",
        (
            Column("区划代码", "code", CODE, True, "", "330699001001"),
            Column("名称", "name", NAME, True, "须与本县区划名称一致", "文昌社区"),
            Column("层级", "tier", CHOICE, False, "", "村社区", DIVISION_TIERS),
            Column("城乡", "area", CHOICE, False, "村/社区填写", "城市社区", AREAS),
        ),
        ("code",),
    ),
    Sheet(
        "组织",
        "organisations",
        "备案组织填申请日期与备案日期；登记组织填统一社会信用代码与登记日期；"
        "先备案后登记的两者都填",
        (
            ORG,
            Column("组织名称", "name", NAME, True, "", "文昌社区为老服务队"),
            Column("村社区代码", "village", CODE, True, "组织所在村（社区）", "330699001001"),
            Column("服务领域", "field", CHOICE, True, "", "为民服务", dict(FIELDS)),
            Column("类别", "category", CHOICE, False, "默认 一般", "一般", dict(CATEGORIES)),
            Column("成立日期", "founded", DATE, True, "", "2019-03-01"),
            Column("申请日期", "applied", DATE, False, "备案组织必填", "2019-04-01"),
            Column("备案日期", "filed", DATE, False, "备案组织必填（乡镇街道备案）", "2019-04-10"),
            Column("统一社会信用代码", "usci", USCI, False, "登记组织必填", ""),
            Column("登记日期", "registered", DATE, False, "登记组织必填（县民政局登记）", ""),
        ),
        ("org",),
    ),
    Sheet(
        "章程",
        "charters",
        "备案组织由乡镇街道核准，登记组织由县民政局核准（按核准日期的状态）",
        (
            ORG,
            Column("核准日期", "day", DATE, True, "", "2019-05-01"),
            Column("党建入章", "party", CHOICE, True, "", "是", dict(YES_NO)),
            Column("清廉入章", "integrity", CHOICE, True, "", "是", dict(YES_NO)),
        ),
        ("org",),
    ),
    Sheet(
        "志愿者",
        "volunteers",
        "村（社区）志愿者名册：只填本村（社区）自编的志愿者编号，不填姓名、身份证号或电话"
        "（ADR 0021）；活动表的“志愿者编号”须先在此登记",
        (
            Column("村社区代码", "village", CODE, True, "志愿者所属村（社区）", "330699001001"),
            Column("志愿者编号", "volunteer_id", KEY, True, "本村（社区）自编编号", "WC-0001"),
            Column("登记日期", "day", DATE, True, "", "2019-03-01"),
            Column(
                "离开日期",
                "left",
                DATE,
                False,
                "选填：志愿者离开名册（注销）的日期；此后的活动不能再列该志愿者",
                "",
            ),
            Column(
                "离开原因",
                "left_reason",
                CHOICE,
                False,
                "填了离开日期时选填，默认其他",
                "",
                dict(LEAVE_REASONS),
            ),
        ),
        ("village", "volunteer_id"),
    ),
    Sheet(
        "活动",
        "activities",
        "每次活动一行；人数与人次为非负整数；主题与调解件数为选填",
        (
            Column("活动编号", "key", KEY, True, "本县台账中的活动编号", "HD-000001"),
            ORG,
            Column("活动日期", "day", DATE, True, "", "2020-06-01"),
            Column("活动领域", "field", CHOICE, True, "", "为民服务", dict(FIELDS)),
            Column(
                "主题",
                "themes",
                THEMES,
                False,
                "可填多个；按活动日期生效的本县活动主题目录核对（停用的主题只能用于停用前的活动）",
                "为老服务、矛盾调解",
            ),
            Column("参与人数", "participants", INT, True, "", "30"),
            Column("志愿者人数", "volunteers", INT, False, "默认 0", "5"),
            Column("志愿服务人次", "volunteer_services", INT, False, "默认 0", "5"),
            Column("志愿服务时长", "volunteer_hours", HOURS, False, "默认 0", "10"),
            Column("受益人次", "beneficiaries", INT, False, "默认 0", "40"),
            Column("支出金额", "money_spent", MONEY, False, "默认 0", "120.50"),
            Column("受理纠纷数", "cases_taken", INT, False, "矛盾调解活动填写", "3"),
            Column(
                "调解成功数",
                "cases_resolved",
                INT,
                False,
                "不能多于受理纠纷数（须先填受理纠纷数）",
                "2",
            ),
            Column(
                "志愿者编号",
                "volunteer_ids",
                IDS,
                False,
                "参加服务的志愿者（须已在志愿者表登记于本村社区），人数不多于志愿者人数",
                "WC-0001、WC-0002",
            ),
        ),
        ("key",),
    ),
    Sheet(
        "检查",
        "inspections",
        "乡镇街道抽查记录；责令整改的可填整改完成日期",
        (
            Column("检查编号", "key", KEY, True, "", "JC-0001"),
            ORG,
            Column("检查日期", "day", DATE, True, "", "2020-09-01"),
            Column("检查结果", "result", CHOICE, True, "", "合规", INSPECTION_RESULTS),
            Column("发现问题", "findings", TEXT, False, "", ""),
            Column("检查人员", "inspectors", NAMES, True, "至少两人", "王建国、李秀英"),
            Column("整改完成日期", "rectified", DATE, False, "", ""),
        ),
        ("key",),
    ),
    Sheet(
        "年报",
        "annual_reports",
        "登记组织的年度报告（次年报送）",
        (
            ORG,
            Column("年度", "year", INT, True, "", "2020"),
            Column("报送日期", "day", DATE, True, "", "2021-04-15"),
        ),
        ("org", "year"),
    ),
    Sheet(
        "评级",
        "ratings",
        "登记组织的信用评价、评估等级与星级；同一组织同一日期一行，更正后重新导入记录一次新评定",
        (
            ORG,
            Column("评定日期", "day", DATE, True, "", "2021-06-01"),
            Column("信用评价", "credit", TEXT, False, "如 A、B、C", "A"),
            Column("评估等级", "grade", CHOICE, False, "", "3A", dict(GRADES)),
            Column("等级有效期", "valid_until", DATE, False, "默认 5 年", ""),
            Column("星级", "stars", INT, False, "1–5", ""),
        ),
        ("org", "day"),
    ),
    Sheet(
        "平台",
        "platforms",
        "县级中心、乡镇平台、孵化园（城市社区）与村社区服务站",
        (
            Column("平台编号", "key", KEY, True, "", "PT-001"),
            Column("类型", "kind", CHOICE, True, "", "村社区服务站", dict(PLATFORM_KINDS)),
            Column("区划代码", "division", CODE, True, "", "330699001001"),
            Column("名称", "name", NAME, True, "", "文昌社区社会组织服务站"),
            Column("开设日期", "day", DATE, True, "", "2019-01-15"),
        ),
        ("key",),
    ),
    Sheet(
        "资金征集",
        "calls",
        "每个项目类别每个批次一次征集",
        (
            Column("项目类别", "programme", CHOICE, True, "", "微公益创投", dict(PROGRAMMES)),
            Column("批次", "round", TEXT, True, "", "2020"),
            Column("名称", "title", NAME, True, "", "2020年微公益创投"),
            Column("预算", "budget", MONEY, True, "元", "200000"),
            Column("发布日期", "day", DATE, True, "", "2020-03-01"),
            Column("截止日期", "deadline", DATE, True, "", "2020-04-30"),
        ),
        ("programme", "round"),
    ),
    Sheet(
        "资金预算",
        "budgets",
        "各资金项目类别的年度预算；同一类别同一年度再填一次即为调整",
        (
            Column("项目类别", "programme", CHOICE, True, "", "微公益创投", dict(PROGRAMMES)),
            Column("年度", "year", INT, True, "", "2020"),
            Column("预算金额", "amount", MONEY, True, "元", "500000"),
            Column("确定日期", "day", DATE, True, "", "2020-01-10"),
        ),
        ("programme", "year"),
    ),
    Sheet(
        "资助项目",
        "projects",
        "有征集的批次：申报并评审；没有征集的：直接立项（评审日期即立项日期）",
        (
            Column("项目编号", "key", KEY, True, "", "XM-0001"),
            ORG,
            Column("项目类别", "programme", CHOICE, True, "", "微公益创投", dict(PROGRAMMES)),
            Column("批次", "round", TEXT, True, "", "2020"),
            Column("项目名称", "project", NAME, True, "", "邻里守望项目"),
            Column("申报金额", "requested", MONEY, True, "元", "20000"),
            Column("托管组织编号", "host", KEY, False, "备案组织须填托管的登记组织编号", ""),
            Column("申报日期", "applied", DATE, False, "有征集时必填", "2020-04-01"),
            Column("评审日期", "day", DATE, True, "", "2020-05-20"),
            Column("评审结果", "approved", CHOICE, True, "", "立项", dict(DECISIONS)),
            Column("资助金额", "amount", MONEY, False, "立项时必填", "20000"),
            Column("理由", "reason", TEXT, False, "不予立项时必填", ""),
            Column(
                "购买主体",
                "purchaser",
                NAME,
                False,
                "政府购买服务填写购买服务的部门：购买主体目录中的名称或代码（如 民政局、区民政局、"
                "civil_affairs）；目录中没有的部门填“其他”并在“购买主体名称”中填写",
                "",
            ),
            Column("购买主体名称", "purchaser_other", NAME, False, "购买主体为“其他”时必填", ""),
            Column("计划受益人数", "beneficiaries_planned", INT, False, "", "200"),
        ),
        ("key",),
    ),
    Sheet(
        "拨付",
        "tranches",
        "资助项目的分批拨付",
        (
            Column("项目编号", "project", KEY, True, "", "XM-0001"),
            Column("拨付批次", "tranche", TEXT, True, "", "首期"),
            Column("金额", "amount", MONEY, True, "元", "12000"),
            Column("拨付日期", "day", DATE, True, "", "2020-06-20"),
        ),
        ("project", "tranche"),
    ),
    Sheet(
        "评估",
        "evaluations",
        "资助项目的中期评估与结项评估（得分按评估日期生效的资金规则评定等级）",
        (
            Column("项目编号", "project", KEY, True, "", "XM-0001"),
            Column("评估阶段", "stage", CHOICE, True, "", "结项评估", STAGES),
            Column("得分", "score", SCORE, True, "", "88"),
            Column("评估日期", "day", DATE, True, "", "2020-12-01"),
            Column("评估意见", "comment", TEXT, False, "", ""),
        ),
        ("project", "stage"),
    ),
    Sheet(
        "结项",
        "closures",
        "资助项目结项（须已有结项评估）；填写实际受益人数",
        (
            Column("项目编号", "project", KEY, True, "", "XM-0001"),
            Column("结项日期", "day", DATE, True, "", "2020-12-31"),
            Column("结项说明", "reason", TEXT, True, "", "项目按计划完成"),
            Column("实际受益人数", "beneficiaries_reached", INT, False, "", "260"),
        ),
        ("project",),
    ),
    Sheet(
        "培训班",
        "courses",
        "县民政局或乡镇（街道）举办的培训班（ADR 0024），每期一行；举办单位填县或乡镇（街道）"
        "本级的区划代码，该培训班由其记录",
        (
            Column(
                "培训班编号", "key", KEY, True, "本县台账中的培训班编号，参训表以此引用", "PX-001"
            ),
            Column(
                "举办单位代码",
                "division",
                CODE,
                True,
                "县或乡镇（街道）本级的 12 位区划代码",
                "330699000000",
            ),
            Column("培训主题", "topic", NAME, True, "", "社区社会组织负责人能力提升"),
            Column("培训班类别", "kind", COURSE_KIND, True, "", "负责人培训班"),
            Column("开始日期", "starts_on", DATE, True, "", "2021-05-10"),
            Column(
                "结束日期",
                "ends_on",
                DATE,
                True,
                "不早于开始日期；一天的培训班两个日期相同",
                "2021-05-11",
            ),
            Column("授课人", "trainer", NAME, True, "授课人或授课单位", "县社会组织服务中心"),
        ),
        ("key",),
    ),
    Sheet(
        "参训",
        "attendance",
        "每个培训班每个参训组织一行：参训人数（人次）与参训人员身份；组织须在举办单位辖区内、"
        "培训期间处于备案或登记状态",
        (
            Column("培训班编号", "course", KEY, True, "须已在培训班表中登记", "PX-001"),
            ORG,
            Column("参训人数", "trainees", INT, True, "1–10000", "3"),
            Column(
                "参训人员身份",
                "roles",
                NAMES,
                False,
                "选填，如 负责人、业务骨干（最多 10 项，每项不超过 20 字）",
                "负责人、业务骨干",
            ),
            Column("登记日期", "day", DATE, False, "默认为培训班结束日期；不早于开始日期", ""),
        ),
        ("course", "org"),
    ),
)
BY_NAME = {s.name: s for s in SHEETS}
BY_KIND = {s.kind: s for s in SHEETS}
NOTES_SHEET = "说明"
