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
    from .data.audit import likely_duplicates

    dups = [f for f in likely_duplicates(ds) if not args.company or f"/{args.company}.csv" in f.where]
    doubtful = [f for f in dups if f.kind == "two publishers"]
    for f in doubtful:
        print(f"warning: likely duplicate: {f}")
    reprints = len(dups) - len(doubtful)
    if reprints:
        print(f"note: {reprints} figure(s) appear on several pages and count once (`make audit` lists them)")
    return 0


def cmd_scores(args) -> int:
    from .scoring import score_dataset
    from .scoring.gaps import card_gaps, scores_json

    slug = _company_arg(args.company)
    ds = load([slug])
    card = score_dataset(ds, slug)
    evidence, judgements = ds.evidence.get(slug, []), ds.assessments.get(slug, [])
    if args.json:
        print(json.dumps(scores_json(ds.rubric, card, evidence, judgements), indent=2))
        return 0
    name = ds.company(slug).name
    if card.overall is None:
        print(f"{name}: not rated, no metric is scored")
    else:
        print(f"{name}: {card.overall} / 100 ({card.band}), range {card.low}-{card.high}")
    gaps = card_gaps(ds.rubric, card, evidence, judgements)
    print(f"  {card.n_scored} of {len(card.metrics)} metrics scored")
    for mid, m in card.metrics.items():
        if m.score is None:
            print(f"  {mid:24s}   --                    {gaps[mid].text()}")
        else:
            print(f"  {mid:24s} {m.score:4.1f}  [{m.low:4.1f}-{m.high:4.1f}]  grade {m.coverage}  {gaps[mid].text()}")
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
