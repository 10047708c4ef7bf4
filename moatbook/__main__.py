"""Command line: ``python -m moatbook <command>``; the Makefile calls these."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .paths import BUILD_DIR, SlugError, check_slug


def _known_companies() -> list[str]:
    """Slugs in companies.csv, read loosely (without importing the data layer: it stays fast)."""
    import csv

    from .paths import data_dir

    path = data_dir() / "companies.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [r["slug"].strip() for r in csv.DictReader(fh) if r.get("slug")]


def _company_arg(slug: str) -> str:
    check_slug(slug)
    known = _known_companies()
    if slug not in known:
        raise SlugError(f"unknown company '{slug}'. Known companies: {', '.join(known)}")
    return slug


def cmd_validate(args) -> int:
    from .data import load

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
    for line in undated_warnings(ds, shown=None if args.as_of else 8):
        print(line)
    return 0


def undated_warnings(ds, shown: int | None = 8) -> list[str]:
    """The sources without a publication date: they cannot take part in an as-of build (``ASOF=<year>``)."""
    from .data.asof import undated_sources

    ids = undated_sources(ds.sources)
    if not ids:
        return []
    out = [
        f"note: {len(ids)} of {len(ds.sources)} sources have no publication date (column 'published' of "
        "data/sources.csv), so they cannot take part in an as-of build (ASOF=<year>); fill the date from the page:"
    ]
    listed = ids if shown is None else ids[:shown]
    out += [f"  data/sources.csv, row {ds.source_lines.get(sid, '?')}: {sid}" for sid in listed]
    if len(listed) < len(ids):
        out.append(f"  ... and {len(ids) - len(listed)} more (`make validate ASOF=<year>` lists them all)")
    return out


def _as_of(ds, args):
    """The dataset as of ``--as-of`` (unchanged without it)."""
    if not getattr(args, "as_of", None):
        return ds
    from .data.asof import as_of

    return as_of(ds, args.as_of)


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
    from .data import load
    from .scoring.gaps import card_gaps, scores_json
    from .scoring.report import analyse

    slug = _company_arg(args.company)
    ds = _as_of(load([slug]), args)
    card = analyse(ds, slug, sensitivity=False).card
    evidence, judgements = ds.evidence.get(slug, []), ds.assessments.get(slug, [])
    notes = ds.gap_notes.get(slug, {})
    if args.json:
        print(json.dumps(scores_json(ds.rubric, card, evidence, judgements, notes), indent=2))
        return 0
    name = ds.company(slug).name
    if ds.as_of is not None:
        name += f" as of {ds.as_of.label}"
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
    from .data import load
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


def _executor_args(p) -> None:
    p.add_argument("--jobs", type=int, default=2, help="worker processes (or local Dask workers)")
    p.add_argument(
        "--executor", choices=["local", "dask"], default="local", help="local worker processes, or a local Dask cluster"
    )
    p.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--force", action="store_true", help="execute every chapter again, ignoring the cache")
    p.add_argument("--no-wait", action="store_true", help="stop at once if another build of a brand is running")
    p.add_argument("--out", type=Path, default=BUILD_DIR, help="output folder (default _build)")
    _as_of_arg(p)


def _as_of_arg(p) -> None:
    p.add_argument(
        "--as-of",
        type=_year_arg,
        default=None,
        help="score as of the end of this year: only evidence published by then (books go to _build/asof-<year>/)",
    )


def _year_arg(text: str) -> int:
    from .data.asof import AsOf, AsOfError

    try:
        return AsOf.parse(text).year
    except AsOfError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _build_kwargs(args) -> dict:
    return dict(
        jobs=args.jobs,
        out_root=args.out,
        executor=args.executor,
        scheduler=args.scheduler or None,
        force=args.force,
        wait=not args.no_wait,
        as_of=args.as_of,
    )


def cmd_build(args) -> int:
    from .build import build_book

    slug = _company_arg(args.company)
    return 0 if build_book(slug, **_build_kwargs(args)).ok else 1


def cmd_site(args) -> int:
    from .build.site import build_site

    return 0 if build_site(**_build_kwargs(args)) else 1


def cmd_new_company(args) -> int:
    from .data.scaffold import new_company

    new_company(check_slug(args.company), args.name)
    return 0


def cmd_bench(args) -> int:
    from .build.bench import run_bench

    return run_bench(_company_arg(args.company), jobs=args.jobs, repeat=args.repeat)


def cmd_bench_site(args) -> int:
    from .build.bench_site import run_bench_site

    extra = ["--executor", args.executor] + (["--scheduler", args.scheduler] if args.scheduler else [])
    return run_bench_site(jobs=args.jobs, extra=args.synthetic, executor_args=extra)


def cmd_clean_cache(args) -> int:
    import shutil

    cache = args.out / ".cache"
    work = args.out / ".work"
    for folder in (cache, work):
        shutil.rmtree(folder, ignore_errors=True)
    print(f"removed {cache} and {work}; published books are kept")
    return 0


def cmd_colab(args) -> int:
    from .build import colab

    if args.check:
        problems = colab.problems()
        for line in problems:
            print(line, file=sys.stderr)
        return 1 if problems else 0
    changed = colab.write()
    print(f"colab/: {len(changed)} notebook(s) written or removed" + (f": {', '.join(changed)}" if changed else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moatbook", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check the data files (all companies, or one and its peers)")
    p.add_argument("--company")
    _as_of_arg(p)
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("scores", help="print a company's scores without building the book")
    p.add_argument("--company", required=True)
    p.add_argument("--json", action="store_true")
    _as_of_arg(p)
    p.set_defaults(func=cmd_scores)
    p = sub.add_parser("audit", help="list likely duplicates, listing pages and low-confidence series and judgements")
    p.add_argument("--company")
    p.set_defaults(func=cmd_audit)
    p = sub.add_parser("indicators", help="print the indicator catalogue: where each figure goes, from the rubric")
    p.add_argument("--metric", help="only this metric")
    p.set_defaults(func=cmd_indicators)
    p = sub.add_parser("build", help="build one company's book into _build/<company>/")
    p.add_argument("--company", required=True)
    _executor_args(p)
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("site", help="build every brand's book and the front page into _build/site/")
    _executor_args(p)
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
    p = sub.add_parser("bench-site", help="time cold site builds of 7 brands and of 7 plus synthetic ones")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--synthetic", type=int, default=21, help="synthetic brands to add (default 21: 28 in all)")
    p.add_argument("--executor", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler")
    p.set_defaults(func=cmd_bench_site)
    p = sub.add_parser("colab", help="write the chapters' notebook copies for Colab into colab/ (--check: only check)")
    p.add_argument("--check", action="store_true", help="fail if a copy is missing or out of date; write nothing")
    p.set_defaults(func=cmd_colab)
    p = sub.add_parser("clean-cache", help="remove the execution cache and the HTML working folders")
    p.add_argument("--out", type=Path, default=BUILD_DIR)
    p.set_defaults(func=cmd_clean_cache)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SlugError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        data = sys.modules.get("moatbook.data.loading")  # imported only by commands that read data
        if data is not None and isinstance(exc, data.DataError):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        print(
            "\ninterrupted: nothing was published, the last good books are untouched and no worker is left running",
            file=sys.stderr,
        )
        return 130


def _exit(code: int) -> None:
    """Exit now that everything is written: run the exit handlers, skip tearing down every module.

    A build holds a large heap (the data, the scores, Sphinx's and Altair's modules)
    whose orderly teardown costs more than half a second, a tenth of a rebuild.
    """
    import atexit
    import contextlib
    import os
    import signal

    sys.stdout.flush()
    sys.stderr.flush()
    # the workers' fork server would otherwise tear its own heap down for a second, holding our output open
    forkserver = sys.modules.get("multiprocessing.forkserver")
    pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
    if pid:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    atexit._run_exitfuncs()  # multiprocessing's clean-up (its temporary folder) and logging's flush
    os._exit(code)


if __name__ == "__main__":
    _exit(main())
