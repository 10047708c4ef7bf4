"""One build of a brand at a time: builds of the same book wait for each other, naming the other build.

A build holds ``_build/.locks/<slug>.lock`` (an ``flock``, released by the
operating system even if the build is killed) for the whole time it plans,
executes and publishes that brand's book. The lock file records who holds it
(process, command, start time), so a second build can say what it waits for. A
site build takes the locks of every brand it builds, in name order, so two
builds never wait for each other in a circle.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path


class LockBusy(Exception):
    """Another build holds the lock and the caller chose not to wait."""


def _describe(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another build"
    return (
        f"the build started {info.get('started', '?')} by process {info.get('pid', '?')} (`{info.get('command', '?')}`)"
    )


class BookLocks:
    """Hold the locks of ``names`` (sorted) under ``root``; wait for, or refuse, builds holding them."""

    def __init__(
        self, root: Path, names: list[str], wait: bool = True, log: Callable[[str], None] = print, timeout: float = 3600
    ) -> None:
        self.root = Path(root)
        self.names = sorted(set(names))
        self.wait = wait
        self.log = log
        self.timeout = timeout
        self.held: list[tuple[str, int]] = []

    def __enter__(self) -> BookLocks:
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            for name in self.names:
                self.held.append((name, self._acquire(name)))
        except BaseException:
            self.release()
            raise
        return self

    def _acquire(self, name: str) -> int:
        path = self.root / f"{name}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                who = _describe(path)
                if not self.wait:
                    raise LockBusy(f"[{name}] {who} is still running; try again when it has finished") from None
                self.log(f"[{name}] waiting for {who} to finish ...")
                deadline = time.monotonic() + self.timeout
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise LockBusy(f"[{name}] gave up waiting for {who}") from None
                        time.sleep(0.2)
                self.log(f"[{name}] the other build finished; going on")
            info = {
                "pid": os.getpid(),
                "command": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv)) or "python",
                "started": dt.datetime.now().strftime("%H:%M:%S"),
            }
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
            return fd
        except BaseException:
            os.close(fd)
            raise

    def release(self) -> None:
        while self.held:
            _, fd = self.held.pop()
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def __exit__(self, *exc) -> None:
        self.release()
