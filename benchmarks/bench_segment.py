"""Segmentation speed: the Segmenter's engines on the same text, one core.

    python benchmarks/bench_segment.py                      # texts of ../shared/realdata
    python benchmarks/bench_segment.py --folder DIR --repeat 5

Reads every .txt/.md/.html file (and extracted PDF text layers) under the folder, then
times ``Segmenter(engine=...).cut`` over all of them for ``jieba`` and ``rjieba`` (the
dictionary load is timed separately), checks both give the same tokens, and prints MB/s
(UTF-8 bytes) as JSON. No timing is asserted anywhere in the tests.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from gdtools.segment import Segmenter

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=HERE.parents[1] / "shared" / "realdata")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the texts per engine")
    args = parser.parse_args()
    paths = [p for p in sorted(args.folder.rglob("*")) if p.suffix in (".txt", ".md", ".html")]
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in paths]
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    result = {"files": len(texts), "megabytes": round(megabytes, 3), "repeat": args.repeat,
              "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()}}
    tokens = {}
    for engine in ("jieba", "rjieba"):
        seg = Segmenter(engine=engine)
        start = time.perf_counter()
        seg.tokenizer  # noqa: B018 - builds the engine (dictionary load)
        load = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(args.repeat):
            tokens[engine] = [seg.cut(t) for t in texts]
        elapsed = time.perf_counter() - start
        result[engine] = {"load_s": round(load, 3), "cut_s": round(elapsed, 3),
                          "mb_per_s": round(megabytes * args.repeat / elapsed, 2)}
    result["identical_tokens"] = tokens["jieba"] == tokens["rjieba"]
    result["speedup"] = round(result["rjieba"]["mb_per_s"] / result["jieba"]["mb_per_s"], 1)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
