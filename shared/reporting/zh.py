"""Chinese for the printable report (issue 12 item 7): definitions, denominators and rule
parameters in words the people who read the report use. The catalogue keeps the English
definitions (the API's contract); a metric missing here falls back to its English text, so a
new metric never breaks a report, and tests/unit/test_report_zh.py lists every one missing."""

from __future__ import annotations

from collections.abc import Mapping

from shared.reporting.catalogue import Metric, lookup

ACTIVE = "截至日期在册的组织（已登记且未注销、撤销，或已备案、未撤销备案且尚未登记）"

DEFINITIONS: dict[str, str] = {
    "organisations.active": ACTIVE + "数",
    "organisations.registered": "截至日期在册、经民政部门登记（具有统一社会信用代码的法人）的组织数",
    "organisations.filed": "截至日期在册、经乡镇（街道）备案且尚未登记的组织数",
    "organisations.urban": "截至日期在册、所在地为城市社区的组织数",
    "organisations.rural": "截至日期在册、所在地为农村行政村的组织数",
    "organisations.new_in_period": "统计期间内首次备案或登记（以先发生者为准）的组织数",
    "organisations.exited_in_period": "统计期间内注销、撤销登记的组织数，加上统计期间内撤销备案且从未登记的组织数",
    "density.villages": "本区划内的行政村和城市社区数",
    "density.urban_communities": "本区划内的城市社区数",
    "density.rural_villages": "本区划内的行政村（农村）数",
    "density.meeting_standard": "在册组织数达到现行标准的村（社区）数（城市社区、行政村各按规则中的最低数）",
    "density.registered_population": "各村（社区）户籍人口之和（区划档案）",
    "density.resident_population": "各村（社区）常住人口之和（区划档案）",
    "density.per_10k_registered_population": "组织总数 × 10,000 ÷ 户籍人口",
    "density.per_10k_resident_population": "组织总数 × 10,000 ÷ 常住人口",
    "party_building.party_clause": "截至日期在册、现行章程（截至当日最近核准者）含党建条款的组织数",
    "party_building.integrity_clause": "截至日期在册、现行章程含清廉条款的组织数",
    "party_building.party_organisation": "截至日期在册、已单独建立或联合建立党组织的组织数",
    "activity.activities": "统计期间内开展的活动次数",
    "activity.active_organisations": "统计期间内至少开展一次活动的组织数",
    "activity.participants": "统计期间内各次活动参与人数之和",
    "activity.volunteers": "统计期间内各次活动志愿者人数之和",
    "activity.volunteer_services": "统计期间内各次活动志愿服务次数之和",
    "activity.volunteer_hours": "统计期间内各次活动志愿服务时长之和",
    "activity.beneficiaries": "统计期间内各次活动受益人次之和",
    "activity.money_spent_yuan": "统计期间内各次活动支出金额之和",
    "activity.cases_taken": "统计期间内各次活动填报的受理矛盾纠纷件数之和",
    "activity.cases_resolved": "统计期间内各次活动填报的调解成功件数之和（每次活动不多于其受理件数）",
    "activity.cases_resolution_rate": "调解成功件数 ÷ 受理矛盾纠纷件数",
    "activity.distinct_volunteers": "统计期间内至少一次活动列明参与的登记志愿者人数（按村（社区）名册编号去重）；"
    "志愿者只属于一个村（社区）的名册、只列于本村（社区）的活动，故县 = Σ乡镇 = Σ村（社区）",
    "activity.listed_volunteer_services": "统计期间内各次活动列明的登记志愿者人次之和（每人每次活动计一次）",
    "activity.services_per_distinct_volunteer": "登记志愿者服务人次 ÷ 参与志愿者（去重）人数",
    # Training (ADR 0024).
    "training.courses_held": "统计期间内开班（首日在期间内）的培训班数，已取消的不计；按举办单位计"
    "（县本级、乡镇本级），故县 = 县本级 + Σ乡镇",
    "training.trainees": "统计期间内开班的培训班参训人次之和（每个组织取最新登记人数），计入参训组织所在"
    "村（社区），不论由哪一级举办，故县 = Σ乡镇 = Σ村（社区）",
    "training.organisations_reached": "统计期间内开班的培训班中至少有一人参训的组织数（去重）；组织只属于"
    "一个村（社区），故可逐级相加",
    "training.commended": "统计期间内公布的县、乡镇评先评优中受表彰的组织数（去重，同一组织县乡两级均表彰的"
    "计一次），计入组织所在村（社区）",
    # Third-party evaluation (ADR 0026).
    "evaluation.assignments": "统计期间内县民政部门作出的第三方评估委托（等级评估或资助项目评估）数；委托属于县、"
    "跨村（社区），故按县本级计（乡镇、村（社区）为 0），与培训班一样",
    "evaluation.findings": "评估日期在统计期间内的有效评估意见份数（更正过的意见按最新一份计一次），计入受评组织"
    "所在村（社区），故县 = Σ乡镇 = Σ村（社区）",
    "evaluation.organisations_evaluated": "评估日期在统计期间内、至少有一份有效评估意见的组织数（去重）；组织只属于"
    "一个村（社区），故可逐级相加",
    "evaluation.decisions": "统计期间内局方对评估意见作出的决定数（采纳、改定或不予采纳），计入受评组织所在村（社区）",
    "evaluation.accepted": "统计期间内的决定中，按评估意见所提等级或评分予以采纳的决定数",
    "evaluation.acceptance_rate": "采纳评估意见数 ÷ 局方决定数",
    "zombies.count": "截至日期在册、在统计窗口开始前已成立、且截至当日的整个窗口内没有活动记录的组织数",
    "supervision.inspections": "统计期间内开展的抽查次数",
    "supervision.compliant": "统计期间内结果为合规的抽查次数",
    "supervision.rectification_ordered": "统计期间内结果为责令整改的抽查次数",
    "supervision.violations": "统计期间内结果为违规的抽查次数",
    "supervision.open_rectifications": "截至日期已责令整改、当日尚未完成整改的抽查数",
    "supervision.annual_reports_due": "报告年度（截至日期的上一年）12月31日在册的登记组织数，不论其后变化",
    "supervision.annual_reports_filed": "应报组织中，截至日期已报送该年度年报的数量",
    "supervision.abnormal_list": "截至日期列入活动异常名录的组织数；列入、移出以记录为准，定时事项按信用规则",
    "supervision.serious_list": "截至日期列入严重违法失信名单的组织数；列入、移出以记录为准，定时事项按信用规则",
    "supervision.sampled": "统计期间内（至截至日期）随机抽签抽中的组织数（县级抽登记组织，乡镇抽备案组织），"
    "按抽中时所在村（社区）计；每次抽签记录比例、种子和总体",
    "supervision.sampled_inspected": "抽中组织中，截至日期已记录对应抽查的组织数",
    "supervision.sampled_compliant": "抽签对应的抽查中，截至日期结果为合规的次数",
    "supervision.sampled_rectification_ordered": "抽签对应的抽查中，截至日期结果为责令整改的次数",
    "supervision.sampled_violations": "抽签对应的抽查中，截至日期结果为违规的次数",
    "funding.projects": "统计期间内立项资助的项目数",
    "funding.awarded_yuan": "统计期间内资助金额之和",
    "funding.disbursed_yuan": "统计期间内拨付金额之和（不论何时立项）",
    "funding.disbursement_rate": "统计期间拨付金额 ÷ 统计期间资助金额",
    "funding.beneficiaries_planned": "统计期间内立项项目填报的计划受益人数之和",
    "funding.beneficiaries_reached": "统计期间内结项项目填报的实际受益人数之和（不论何时立项）",
    "funding.beneficiaries_reached_per_10k_yuan": "实际受益人数 ÷（这些结项项目的资助金额 ÷ 1万元）",
    "funding.average_yearly_awarded_yuan": "统计期间资助金额 ÷ 统计期间跨越的自然年数"
    "（2016年1月1日至2020年12月31日为5年；一个季度或一个月计1年，宜按整年统计）",
    "funding.budget_yuan": "统计期间跨越的各自然年、各项目类别年度预算（县级设定，以最新调整为准）之和；"
    "仅县级报表有，乡镇、村（社区）不分摊",
    "funding.average_yearly_budget_yuan": "年度预算合计 ÷ 统计期间跨越的自然年数；未设预算的年度计为0；仅县级",
    **{
        f"funding.by_programme.{p}.{leaf}": text.format(name)
        for p, name in (
            ("micro_venture", "微公益创投"),
            ("purchase_of_services", "政府购买服务"),
            ("special_fund", "专项资金"),
        )
        for leaf, text in (
            ("average_yearly_awarded_yuan", "{}资助金额 ÷ 统计期间跨越的自然年数"),
            ("budget_yuan", "统计期间跨越的各自然年{}年度预算之和；仅县级"),
            ("average_yearly_budget_yuan", "{}年度预算之和 ÷ 统计期间跨越的自然年数；仅县级"),
        )
    },
    "ratings.graded": "截至日期在册、持有有效期内评估等级的组织数",
    "ratings.grade_3a_plus": "截至日期在册、持有有效期内3A及以上评估等级的组织数（政府购买服务优先）",
    "ranking.ranked": "截至日期在册、参与四维评分的组织数",
    "ranking.avg_activity": "参与排名组织的活跃度平均分",
    "ranking.avg_standardisation": "参与排名组织的规范化平均分",
    "ranking.avg_coverage": "参与排名组织的覆盖率平均分",
    "ranking.avg_influence": "参与排名组织的影响力平均分",
    "ranking.avg_total": "参与排名组织的加权综合平均分",
    "platforms.county_centres": "截至日期运行中的县级社会组织服务中心数",
    "platforms.township_platforms": "截至日期运行中的乡镇（街道）服务平台数",
    "platforms.village_stations": "截至日期运行中的村（社区）服务站数",
    "platforms.incubators": "截至日期运行中的孵化园（基地）数",
    "platforms.villages_with_incubator": "截至日期至少有一个运行中孵化园的村（社区）数",
    "platforms.organisations_in_incubated_villages": "所在村（社区）建有孵化园的在册组织数",
    "platforms.village_sage_councils": "截至日期在册、类别为乡贤参事会（社）的组织数",
    "platforms.villages_with_sage_council": "至少有一个在册乡贤参事会的行政村数",
    "platforms.urban_communities_with_incubator": "截至日期至少有一个运行中孵化园的城市社区数",
    "platforms.rural_villages_with_incubator": "截至日期至少有一个运行中孵化园的行政村数",
    "platforms.villages_and_communities_with_sage_council": "至少有一个在册乡贤参事会的村（社区）数（行政村和城市社区）",
    "platforms.urban_communities_with_sage_council": "至少有一个在册乡贤参事会的城市社区数",
    "platforms.incubator_coverage": "建有孵化园的村（社区）数 ÷ 现行覆盖率口径规则选定的村（社区）数（默认全部村（社区），也可为城市社区或行政村）；等于下列三种口径之一",
    "platforms.sage_council_coverage": "建有乡贤参事会的村（社区）数 ÷ 现行覆盖率口径规则选定的村（社区）数（默认行政村，也可为全部村（社区）或城市社区）；等于下列三种口径之一",
}

