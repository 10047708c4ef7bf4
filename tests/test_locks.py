"""One build of a brand at a time: a second build waits, or stops at once, naming the first."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from moatbook.build.locks import BookLocks, LockBusy

HOLD = """
import sys, time
from moatbook.build.locks import BookLocks
with BookLocks(sys.argv[1], ["acme"], log=lambda *a: None):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold(root, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(root), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_second_build_can_stop_at_once_naming_the_first(tmp_path):
    proc = hold(tmp_path, 30)
    try:
        with pytest.raises(LockBusy) as err, BookLocks(tmp_path, ["acme"], wait=False):
            pass
        assert f"process {proc.pid}" in str(err.value) and "[acme]" in str(err.value)
    finally:
        proc.kill()
        proc.wait()


def test_a_second_build_waits_and_says_for_whom(tmp_path):
    proc = hold(tmp_path, 1.5)
    lines = []
    start = time.monotonic()
    with BookLocks(tmp_path, ["acme"], log=lines.append):
        waited = time.monotonic() - start
    proc.wait()
    assert waited > 0.5
    assert any("waiting for the build started" in ln and f"process {proc.pid}" in ln for ln in lines)


def test_a_killed_build_leaves_no_lock(tmp_path):
    proc = hold(tmp_path, 30)
    proc.kill()
    proc.wait()
    with BookLocks(tmp_path, ["acme"], wait=False):  # the operating system released it
        pass


def test_locks_are_taken_in_name_order_so_builds_never_wait_in_a_circle(tmp_path):
    order = []
    done = threading.Event()

    def site(names):
        with BookLocks(tmp_path, names, log=lambda *a: None) as locks:
            order.append([n for n, _ in locks.held])
        done.set()

    t = threading.Thread(target=site, args=(["globex", "acme", "site"],))
    t.start()
    t.join(10)
    assert done.is_set() and order == [["acme", "globex", "site"]]
