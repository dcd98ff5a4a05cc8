"""The ledger import over the county's API (ADR 0020 addendum): the template, an upload's dry
run, its confirmation, and the error reports, for the console's upload → report → confirm.

The import needs the three tiers' applications at once; a county API process has them only in
the embedded platform (``runtime.embedded``, services/platform.py). In the production
topology (one tier per process) the routes that run it answer 409 ``import_needs_embedded``
naming the CLI, which builds the three tiers itself; the template is served everywhere.

An upload is kept under the data directory by its SHA-256 (``ledger-uploads/<sha256>/``,
with the dry run's and the import's results as JSON beside it): the confirmation names the
digest of a file the service itself checked, never a path, and re-uploading the same file
finds the same directory. Uploads have their own body limit (``SANJI_MAX_UPLOAD_BYTES``,
shared/api/limits.py), refused before the body is read beyond it; they are deleted after
``SANJI_LEDGER_UPLOAD_DAYS`` (cleanup.py), at the platform's start and after each import.

The console starts a confirmed import in the background (``POST /ledger/imports/start``) and
follows it (``GET /ledger/imports/{sha}/progress``, progress.py); ``POST /ledger/imports``
still imports within the request for API callers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
import zipfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import Response
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from services.ledger_import import progress
from services.ledger_import.cleanup import remove_old_uploads
from services.ledger_import.report import write_errors
from services.ledger_import.run import ERROR, Import, Result, RowError, Tally
from services.ledger_import.sheets import BY_NAME
from services.ledger_import.template import write_xlsx
from shared.api.contract import ErrorOut
from shared.api.deps import Operator, RequestIn, Runtime
from shared.api.limits import UPLOAD
from shared.kernel.domain import (
    Actor,
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    OutOfJurisdiction,
)
from shared.kernel.jurisdiction import Tier
from shared.tier.runtime import TierRuntime

router = APIRouter(prefix="/api/v1/ledger", tags=["ledger import 台账导入"])

# Who may import: the import dates acts back years, beyond the backdating window, which only
# these roles may do (shared/kernel/backdating.py); an operator alone may not.
ROLES = ("import", "admin")
UPLOADS = "ledger-uploads"
SHOWN = 500  # row errors in an answer; the error report has them all
CLI = "python -m services import 文件 --dry-run"
SHA256 = r"^[0-9a-f]{64}$"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE = {"schema": {"type": "string", "format": "binary"}}  # a download, in the OpenAPI document
# One import or dry run at a time per process: each drains the tiers and a dry run holds a
# scratch platform in memory; a second one answers 409 import_busy instead of queueing.
_running = threading.Lock()
# The background imports of this process (progress.py): in memory, see there why that is enough.
IMPORTS = progress.Imports()
log = logging.getLogger(__name__)


# ------------------------------------------------------------------ models


class TallyOut(BaseModel):
    sheet: str = Field(description="工作表 / sheet")
    read: int = Field(description="读取行数 / rows read")
    recorded: int = Field(description="记录（试导入：可记录）/ recorded (dry run: would record)")
    present: int = Field(description="已有 / already recorded")
    refused: int = Field(description="未通过 / refused")
    checked: int = Field(description="仅核对引用（试导入）/ checked up to a reference")


class RowErrorOut(BaseModel):
    sheet: str = Field(description="工作表 / sheet")
    row: int = Field(description="行号（表头为第 1 行）/ spreadsheet row, header = 1")
    column: str = Field(description="列 / column header")
    severity: str = Field(description="错误 (refused) / 提示 (notice)")
    code: str
    message_zh: str = Field(description="说明 / message in Chinese")
    value: str = Field(description="单元格内容 / the cell as typed")


class LedgerRunOut(BaseModel):
    file_sha256: str
    file_name: str = Field(description="上传时的文件名（仅供显示）/ the upload's name, shown only")
    size: int = Field(description="字节 / bytes")
    dry_run: bool
    rows: int
    refused: int = Field(description="未通过的行 / rows refused")
    errors_total: int = Field(description="错误条数 / row errors (severity 错误)")
    notices_total: int = Field(description="提示条数 / notices (severity 提示)")
    errors: list[RowErrorOut] = Field(
        description=f"错误与提示，最多 {SHOWN} 条；全部见错误报告 / the first {SHOWN}"
    )
    truncated: bool = Field(description="errors 是否只列出了一部分 / errors cut at the limit")
    tallies: list[TallyOut]
    seconds: float
    imported: bool = Field(description="该文件是否已确认导入 / whether it has been imported")


class ImportIn(RequestIn):
    file_sha256: str = Field(pattern=SHA256, description="试导入答复中的 file_sha256")
    import_valid_rows: bool = Field(
        False,
        description="试导入有未通过的行时，仍导入通过的行 / import the valid rows even though "
        "the dry run refused some",
    )


class ImportProgressOut(BaseModel):
    file_sha256: str
    state: Literal["running", "done", "failed", "interrupted"] = Field(
        description="进行中 running / 完成 done / 失败 failed / 中断 interrupted (the process "
        "stopped while it ran: import the file again, recorded rows are not recorded twice)"
    )
    phase: str = Field(description="当前环节（工作表）/ the sheet (or sheet·step) being imported")
    done: int = Field(description="本环节已处理行数 / rows of the phase done")
    total: int | None = Field(description="本环节行数 / rows of the phase, if known")
    percent: int | None = Field(description="本环节进度 0–100 / the phase's progress")
    phases_done: int = Field(description="已完成的环节数 / phases finished")
    started_at: datetime | None
    finished_at: datetime | None
    message_zh: str | None = Field(description="失败或中断的说明 / why it failed or stopped")


# ------------------------------------------------------------------ storage


def _root(runtime: TierRuntime) -> Path:
    return runtime.settings.data_dir / UPLOADS


def _folder(runtime: TierRuntime, sha256: str) -> Path:
    return _root(runtime) / sha256  # sha256 is checked hex: no path from the caller


def _ledger_file(folder: Path) -> Path | None:
    files = sorted(p for p in folder.iterdir() if p.suffix in (".xlsx", ".csv"))
    return files[0] if files else None


def _save(folder: Path, name: str, result: Result, extra: dict[str, Any]) -> dict[str, Any]:
    data = {**asdict(result), **extra}
    tmp = folder / f".{name}.tmp"
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(folder / f"{name}.json")  # atomic: a reader never sees half a result
    return data


def _load(runtime: TierRuntime, sha256: str, name: str) -> dict[str, Any]:
    path = _folder(runtime, sha256) / f"{name}.json"
    if not path.is_file():
        what = "试导入" if name == "dry-run" else "导入"
        raise NotFound(
            "ledger_upload_unknown",
            f"未找到该台账文件的{what}结果，请重新上传 / no {name} of this file here: upload it",
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _result(data: dict[str, Any]) -> Result:
    return Result(
        data["file_sha256"],
        data["dry_run"],
        {k: Tally(**v) for k, v in data["tallies"].items()},
        [RowError(**e) for e in data["errors"]],
        data["seconds"],
    )


def _answer(runtime: TierRuntime, data: dict[str, Any]) -> dict[str, Any]:
    errors = data["errors"]
    imported = (_folder(runtime, data["file_sha256"]) / "import.json").is_file()
    return {
        "file_sha256": data["file_sha256"],
        "file_name": data.get("file_name", ""),
        "size": data.get("size", 0),
        "dry_run": data["dry_run"],
        "rows": sum(t["read"] for t in data["tallies"].values()),
        "refused": sum(t["refused"] for t in data["tallies"].values()),
        "errors_total": sum(1 for e in errors if e["severity"] == ERROR),
        "notices_total": sum(1 for e in errors if e["severity"] != ERROR),
        "errors": [
            {
                "sheet": e["sheet"],
                "row": e["row"],
                "column": e["column"],
                "severity": e["severity"],
                "code": e["code"],
                "message_zh": e["message"],
                "value": e["value"],
            }
            for e in errors[:SHOWN]
        ],
        "truncated": len(errors) > SHOWN,
        "tallies": [{"sheet": k, **v} for k, v in data["tallies"].items() if v["read"]],
        "seconds": round(float(data["seconds"]), 3),
        "imported": imported,
    }


# ------------------------------------------------------------------ checks


def _importer(operator: Actor, runtime: TierRuntime) -> None:
    if runtime.tier is not Tier.COUNTY:  # mounted at the county only; said for clarity
        raise OutOfJurisdiction("wrong_tier", "台账导入由县级服务办理 / the county imports")
    if not any(operator.has(r) for r in ROLES):
        raise OutOfJurisdiction(
            "role_forbidden",
            "台账导入需要“台账导入”或“账号管理”权限 / importing a ledger needs the import or "
            "admin role",
        )


def _platform(runtime: TierRuntime) -> Any:
    if runtime.embedded is None:
        raise Conflict(
            "import_needs_embedded",
            f"本服务只运行县级一个层级，台账导入需要三级同在一个进程：请在服务器上用命令行 "
            f"“{CLI}”试导入，再去掉 --dry-run 导入 / this process holds only the county tier; "
            f"the import needs all three: run `{CLI}` on the server",
        )
    return _Live(runtime.embedded)


class _Live:
    """The embedded platform as the import sees it. While the platform's own relay and
    projector threads run, the import must not drain the tiers beside them (two consumers of
    one subscription): it waits until they have projected everything instead."""

    def __init__(self, platform: Any) -> None:
        self._platform = platform

    def __getattr__(self, name: str) -> Any:
        return getattr(self._platform, name)

    def drain(self) -> None:
        tiers = self._platform.tiers.values()
        if not any(rt.running for rt in tiers):
            self._platform.drain()
            return
        while True:  # a projection may make a tier record more (a process manager's act)
            heads = [rt.app.recorder.max_notification_id() or 0 for rt in tiers]
            self._platform.wait_until_projected(timeout=60.0)
            if heads == [rt.app.recorder.max_notification_id() or 0 for rt in tiers]:
                return


def _kind(name: str, head: bytes) -> str:
    """``xlsx``, or ``csv`` with the sheet it is, from the name and the bytes themselves."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        if not head.startswith(b"PK\x03\x04"):  # every XLSX is a ZIP archive
            raise _unsupported(name)
        return "xlsx"
    if suffix == ".csv":
        if b"\x00" in head:  # a binary file renamed: no text has NUL bytes
            raise _unsupported(name)
        sheet = Path(name).stem
        if sheet not in BY_NAME:
            names = "、".join(BY_NAME)
            raise InvalidInput(
                "ledger_csv_sheet_unknown",
                f"CSV 文件名须为工作表名（{names}），如“组织.csv” / a CSV file is one sheet: "
                "name it after the sheet",
            )
        return "csv"
    raise _unsupported(name)


