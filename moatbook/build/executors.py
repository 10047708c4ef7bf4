"""Where chapters execute: a local pool of worker processes (the default) or a Dask cluster.

Both take a list of :class:`ChapterTask` and yield a :class:`ChapterResult` per
task as each finishes; the caller writes outputs where the build expects them.

* :class:`LocalPool` keeps ``jobs`` worker processes for the whole build, each
  with one warm IPython shell (:mod:`moatbook.build.worker`). The workers are
  forked from a server process that imported the book's modules once, and they
  start in the background while the build validates its data. A worker that
  dies is replaced and its chapter re-run once; a chapter that runs past its
  timeout is stopped and reported.
* :class:`DaskExecutor` submits each chapter to a Dask ``distributed`` cluster:
  an existing one named by its scheduler address, or a local one started for the
  build. Each book's context is sent to the cluster once; Dask re-runs the task
  of a worker lost mid-build.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .execute import ChapterResult, ChapterTask

OnStart = Callable[[ChapterTask, str], None]


def _serve(tasks, events, log_path: str, tmp_dir: str) -> None:
    """A local worker: run tasks from ``tasks`` until told to stop; report on ``events``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ["TMPDIR"] = tmp_dir
    tempfile.tempdir = tmp_dir
    from .worker import run_task

    while True:
        task = tasks.get()
        if task is None:
            return
        events.put(("start", task.id, os.getpid()))
        events.put(("done", task.id, run_task(task)))


class LocalPool:
    name = "local"

    def __init__(self, jobs: int, log_path: Path, timeout: float = 300.0) -> None:
        self.jobs = max(1, jobs)
        self.log_path = Path(log_path)
        self.timeout = timeout
        self.tmp = tempfile.mkdtemp(prefix="moatbook-work-")
        self.mp = multiprocessing.get_context("forkserver")
        self.mp.set_forkserver_preload(["moatbook.build.worker"])
        self.tasks = self.mp.Queue()
        self.events = self.mp.Queue()
        self.procs: dict[int, multiprocessing.Process] = {}
        self._lock = threading.Lock()
        self._starter: threading.Thread | None = None
        self._closed = False
        self.deaths = 0

    def start(self) -> LocalPool:
        """Start the workers in the background (the first start waits for the server's imports)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._starter = threading.Thread(target=self._spawn, args=(self.jobs,), daemon=True)
        self._starter.start()
        return self

    def _spawn(self, n: int) -> None:
        for _ in range(n):
            with self._lock:
                if self._closed:
                    return
                p = self.mp.Process(
                    target=_serve, args=(self.tasks, self.events, str(self.log_path), self.tmp), daemon=True
                )
                p.start()
                self.procs[p.pid] = p

    def run(self, tasks: list[ChapterTask], on_start: OnStart | None = None) -> Iterator[ChapterResult]:
        by_id = {t.id: t for t in tasks}
        for t in tasks:
            self.tasks.put(t)
        holding: dict[int, tuple[str, float]] = {}  # worker pid -> (task id, started)
        retried: set[str] = set()
        pending = set(by_id)
        while pending:
            try:
                kind, task_id, payload = self.events.get(timeout=0.2)
            except queue.Empty:
                yield from self._check_workers(holding, by_id, pending, retried)
                continue
            if kind == "start":
                holding[payload] = (task_id, time.monotonic())
                if on_start:
                    on_start(by_id[task_id], f"local:{payload}")
            elif kind == "done" and task_id in pending:
                for pid, (held, _) in list(holding.items()):
                    if held == task_id:
                        del holding[pid]
                pending.discard(task_id)
                yield payload

    def _check_workers(self, holding, by_id, pending, retried) -> Iterator[ChapterResult]:
        with self._lock:
            procs = dict(self.procs)
        now = time.monotonic()
        if self.deaths > 3 * self.jobs:  # workers die as they start: nothing will ever run
            for task_id in sorted(pending):
                task = by_id[task_id]
                yield ChapterResult(
                    task.id, task.company, task.chapter, task.key,
                    error=f"chapter {task.source} could not be executed: the worker processes keep dying as they "
                    f"start (see {self.log_path}); a script calling the build needs `if __name__ == '__main__':`",
                )  # fmt: skip
            pending.clear()
            return
        for pid, p in procs.items():
            held = holding.get(pid)
            timed_out = held is not None and now - held[1] > self.timeout
            if p.is_alive() and not timed_out:
                continue
            if timed_out:
                p.kill()
            p.join(1)
            with self._lock:
                self.procs.pop(pid, None)
            holding.pop(pid, None)
            self.deaths += 1
            if held is not None and held[0] in pending:
                task = by_id[held[0]]
                if not timed_out and task.id not in retried:
                    retried.add(task.id)
                    self.tasks.put(task)
                else:
                    pending.discard(task.id)
                    why = (
                        f"ran longer than {self.timeout:.0f} s and was stopped"
                        if timed_out
                        else f"its worker process died twice (exit code {p.exitcode})"
                    )
                    yield ChapterResult(
                        task.id, task.company, task.chapter, task.key, error=f"chapter {task.source} {why}"
                    )
            if pending:
                self._spawn(1)

    def close(self, kill: bool = False) -> None:
        with self._lock:
            self._closed = True
            procs = list(self.procs.values())
        if self._starter is not None and not kill:
            self._starter.join()
        if not kill:
            for _ in procs:
                self.tasks.put(None)
        deadline = time.monotonic() + (1 if not kill else 0)
        for p in procs:
            if not kill:
                p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                p.kill()
                p.join(2)
        for q in (self.tasks, self.events):
            q.cancel_join_thread()
            q.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


# --------------------------------------------------------------------------- Dask


def _dask_run(task: ChapterTask, blob: bytes) -> ChapterResult:
    """The task Dask runs on a worker: announce the chapter, then execute it in the worker's shell."""
    with contextlib.suppress(Exception):
        from distributed import get_worker

        get_worker().log_event("moatbook-start", {"id": task.id})
    from .worker import run_task, worker_name

    result = run_task(task, blob)
    result.worker = f"dask:{worker_name()}"
    return result


