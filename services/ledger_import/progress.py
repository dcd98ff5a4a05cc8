"""Where a confirmed import started from the console stands (issue 14 leftovers, ADR 0020
addendum): one import at a time per county, run in a background thread, its phase and rows
reported through the importer's ``progress`` callback.

The status is kept in memory: the embedded platform (the only one that imports from the
console) is one process, and nothing a status says needs to survive it — what the import
recorded is in the event stores, and importing the file again resumes by the rows' keys. So
that a restart can still say what happened, a marker file (``import.running``) sits in the
upload's folder while the import runs: found with no import running in this process, the
import was interrupted (中断，可重新导入).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from shared.kernel.domain import Conflict

MARKER = "import.running"
RUNNING, DONE, FAILED, INTERRUPTED = "running", "done", "failed", "interrupted"


@dataclass
class Status:
    """One import's progress; written by its thread, read by the status route."""

    file_sha256: str
    started_at: datetime | None  # None: an import finished before this process started
    state: str = RUNNING
    phase: str = ""  # the sheet (or sheet·step) being imported
    done: int = 0  # rows of the phase done
    total: int | None = None  # rows of the phase, if the reader knows
    phases_done: int = 0
    finished_at: datetime | None = None
    message_zh: str | None = None
    thread: threading.Thread | None = field(default=None, repr=False, compare=False)

    def report(self, phase: str, done: int, total: int | None, ended: bool) -> None:
        """The importer's ``progress`` callback (services/ledger_import/run.py)."""
        self.phase, self.done, self.total = phase, done, total
        if ended:
            self.phases_done += 1

    def finish(self, message_zh: str | None = None) -> None:
        self.state = DONE if message_zh is None else FAILED
        self.message_zh = message_zh
        self.finished_at = datetime.now(UTC)


class Imports:
    """The county's background imports: the latest per file, and the one running."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # By the upload's folder (its data directory and digest): the same file uploaded to
        # two platforms of one process (tests) is two imports.
        self._by_file: dict[str, Status] = {}
        self._running: dict[str, Status] = {}
        self._latest: dict[str, Status] = {}  # per county, running or not (``wait``)

    def start(self, county: str, sha256: str, folder: Path) -> Status:
        """A new running import, or 409 ``import_running`` while one runs for the county."""
        with self._lock:
            running = self._running.get(county)
            if running is not None and running.state == RUNNING:
                raise Conflict(
                    "import_running",
                    "本县已有一次台账导入正在进行，请等待其完成后再导入 / an import is already "
                    f"running for this county (file {running.file_sha256[:12]}…)",
                )
            started = datetime.now(UTC)
            (folder / MARKER).write_text(started.isoformat(), encoding="utf-8")
            status = Status(sha256, started)
            self._running[county] = self._by_file[str(folder)] = status
            self._latest[county] = status
            return status

    def end(self, county: str, folder: Path, status: Status, message_zh: str | None) -> None:
        status.finish(message_zh)
        (folder / MARKER).unlink(missing_ok=True)
        with self._lock:
            if self._running.get(county) is status:
                del self._running[county]

    def of(self, folder: Path) -> Status | None:
        with self._lock:
            return self._by_file.get(str(folder))

    def running(self, county: str) -> Status | None:
        with self._lock:
            return self._running.get(county)

    def wait(self, county: str, timeout: float = 60.0) -> None:
        """Until the county's latest import's thread has ended, its lock released and its old
        uploads removed (tests; a clean shutdown)."""
        with self._lock:
            status = self._latest.get(county)
        if status is not None and status.thread is not None:
            status.thread.join(timeout)


def interrupted(folder: Path, sha256: str) -> Status:
    """The status of an import this process does not know but whose marker is there: it was
    running when the process stopped."""
    try:
        started = datetime.fromisoformat((folder / MARKER).read_text(encoding="utf-8").strip())
    except ValueError:
        started = datetime.fromtimestamp((folder / MARKER).stat().st_mtime, UTC)
    return Status(
        sha256,
        started,
        state=INTERRUPTED,
        message_zh="中断，可重新导入：已记录的行不会重复记录 / interrupted: import it again",
    )
