"""Command line: ``python -m moatbook <command>``; the Makefile calls these."""

from __future__ import annotations

import argparse
import json
import sys

from .data import DataError, known_companies, load
from .paths import SlugError, check_slug


def _company_arg(slug: str) -> str:
    check_slug(slug)
    known = known_companies()
    if slug not in known:
        raise SlugError(f"unknown company '{slug}'. Known companies: {', '.join(known)}")
    return slug


def cmd_validate(args) -> int:
    slugs = [_company_arg(args.company)] if args.company else None
    ds = load(slugs)
    n_ev = sum(len(v) for v in ds.evidence.values())
    n_as = sum(len(v) for v in ds.assessments.values())
    print(
        f"data OK: {len(ds.evidence)} companies, {n_ev} evidence rows, {n_as} judgements, "
        f"{len(ds.sources)} sources (data version {ds.version()})"
    )
    for line in duplicate_warnings(ds):
        print(line)
    return 0


def duplicate_warnings(ds, shown: int = 8) -> list[str]:
    """Warnings (not errors) about likely duplicates: rows that count as one figure, pages under two ids."""
    from collections import defaultdict

    from .scoring.figures import duplicate_groups

    out = []
    groups = [g for rows in ds.evidence.values() for g in duplicate_groups(rows, ds.sources)]
    if groups:
        out.append(
            f"warning: {len(groups)} group(s) of rows give one publisher's figure for the same indicator, period "
            "and market more than once; each group counts as one figure (check they are reprints, not different "
            "measures that need a sub_brand or segment):"
        )
        for g in groups[:shown]:
            r = g[0]
            values = ", ".join(f"{x.value:g} ({x.source_id})" for x in g)
            out.append(
                f"  data/evidence/{r.company}.csv: {r.metric}/{r.indicator} {r.period} {r.market} "
                f"{r.publisher(ds.sources)}: {values}"
            )
        if len(groups) > shown:
            out.append(f"  ... and {len(groups) - shown} more")
    by_url = defaultdict(list)
    for s in ds.sources.values():
        by_url[s.url.rstrip("/")].append(s.source_id)
    twice = [ids for ids in by_url.values() if len(ids) > 1]
    if twice:
        out.append(f"warning: {len(twice)} page(s) carry two or more source ids (one page, one id):")
        out += [f"  {', '.join(sorted(ids))}" for ids in twice[:shown]]
        if len(twice) > shown:
            out.append(f"  ... and {len(twice) - shown} more")
    return out


def cmd_scores(args) -> int:
    from .scoring.report import analyse

    slug = _company_arg(args.company)
    ds = load([slug])
    card = analyse(ds, slug, sensitivity=False).card
    if args.json:
        print(json.dumps(card.to_json(), indent=2))
        return 0
    name = ds.company(slug).name
    if card.overall is None:
        print(
            f"{name}: not rated ({card.n_scored} of {len(card.metrics)} metrics scored; "
            f"{card.min_scored} needed for an overall)"
        )
    else:
        bands = ", ".join(f"{k} {v:.0%}" for k, v in card.band_probabilities.items() if v >= 0.005)
        print(
            f"{name}: {card.overall} / 100, 90% interval {card.low}-{card.high}, {card.band} ({bands})"
            + ("; provisional" if card.status == "provisional" else "")
        )
    for mid, m in card.metrics.items():
        if m.score is None:
            filled = f"; filled from peers at {m.imputed:.1f}" if m.imputed is not None else ""
            print(f"  {mid:26s}   --  {m.status}: {m.reason} ({m.n_available} rows on file){filled}")
            continue
        print(
            f"  {mid:26s} {m.score:4.1f}  90% interval {m.low:.1f}-{m.high:.1f}  coverage {m.coverage}  "
            f"{m.n_evidence} figures and judgements"
        )
    return 0


def cmd_build(args) -> int:
    from .build import build_book

    slug = _company_arg(args.company)
    return 0 if build_book(slug, jobs=args.jobs).ok else 1


def cmd_site(args) -> int:
    from .build.site import build_site

    return 0 if build_site(jobs=args.jobs, force=args.force) else 1


def cmd_new_company(args) -> int:
    from .data.scaffold import new_company

    new_company(check_slug(args.company), args.name)
    return 0


def cmd_bench(args) -> int:
    from .build.bench import run_bench

    return run_bench(_company_arg(args.company), jobs=args.jobs, repeat=args.repeat)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moatbook", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check the data files (all companies, or one and its peers)")
    p.add_argument("--company")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("scores", help="print a company's scores without building the book")
    p.add_argument("--company", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_scores)
    p = sub.add_parser("build", help="build one company's book into _build/<company>/")
    p.add_argument("--company", required=True)
    p.add_argument("--jobs", type=int, default=2)
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("site", help="build every brand's book and the front page into _build/site/")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--force", action="store_true", help="rebuild books that are already up to date")
    p.set_defaults(func=cmd_site)
    p = sub.add_parser("new-company", help="create the data files for a new brand")
    p.add_argument("--company", required=True)
    p.add_argument("--name", required=True)
    p.set_defaults(func=cmd_new_company)
    p = sub.add_parser("bench", help="time a cold build against jupyter-book's own execution")
    p.add_argument("--company", required=True)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.set_defaults(func=cmd_bench)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (DataError, SlugError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
