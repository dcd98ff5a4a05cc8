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

LEGAL_FORM_ZH = {"filed": "备案", "registered": "登记"}


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

# County funding (pages/county_funding.py).
PROGRAMME_ZH = {
    "micro_venture": "微公益创投",
    "purchase_of_services": "政府购买服务",
    "special_fund": "专项资金",
}
APPLICATION_STATE_ZH = {"submitted": "待评审", "approved": "已批准", "rejected": "已驳回"}
FILTERS["programme_zh"] = _lookup(PROGRAMME_ZH)
FILTERS["application_state_zh"] = _lookup(APPLICATION_STATE_ZH)