def _unsupported(name: str) -> InvalidInput:
    e = InvalidInput(
        "upload_unsupported_type",
        "只接受台账模板的 XLSX 工作簿（.xlsx）或一个工作表的 CSV 文件（.csv） / only the "
        f"ledger template's XLSX workbook or a sheet's CSV file is accepted, not {name[:80]!r}",
    )
    e.status = 415
    return e


def _display_name(name: str) -> str:
    # Shown on the report page (escaped there); never used as a path.
    text = "".join(ch for ch in Path(name).name if ch.isprintable())
    return text[:120]


# ------------------------------------------------------------------ runs


def _run(runtime: TierRuntime, platform: Any, path: Path, dry_run: bool) -> Result:
    _acquire(runtime)
    try:
        return _guarded(platform, path, dry_run)
    finally:
        _running.release()


def _acquire(runtime: TierRuntime) -> None:
    """The process's one import or dry run at a time; 409 if another runs — ``import_running``
    when it is a background import of the county, else ``import_busy``."""
    if _running.acquire(blocking=False):
        return
    if IMPORTS.running(_county(runtime)) is not None:
        raise _import_running()
    raise Conflict(
        "import_busy",
        "另一次台账导入或试导入正在进行，请稍后重试 / another import is running: retry later",
    )


def _import_running() -> Conflict:
    return Conflict(
        "import_running",
        "本县已有一次台账导入正在进行，请等待其完成后再导入 / an import is already running",
    )


