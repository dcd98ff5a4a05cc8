"""The Chinese message of every error (``message_zh``, issue 12): the people who read these
answers work in Chinese, while ``message`` stays as it was for the clients that parse it."""

from __future__ import annotations

import re

# Codes common enough to deserve their own sentence; the rest fall back to their status.
BY_CODE: dict[str, str] = {
    "invalid_input": "请求内容不合规，请检查所列字段",
    "invalid_text": "文本内容不合规（含控制字符、不可见字符或为空），请检查所列字段",
    "invalid_json": "请求体不是有效的 JSON",
    "missing_token": "未登录：请先登录并携带访问令牌",
    "invalid_token": "访问令牌无效，请重新登录",
    "token_expired": "登录已过期，请重新登录",
    "token_revoked": "已退出登录，请重新登录",
    "invalid_credentials": "用户名或密码错误",
    "out_of_jurisdiction": "不在本账号辖区",
    "wrong_tier": "该账号不能使用本层级的服务",
    "role_forbidden": "该账号没有执行此操作的权限",
    "backdate_forbidden": "该账号无权补录早于补录期限的记录",
    "not_found": "未找到",
    "unknown_organisation": "未找到该组织（若刚在其他层级创建，请稍后重试）",
    "unknown_division": "区划代码不存在或当日不在用",
    "unknown_award": "未找到该资助项目",
    "unknown_filing": "未找到该备案",
    "unknown_inspection": "未找到该检查记录",
    "unknown_platform": "未找到该服务平台",
    "unknown_return": "未找到该报表",
    "unknown_draw": "未找到该抽签",
    "unknown_issued_report": "未找到该已发布报表",
    "concurrent_change": "记录已被他人同时修改，请刷新后重试",
    "illegal_transition": "当前状态下不能进行此操作",
    "organisation_not_active": "该组织在该日期不处于备案或登记状态",
    "idempotency_key_reused": "该 Idempotency-Key 已用于另一个请求",
    "date_in_future": "日期不能晚于今天",
    "period_locked": "该期间的报表已报送或审核，记录已锁定",
    "projection_behind": "数据尚未同步完成，请稍后重试",
    "rule_not_in_force": "该日期没有生效的规则版本",
    "reason_required": "请填写理由",
    "upload_too_large": "上传的文件超过上限",
    "upload_unsupported_type": "只接受台账模板的 XLSX 工作簿或 CSV 文件",
    "upload_empty": "上传的文件是空的",
    "ledger_unreadable": "无法读取台账文件",
    "ledger_csv_sheet_unknown": "CSV 文件名须为台账模板的工作表名",
    "ledger_upload_unknown": "未找到该台账文件的试导入结果，请重新上传",
    "ledger_has_errors": "试导入有未通过的行",
    "import_needs_embedded": "本服务不能运行台账导入，请使用命令行导入",
    "import_busy": "另一次台账导入或试导入正在进行，请稍后重试",
    "usci_invalid": "统一社会信用代码校验不通过，请核对后重新填写",
    "usci_not_civil_affairs": "不是民政部门登记的统一社会信用代码（首位应为 5）",
    "usci_unknown_category": "统一社会信用代码的机构类别不正确",
    "usci_already_registered": "该统一社会信用代码已登记",
    "not_filed": "所选组织不是在册的备案组织",
    "already_registered": "所选组织已登记",
    "founded_after_application": "成立日期不能晚于申请日期",
    "decision_before_application": "备案决定日期不能早于申请日期",
    "activity_before_founding": "活动日期不能早于组织成立日期",
    "application_before_call": "申报日期不能早于征集公告发布日期",
    "unknown_theme": "未知的活动主题",
    "duplicate_theme": "活动主题重复",
    "too_many_themes": "活动主题过多",
    "theme_not_in_force": "所选活动主题在活动日期不在生效的主题目录中",
    "cases_resolved_exceed_taken": "调解成功件数不能多于受理件数",
    # Volunteer register and funding details (ADR 0021).
    "unknown_volunteer": "志愿者编号未在本村（社区）志愿者名册登记",
    "volunteer_exists": "该志愿者编号已在本村（社区）名册登记",
    "duplicate_volunteer": "志愿者编号重复",
    "volunteer_ids_exceed_volunteers": "列出的志愿者多于活动的志愿者人数",
    "volunteer_id_personal": "志愿者编号不得使用手机号码或身份证号码",
    "invalid_volunteer_id": "志愿者编号只能由字母、数字和连字符组成，最多 16 位",
    "invalid_leave_reason": "离开原因须为迁出本村（社区）、本人退出或其他",
    "volunteer_already_left": "该志愿者已离开名册",
    "volunteer_not_left": "该志愿者仍在名册中，无需重新加入",
    "volunteer_left_before_rejoined": "离开日期早于重新加入日期",
    "volunteer_rejoined_before_left": "重新加入日期须晚于离开日期",
    "volunteer_left_before_registered": "日期早于该志愿者的登记日期",
    "volunteer_had_left": "活动日期时该志愿者已离开名册",
    "purchaser_required": "政府购买服务项目须填写购买主体（购买服务的部门）",
    "purchaser_not_allowed": "只有政府购买服务项目填写购买主体",
    "unknown_purchaser": "未知的购买主体，请从购买主体目录中选择，或选“其他”并填写部门名称",
    "purchaser_not_in_force": "该购买主体不在当日生效的购买主体目录中",
    "purchaser_other_required": "购买主体选“其他”时须填写部门名称",
    "purchaser_other_not_allowed": "只有购买主体为“其他”时填写部门名称",
    "purchaser_too_long": "购买主体最多 50 字",
    "invalid_period": "起始日期晚于截止日期",
    "beneficiaries_reached_required": "结项须填写实际受益人数",
    "unknown_programme": "未知的资金项目类别",
    "budget_year_out_of_range": "预算年度超出允许范围",
    "invalid_beneficiaries": "受益人数不能为负数",
    # Assessment of the tiers below (考核, ADR 0025).
    "invalid_year": "年度无效",
    "assessment_not_in_force": "该年度没有生效的考核规则版本",
    "assessment_division_tier": "考核记分卡按县或乡镇（街道）出具",
}

BY_STATUS: dict[int, str] = {
    400: "请求有误",
    401: "未登录或登录已失效",
    403: "无权操作",
    404: "未找到",
    409: "与现有记录冲突",
    413: "请求体过大",
    422: "请求内容不合规",
    429: "请求过于频繁，请稍后重试",
}

_CJK = re.compile(r"[\u3400-\u9fff]")


def message_zh(code: str, message: str, status: int) -> str:
    """The Chinese half of a "中文 / English" message; else the code's sentence; else the
    status's, naming the code so the English message can still be matched to it."""
    head, sep, _ = message.partition(" / ")
    if sep and _CJK.search(head):
        return head
    if code in BY_CODE:
        return BY_CODE[code]
    return f"{BY_STATUS.get(status, '请求未能完成')}（{code}）"
