"""Progress people can read: one live line per brand on a terminal, plain whole lines elsewhere.

On a terminal (and when the build logs to the screen) each brand gets one line,
redrawn in place by ``rich``: chapters done of total, time since the brand
started, and the chapters running now. Messages print above those lines. In CI,
in a pipe, or when a caller collects the log itself, every event is one plain
line, written whole from the build's single process, so parallel chapters never
run together on one line.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable


class Progress:
    def __init__(self, log: Callable[[str], None] = print, live: bool | None = None) -> None:
        self._log = _flushed if log is print else log
        if live is None:
            live = log is print and sys.stdout.isatty()
        self.live = live
        self.lock = threading.Lock()
        self.books: dict[str, dict] = {}
        self._rich = None

    # -- lifecycle ---------------------------------------------------------------

    def __enter__(self) -> Progress:
        if self.live:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._rich = RichProgress(
                TextColumn("[bold]{task.fields[brand]:<12}"),
                BarColumn(bar_width=24),
                MofNCompleteColumn(),
                TextColumn("chapters"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[status]}"),
                console=Console(),
                transient=False,
                refresh_per_second=8,
            )
            self._rich.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._rich is not None:
            self._rich.stop()
            self._rich = None

    # -- messages ----------------------------------------------------------------

    def log(self, line: str) -> None:
        with self.lock:
            if self._rich is not None:
                self._rich.console.print(line, markup=False, highlight=False)
            else:
                self._log(line)

    def book(self, brand: str, total: int, cached: int) -> None:
        """A brand's chapters are planned: ``cached`` of ``total`` come from the cache."""
        with self.lock:
            state = {"total": total, "done": cached, "running": [], "start": time.perf_counter(), "task": None}
            self.books[brand] = state
            if self._rich is not None:
                state["task"] = self._rich.add_task(
                    brand, total=total, completed=cached, brand=brand, status=self._status(state)
                )
        if not self.live:
            executed = total - cached
            self._log(
                f"[{brand}] {cached} of {total} chapters cached, {executed} to execute"
                if cached
                else f"[{brand}] executing {total} chapters"
            )

    def started(self, brand: str, chapter: str, where: str = "") -> None:
        with self.lock:
            state = self.books.get(brand)
            if state is None:
                return
            state["running"].append(chapter)
            self._update(state)
        if not self.live:
            self._log(f"  - {brand}/{chapter}: started" + (f" on {where}" if where else ""))

    def finished(self, brand: str, chapter: str, seconds: float, error: str | None = None) -> None:
        with self.lock:
            state = self.books.get(brand)
            if state is None:
                return
            if chapter in state["running"]:
                state["running"].remove(chapter)
            state["done"] += 1
            self._update(state)
            done, total = state["done"], state["total"]
        if not self.live:
            status = "FAILED" if error else "done"
            self._log(f"  - {brand}/{chapter}: {status} in {seconds:.1f} s ({done}/{total})")

    def status(self, brand: str, text: str) -> None:
        """A step of a brand's build other than chapters (HTML, publishing, up to date)."""
        with self.lock:
            state = self.books.setdefault(
                brand, {"total": 0, "done": 0, "running": [], "start": time.perf_counter(), "task": None}
            )
            state["note"] = text
            self._update(state)

    # -- rendering ---------------------------------------------------------------

    @staticmethod
    def _status(state: dict) -> str:
        if state["running"]:
            return "running: " + ", ".join(state["running"][:3]) + (" ..." if len(state["running"]) > 3 else "")
        return state.get("note", "")

    def _update(self, state: dict) -> None:
        if self._rich is not None and state.get("task") is not None:
            self._rich.update(state["task"], completed=state["done"], status=self._status(state))


def _flushed(line: str) -> None:
    print(line, flush=True)  # a pipe (CI, a log file) sees each line when it happens
