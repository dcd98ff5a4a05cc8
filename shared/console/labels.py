"""Chinese names and formats for what pages show: dates as 2026年12月5日, states, fields,
roles. One place, so every page says the same thing the same way."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.kernel.domain import CHINA

TIER_ZH = {"county": "县（区）", "township": "乡镇（街道）", "village": "村（社区）"}

ROLE_ZH = {
    "operator": "经办人",
    "viewer": "查看",
    "auditor": "审计",
    "admin": "账号管理",
    "backdate": "补录",
    "import": "台账导入",
    "evaluator": "第三方评估",
}

FIELD_ZH = {
    "services": "为民服务",
    "self_governance": "自治",
    "culture_sports": "文体",
    "safety": "平安",
    "charity": "公益慈善",
    "mediation": "矛盾调处",
    "rural_revitalisation": "乡村振兴",
    "mutual_aid": "邻里互助",
    "other": "其他",
}

CATEGORY_ZH = {"general": "一般", "village_sage_council": "乡贤参事会"}

RETURN_STATE_ZH = {
    "none": "未报送",
    "submitted": "已报送，待乡镇审核",
    "approved": "乡镇已审核，待县级接收",
    "accepted": "县级已接收",
    "returned": "已退回，请修改后重报",
}

RETURN_KIND_ZH = {"activity_return": "活动情况报表", "annual_statistics": "年度统计报表"}

STATUS_ZH = {
    "pending": "待备案",
    "filed": "已备案",
    "rejected": "未予备案",
    "registered": "已登记",
    "exited": "已退出",
}

INSPECTION_ZH = {
    "compliant": "合规",
    "rectification_ordered": "责令整改",
    "violation": "违规",
}

# The organisation's legal form as the read model stores it (LegalForm).
LEGAL_FORM_ZH = {
    "filed": "备案",
    "registered": "登记",
    "filed_group": "备案的社区社会组织",
    "social_group": "社会团体",
    "private_non_enterprise": "社会服务机构（民办非企业单位）",
    "foundation": "基金会",
    "other": "其他",
}


def status_of(org: dict[str, Any]) -> str:
    """An organisation's state from its read-model row."""
    if org.get("filing_ended_on") or org.get("registration_ended_on") or org.get("exit_kind"):
        return "exited"
    if org.get("registered_on") or org.get("usci"):
        return "registered"
    if org.get("filed_on") or org.get("filing_number"):
        return "filed"
    if org.get("rejected_on"):
        return "rejected"
    return "pending"


def date_zh(value: Any) -> str:
    """2026年12月5日; an empty value as an em dash (a missing date, never a zero)."""
    if value in (None, ""):
        return "—"
    if isinstance(value, datetime):
        d = value.astimezone(CHINA).date() if value.tzinfo else value.date()
    elif isinstance(value, date):
        d = value
    else:
        text = str(value)
        try:
            if len(text) > 10:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                d = moment.astimezone(CHINA).date() if moment.tzinfo else moment.date()
            else:
                d = date.fromisoformat(text)
        except ValueError:
            return text
    return f"{d.year}年{d.month}月{d.day}日"


def datetime_zh(value: Any) -> str:
    if value in (None, ""):
        return "—"
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo:
        moment = moment.astimezone(CHINA)
    return f"{date_zh(moment.date())} {moment:%H:%M}"


def number(value: Any, digits: int = 0) -> str:
    """Thousands separated; 0 shown as 0; nothing as an em dash."""
    if value is None or value == "":
        return "—"
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if digits == 0 and d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d:,.{digits or 2}f}"


