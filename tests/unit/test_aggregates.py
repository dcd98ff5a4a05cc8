"""Aggregate guards, without applications or persistence."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.county.domain import Registration
from services.township.domain import Filing, Inspection
from shared.kernel.domain import Conflict, InvalidInput
from tests.helpers import VILLAGE, county_op, meta, township_op, usci


def filing() -> Filing:
    return Filing.file(uuid4(), VILLAGE, "BA1", "舞蹈队", "culture_sports", meta(township_op()))


def registration() -> Registration:
    return Registration.register(
        uuid4(),
        meta(county_op()),
        village_code=VILLAGE,
        usci=usci(1),
        name="社工站",
        legal_form="social_group",
        field="services",
        upgraded_from_filing=False,
        category="general",
    )


def assert_conflict(raised: pytest.ExceptionInfo[Conflict], code: str) -> None:
    assert raised.value.code == code
    assert raised.value.status == 409


def test_cancelled_filing_accepts_nothing_more() -> None:
    f = filing()
    f.approve_charter(True, True, meta(township_op()))
    f.cancel("停止活动", meta(township_op()))
    assert f.status == "cancelled"
    version = f.version
    with pytest.raises(Conflict) as raised:
        f.approve_charter(True, False, meta(township_op()))
    assert_conflict(raised, "illegal_transition")
    with pytest.raises(Conflict) as raised:
        f.cancel("again", meta(township_op()))
    assert_conflict(raised, "illegal_transition")
    assert f.version == version
    assert len(f.collect_events()) == 3


def test_rejected_filing_cannot_be_cancelled() -> None:
    f = Filing.reject(uuid4(), VILLAGE, "材料不全", meta(township_op()))
    with pytest.raises(Conflict) as raised:
        f.cancel("x", meta(township_op()))
    assert_conflict(raised, "illegal_transition")


def test_annual_report_once_per_year() -> None:
    r = registration()
    r.file_annual_report(2025, meta(county_op()))
    with pytest.raises(Conflict) as raised:
        r.file_annual_report(2025, meta(county_op()))
    assert_conflict(raised, "annual_report_already_filed")
    r.file_annual_report(2024, meta(county_op()))
    assert r.annual_reports == {2024, 2025}


@pytest.mark.parametrize("exit_method", ["deregister", "revoke"])
def test_exited_registration_accepts_nothing_more(exit_method: str) -> None:
    r = registration()
    getattr(r, exit_method)("理由", meta(county_op()))
    for act in (
        lambda: r.rate(
            meta(county_op()), credit="A", grade=None, grade_valid_until=None, stars=None
        ),
        lambda: r.file_annual_report(2025, meta(county_op())),
        lambda: r.approve_charter(True, True, meta(county_op())),
        lambda: r.deregister("again", meta(county_op())),
        lambda: r.revoke("again", meta(county_op())),
    ):
        with pytest.raises(Conflict) as raised:
            act()
        assert_conflict(raised, "illegal_transition")
    assert r.version == 2


def test_rectification_only_when_ordered_and_once() -> None:
    ordered = Inspection.record(
        uuid4(),
        meta(township_op()),
        organisation_id=uuid4(),
        village_code=VILLAGE,
        result="rectification_ordered",
        findings="",
        inspectors=["a", "b"],
    )
    ordered.complete_rectification(meta(township_op()))
    with pytest.raises(Conflict) as raised:
        ordered.complete_rectification(meta(township_op()))
    assert_conflict(raised, "illegal_transition")
    compliant = Inspection.record(
        uuid4(),
        meta(township_op()),
        organisation_id=uuid4(),
        village_code=VILLAGE,
        result="compliant",
        findings="",
        inspectors=["a", "b"],
    )
    with pytest.raises(Conflict) as raised:
        compliant.complete_rectification(meta(township_op()))
    assert_conflict(raised, "illegal_transition")


def test_idempotency_keys_are_remembered_with_their_request() -> None:
    r = registration()
    m = meta(county_op(), key="k-annual")
    r.file_annual_report(2025, m)
    assert r.replayed_version(m) == 2
    assert r.replayed_version(meta(county_op(), key="other")) is None
    assert r.replayed_version(meta(county_op())) is None
    with pytest.raises(InvalidInput) as raised:
        r.replayed_version(meta(county_op(), key="k-annual", request_hash="different"))
    assert raised.value.code == "idempotency_key_reused"
    assert raised.value.status == 422
