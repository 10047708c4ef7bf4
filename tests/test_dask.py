"""The site through a Dask cluster (a local one with two workers, as a remote one would be used)."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time

import pytest

from moatbook.build import build_book, toc_chapters
from moatbook.build.site import build_site
from moatbook.paths import CHAPTERS_DIR
from tests.buildkit import fixture_data

pytestmark = pytest.mark.build

CHAPTERS = {name.rsplit("/", 1)[-1] for name in toc_chapters()}


@pytest.fixture(scope="module")
def cluster():
    import logging

    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    )
    client = Client(cluster)
    yield cluster, client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Fictional data, and one output folder (and cache) for the module: later tests execute only what they change."""
    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("dask")
    data = fixture_data(tmp / "data")
    mp.setenv("MOATBOOK_DATA_DIR", str(data))
    yield tmp
    mp.undo()


def workers_of(book) -> dict[str, str]:
    info = json.loads((book / "build-info.json").read_text())
    return {name: c["worker"] for name, c in info["chapters"].items()}


def test_the_site_builds_through_a_dask_cluster(cluster, data):
    cluster, client = cluster
    out = data / "out"
    lines = []
    assert build_site(out_root=out, scheduler=cluster.scheduler_address, log=lines.append), "\n".join(lines)
    used = set()
    for book in ("acme", "globex"):
        workers = workers_of(out / book)
        assert set(workers) == CHAPTERS and all(w.startswith("dask:") for w in workers.values()), workers
        used |= set(workers.values())
        # outputs written where the build expects them, whichever worker ran the chapter
        scores = json.loads((out / book / "scores.json").read_text())
        assert (
            json.loads((out / book / "scores" / "price_premium.json").read_text()) == scores["metrics"]["price_premium"]
        )
    assert len(used) == 2  # both workers took chapters
    index = (out / "site" / "index.html").read_text()
    assert 'href="acme/index.html"' in index and 'href="globex/index.html"' in index


def test_a_failing_chapter_names_itself_on_dask(cluster, data, tmp_path):
    cluster, _ = cluster
    chapters = tmp_path / "chapters"
    shutil.copytree(CHAPTERS_DIR, chapters)
    broken = chapters / "price_premium.md"
    broken.write_text(broken.read_text().replace("ch.caveats()", "ch.caveats()\n1 / 0"))
    report = build_book(
        "acme", out_root=data / "out", chapters_dir=chapters, scheduler=cluster.scheduler_address, log=print
    )
    assert not report.ok
    assert "price_premium.md failed in code cell" in report.error and "ZeroDivisionError" in report.error


def test_a_worker_lost_mid_build_has_its_chapter_run_again(cluster, data, tmp_path):
    cluster, client = cluster
    chapters = tmp_path / "chapters"
    shutil.copytree(CHAPTERS_DIR, chapters)
    slow = chapters / "price_premium.md"
    slow.write_text(slow.read_text().replace("ch.caveats()", "import time\ntime.sleep(6)\nch.caveats()"))
    out = data / "out"
    result = {}

    def build():
        result["report"] = build_book(
            "acme", out_root=out, chapters_dir=chapters, scheduler=cluster.scheduler_address, log=lambda *a: None
        )

    thread = threading.Thread(target=build)
    thread.start()
    victim = None
    deadline = time.monotonic() + 300
    while victim is None and time.monotonic() < deadline:
        for worker, keys in client.processing().items():
            if any("price_premium" in str(k) for k in keys):
                victim = worker
        time.sleep(0.2)
    assert victim is not None, "the slow chapter never started"
    time.sleep(1)
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, 9)  # the worker dies mid-chapter; its nanny starts a new one
    thread.join(600)
    report = result["report"]
    assert report.ok, report.error
    assert workers_of(out / "acme")["price_premium"] != f"dask:{os.uname().nodename}:{pid}"
