"""Speed and scale of ``gdtools process`` on a synthetic corpus.

    python benchmarks/bench_process.py                 # N=10,000 synthetic reports, all cores
    python benchmarks/bench_process.py -n 2000 --jobs 2
    python benchmarks/bench_process.py --corpus DIR     # an existing folder instead
    python benchmarks/bench_process.py -n 2000 --subset 400 --skip-baseline   # a fixed 400 of them
    python benchmarks/bench_process.py -n 10000 --jobs 2 --rounds 3             # the ratio 3 times, median
    python benchmarks/bench_process.py -n 100000 --generate-only             # only write the corpus

Measures, each in a fresh process so peak memory is per run:

* ``baseline``: a plain one-process script that reads every file, takes its text with the
  simplest library for the format and runs ``jieba.lcut`` over it;
* ``first``: ``gdtools process`` end to end with a cold cache into a new output folder;
* ``uptodate``: the same command again (the journal says everything is done);
* ``cached``: into a new output folder with the warm cache (what a notebook re-run does);

and writes reports/s, MB/s, per-stage seconds, the CPU spent outside the per-report stages
(CPU of the main process and its workers minus the stages' CPU, per report), peak RSS of the
main and worker processes and the machine description to ``benchmarks/results/bench-N<n>-<time>.json``.
The synthetic corpus is generated once per (N, seed, formats) under ``benchmarks/results/``, in parts of at
most 1,000 reports, part i in synthetic world i + 1 (folder ``corpus-n<N>-seed<S>-worlds-<formats>``), so no
agency-year repeats across parts (folders without ``worlds`` were made by older versions, which repeated them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

BASELINE = r"""
import json, resource, sys, time, zipfile
from pathlib import Path
import jieba
jieba.setLogLevel(60)

def text_of(path):
    suffix = path.suffix.lower()
    data = path.read_bytes()
    if suffix in (".txt", ".md"):
        return data.decode("utf-8", errors="replace")
    if suffix in (".html", ".htm"):
        import lxml.html
        return lxml.html.fromstring(data).text_content()
    if suffix == ".docx":
        import docx
        return "\n".join(p.text for p in docx.Document(path).paragraphs)
    if suffix == ".pdf":
        import pypdf
        return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)
    return ""

paths = [Path(p) for p in json.load(open(sys.argv[1], encoding="utf-8"))]
t0 = time.perf_counter()
n_tokens = n_bytes = n_error = 0
t_read = t_cut = 0.0
for path in paths:
    t = time.perf_counter()
    try:
        text = text_of(path)
    except Exception:
        n_error += 1
        continue
    t_read += time.perf_counter() - t
    n_bytes += path.stat().st_size
    t = time.perf_counter()
    n_tokens += len(jieba.lcut(text))
    t_cut += time.perf_counter() - t
print(json.dumps({"seconds": time.perf_counter() - t0, "seconds_read": t_read, "seconds_lcut": t_cut,
                  "n_tokens": n_tokens, "n_error": n_error,
                  "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

RUN = r"""
import json, resource, sys
from gdtools.corpus import run_batch
paths, out, cache_dir, jobs = json.load(open(sys.argv[1], encoding="utf-8")), sys.argv[2], sys.argv[3], int(sys.argv[4])
summary = run_batch(paths, out, jobs=jobs, cache_dir=cache_dir, progress=False)
main, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
summary["main_cpu_seconds"] = main.ru_utime + main.ru_stime
summary["workers_cpu_seconds"] = workers.ru_utime + workers.ru_stime
print(json.dumps(summary))
"""


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    except (OSError, IndexError):
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=HERE.parent).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "gdtools"], capture_output=True, text=True,
                                cwd=HERE.parent).stdout.strip())
    import gdtools

    return {"platform": platform.platform(), "python": platform.python_version(), "cpu": cpu,
            "cpu_count": os.cpu_count(), "memory": mem, "gdtools": gdtools.__version__, "commit": commit, "uncommitted_changes": dirty,
            "loadavg_at_start": os.getloadavg()}


