"""Command line: a thin layer over the public API.

Every corpus command takes ``PATHS... -o OUT``; files that fail become error rows in
``OUT/reports.csv`` and the batch goes on. Exit codes: 0 when the batch ran, 1 with
``--strict`` when any file failed, 2 for usage errors and errors that stop the command.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import __version__
from .errors import GdtoolsError

log = logging.getLogger("gdtools")

# command -> (stages run per report, help)
BATCH_COMMANDS = {
    "inspect": (("inspect",), "read reports and write OUT/reports.csv (format, agency, year, template, sections)"),
    "extract": (("inspect", "tables"), "extract tables 二/三/四 into OUT/tables.csv and OUT/reports.csv"),
    "validate": (("inspect", "tables", "validate"),
                 "check the template's arithmetic, cross-year and text-vs-table rules: OUT/findings.csv, OUT/summary.csv"),
    "narrative": (("inspect", "narrative"),
                  "split section 五 into statements (problem/measure/themes): OUT/statements.csv, repeats.csv, keywords.csv"),
    "process": (("inspect", "tables", "validate", "narrative"),
                "everything in one pass with a cache: reports, tables, findings, statements"),
}


BATCH_EPILOG = ("Files that cannot be read become rows with status 'error' in OUT/reports.csv. Outputs appear "
                "when the batch ends; re-running the same command resumes an interrupted batch, and returns at "
                "once when no input changed.")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATHS", help="report files or folders (walked recursively)")
    p.add_argument("-o", "--out", required=True, type=Path, help="output folder (created if missing)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 if any file could not be processed")
    p.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--no-progress", action="store_true", help="do not show a progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gdtools",
        description="Read 政府信息公开工作年度报告 as data: tables, validation, narrative analysis, notebooks.",
    )
    parser.add_argument("--version", action="version", version=f"gdtools {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    for name, (_, help_text) in BATCH_COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=BATCH_EPILOG)
        _add_common(p)
        if name in ("extract", "process"):
            p.add_argument("--format", dest="fmt", default="csv", choices=["csv", "parquet", "xlsx", "json"],
                           help="format of the table outputs (default csv)")
        if name == "validate":
            p.add_argument("--html", action="store_true", help="also write one 年报体检 HTML page per agency")
        if name == "process":
            p.add_argument("--cache-dir", type=Path, default=None,
                           help="cache folder (default: .gdtools-cache in the current folder)")
            p.add_argument("--no-cache", action="store_true", help="do not read or write the cache")

    p = sub.add_parser("synth", help="generate a synthetic sample corpus with ground truth",
                       description="Generate fictional reports in several formats with their ground truth.")
    p.add_argument("-n", type=int, default=100, help="number of reports (default 100)")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same corpus)")
    p.add_argument("--formats", default="txt,html,docx,pdf", help="comma-separated formats (default txt,html,docx,pdf)")
    p.add_argument("--world", type=int, default=0,
                   help="set of invented places (default 0); each K >= 1 has agencies no other world has: "
                        "generate large corpora in parts, one world each")
    p.add_argument("-o", "--out", required=True, type=Path, help="output folder")

    p = sub.add_parser("run", help="execute notebooks with papermill into reports/<notebook>/<run-id>/",
                       description="Execute parameterised notebooks; writes .ipynb, .html and run.json per run.")
    p.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="set a notebook parameter (repeatable); VALUE is parsed as YAML")
    p.add_argument("--corpus", type=Path, default=None, help="corpus folder passed to notebooks as `corpus`")
    p.add_argument("-o", "--out", type=Path, default=Path("reports"), help="reports folder (default reports/)")
    p.add_argument("-j", "--jobs", type=int, default=2, help="notebooks run in parallel (default 2)")
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command in BATCH_COMMANDS:
        from .corpus import run_batch

        missing = [p for p in args.paths if not Path(p).exists()]
        if missing:
            raise GdtoolsError(f"no such file or folder: {', '.join(missing)}")

        stages = BATCH_COMMANDS[args.command][0]
        result = run_batch(
            args.paths, args.out, stages=stages, fmt=getattr(args, "fmt", "csv"), jobs=args.jobs,
            html=getattr(args, "html", False), progress=not args.no_progress,
            cache_dir=None if getattr(args, "no_cache", True) else (args.cache_dir or Path(".gdtools-cache")),
        )
        note = " (up to date, nothing to do)" if result.get("up_to_date") else \
            f" ({result['n_cached']} from the cache)" if result.get("n_cached") else ""
        print(f"{result['n_ok']} read, {result['n_error']} failed → {args.out}{note}", file=sys.stderr)
        if result.get("corpus_step_errors"):
            print(f"gdtools: warning: {result['corpus_step_errors']} corpus-level step(s) failed and were "
                  "skipped (see the messages above); re-run with --debug and report it", file=sys.stderr)
        return 1 if (args.strict and result["n_error"]) else 0
    if args.command == "synth":
        from .synth import generate_corpus

        formats = [f.strip() for f in args.formats.split(",") if f.strip()]
        paths = generate_corpus(args.out, n=args.n, seed=args.seed, formats=formats, world=args.world)
        print(f"{len(paths)} reports written to {args.out}", file=sys.stderr)
        return 0
    if args.command == "run":
        import yaml

        from .notebooks import run_notebooks

        params = {name: yaml.safe_load(value) for name, value in args.parameter}
        runs = run_notebooks(args.notebooks, parameters=params, corpus=args.corpus, out=args.out, jobs=args.jobs)
        failed = [r for r in runs if r["status"] != "ok"]
        for r in runs:
            print(f"{r['status']:6} {r['output']}", file=sys.stderr)
        return 1 if failed else 0
    raise AssertionError(args.command)  # argparse rejects unknown commands first


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return _run(args)
    except GdtoolsError as exc:
        if args.debug:
            raise
        print(f"gdtools: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gdtools: interrupted; finished outputs are kept, re-run to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so plainly, traceback only with --debug
        if args.debug:
            raise
        print(f"gdtools: internal error ({type(exc).__name__}: {exc}); re-run with --debug and report it",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
