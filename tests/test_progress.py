"""Progress without a terminal: whole plain lines, one per event."""

from __future__ import annotations

import threading

from moatbook.build.progress import Progress


def test_plain_progress_is_whole_lines_even_from_threads():
    lines = []
    with Progress(lines.append, live=False) as p:
        p.book("acme", total=16, cached=10)
        threads = [
            threading.Thread(target=lambda i=i: (p.started("acme", f"ch{i}"), p.finished("acme", f"ch{i}", 0.5)))
            for i in range(6)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        p.log("[acme] building HTML")
    assert lines[0] == "[acme] 10 of 16 chapters cached, 6 to execute"
    done = [ln for ln in lines if ": done in" in ln]
    assert len(done) == 6 and all("\n" not in ln for ln in lines)
    assert sorted(int(ln.split("(")[1].split("/")[0]) for ln in done) == list(range(11, 17))
    assert lines[-1] == "[acme] building HTML"


def test_live_progress_draws_one_line_per_brand(capsys):
    with Progress(print, live=True) as p:
        p.book("acme", total=3, cached=1)
        p.book("globex", total=3, cached=0)
        p.started("acme", "intro")
        p.log("a message")
        p.finished("acme", "intro", 0.1)
        p.status("globex", "building HTML")
    out = capsys.readouterr().out
    assert "acme" in out and "globex" in out and "a message" in out and "2/3" in out
