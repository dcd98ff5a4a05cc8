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
    "purchaser_required": "政府购买服务项目须填写购买主体（购买服务的部门）",
    "purchaser_not_allowed": "只有政府购买服务项目填写购买主体",
    "beneficiaries_reached_required": "结项须填写实际受益人数",
    "unknown_programme": "未知的资金项目类别",
    "budget_year_out_of_range": "预算年度超出允许范围",
    "invalid_beneficiaries": "受益人数不能为负数",
    # Assessment of the tiers below (考核, ADR 0025).
    "invalid_year": "年度无效",
    "assessment_not_in_force": "该年度没有生效的考核规则版本",
    "assessment_division_tier": "考核记分卡按县或乡镇（街道）出具",
    # Resident points (积分制, ADR 0027).
    "points_pilot_off": "本村（社区）当日未开启积分制试点",
    "points_pilot_already_on": "本村（社区）积分制试点已开启",
    "points_pilot_overlap": "开启日期早于上次关闭日期",
    "points_pilot_off_before_on": "关闭日期早于开启日期",
    "invalid_points": "调整积分须为正整数，且不超过积分规则规定的单次上限",
    "invalid_adjustment_kind": "调整类型须为奖励或扣减",
    "points_division_tier": "积分排名按村（社区）查看",
    # Training courses and commendations (issue 16, ADR 0024).
    "topic_required": "培训主题不能为空",
    "trainer_required": "授课人不能为空",
    "course_dates_reversed": "培训结束日期早于开始日期",
    "course_too_far_ahead": "培训日期过远，超出可预先登记的范围",
    "unknown_course_kind": "培训班类别不在生效的目录中",
    "platform_out_of_jurisdiction": "服务平台不在本辖区内",
    "unknown_course": "未找到该培训班",
    "course_cancelled": "培训班已取消",
    "course_not_started": "培训班尚未开始",
    "attendance_exists": "该组织的参训记录已存在，请使用更正",
    "unknown_attendance": "该组织没有参训记录",
    "attendee_out_of_jurisdiction": "该组织不在培训班举办单位辖区内",
    "invalid_trainees": "参训人数不合规",
    "invalid_roles": "参训人员身份填写不合规",
    "round_exists": "本年度评先评优已启动",
    "unknown_round": "未找到该评先评优",
    "round_decided": "评先评优已作出决定",
    "round_not_decided": "评先评优尚未作出决定",
    "round_published": "评先评优结果已公示",
    "not_a_candidate": "该组织不是本次候选",
    "commendation_ineligible": "该组织不符合评先评优资格",
    "duplicate_organisation": "组织重复",
    "organisations_required": "至少选择一个组织",
    "governance_participation_required": "该组织本年度未参与基层治理工作，按规则受限",
    # Third-party evaluation (ADR 0026).
    "evaluator_forbidden": "第三方评估账号只能查看和办理本机构的评估委托",
    "evaluator_unbound": "该账号尚未绑定评估机构",
    "evaluator_exists": "该评估机构已登记",
    "unknown_evaluator": "未找到该评估机构",
    "unknown_assignment": "未找到该评估委托",
    "assignment_closed": "评估委托已结束",
    "finding_required": "须先有评估意见才能作出决定",
    "account_already_bound": "该账号已绑定评估机构",
    "invalid_grade": "评估等级须为 1–5（1A–5A）",
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
