"""Plain HTML forms checked by the API's own request models, with a Chinese message beside each
field and an error summary at the top (the GOV.UK Design System's pattern)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from shared.console.client import Api, ApiError

M = TypeVar("M", bound=BaseModel)


@dataclass
class FieldError:
    field: str  # the form field's name, the id its message and summary link point at
    message: str


@dataclass
class Form:
    """What the person typed, and what is wrong with it."""

    values: dict[str, str] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)
    selects: frozenset[str] = frozenset()  # fields chosen from a list: "请选择", not "请填写"

    def error(self, name: str) -> str | None:
        return next((e.message for e in self.errors if e.field == name), None)

    def add(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))


def _message(kind: str, label: str, ctx: Mapping[str, Any], fallback: str) -> str:
    if kind in ("missing", "string_too_short", "too_short"):
        return f"请填写{label}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{label}须为整数"
    if kind in ("decimal_parsing", "decimal_type", "float_parsing"):
        return f"{label}须为数字"
    if kind == "greater_than_equal":
        return f"{label}不能小于 {ctx.get('ge')}"
    if kind == "greater_than":
        return f"{label}须大于 {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"{label}不能大于 {ctx.get('le')}"
    if kind == "less_than":
        return f"{label}须小于 {ctx.get('lt')}"
    if kind in ("decimal_max_places",):
        return f"{label}最多 {ctx.get('decimal_places')} 位小数"
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return f"{label}数值过大"
    if kind.startswith("date") or kind.startswith("datetime"):
        return f"{label}须为有效日期，例如 2026-12-05"
    if kind == "string_too_long":
        return f"{label}过长，最多 {ctx.get('max_length')} 个字"
    if kind == "string_pattern_mismatch":
        return f"{label}格式不正确"
    if kind in ("enum", "literal_error"):
        return f"请选择{label}"
    if kind in ("invalid_text", "string_unicode"):
        return f"{label}含有不能接受的字符（控制字符、不可见字符），或只有空白"
    if kind == "extra_forbidden":
        return f"{label}不是本表单的字段"
    return f"{label}填写不正确：{fallback}"


def parse(
    model: type[M], raw: Mapping[str, Any], labels: Mapping[str, str], **fixed: Any
) -> tuple[M | None, Form]:
    """The model from the submitted fields (empty ones left out, so defaults apply and required
    ones are reported missing), or the form with a Chinese message per wrong field."""
    values = {k: str(v) for k, v in raw.items() if k in labels}
    data: dict[str, Any] = {k: v.strip() for k, v in values.items() if v.strip() != ""}
    data.update(fixed)
    form = Form(values=values)
    try:
        return model.model_validate(data), form
    except ValidationError as e:
        for err in e.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            label = labels.get(name, name)
            form.add(name, _message(err["type"], label, err.get("ctx") or {}, err["msg"]))
        return None, form


def from_api(
    form: Form,
    error: ApiError,
    labels: Mapping[str, str],
    fields: Mapping[str, str] | None = None,
) -> Form:
    """An API refusal shown on the form: a Chinese message beside each field the API names
    (from pydantic's error type and bounds, which the API passes on); a domain refusal beside
    the field ``fields`` names for its code (e.g. ``date_order`` → the date); anything else in
    the summary, in the API's Chinese."""
    named = [d for d in error.details if str(d.get("field", "")).split(".")[0] in labels]
    for d in named:
        name = str(d["field"]).split(".")[0]
        kind = str(d.get("type") or "")
        if kind in ("missing", "string_too_short", "too_short") and name in form.selects:
            kind = "enum"  # a select left on its blank option: 请选择…
        form.add(name, _message(kind, labels[name], d, str(d.get("problem", ""))))
    if not named:
        field = (fields or {}).get(error.code, "")
        label = labels.get(field, "")
        # Named once: "活动日期：日期不能晚于今天", but not "统一社会信用代码：统一社会信用代码…".
        prefix = f"{label}：" if label and label not in error.message_zh else ""
        form.add(field, prefix + error.message_zh)
    return form


# Refusals a person can put right on the form; anything else (403, 404, 401) is a page of its own.
ON_THE_FORM = frozenset({400, 409, 413, 422, 429})

# The hidden field of a form on an existing record: the record's ETag when the form was drawn,
# sent back as If-Match so that a change by someone else meanwhile is refused (ADR 0035).
VERSION = "record_version"
STALE = (
    "提交前，此记录已被他人修改（版本不符），本次未保存。请先核对记录的最新情况；"
    "如仍需按本表办理，再次提交即可。"
)


def drawn_at(form: Form, version: str | None) -> Form:
    """The form carrying the version of the record it is drawn from (its ETag, ADR 0035). A form
    drawn again after a refusal keeps the version it already carries (the one it was drawn with,
    or after a version mismatch the record's version now, :func:`submit`)."""
    if version and not form.values.get(VERSION):
        form.values[VERSION] = version
    return form


def posted_version(form: Form, posted: Mapping[str, Any]) -> str | None:
    """The version a submitted form was drawn with, kept on the form for drawing it again."""
    version = str(posted.get(VERSION) or "").strip() or None
    if version:
        form.values[VERSION] = version
    return version


async def submit(
    api: Api,
    path: str,
    body: Any,
    form: Form,
    labels: Mapping[str, str],
    *,
    version: str | None,
    fields: Mapping[str, str] | None = None,
) -> Any:
    """Post ``body`` with ``version`` as If-Match. Answers the API's answer, or None with the
    refusal on ``form``: a version mismatch as the stale-form explanation, with the record's
    version now, anything else by :func:`from_api`."""
    try:
        answer = await api.post(path, json=body, if_match=version)
    except ApiError as e:
        if e.status not in ON_THE_FORM:
            raise
        if e.code == "version_mismatch":
            # Drawn again with the typed values and the record's version now: submitting again
            # is a deliberate decision taken after the warning, not a silent overwrite.
            form.values[VERSION] = e.etag or ""
            form.add("", STALE)
        else:
            from_api(form, e, labels, fields)
        return None
    await api.settled()  # the next page (a read model) shows what was just recorded
    return answer


async def send(
    api: Api,
    path: str,
    posted: Mapping[str, Any],
    labels: Mapping[str, str],
    *,
    selects: frozenset[str] = frozenset(),
    fields: Mapping[str, str] | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> tuple[Any, Form]:
    """Post the form's fields (those in ``labels``, empty ones left out so that defaults apply
    and required ones are reported missing, plus ``fixed``) to the API, which validates them
    with its own request model: the console keeps no copy of a rule. Answers the API's answer
    and the form, or None and the form with the refusal on it (:func:`submit`)."""
    form = Form(values={k: str(v) for k, v in posted.items() if k in labels}, selects=selects)
    body: dict[str, Any] = {k: v.strip() for k, v in form.values.items() if v.strip() != ""}
    body.update(fixed or {})
    version = posted_version(form, posted)
    answer = await submit(api, path, body, form, labels, version=version, fields=fields)
    return answer, form