def _guarded(platform: Any, path: Path, dry_run: bool, report: Any = None) -> Result:
    try:
        return Import(platform, path, dry_run, progress=report).run()
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, InvalidFileException) as e:
        raise InvalidInput(
            "ledger_unreadable",
            f"无法读取台账文件：请用台账模板另存为 XLSX 或 CSV 后重新上传 / cannot read the "
            f"ledger: {type(e).__name__}",
        ) from e


def _county(runtime: TierRuntime) -> str:
    return runtime.jurisdiction.county.code


def clean_uploads(runtime: TierRuntime) -> list[str]:
    """Delete uploads older than ``SANJI_LEDGER_UPLOAD_DAYS`` (cleanup.py)."""
    removed = remove_old_uploads(_root(runtime), runtime.settings.ledger_upload_days)
    if removed:
        log.info("removed %d old ledger uploads", len(removed))
    return removed


def _store(runtime: TierRuntime, upload: UploadFile) -> tuple[str, Path, int]:
    """The upload copied under the data directory by its digest; the body limit has already
    bounded its size."""
    name = upload.filename or ""
    head = upload.file.read(8)
    kind = _kind(name, head)
    root = _root(runtime)
    root.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with tempfile.NamedTemporaryFile(dir=root, prefix=".upload-", delete=False) as out:
        try:
            chunk = head
            while chunk:
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
                chunk = upload.file.read(1 << 20)
        except BaseException:
            Path(out.name).unlink(missing_ok=True)
            raise
    if size == 0:
        Path(out.name).unlink(missing_ok=True)
        raise InvalidInput("upload_empty", "上传的文件是空的 / the upload is empty")
    sha = digest.hexdigest()
    folder = _folder(runtime, sha)
    folder.mkdir(exist_ok=True)
    # The sheet of a CSV comes from our own table, never from the caller's text.
    target = folder / ("ledger.xlsx" if kind == "xlsx" else f"{BY_NAME[Path(name).stem].name}.csv")
    for old in folder.iterdir():
        if old.suffix in (".xlsx", ".csv") and old != target:
            old.unlink()  # the same bytes uploaded before under another sheet's name
    Path(out.name).replace(target)
    return sha, target, size


