"""``python -m gdtools.eval {tables,narrative,all} DIR`` — measure accuracy against hand-checked data.

DIR is a folder laid out like ``../shared/realdata`` (``reports/``, ``expected/``,
``narrative/``) or a synthetic corpus with truth files. Exits 1 when a score is under
its bar, 0 (with a note) when DIR does not exist so CI without the data still passes.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

KINDS = ("tables", "narrative")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gdtools.eval", description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=(*KINDS, "all"))
    parser.add_argument("folder", type=Path)
    parser.add_argument("--no-bar", action="store_true", help="print the scores but never fail")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"{args.folder} not found: nothing to evaluate (skipped)")
        return 0
    status = 0
    for kind in KINDS if args.kind == "all" else (args.kind,):
        module = importlib.import_module(f"gdtools.eval.{kind}")
        ok = module.evaluate(args.folder, out=sys.stdout)
        status |= 0 if (ok or args.no_bar) else 1
    return status


if __name__ == "__main__":
    sys.exit(main())
