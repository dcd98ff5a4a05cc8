"""The county's ledger import in the console (issue 14 item 1, ADR 0020): download the
template, upload a ledger, read the dry run's report (tallies per sheet, every row error in
Chinese), then confirm the import and read its result.

The pages call the county API's ledger routes (services/ledger_import/api.py) with the
person's token, like every page; the upload is passed on as it came. The upload form's route
takes the upload body limit (``SANJI_MAX_UPLOAD_BYTES``) where the API takes uploads (the
county: shared/console/app.py), so a file over it is refused with the 413 page before it is
read; anything the API refuses (a file that is not a ledger, a
production service that cannot run the import) is shown on the upload page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from shared.console.client import ApiError, segment
from shared.console.forms import Form
from shared.console.web import CurrentPage, Page, Posted, done

router = APIRouter()

IMPORTERS = ("import", "admin")  # as the API's ledger routes (ADR 0020 addendum)
API = "/api/v1/ledger"
Sha = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]  # anything else names no page (404)
MEDIA = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
}
TRAIL = ("/county/ledger", "台账导入")


def _allowed(page: Page) -> None:
    page.require("county", roles=IMPORTERS)


@router.get("/county/ledger")
async def upload_page(page: CurrentPage) -> Response:
    _allowed(page)
    return _upload(page, Form())


def _upload(page: Page, form: Form, status: int = 200) -> Response:
    limit = page.request.app.state.runtime.settings.max_upload_bytes
    return page.render(
        "county/ledger.html", status=status, form=form, limit_mib=f"{limit / 1_048_576:g}"
    )


@router.get("/county/ledger/template.xlsx")
async def template(page: CurrentPage) -> Response:
    _allowed(page)
    return _passed(await page.api.raw(f"{API}/template.xlsx"))


@router.post("/county/ledger")
async def upload(page: CurrentPage, _: Posted) -> Response:
    # Posted has checked the CSRF token (a forged upload is refused before anything else);
    # the body limit has bounded what was read (the upload limit here only at the county).
    _allowed(page)
    request = page.request
    posted = await request.form()  # parsed once by Posted; the file is kept there
    file = posted.get("file")
    form = Form()
    if not isinstance(file, UploadFile) or not file.filename:
        form.add("file", "请选择要上传的台账文件（XLSX 或 CSV）")
        return _upload(page, form, 422)
    content = await file.read()
    name = file.filename
    media = next((m for s, m in MEDIA.items() if name.lower().endswith(s)), "")
    try:
        answer = await page.api.post_file(
            f"{API}/dry-runs", "file", name, content, media or "application/octet-stream"
        )
    except ApiError as e:
        if e.status in (401, 403):
            raise
        form.add("file", e.message_zh)  # not a ledger, unreadable, the CLI's to run …
        return _upload(page, form, e.status)
    return done(request, f"/county/ledger/{answer['file_sha256']}", "试导入已完成，未记录任何数据")


@router.get("/county/ledger/{file_sha256}")
async def report(page: CurrentPage, file_sha256: Sha) -> Response:
    _allowed(page)
    return await _report(page, file_sha256, Form())


async def _report(page: Page, sha: str, form: Form, status: int = 200) -> Response:
    run = await page.api.get(f"{API}/dry-runs/{segment(sha)}")
    return page.render(
        "county/ledger_report.html",
        status=status,
        run=run,
        form=form,
        title="试导入报告",
        errors_href=f"/county/ledger/{sha}/errors",
        trail=[TRAIL, ("", "试导入报告")],
    )


@router.get("/county/ledger/{file_sha256}/errors.{fmt}")
async def dry_run_errors(page: CurrentPage, file_sha256: Sha, fmt: str) -> Response:
    return await _errors(page, f"{API}/dry-runs/{segment(file_sha256)}", fmt)


@router.get("/county/ledger/{file_sha256}/import/errors.{fmt}")
async def import_errors(page: CurrentPage, file_sha256: Sha, fmt: str) -> Response:
    return await _errors(page, f"{API}/imports/{segment(file_sha256)}", fmt)


async def _errors(page: Page, path: str, fmt: str) -> Response:
    _allowed(page)
    if fmt not in ("csv", "xlsx"):
        raise ApiError(404, "not_found", "没有这种导出格式。")
    return _passed(await page.api.raw(f"{path}/errors.{fmt}"))


@router.post("/county/ledger/{file_sha256}/import")
async def confirm(page: CurrentPage, posted: Posted, file_sha256: Sha) -> Response:
    _allowed(page)
    body: dict[str, Any] = {
        "file_sha256": file_sha256,
        "import_valid_rows": posted.get("import_valid_rows") == "y",
    }
    try:
        # In the background (issue 14 leftovers): the progress page follows it.
        await page.api.post(f"{API}/imports/start", json=body)
    except ApiError as e:
        if e.status in (401, 403, 404):
            raise
        form = Form()
        # Errors not acknowledged, another import running, the CLI's to run.
        form.add("import_valid_rows", e.message_zh)
        return await _report(page, file_sha256, form, e.status)
    return done(page.request, f"/county/ledger/{file_sha256}/progress", "台账导入已开始")


@router.get("/county/ledger/{file_sha256}/progress")
async def import_progress(page: CurrentPage, file_sha256: Sha) -> Response:
    """The running import's phase and rows, refreshing itself every 2 seconds without
    JavaScript (``<meta http-equiv="refresh">``); once done, on to the result."""
    _allowed(page)
    state = await page.api.get(f"{API}/imports/{segment(file_sha256)}/progress")
    if state["state"] == "done":
        return done(page.request, f"/county/ledger/{file_sha256}/import", "台账已导入")
    return page.render(
        "county/ledger_progress.html",
        run=state,
        title="导入进度",
        refresh=state["state"] == "running",
        trail=[TRAIL, (f"/county/ledger/{file_sha256}", "试导入报告"), ("", "导入进度")],
    )


@router.get("/county/ledger/{file_sha256}/import")
async def result(page: CurrentPage, file_sha256: Sha) -> Response:
    _allowed(page)
    run = await page.api.get(f"{API}/imports/{segment(file_sha256)}")
    return page.render(
        "county/ledger_report.html",
        run=run,
        form=Form(),
        title="导入结果",
        errors_href=f"/county/ledger/{file_sha256}/import/errors",
        trail=[TRAIL, (f"/county/ledger/{file_sha256}", "试导入报告"), ("", "导入结果")],
    )


def _passed(answer: Any) -> Response:
    """The API's download, bytes, type and file name unchanged."""
    headers = {}
    if "content-disposition" in answer.headers:
        headers["Content-Disposition"] = answer.headers["content-disposition"]
    return Response(
        content=answer.content, media_type=answer.headers.get("content-type"), headers=headers
    )