# ------------------------------------------------------------------ routes


@router.get(
    "/template.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA: FILE}, "description": "台账模板 / the template"}},
)
def template(operator: Operator) -> Response:
    """台账模板 / The ledger template: the 说明 sheet and one sheet per kind of record
    (ADR 0020). Any county account may read it."""
    with tempfile.TemporaryDirectory() as tmp:
        body = write_xlsx(Path(tmp) / "t.xlsx").read_bytes()
    return _download(body, XLSX_MEDIA, "台账模板.xlsx", "ledger-template.xlsx")


UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "import_needs_embedded, import_busy"},
    413: {"model": ErrorOut, "description": "upload_too_large: over SANJI_MAX_UPLOAD_BYTES"},
    415: {"model": ErrorOut, "description": "upload_unsupported_type: not an XLSX or CSV file"},
    422: {
        "model": ErrorOut,
        "description": "upload_empty, ledger_unreadable, ledger_csv_sheet_unknown",
    },
}


@router.post(
    "/dry-runs", response_model=LedgerRunOut, openapi_extra=UPLOAD, responses=UPLOAD_ERRORS
)
async def dry_run(
    operator: Operator,
    runtime: Runtime,
    file: Annotated[UploadFile, File(description="台账 XLSX，或一个工作表的 CSV（如 组织.csv）")],
) -> dict[str, Any]:
    """试导入 / Dry run of an uploaded ledger: every row checked against the rules it would
    meet, nothing recorded. The file is kept by its SHA-256 for ``POST /ledger/imports``.
    Bodies over ``SANJI_MAX_UPLOAD_BYTES`` answer 413 ``upload_too_large`` unread."""
    _importer(operator, runtime)
    platform = _platform(runtime)
    sha, path, size = await run_in_threadpool(_store, runtime, file)
    result = await run_in_threadpool(_run, runtime, platform, path, True)
    extra = {"file_name": _display_name(file.filename or ""), "size": size, "by": operator.id}
    data = _save(path.parent, "dry-run", result, extra)
    return _answer(runtime, data)