def _context_blob(blob: bytes) -> bytes:
    """A book's context as the result of a task (see :meth:`DaskExecutor.run`)."""
    return blob


class DaskExecutor:
    """Chapters on a Dask cluster: ``scheduler`` (e.g. ``tcp://host:8786``) or a local one with ``jobs`` workers."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, jobs: int = 2) -> None:
        self.scheduler = scheduler
        self.jobs = max(1, jobs)
        self.client = None
        self.cluster = None
        self.blobs: dict[str, bytes] = {}
        self._scattered: dict = {}

    def start(self) -> DaskExecutor:
        import logging

        from distributed import Client, LocalCluster

        if self.scheduler:
            self.client = Client(self.scheduler, timeout="30s")
        else:
            self.cluster = LocalCluster(
                n_workers=self.jobs,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
        return self

    def add_context(self, digest: str, blob: bytes) -> None:
        self.blobs[digest] = blob

    def run(self, tasks: list[ChapterTask], on_start: OnStart | None = None) -> Iterator[ChapterResult]:
        from distributed import as_completed

        by_id = {t.id: t for t in tasks}
        if on_start is not None:

            def announce(event):
                _, msg = event
                task = by_id.get(msg.get("id"))
                if task is not None:
                    on_start(task, "dask")

            self.client.subscribe_topic("moatbook-start", announce)
        futures = []
        for t in tasks:
            if t.context not in self._scattered:
                # a task that returns the context, not scattered data: if the worker holding it is lost, the
                # scheduler computes it again from the task (scattered data would be gone for good, and every
                # chapter waiting for it cancelled)
                self._scattered[t.context] = self.client.submit(
                    _context_blob, self.blobs[t.context], key=f"context-{t.context[:16]}", pure=False
                )
            futures.append(
                self.client.submit(_dask_run, t, self._scattered[t.context], key=f"chapter-{t.id}", pure=False)
            )
        for fut in as_completed(futures):
            try:
                yield fut.result()
            except Exception as exc:  # the task could not run at all (e.g. every worker died)
                task = next(t for t, f in zip(tasks, futures, strict=True) if f is fut)
                yield ChapterResult(
                    task.id,
                    task.company,
                    task.chapter,
                    task.key,
                    error=f"chapter {task.source} could not be executed on the Dask cluster: "
                    f"{type(exc).__name__}: {exc}",
                )

    def close(self, kill: bool = False) -> None:
        with contextlib.suppress(Exception):
            if self.client is not None:
                self.client.unsubscribe_topic("moatbook-start")
        for thing in (self.client, self.cluster):
            if thing is not None:
                with contextlib.suppress(Exception):
                    thing.close()
