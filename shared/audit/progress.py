"""Progress output for long audit work (rebuild, verify): a bar on a terminal, lines otherwise.

On a terminal the bar redraws in place; in a log or CI (no terminal) it prints a line every
10%, so a long rebuild shows it is alive without flooding the log.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, label: str, total: int, out: TextIO | None = None) -> None:
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self.out = out if out is not None else sys.stderr
        self.tty = self.out.isatty()
        self.started = time.monotonic()
        self._last_decile = -1
        self._last_draw = 0.0

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.tty:
            if now - self._last_draw >= 0.1 or self.done >= self.total:
                self._last_draw = now
                self.out.write("\r" + self._line(bar=True))
                self.out.flush()
            return
        decile = self.done * 10 // self.total if self.total else 10
        if decile != self._last_decile and decile > self._last_decile:
            self._last_decile = decile
            self.out.write(self._line(bar=False) + "\n")
            self.out.flush()

    def finish(self) -> float:
        """Close the bar; returns the rate (items per second)."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        if self.tty:
            self.out.write("\r" + self._line(bar=True) + "\n")
            self.out.flush()
        return self.done / elapsed

    def _line(self, bar: bool) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        share = self.done / self.total if self.total else 1.0
        rate = self.done / elapsed
        text = f"{self.label} {self.done:,}/{self.total:,} ({share:.0%}) {rate:,.0f}/s"
        if not bar:
            return f"[sanji] {text}"
        width = 30
        filled = int(width * min(share, 1.0))
        return f"[{'#' * filled}{'.' * (width - filled)}] {text}"