@router.get("/dry-runs/{file_sha256}", response_model=LedgerRunOut)
def dry_run_result(operator: Operator, runtime: Runtime, file_sha256: str) -> dict[str, Any]:
    """试导入结果 / The dry run of an uploaded file, as answered when it ran."""
    _importer(operator, runtime)
    return _answer(runtime, _load(runtime, _sha(file_sha256), "dry-run"))


@router.post("/imports", response_model=LedgerRunOut)
def import_ledger(operator: Operator, runtime: Runtime, body: ImportIn) -> dict[str, Any]:
    """确认导入 / Import a file that had a dry run here: the rows are recorded by the
    ``ledger-import`` account (ADR 0020). If the dry run refused rows, only with
    ``import_valid_rows``; rows already recorded are counted as present, never twice."""
    _importer(operator, runtime)
    platform = _platform(runtime)
    folder, path, extra = _confirmable(runtime, body)
    try:
        result = _run(runtime, platform, path, False)
    finally:
        clean_uploads(runtime)
    data = _save(folder, "import", result, {**extra, "by": operator.id})
    return _answer(runtime, data)


def _confirmable(runtime: TierRuntime, body: ImportIn) -> tuple[Path, Path, dict[str, Any]]:
    """The folder and file of an upload whose dry run allows importing it, and what its
    result keeps of the upload; 409 ``ledger_has_errors`` if refused rows were not
    acknowledged, 404 if the upload is gone."""
    checked = _load(runtime, body.file_sha256, "dry-run")
    refused = sum(1 for e in checked["errors"] if e["severity"] == ERROR)
    if refused and not body.import_valid_rows:
        raise Conflict(
            "ledger_has_errors",
            f"试导入有 {refused} 条错误：请改正后重新上传，或确认只导入通过核对的行 / the dry "
            "run refused rows: correct the file, or confirm with import_valid_rows",
        )
    folder = _folder(runtime, body.file_sha256)
    path = _ledger_file(folder)
    if path is None:
        raise NotFound("ledger_upload_unknown", "未找到该台账文件，请重新上传 / upload it again")
    return folder, path, {"file_name": checked.get("file_name", ""), "size": checked.get("size", 0)}


START_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {
        "model": ErrorOut,
        "description": "import_running, import_busy, ledger_has_errors, import_needs_embedded",
    },
}


@router.post(
    "/imports/start", status_code=202, response_model=ImportProgressOut, responses=START_ERRORS
)
def start_import(operator: Operator, runtime: Runtime, body: ImportIn) -> dict[str, Any]:
    """开始导入（后台）/ Start importing a file that had a dry run here, in the background:
    the answer comes at once with the import's progress, followed by
    ``GET /ledger/imports/{file_sha256}/progress`` and, once done, ``GET
    /ledger/imports/{file_sha256}``. One import at a time per county: 409 ``import_running``
    while one runs (409 ``import_busy`` during a dry run)."""
    _importer(operator, runtime)
    platform = _platform(runtime)
    folder, path, extra = _confirmable(runtime, body)
    county = _county(runtime)
    _acquire(runtime)
    try:
        status = IMPORTS.start(county, body.file_sha256, folder)
    except BaseException:
        _running.release()
        raise
    args = (runtime, platform, path, folder, status, {**extra, "by": operator.id})
    status.thread = threading.Thread(
        target=_background, args=args, name=f"ledger-import-{body.file_sha256[:8]}", daemon=True
    )
    # Daemon: a process stopping mid-import leaves the marker, shown as interrupted; every
    # chunk is one transaction, and importing again resumes by the rows' keys (ADR 0020).
    status.thread.start()
    return _progress_answer(status)


