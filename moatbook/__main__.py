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
    for line in duplicate_warnings(ds, company=args.company):
        print(line)
    return 0


def duplicate_warnings(ds, shown: int = 8, company: str | None = None) -> list[str]:
    """Warnings (not errors) about likely duplicates: rows that count as one figure, and one value credited
    to two publishers (often a reprint whose tracker was not named). Pages under two ids cannot occur: the
    source registry refuses them."""
    from .data.audit import likely_duplicates
    from .scoring.figures import duplicate_groups

    out = []
    slugs = [company] if company else list(ds.evidence)
    groups = [g for s in slugs for g in duplicate_groups(ds.evidence.get(s, []), ds.sources)]
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
            out.append(f"  ... and {len(groups) - shown} more (`make audit` lists them all)")
    two = [
        f for f in likely_duplicates(ds) if f.kind == "two publishers" and any(f"/{s}.csv" in f.where for s in slugs)
    ]
    if two:
        out.append(f"warning: {len(two)} value(s) credited to two publishers, likely one figure:")
        out += [f"  {f}" for f in two]
    return out


def cmd_scores(args) -> int:
    from .scoring.gaps import card_gaps, scores_json
    from .scoring.report import analyse

    slug = _company_arg(args.company)
    ds = load([slug])
    card = analyse(ds, slug, sensitivity=False).card
    evidence, judgements = ds.evidence.get(slug, []), ds.assessments.get(slug, [])
    notes = ds.gap_notes.get(slug, {})
    if args.json:
        print(json.dumps(scores_json(ds.rubric, card, evidence, judgements, notes), indent=2))
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
    gaps = card_gaps(ds.rubric, card, evidence, judgements, notes)
    print(f"  {card.n_scored} of {len(card.metrics)} metrics scored")
    for mid, m in card.metrics.items():
        if m.score is None:
            filled = f"; filled from peers at {m.imputed:.1f}" if m.imputed is not None else ""
            print(f"  {mid:24s}   --                        {gaps[mid].text()}{filled}")
            continue
        print(
            f"  {mid:24s} {m.score:4.1f}  90% interval {m.low:4.1f}-{m.high:4.1f}  coverage {m.coverage}  "
            f"{gaps[mid].text()}"
        )
    return 0


def cmd_audit(args) -> int:
    from .data.audit import audit, format_report

    ds = load([_company_arg(args.company)] if args.company else None)
    findings = audit(ds)
    print(format_report(findings), end="")
    print(f"{len(findings)} finding(s) to review; none stops a build")
    return 0


def cmd_indicators(args) -> int:
    from .data import load_rubric
    from .data.catalogue import format_text

    rubric = load_rubric()
    if args.metric and args.metric not in rubric.metrics:
        print(f"error: unknown metric '{args.metric}'; the metrics are {', '.join(rubric.metrics)}", file=sys.stderr)
        return 2
    print(format_text(rubric, args.metric), end="")
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
    p = sub.add_parser("audit", help="list likely duplicates, listing pages and low-confidence series and judgements")
    p.add_argument("--company")
    p.set_defaults(func=cmd_audit)
    p = sub.add_parser("indicators", help="print the indicator catalogue: where each figure goes, from the rubric")
    p.add_argument("--metric", help="only this metric")
    p.set_defaults(func=cmd_indicators)
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
