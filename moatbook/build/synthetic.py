"""Synthetic brands for the scaling benchmark: random but valid data, marked synthetic, never published.

:func:`add_synthetic_brands` starts each brand with the project's own scaffold
(``make new-company``), then fills it from the rubric: figures for every scored
level indicator (values between its lowest and highest anchor, in its unit),
four or five consecutive years for each series a derived indicator reads, and a
judgement on every ordinal indicator, all citing one source per brand at
``example.org``. Names say "Synthetic" and every row says the figure is random.
It only ever writes into the data folder it is given, a copy in a temporary
folder: synthetic brands never reach ``data/`` or a published site.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from ..data import load_rubric
from ..data.scaffold import new_company

NOTE = "synthetic: a random figure for the scaling benchmark, not a real measurement"


def _append(path: Path, rows: list[dict]) -> None:
    """Append rows (dicts) under the file's own header; columns a row does not name stay empty."""
    with path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.DictWriter(fh, fieldnames=header, lineterminator="\n").writerows(
            {k: row.get(k, "") for k in header} for row in rows
        )


def _set_company(companies: Path, slug: str, peers: list[str], market: str) -> None:
    with companies.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    col = {name: i for i, name in enumerate(rows[0])}
    for row in rows[1:]:
        if row[col["slug"]] == slug:
            row[col["peers"]] = ";".join(peers)
            row[col["home_market"]] = market
            row[col["summary"]] = "A synthetic brand with random data, made for the scaling benchmark only."
    with companies.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def add_synthetic_brands(data: Path, n: int, seed: int = 11, n_peers: int = 6) -> list[str]:
    """Add ``n`` synthetic brands to the data folder ``data`` (a copy); return their slugs."""
    rng = random.Random(seed)
    rubric = load_rubric(data / "rubric.yaml")
    with (data / "companies.csv").open(encoding="utf-8", newline="") as fh:
        brands = [r["slug"] for r in csv.DictReader(fh) if r["kind"] == "brand"]
    slugs = [f"synthetic-{i:02d}" for i in range(1, n + 1)]
    for slug in slugs:
        new_company(slug, f"Synthetic {slug[-2:]} (random data)", root=data)
    everyone = brands + slugs
    markets = [m for m in rubric.markets if m != "global"] or ["global"]
    for slug in slugs:
        peers = rng.sample([b for b in everyone if b != slug], n_peers)
        _set_company(data / "companies.csv", slug, peers, rng.choice(markets))
        source = f"{slug}-random"
        _append(
            data / "sources.csv",
            [dict(source_id=source, publisher="Synthetic data", title=f"Random figures for {slug}",
                  url=f"https://example.org/{slug}", published="2024", accessed="2026-01-01", confidence="high")],
        )  # fmt: skip
        evidence, judgements = [], []
        series = {(m, ind.source) for m, metric in rubric.metrics.items() for ind in metric.indicators.values()
                  if ind.kind == "derived"}  # fmt: skip
        for mid, metric in rubric.metrics.items():
            for iid, ind in metric.indicators.items():
                if ind.kind == "ordinal":
                    level = rng.choice(sorted(ind.levels))
                    judgements.append(
                        dict(company=slug, metric=mid, indicator=iid, level=level, source_ids=source,
                             rationale="A random level for the scaling benchmark.")
                    )  # fmt: skip
                    continue
                feeds_series = (mid, iid) in series
                if not (ind.kind == "level" and ind.unit and not ind.source) and not feeds_series:
                    continue
                unit = ind.unit
                spec = rubric.units[unit]
                if ind.anchors:
                    lo, hi = sorted((ind.anchors[0][0], ind.anchors[-1][0]))
                else:
                    lo, hi = (spec.min or 0) + 1, min(spec.max or 60, 60)
                market = next(m for m in ["global", *markets] if ind.takes_market(m))
                years = range(2019, 2025) if feeds_series else rng.sample(range(2020, 2025), rng.randint(1, 3))
                base = rng.uniform(lo, hi)
                for year in years:
                    value = base * rng.uniform(0.9, 1.1) if feeds_series else rng.uniform(lo, hi)
                    if spec.min is not None:
                        value = max(value, spec.min)
                    if spec.max is not None:
                        value = min(value, spec.max)
                    value = round(value) if spec.integer else round(value, 2)
                    evidence.append(
                        dict(company=slug, metric=mid, indicator=iid, value=value, unit=unit, period=str(year),
                             market=market, source_id=source, measure="random figure", note=NOTE)
                    )  # fmt: skip
        _append(data / "evidence" / f"{slug}.csv", evidence)
        _append(data / "assessments" / f"{slug}.csv", judgements)
    return slugs