DENOMINATORS: dict[str, str] = {
    "urban communities": "城市社区数",
    "rural villages": "行政村数",
    "villages and communities": "村（社区）数",
    "all villages and communities": "全部村（社区）数",
    "per the coverage rule in force (rules.coverage)": "按现行覆盖率口径规则（见规则版本 coverage）",
    "户籍 household-registered population": "户籍人口",
    "常住 resident population": "常住人口",
    "active organisations": "组织总数",
    "inspections in the period": "统计期间抽查次数",
    "annual reports due": "应报年报数",
    "organisations drawn in the period": "统计期间抽中组织数",
    "amount awarded in the period": "统计期间资助金额",
    "distinct volunteers": "参与志愿者（去重）人数",
    "disputes taken": "受理矛盾纠纷件数",
    "calendar years the period touches": "统计期间跨越的自然年数",
    "10,000 yuan awarded to the projects closed in the period that stated beneficiaries reached": (
        "统计期间结项且填报实际受益人数的项目的资助金额（万元）"
    ),
    "organisations ranked": "参与排名组织数",
}


def _label(m: Metric) -> str:
    return m.zh.split("：", 1)[-1]


def _family(key: str, m: Metric) -> str | None:
    parts = key.split(".")
    if key.startswith("organisations.by_field."):
        return f"截至日期在册、当日服务领域（以最新生效的陈述为准）为“{_label(m)}”的组织数"
    if key.startswith("organisations.by_legal_form."):
        return (
            f"截至日期在册、组织类型为“{_label(m)}”的组织数（按统一社会信用代码第2位；"
            "尚未登记的备案组织计为备案组织）"
        )
    if key.startswith("funding.by_programme."):
        programme = m.zh.removesuffix("项目数").removesuffix("资助金额").removesuffix("拨付金额")
        what = {"projects": "立项项目数", "awarded_yuan": "资助金额之和"}
        return f"统计期间内{programme}{what.get(parts[-1], '拨付金额之和')}"
    if key.startswith("ratings.grade."):
        return f"截至日期在册、持有有效期内{parts[-1]}A级评估等级的组织数（以最新等级为准）"
    if key.startswith("ratings.stars."):
        return f"截至日期在册、最新星级评定为{parts[-1]}星的组织数"
    if key.startswith("ratings.by_credit."):
        return f"截至日期在册、最新信用评价为“{_label(m)}”的组织数"
    return None


