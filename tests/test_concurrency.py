"""Builds that overlap or are interrupted: they wait for each other, and Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest

from tests.buildkit import change_value, fixture_data, moatbook

pytestmark = pytest.mark.build


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """A ``python -m moatbook`` process whose output lines can be awaited while it runs."""

    def __init__(self, args, data, tmp: Path, **kw) -> None:
        self.mark = uuid.uuid4().hex
        self.tmpdir = tmp / f"tmp-{self.mark[:6]}"
        self.tmpdir.mkdir()
        env = {"MOATBOOK_TEST_MARK": self.mark, "TMPDIR": str(self.tmpdir)}
        # Ctrl-C's default action in the build, as in a terminal, even when these tests run in the background
        # (a shell starts a background job with SIGINT ignored, and an ignored signal is inherited)
        self.proc = moatbook(args, data, env=env, start_new_session=True, preexec_fn=_default_sigint, **kw)
        self.lines: list[str] = []
        self._q: queue.Queue = queue.Queue()
        self.err = ""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            self._q.put(line)

    def wait_for(self, text: str, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in ln for ln in self.lines):
            assert self.proc.poll() is None or not self._q.empty(), f"exited before '{text}':\n" + self.output()
            assert time.monotonic() < deadline, f"no '{text}' within {timeout} s:\n" + self.output()
            time.sleep(0.05)

    def finish(self, timeout: float = 900) -> int:
        rc = self.proc.wait(timeout)
        self.err = self.proc.stderr.read()
        time.sleep(0.2)
        return rc

    def output(self) -> str:
        return "\n".join(self.lines)

    def leftovers(self) -> list[int]:
        """Processes still running that this run started (they inherit its mark)."""
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if f"MOATBOOK_TEST_MARK={self.mark}".encode() in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
        return found


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Fictional data and an output folder holding acme's published book."""
    tmp = tmp_path_factory.mktemp("concurrency")
    data = fixture_data(tmp / "data")
    out = tmp / "out"
    first = Run(["build", "--company", "acme", "--out", str(out)], data, tmp)
    assert first.finish() == 0, first.output() + first.err
    return data, out, tmp


def snapshot(book: Path) -> dict[str, bytes]:
    return {str(p.relative_to(book)): p.read_bytes() for p in sorted(book.rglob("*")) if p.is_file()}


def test_two_builds_of_one_brand_wait_for_each_other(built):
    data, out, tmp = built
    change_value(data, "acme", "net_promoter_score", "nps", 1.1)
    first = Run(["build", "--company", "acme", "--out", str(out)], data, tmp)
    first.wait_for("validating data")
    refused = Run(["build", "--company", "acme", "--out", str(out), "--force", "--no-wait"], data, tmp)
    assert refused.finish() == 1
    assert f"process {first.proc.pid}" in refused.output() and "still running" in refused.output()
    second = Run(["build", "--company", "acme", "--out", str(out)], data, tmp)
    assert second.finish() == 0, second.output() + second.err
    assert first.finish() == 0, first.output() + first.err
    said = second.output()
    assert "waiting for the build started" in said and f"process {first.proc.pid}" in said
    assert "up to date" in said  # the first build built exactly this: nothing left to do
    assert (out / "acme" / "html" / "index.html").exists()
    assert not list(out.glob(".stage-*")) and not list(out.glob(".old-*"))


@pytest.mark.parametrize("moment", ["started", "building HTML"])
def test_ctrl_c_stops_cleanly_and_keeps_the_last_good_book(built, moment):
    data, out, tmp = built
    before = snapshot(out / "acme")
    change_value(data, "acme", "customer_retention", "repurchase_rate", 1.05)
    run = Run(["build", "--company", "acme", "--out", str(out)], data, tmp)
    run.wait_for(moment)
    os.killpg(run.proc.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's foreground processes
    rc = run.finish(timeout=120)
    assert rc == 130, run.output() + run.err
    message = [ln for ln in run.err.splitlines() if ln.strip()]
    assert len(message) == 1 and message[0].startswith("interrupted"), run.err
    assert "Traceback" not in run.err + run.output()
    assert run.leftovers() == []  # no worker, server or jupyter-book process left running
    assert list(run.tmpdir.iterdir()) == []  # no temporary folder left behind
    assert not list(out.glob(".stage-*")) and not list(out.glob(".old-*"))
    assert snapshot(out / "acme") == before  # the last good book, untouched


def test_the_site_waits_for_a_running_book(built):
    data, out, tmp = built
    change_value(data, "acme", "price_premium", "asp_usd", 1.1)
    book = Run(["build", "--company", "acme", "--out", str(out)], data, tmp)
    book.wait_for("validating data")
    site = Run(["site", "--out", str(out)], data, tmp)
    assert site.finish() == 0, site.output() + site.err
    assert book.finish() == 0, book.output() + book.err
    assert f"process {book.proc.pid}" in site.output()
    index = (out / "site" / "index.html").read_text()
    assert 'href="acme/index.html"' in index and 'href="globex/index.html"' in index