def _background(
    runtime: TierRuntime,
    platform: Any,
    path: Path,
    folder: Path,
    status: progress.Status,
    extra: dict[str, Any],
) -> None:
    message = None
    try:
        _save(folder, "import", _guarded(platform, path, False, status.report), extra)
    except DomainError as e:
        message = e.message
    except Exception as e:  # the thread's end: said on the progress page, never lost
        log.exception("ledger import %s failed", status.file_sha256)
        message = f"导入失败（{type(e).__name__}），可重新导入 / the import failed: import again"
    finally:
        IMPORTS.end(_county(runtime), folder, status, message)
        _running.release()
        clean_uploads(runtime)


@router.get("/imports/{file_sha256}/progress", response_model=ImportProgressOut)
def import_progress(operator: Operator, runtime: Runtime, file_sha256: str) -> dict[str, Any]:
    """导入进度 / Where the background import of a file stands: phase, rows done of the
    phase's rows, then done (the result at ``GET /ledger/imports/{file_sha256}``) or failed;
    ``interrupted`` when the process stopped while it ran (import the file again)."""
    _importer(operator, runtime)
    sha = _sha(file_sha256)
    folder = _folder(runtime, sha)
    status = IMPORTS.of(folder)
    if status is None:
        if (folder / progress.MARKER).is_file():
            status = progress.interrupted(folder, sha)
        elif (folder / "import.json").is_file():
            status = progress.Status(sha, None, state=progress.DONE)  # before a restart
        else:
            raise NotFound(
                "ledger_upload_unknown",
                "未找到该台账文件的导入，请重新上传 / no import of this file here: upload it",
            )
    return _progress_answer(status)


def _progress_answer(status: progress.Status) -> dict[str, Any]:
    total = status.total
    return {
        "file_sha256": status.file_sha256,
        "state": status.state,
        "phase": status.phase,
        "done": status.done,
        "total": total,
        "percent": min(100, status.done * 100 // total) if total else None,
        "phases_done": status.phases_done,
        "started_at": status.started_at,
        "finished_at": status.finished_at,
        "message_zh": status.message_zh,
    }


@router.get("/imports/{file_sha256}", response_model=LedgerRunOut)
def import_result(operator: Operator, runtime: Runtime, file_sha256: str) -> dict[str, Any]:
    """导入结果 / The last import of a file."""
    _importer(operator, runtime)
    return _answer(runtime, _load(runtime, _sha(file_sha256), "import"))


ERRORS_REPORT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": FILE, XLSX_MEDIA: FILE}, "description": "错误报告 / error report"}
}


@router.get(
    "/dry-runs/{file_sha256}/errors.{fmt}", response_class=Response, responses=ERRORS_REPORT
)
def dry_run_errors(
    operator: Operator, runtime: Runtime, file_sha256: str, fmt: Literal["csv", "xlsx"]
) -> Response:
    """试导入错误报告 / Every row error and notice of a dry run (CSV or XLSX; cells that look
    like formulas are written as text)."""
    return _errors(operator, runtime, file_sha256, "dry-run", fmt)


@router.get("/imports/{file_sha256}/errors.{fmt}", response_class=Response, responses=ERRORS_REPORT)
def import_errors(
    operator: Operator, runtime: Runtime, file_sha256: str, fmt: Literal["csv", "xlsx"]
) -> Response:
    """导入错误报告 / Every row error and notice of an import."""
    return _errors(operator, runtime, file_sha256, "import", fmt)


def _errors(operator: Actor, runtime: TierRuntime, sha256: str, name: str, fmt: str) -> Response:
    _importer(operator, runtime)
    data = _load(runtime, _sha(sha256), name)
    with tempfile.TemporaryDirectory() as tmp:
        body = write_errors(Path(tmp) / f"report.{fmt}", _result(data).errors).read_bytes()
    media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX_MEDIA
    return _download(body, media, f"台账错误报告.{fmt}", f"ledger-errors.{fmt}")


def _sha(value: str) -> str:
    if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise NotFound("ledger_upload_unknown", "未找到该台账文件，请重新上传 / no such upload")
    return value


def _download(body: bytes, media: str, name: str, ascii_name: str) -> Response:
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})