def _ratio(m: Metric) -> str | None:
    """ "a ÷ b" between two catalogued figures, in their Chinese names."""
    left, sep, right = m.definition.partition(" ÷ ")
    if not sep:
        return None
    try:
        return f"{lookup(left.strip()).zh} ÷ {lookup(right.strip()).zh}"
    except KeyError:
        return None


def definition_zh(key: str) -> str:
    m = lookup(key)
    return DEFINITIONS.get(key) or _family(key, m) or _ratio(m) or m.definition


def denominator_zh(m: Metric) -> str:
    return DENOMINATORS.get(m.denominator, m.denominator)


# ------------------------------------------------------------------ rule parameters

PARAMETERS: dict[str, str] = {
    "urban_min_per_community": "城市社区最低组织数",
    "rural_min_per_village": "行政村最低组织数",
    "window_months": "统计窗口（月）",
    "weights": "权重",
    "activity": "活跃度",
    "standardisation": "规范化",
    "coverage": "覆盖率",
    "influence": "影响力",
    "activity_target": "活跃度满分活动次数",
    "standardisation_points": "规范化得分项",
    "charter": "章程核准",
    "party_clause": "党建入章",
    "integrity_clause": "清廉入章",
    "party_organisation": "建立党组织",
    "annual_report": "报送年报",
    "no_open_rectification": "无未完成整改",
    "not_on_credit_list": "未列入信用名录",
    "coverage_target_share_of_residents": "覆盖率满分受益人次占常住人口比例",
    "influence_parts": "影响力构成",
    "volunteer_hours": "志愿服务时长",
    "funding": "资金扶持",
    "rating": "评价评级",
    "influence_volunteer_hours_target": "影响力满分志愿服务时长",
    "abnormal_removal_months": "活动异常名录届满移出（月）",
    "escalation_months": "转入严重违法失信名单（月）",
    "serious_clean_months": "严重违法失信名单届满移出（月）",
    "rectified_removal_working_days": "整改核实后移出（工作日）",
    "grade_validity_years": "等级有效期（年）",
    "minimum_inspectors": "最少检查人员",
    "notice_days": "公告期（天）",
    "recent_activity_days": "近期活动（天）",
    "active_project_months": "在研项目（月）",
    "violation_lookback_months": "违规回溯（月）",
    "rectify_days": "整改期限（天）",
    "rate": "比例",
    "quotas": "抽查比例",
    "county": "县级",
    "township": "乡镇（街道）级",
    "registered": "登记组织",
    "filed": "备案组织",
    "min": "最低",
    "max": "最高",
    "default": "默认",
    "population": "总体",
    "algorithm": "算法",
    "missed_annual_report": "未按时报送年报",
    "no_party_organisation": "未建立党组织",
    "unfinished_rectification": "整改未完成",
    "unreachable": "无法取得联系",
    "priority_min_grade": "优先最低等级",
    "min_score": "最低分",
    "max_score": "最高分",
    "denominators": "覆盖率分母",
    "incubator_coverage": "孵化园覆盖率",
    "sage_council_coverage": "乡贤参事会覆盖率",
}
# Parameter values that are words (the coverage denominators, ADR 0018).
VALUES: dict[str, str] = {"all": "全部村（社区）", "urban": "城市社区", "rural": "农村行政村"}


def parameter_name(name: str) -> str:
    return PARAMETERS.get(name, name)


def parameter_text(value: object) -> str:
    """A parameter's value in words: a mapping as "名 值、名 值", a list joined with "、",
    booleans 是/否; names without a Chinese entry stay as they are."""
    if isinstance(value, Mapping):
        return "、".join(f"{parameter_name(str(k))} {parameter_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "、".join(parameter_text(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return VALUES.get(value, value)
    return str(value)


def parameters_text(parameters: Mapping[str, object]) -> str:
    return "；".join(f"{parameter_name(k)}：{parameter_text(v)}" for k, v in parameters.items())
