"""`python -m bench`: create, load, measure, report. See docs/benchmarks.md."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

from .config import DEFAULT_WORKERS, FULL_HUB_INSTANCES, FULL_REPLIES, FULL_TICKETS, Config, paris_today


def levels(text: str) -> tuple[int, ...]:
    """ "1,4,16" → (1, 4, 16): the numbers of simultaneous clients of the load phase."""
    try:
        found = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text}") from exc
    if not found or min(found) < 1:
        raise argparse.ArgumentTypeError("each level is at least one client")
    return found


def parse(argv: list[str]) -> Config:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help=(
            f"share of the full size ({FULL_TICKETS:,} tickets, {FULL_REPLIES:,} replies, "
            f"{FULL_HUB_INSTANCES:,} hub history instances); 0.01 for a quick run"
        ),
    )
    parser.add_argument(
        "--database", default="mutualis_bench", help="database created (dropped first if present)"
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name (default: $BENCH_POSTGRES or the local server)",
    )
    parser.add_argument(
        "--hub-scale",
        type=float,
        default=None,
        help="share of the hub's history size alone (default: --scale)",
    )
    parser.add_argument(
        "--demo-scale", type=float, default=1.0, help="scale of the demo registry (demo_data --scale)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=paris_today(), help="reference date")
    parser.add_argument("--years", type=int, default=6, help="years the tickets are spread over")
    parser.add_argument("--iterations", type=int, default=300, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests before each case")
    parser.add_argument(
        "--clients",
        type=levels,
        default=Config.clients,
        help="concurrency levels of the load phase, e.g. 1,4,16 (each a number of client processes)",
    )
    parser.add_argument(
        "--load-seconds", type=float, default=Config.load_seconds, help="timed window per load case and level"
    )
    parser.add_argument(
        "--load-warmup", type=int, default=Config.load_warmup, help="untimed iterations per client"
    )
    parser.add_argument("--load-cases", default="", help="comma-separated load case names (default: all)")
    parser.add_argument("--no-load", action="store_true", help="skip the concurrent load phase")
    parser.add_argument(
        "--profile",
        default="",
        metavar="CASE",
        help="after the load phase, profile this Mutualis load case (py-spy + PostgreSQL statement log)",
    )
    parser.add_argument(
        "--compare-helpdesk",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also load and measure django-helpdesk with the same data (--no-compare-helpdesk to skip)",
    )
    parser.add_argument(
        "--no-compare", dest="compare_helpdesk", action="store_false", help="same as --no-compare-helpdesk"
    )
    parser.add_argument(
        "--workers", type=int, default=DEFAULT_WORKERS, help="gunicorn workers (default: one per core)"
    )
    parser.add_argument(
        "--worker-class", choices=("sync", "gthread"), default="sync", help="gunicorn worker class"
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument(
        "--reuse", action="store_true", help="measure the existing database, without loading it"
    )
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--results", type=Path, default=Config.results, help="folder of the JSON results")
    parser.add_argument(
        "--docs", type=Path, default=Config.docs, help="Markdown file updated with the results"
    )
    parser.add_argument("--no-docs", action="store_true", help="do not update the Markdown file")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error("--scale must be above 0 and at most 1")
    if args.hub_scale is not None and not 0 < args.hub_scale <= 1:
        parser.error("--hub-scale must be above 0 and at most 1")
    return Config(
        scale=args.scale,
        database=args.database,
        server=args.server,
        demo_scale=args.demo_scale,
        hub_scale=args.hub_scale,
        seed=args.seed,
        today=args.today,
        years=args.years,
        iterations=args.iterations,
        warmup=args.warmup,
        clients=args.clients,
        load_seconds=args.load_seconds,
        load_warmup=args.load_warmup,
        load=not args.no_load,
        load_cases=tuple(c for c in args.load_cases.split(",") if c),
        compare_helpdesk=args.compare_helpdesk,
        profile=args.profile,
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
        reuse=args.reuse,
        drop=args.drop,
        results=args.results,
        docs=None if args.no_docs else args.docs,
        cases=tuple(c for c in args.cases.split(",") if c),
    )


def say(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    config = parse(sys.argv[1:] if argv is None else argv)
    from . import database, helpdesk_data

    problem = database.reachable(config)
    if problem:
        say(f"PostgreSQL is not reachable at {config.server}: {problem}")
        return 2
    # The bench's own process reads and writes through Django too (generator, verbs).
    os.environ.update(config.environment())
    from .run import run

    started = time.monotonic()
    try:
        path = run(config, say)
    finally:
        if config.drop:
            database.drop(config, say)
            if config.compare_helpdesk:
                helpdesk_data.drop(config, say)
    say(f"Done in {(time.monotonic() - started) / 60:.1f} min: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
