"""Input that is not data is refused in one place (issue 12 item 3), and every error speaks
Chinese beside English (item 7)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.e2e.test_errors import APPLICATION, apply, filed, refused
from tests.helpers import Api, county_op, today_cst, township_op, village_op

BAD_NAMES = {
    "nul": "舞蹈队\x00",
    "control": "舞蹈\x07队",
    "newline_in_name": "舞蹈队\n二队",
    "bidi_override": "舞蹈队\u202e队蹈舞",
    "bidi_isolate": "\u2066舞蹈队",
    "c1_control": "舞蹈队\x85",
    "whitespace_only": " \u3000\t ",
    "zero_width_only": "\u200b\u200c\u200d\ufeff\u2060",
    "empty": "",
}


@pytest.mark.parametrize("name", BAD_NAMES.values(), ids=BAD_NAMES.keys())
def test_a_name_that_is_not_data_is_refused_naming_the_field(api: Api, name: str) -> None:
    body = refused(
        api,
        lambda: api.village.post(
            "/api/v1/filing-applications",
            json=APPLICATION | {"name": name},
            headers=api.auth(village_op()),
        ),
        422,
        "invalid_text" if name else "invalid_input",
    )
    error = body["error"]
    assert [d["field"] for d in error["details"]] == ["name"]
    if name:
        assert error["message"].startswith("文本不合规：name")
        assert error["message_zh"] == "文本不合规：name"
        assert error["details"][0]["problem"].startswith("name：")


def test_a_lone_surrogate_is_refused(api: Api) -> None:
    # Valid JSON can carry half a UTF-16 pair; it is no character and cannot be stored as UTF-8.
    raw = json.dumps(APPLICATION | {"name": "舞蹈队"}).replace("\\u821e", "\\ud800")
    body = refused(
        api,
        lambda: api.village.post(
            "/api/v1/filing-applications",
            content=raw.encode(),
            headers=api.auth(village_op()) | {"Content-Type": "application/json"},
        ),
        422,
        "invalid_text",
    )
    assert body["error"]["details"][0]["field"] == "name"


def test_names_are_nfc_normalised_and_trimmed(api: Api) -> None:
    org = apply(api, name=" Cafe\u0301 舞蹈队 ")
    response = api.village.get(f"/api/v1/organisations/{org}", headers=api.auth(village_op()))
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Caf\u00e9 舞蹈队"


def test_long_text_keeps_newlines_and_tabs_but_not_other_controls(api: Api) -> None:
    org = apply(api)
    auth = api.auth(township_op())
    url = f"/api/v1/organisations/{org}/filing-decision"
    body = refused(
        api,
        lambda: api.township.post(
            url, json={"decision": "rejected", "reason": "材料不全\x1b[31m"}, headers=auth
        ),
        422,
        "invalid_text",
    )
    assert body["error"]["details"][0]["field"] == "reason"
    refused(
        api,
        lambda: api.township.post(
            url, json={"decision": "rejected", "reason": "\u200b \n\t"}, headers=auth
        ),
        422,
        "invalid_text",
    )
    ok = api.township.post(
        url, json={"decision": "rejected", "reason": "材料不全：\n\t1. 章程"}, headers=auth
    )
    assert ok.status_code == 201, ok.text


def test_every_text_field_of_the_county_is_guarded(api: Api) -> None:
    auth = api.auth(county_op())
    refused(
        api,
        lambda: api.county.post(
            "/api/v1/platforms",
            json={"kind": "county_centre", "division_code": "330699000000", "name": "\u200b"},
            headers=auth,
        ),
        422,
        "invalid_text",
    )
    org = filed(api)
    refused(
        api,
        lambda: api.township.post(
            f"/api/v1/organisations/{org}/inspections",
            json={"result": "compliant", "inspectors": ["张三", "李\x00四"]},
            headers=api.auth(township_op()),
        ),
        422,
        "invalid_text",
    )


# ------------------------------------------------------------------ message_zh


def test_every_error_carries_a_chinese_message(api: Api) -> None:
    # No token: a code from the table.
    response = api.village.get("/api/v1/organisations")
    assert response.status_code == 401
    assert response.json()["error"]["message_zh"] == "请先登录"
    # A bilingual domain message: its Chinese half; ``message`` unchanged.
    response = api.village.get("/api/v1/organisations", headers={"Authorization": "Bearer x"})
    error = response.json()["error"]
    assert error["code"] == "invalid_token"
    assert error["message"] == "令牌无效 / the token is not valid"
    assert error["message_zh"] == "令牌无效"
    # Plain validation: the table's sentence.
    response = api.village.post(
        "/api/v1/filing-applications",
        json=APPLICATION | {"founded_on": "not a date"},
        headers=api.auth(village_op()),
    )
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("invalid_input", "the request is not valid")
    assert error["message_zh"] == "请求内容不合规，请检查所列字段"


def test_dates_out_of_order_are_refused_with_codes(api: Api) -> None:
    today = today_cst()
    body = refused(
        api,
        lambda: api.village.post(
            "/api/v1/filing-applications",
            json=APPLICATION
            | {"founded_on": today.isoformat(), "effective_on": str(today - timedelta(days=3))},
            headers=api.auth(village_op()),
        ),
        422,
        "founded_after_application",
    )
    assert body["error"]["message_zh"].startswith("成立日期")
    org = apply(api)
    body = refused(
        api,
        lambda: api.township.post(
            f"/api/v1/organisations/{org}/filing-decision",
            json={"decision": "filed", "effective_on": str(today - timedelta(days=1))},
            headers=api.auth(township_op()),
        ),
        409,
        "decision_before_application",
    )
    assert body["error"]["message_zh"].startswith("备案决定日期")
