"""The client's version (If-Match, ADR 0035) is a precondition of a command, not a fact of it:
event metadata stores exactly as it did without one."""

from __future__ import annotations

from dataclasses import replace

from shared.kernel.domain import MetaAsDict
from tests.helpers import meta, village_op


def test_an_expected_version_is_not_stored_with_the_event() -> None:
    plain = meta(village_op(), key="k")
    conditional = replace(plain, expected_version=7)
    assert MetaAsDict().encode(conditional) == MetaAsDict().encode(plain)
    assert "expected_version" not in MetaAsDict().encode(conditional)
    assert MetaAsDict().decode(MetaAsDict().encode(conditional)) == plain
    assert conditional.without_precondition() == plain
