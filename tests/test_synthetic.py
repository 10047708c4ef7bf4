"""Synthetic brands for the scaling benchmark: valid, scored, marked, and only in the folder given."""

from __future__ import annotations

import contextlib
import io
import shutil

from moatbook.build.synthetic import add_synthetic_brands
from moatbook.data import load
from moatbook.paths import DATA_DIR
from moatbook.scoring import score_dataset


def test_synthetic_brands_validate_score_and_say_what_they_are(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    before = sorted(p.name for p in DATA_DIR.rglob("*"))
    with contextlib.redirect_stdout(io.StringIO()):
        slugs = add_synthetic_brands(data, 3)
    ds = load(data_dir=data)  # validates every file
    assert slugs == ["synthetic-01", "synthetic-02", "synthetic-03"]
    for slug in slugs:
        company = ds.company(slug)
        assert "Synthetic" in company.name and "synthetic" in company.summary.lower()
        assert len(company.peers) == 6
        card = score_dataset(ds, slug)
        assert card.n_scored >= 9  # the generator fills every metric
        assert all("synthetic" in r.note for r in ds.evidence[slug])
        assert all(ds.sources[r.source_id].url.startswith("https://example.org/") for r in ds.evidence[slug])
    assert sorted(p.name for p in DATA_DIR.rglob("*")) == before  # the project's data is untouched