def percent(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return str(value)


def _lookup(table: dict[str, str]) -> Any:
    return lambda value: table.get(str(value), str(value) if value not in (None, "") else "—")


FILTERS = {
    "date_zh": date_zh,
    "datetime_zh": datetime_zh,
    "number": number,
    "percent": percent,
    "field_zh": _lookup(FIELD_ZH),
    "category_zh": _lookup(CATEGORY_ZH),
    "role_zh": _lookup(ROLE_ZH),
    "tier_zh": _lookup(TIER_ZH),
    "return_state_zh": _lookup(RETURN_STATE_ZH),
    "return_kind_zh": _lookup(RETURN_KIND_ZH),
    "status_zh": _lookup(STATUS_ZH),
    "inspection_zh": _lookup(INSPECTION_ZH),
    "legal_form_zh": _lookup(LEGAL_FORM_ZH),
}

GLOBALS = {
    "FIELD_ZH": FIELD_ZH,
    "CATEGORY_ZH": CATEGORY_ZH,
    "ROLE_ZH": ROLE_ZH,
    "status_of": status_of,
}

# ------------------------------------------------------------------ township (乡镇/街道) pages

RETURN_STEP_ZH = {
    "submitted": "村（社区）报送",
    "approved": "乡镇审核通过",
    "returned": "退回修改",
    "accepted": "县级接收",
    "unapproved": "撤销审核",
    "unaccepted": "撤销接收",
}

# A return's figures (shared/capabilities/approvals/projection.py FIGURES): name, and the
# divisor that turns the stored integer into what people read (hours in 1/100, money in fen).
RETURN_FIGURE_ZH = {
    "activities": ("活动次数", 1),
    "organisations_with_activity": ("开展活动的组织数", 1),
    "participants": ("参与人次", 1),
    "volunteers": ("志愿者人次", 1),
    "volunteer_services": ("志愿服务次数", 1),
    "volunteer_hours_centi": ("志愿服务时长（小时）", 100),
    "beneficiaries": ("受益人次", 1),
    "money_fen": ("活动经费（元）", 100),
}

FILTERS["return_step_zh"] = _lookup(RETURN_STEP_ZH)


def period_zh(value: Any) -> str:
    """A return's or report's period as people say it: 2026年, 2026年第3季度, 2026年上半年,
    2026年11月; anything else as it is."""
    text = str(value or "")
    year, _, part = text.partition("-")
    if not (len(year) == 4 and year.isdigit()):
        return text or "—"
    if not part:
        return f"{year}年"
    if part in ("Q1", "Q2", "Q3", "Q4"):
        return f"{year}年第{part[1]}季度"
    if part in ("H1", "H2"):
        return f"{year}年{'上' if part == 'H1' else '下'}半年"
    if part.isdigit() and 1 <= int(part) <= 12:
        return f"{year}年{int(part)}月"
    return text


FILTERS["period_zh"] = period_zh


# ---- village and organisation pages
PARTY_ORG_ZH = {"own": "单独建立党组织", "joint": "联合党支部"}
CREDIT_LIST_ZH = {"abnormal": "活动异常名录", "serious": "严重违法失信名单"}
EXIT_KIND_ZH = {
    "cancelled": "注销备案",
    "deregistered": "注销登记",
    "revoked": "撤销登记",
}
FILTERS.update(
    {
        "org_form_zh": _lookup(LEGAL_FORM_ZH),
        "credit_list_zh": _lookup(CREDIT_LIST_ZH),
        "exit_kind_zh": _lookup(EXIT_KIND_ZH),
        "party_org_zh": _lookup(PARTY_ORG_ZH),
        # The read model keeps some facts' dates as "effective day|recorded at".
        "day_of": lambda v: str(v).split("|")[0] if v else v,
    }
)
GLOBALS.update({"RETURN_KIND_ZH": RETURN_KIND_ZH})


# ------------------------------------------------------------------ audit (timeline payloads)

# Event payload fields an auditor sees in a timeline's one-line summary; others show as keys.
PAYLOAD_ZH = {
    "name": "名称",
    "village_code": "村（社区）",
    "field": "领域",
    "category": "类别",
    "founded_on": "成立日期",
    "decision": "决定",
    "reason": "理由",
    "filing_number": "备案编号",
    "usci": "统一社会信用代码",
    "occurred_on": "活动日期",
    "participants": "参与人数",
    "volunteers": "志愿者",
    "volunteer_hours": "志愿服务时长",
    "beneficiaries": "受益人数",
    "money_spent": "支出（元）",
    "result": "结果",
    "inspectors": "检查人",
    "grade": "等级",
    "stars": "星级",
    "amount_yuan": "金额（元）",
    "title": "标题",
}

# County funding (pages/county_funding.py).
PROGRAMME_ZH = {
    "micro_venture": "微公益创投",
    "purchase_of_services": "政府购买服务",
    "special_fund": "专项资金",
}
APPLICATION_STATE_ZH = {"submitted": "待评审", "approved": "已批准", "rejected": "已驳回"}
FILTERS["programme_zh"] = _lookup(PROGRAMME_ZH)
FILTERS["application_state_zh"] = _lookup(APPLICATION_STATE_ZH)