def corpus_paths(args) -> tuple[list[str], float | None, Path]:
    """The report paths, the seconds spent generating them (None when they were there) and their folder."""
    from gdtools.io import iter_report_paths

    if args.corpus:
        return [str(p) for p in iter_report_paths([args.corpus])], None, args.corpus
    formats = [f for f in args.formats.split(",") if f]
    folder = RESULTS / f"corpus-n{args.n}-seed{args.seed}-worlds-{'-'.join(formats)}"
    seconds = None
    if not (folder / ".complete").exists():
        from concurrent.futures import ProcessPoolExecutor

        from gdtools.synth import generate_corpus

        shutil.rmtree(folder, ignore_errors=True)
        t = time.perf_counter()
        # generated in parts (one seed each) on all cores: a 10,000-report corpus is slow to write;
        # one synthetic world holds about 1,200 agency-years, so parts have at most 1,000 reports, and
        # part i is world i + 1: its agencies are its own, as in a national corpus (no agency-year twice)
        parts = max(-(-args.n // 1000), min(args.n // 500, 4 * (os.cpu_count() or 1)), 1)
        sizes = [args.n // parts + (i < args.n % parts) for i in range(parts)]
        with ProcessPoolExecutor(args.jobs) as pool:
            list(pool.map(generate_corpus, [folder / f"part{i:03d}" for i in range(parts)], sizes,
                          [args.seed * 1000 + i for i in range(parts)], [formats] * parts,
                          [i + 1 for i in range(parts)]))
        seconds = time.perf_counter() - t
        (folder / ".complete").write_text("ok\n")
    return [str(p) for p in iter_report_paths(sorted(folder.glob("part*/reports")))], seconds, folder


def run_json(code: str, *argv: str, work: Path) -> tuple[dict, float, float]:
    """Run ``code`` in a fresh interpreter: its JSON answer, wall seconds, CPU seconds of it and its workers.

    gdtools is imported from the snapshot in ``work/code`` (see :func:`snapshot`).
    """
    env = os.environ | {"PYTHONPATH": str(work / "code")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=work, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"benchmark step failed:\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall, cpu


def snapshot(work: Path) -> None:
    """Copy the gdtools package so every run of one benchmark uses the same code: the cache is keyed
    by a hash of the source, and a checkout being edited meanwhile would make every run a cold one."""
    shutil.copytree(HERE.parent / "gdtools", work / "code" / "gdtools",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def overhead(n: int, summary: dict, cpu: float) -> dict:
    """CPU spent outside the per-report stages (start-up, frames, pickling, writing, cache, corpus steps)."""
    stages = sum(v for k, v in summary.get("seconds", {}).items() if k.startswith("stage_cpu_"))
    return {"stage_cpu_seconds": round(stages, 3), "overhead_cpu_seconds": round(cpu - stages, 3),
            "overhead_cpu_ms_per_report": round(1000 * (cpu - stages) / n, 2) if n else None}


def rates(n: int, nbytes: int, seconds: float, cpu: float, cores: int) -> dict:
    """Wall-clock rates, and rates from CPU time spread over ``cores`` (what an idle machine would give;
    on a shared machine the wall clock mostly measures the other users)."""
    ideal = cpu / cores
    return {"seconds": round(seconds, 3), "reports_per_s": round(n / seconds, 2),
            "mb_per_s": round(nbytes / 1e6 / seconds, 3), "cpu_seconds": round(cpu, 3), "cores": cores,
            "cpu_bound_seconds": round(ideal, 3), "cpu_bound_reports_per_s": round(n / ideal, 2) if ideal else None,
            "cpu_bound_mb_per_s": round(nbytes / 1e6 / ideal, 3) if ideal else None}


def ratios(baseline: dict, first: dict) -> dict:
    """One round: the plain script's and the cold run's seconds, and how many times faster the run was."""
    return {"baseline_seconds": baseline["seconds"], "first_seconds": first["seconds"],
            "speedup": round(baseline["seconds"] / first["seconds"], 2),
            "speedup_cpu_bound": round(baseline["cpu_bound_seconds"] / first["cpu_bound_seconds"], 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="synthetic reports (default 10,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", default="txt,html,docx,pdf", help="synthetic formats (default txt,html,docx,pdf)")
    parser.add_argument("--corpus", type=Path, default=None, help="benchmark this folder instead of a synthetic one")
    parser.add_argument("--subset", type=int, default=None,
                        help="only this many reports of the corpus, a fixed pseudo-random choice (seed 1)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes (default all cores)")
    parser.add_argument("--skip-baseline", action="store_true", help="do not time the plain jieba script")
    parser.add_argument("--rounds", type=int, default=1,
                        help="time the plain script and a cold first run this many times, alternating, and "
                             "report each round's ratio and their median (the machine's speed drifts between runs)")
    parser.add_argument("--generate-only", action="store_true",
                        help="write the synthetic corpus (if not there yet), print its folder and stop")
    args = parser.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    paths, gen_seconds, folder = corpus_paths(args)
    if args.generate_only:
        print(f"{len(paths)} reports in {folder}" + (f" (written in {gen_seconds:.0f} s)" if gen_seconds else ""))
        return 0
    if args.subset is not None:
        random.Random(1).shuffle(paths)
        paths = paths[:args.subset]
    n = len(paths)
    nbytes = sum(os.path.getsize(p) for p in paths)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    work = RESULTS / f"run-{stamp}"
    work.mkdir()
    snapshot(work)
    list_file = work / "paths.json"
    list_file.write_text(json.dumps(paths), encoding="utf-8")
    print(f"{n} reports, {nbytes / 1e6:.1f} MB, {args.jobs} jobs", file=sys.stderr)

    result = {"machine": machine(), "n_reports": n, "bytes": nbytes, "jobs": args.jobs,
              "corpus": str(args.corpus) if args.corpus else
              f"synthetic n={args.n} seed={args.seed} {args.formats}, part i in world i+1",
              "generate_seconds": gen_seconds}
    if not args.skip_baseline:
        base, wall, cpu = run_json(BASELINE, str(list_file), work=work)
        result["baseline"] = base | rates(n, nbytes, base["seconds"], cpu, 1) | {"wall_seconds": round(wall, 3)}
        print(f"baseline: {base['seconds']:.1f} s, {cpu:.1f} s CPU", file=sys.stderr)
    cache_dir = work / "cache"
    for name, out in (("first", work / "out"), ("uptodate", work / "out"), ("cached", work / "out2")):
        summary, wall, cpu = run_json(RUN, str(list_file), str(out), str(cache_dir), str(args.jobs), work=work)
        result[name] = {"summary": summary} | rates(n, nbytes, wall, cpu, args.jobs) | overhead(n, summary, cpu)
        print(f"{name}: {wall:.1f} s ({n / wall:.1f} reports/s), {cpu:.1f} s CPU "
              f"({result[name]['overhead_cpu_ms_per_report']} ms/report outside the stages), "
              f"n_error={summary['n_error']}, main {summary['main_maxrss_mib']:.0f} MiB, "
              f"worker {summary['worker_maxrss_mib']:.0f} MiB", file=sys.stderr)
    if "baseline" in result:
        rounds = [ratios(result["baseline"], result["first"])]
        for k in range(1, args.rounds):  # more rounds: the plain script, then a cold run into new folders
            base, wall, cpu = run_json(BASELINE, str(list_file), work=work)
            again = base | rates(n, nbytes, base["seconds"], cpu, 1)
            summary, wall, cpu = run_json(RUN, str(list_file), str(work / f"out-{k}"), str(work / f"cache-{k}"),
                                          str(args.jobs), work=work)
            rounds.append(ratios(again, rates(n, nbytes, wall, cpu, args.jobs)))
            print(f"round {k + 1}: baseline {again['seconds']:.1f} s, first {wall:.1f} s", file=sys.stderr)
        result["speedup_vs_baseline"] = rounds[0]["speedup"]
        result["speedup_vs_baseline_cpu_bound"] = rounds[0]["speedup_cpu_bound"]
        if len(rounds) > 1:
            result["rounds"] = rounds
            result["speedup_vs_baseline_median"] = round(statistics.median(r["speedup"] for r in rounds), 2)
            result["speedup_vs_baseline_cpu_bound_median"] = round(statistics.median(
                r["speedup_cpu_bound"] for r in rounds), 2)
    result["rerun_speedup_uptodate"] = round(result["first"]["seconds"] / result["uptodate"]["seconds"], 1)
    result["rerun_speedup_cached"] = round(result["first"]["seconds"] / result["cached"]["seconds"], 1)
    shutil.rmtree(work)  # outputs and cache of the run: large, and measured already
    target = RESULTS / f"bench-N{n}-{stamp}.json"
    target.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if not isinstance(v, dict) or k == "machine"}, indent=1,
                     ensure_ascii=False))
    print(f"written {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
