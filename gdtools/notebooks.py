"""Run the papermill notebook templates into ``reports/<notebook>/<run-id>/``.

Each run writes the executed ``.ipynb``, an ``.html`` rendering (nbconvert's Python API
with one exporter per process, no CLI start-up per file) and ``run.json`` (parameters, gdtools version,
checksums of the notebook and of the corpus files, timings, status). A failed run keeps
its partial notebook and HTML — papermill saves after every cell — and is reported as
``NotebookError``. ``reports/index.html`` links every run found under ``reports/``.

Two worker processes (``jobs=2``, the default) suit a 2-core machine: the six templates on
the 100-report sample took 75 s with two workers and 108 s with one (warm cache, shared
machine under load ≈ 8); each kernel is single-threaded, so more workers than cores give nothing. ``python -m gdtools.notebooks --check-stripped DIR`` fails when a
notebook in DIR carries outputs or execution counts (``make lint``); ``--strip`` removes them.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import logging
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from . import __version__
from .errors import NotebookError

log = logging.getLogger("gdtools")

KERNEL_NAME = "python3"
# ~0.6% of kernel starts in parallel runs lose a race for a ZMQ port: those are retried once.
_TRANSIENT_ERRORS = ("Address already in use", "Kernel died before replying", "Kernel didn't respond",
                     "ZMQError", "DeadKernelError", "TimeoutError")


@cache
def venv_kernel_manager() -> type:
    """A KernelManager class that starts the ``python3`` ipykernel with this process's interpreter.

    A kernelspec naming a bare ``python`` — or a user-level spec shadowing the venv's —
    would otherwise run whichever Python comes first on PATH, without gdtools installed.
    """
    from jupyter_client.manager import KernelManager

    class VenvKernelManager(KernelManager):
        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            cmd = super().format_kernel_cmd(extra_arguments)
            if "ipykernel_launcher" in cmd or "ipykernel" in cmd:
                cmd[0] = sys.executable
            return cmd

    return VenvKernelManager


# ---------------------------------------------------------------- records inside notebooks

SCRAP_MIME = "application/scrapbook.scrap.json+json"


def _plain(value: Any) -> Any:
    """``value`` with numpy/pandas scalars as Python values and NA/NaN as None (JSON-ready)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            return str(value)
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if value != value else value
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def glue(name: str, value: Any) -> None:
    """Record ``value`` (JSON-like) in the executed notebook under ``name``.

    Writes the scrapbook JSON scrap format (``scrapbook.read_notebook(path).scraps``
    reads it) without importing scrapbook in the kernel: its import pulls jsonschema's
    format checkers, seconds per kernel start.
    """
    from IPython.display import display

    payload = {"name": name, "data": _plain(value), "encoder": "json", "version": 1}
    display({SCRAP_MIME: payload}, metadata={"scrapbook": {"name": name, "data": True, "display": False}}, raw=True)


def read_records(notebook) -> dict[str, Any]:
    """The values recorded with :func:`glue` (or ``scrapbook.glue`` as JSON) in an executed notebook."""
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    found = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(SCRAP_MIME)
            if isinstance(payload, dict) and "name" in payload:
                found[payload["name"]] = payload.get("data")
    return found


def file_checksum(path: Path) -> str:
    """sha256 of a file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def corpus_checksums(corpus: Path | None) -> dict[str, str]:
    """sha256 of every file under ``corpus`` (or of the one file), keyed by relative path."""
    if corpus is None:
        return {}
    corpus = Path(corpus)
    if corpus.is_file():
        return {corpus.name: file_checksum(corpus)}
    if not corpus.is_dir():
        return {}
    return {p.relative_to(corpus).as_posix(): file_checksum(p)
            for p in sorted(corpus.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def make_run_id(parameters: dict[str, Any], when: datetime | None = None) -> str:
    """``YYYYmmddTHHMMSSZ-<8 hex>``: sorts by start time; the hash tells parameter sets apart."""
    when = when or datetime.now(UTC)
    digest = hashlib.sha1(json.dumps(parameters, sort_keys=True, ensure_ascii=False, default=str)
                          .encode("utf-8")).hexdigest()[:8]
    return f"{when.strftime('%Y%m%dT%H%M%SZ')}-{digest}"


def _make_run_dir(base: Path, run_id: str) -> tuple[Path, str]:
    """Create ``base/run_id`` (``-2``, ``-3``… when a parallel run took it first in the same second)."""
    base.mkdir(parents=True, exist_ok=True)
    candidate, n = run_id, 1
    while True:
        try:
            (base / candidate).mkdir()
            return base / candidate, candidate
        except FileExistsError:
            n += 1
            candidate = f"{run_id}-{n}"


def _is_transient(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(marker in text for marker in _TRANSIENT_ERRORS)


def _execute(notebook: Path, output: Path, parameters: dict[str, Any], kernel_name: str, timeout: int | None,
             cwd: str | None):
    import papermill

    papermill.execute_notebook(
        str(notebook), str(output), parameters=parameters, kernel_name=kernel_name, cwd=cwd,
        progress_bar=False, log_output=False, request_save_on_cell_execute=True,
        execution_timeout=timeout, shutdown_kernel="immediate", kernel_manager_class=venv_kernel_manager(),
        # the kernel's start-up warning about unencrypted local TCP is noise in every batch
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )


@cache
def _html_exporter():
    # One exporter per process: a new one compiles its Jinja templates again (~0.4 s).
    from nbconvert import HTMLExporter

    return HTMLExporter()


def _write_html(notebook_path: Path, html_path: Path) -> None:
    import nbformat

    nb = nbformat.read(str(notebook_path), as_version=4)
    with warnings.catch_warnings():
        # scrapbook records are data for programs, not for the page
        warnings.filterwarnings("ignore", message="Your element with mimetype", category=UserWarning)
        body, _ = _html_exporter().from_notebook_node(nb)
    html_path.write_text(body, encoding="utf-8")


def run_notebook(notebook, parameters: dict[str, Any] | None = None, corpus=None, out="reports", *,
                 kernel_name: str = KERNEL_NAME, timeout: int | None = None, raise_on_error: bool = True,
                 write_index: bool = True, cwd=None) -> dict[str, Any]:
    """Execute one notebook template with papermill; return its run record.

    ``corpus`` (a folder or file) is passed to the notebook as the ``corpus`` parameter
    (absolute path) and checksummed into ``run.json``. The record holds ``notebook``,
    ``status`` (``ok``/``error``), ``output`` (executed .ipynb), ``html``, ``run_id``,
    ``run_dir`` and ``error``. On failure the partial notebook and its HTML are written
    first, then ``NotebookError`` is raised (or the record returned with
    ``raise_on_error=False``). The kernel runs in ``cwd`` (default: the current folder,
    where the notebooks' relative defaults such as ``data/sample`` and the ``.gdtools-cache``
    of corpus runs live).
    """
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise NotebookError("notebook not found: check the path (templates live in notebooks/)", str(notebook))
    params = dict(parameters or {})
    if corpus is not None:
        corpus_path = Path(corpus).resolve()
        if not corpus_path.exists():
            raise NotebookError("corpus folder not found: pass --corpus with an existing folder", str(corpus))
        params["corpus"] = str(corpus_path)
    else:
        corpus_path = Path(params["corpus"]).resolve() if params.get("corpus") else None

    out = Path(out)
    started = datetime.now(UTC)
    run_dir, run_id = _make_run_dir(out / notebook.stem, make_run_id(params, started))
    output = run_dir / notebook.name
    html_path = run_dir / f"{notebook.stem}.html"
    record: dict[str, Any] = {
        "notebook": notebook.stem, "status": "ok", "output": str(output), "html": str(html_path),
        "run_id": run_id, "run_dir": str(run_dir), "error": None,
    }
    t0 = time.perf_counter()
    checksums = {"notebook": file_checksum(notebook), "corpus": corpus_checksums(corpus_path)}
    t_hash = time.perf_counter()
    attempts = 0
    while True:
        attempts += 1
        try:
            _execute(notebook, output, params, kernel_name, timeout, None if cwd is None else str(cwd))
            break
        except Exception as exc:  # papermill raises its own types; keep the message for run.json
            if attempts == 1 and _is_transient(exc) and not _has_executed_cells(output):
                log.warning("%s: kernel start failed (%s); retrying once", notebook.name, exc)
                continue
            record["status"] = "error"
            record["error"] = f"{type(exc).__name__}: {exc}"
            break
    t_exec = time.perf_counter()
    if output.is_file():
        try:
            _write_html(output, html_path)
        except Exception as exc:  # a broken rendering must not hide the run's own result
            log.warning("%s: HTML rendering failed: %s", output, exc)
            record["html"] = None
    else:
        record["html"] = None
    t_html = time.perf_counter()
    meta = {
        **record,
        "notebook_path": str(notebook),
        "parameters": params,
        "gdtools_version": __version__,
        "python": sys.executable,
        "kernel": kernel_name,
        "attempts": attempts,
        "checksums": checksums,
        "started": started.isoformat(timespec="seconds"),
        "timings": {"checksums_s": round(t_hash - t0, 3), "execute_s": round(t_exec - t_hash, 3),
                    "html_s": round(t_html - t_exec, 3), "total_s": round(t_html - t0, 3)},
    }
    (run_dir / "run.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    if write_index:
        write_index_page(out)
    if record["status"] == "error" and raise_on_error:
        raise NotebookError(f"notebook failed ({record['error']}); partial output kept in {run_dir}",
                            str(notebook))
    return record


def _has_executed_cells(output: Path) -> bool:
    if not output.is_file():
        return False
    import nbformat

    nb = nbformat.read(str(output), as_version=4)
    return any(cell.get("execution_count") for cell in nb.cells if cell.cell_type == "code")


def _worker(args: tuple) -> dict[str, Any]:
    notebook, parameters, corpus, out, cwd = args
    try:
        return run_notebook(notebook, parameters, corpus, out, raise_on_error=False, write_index=False, cwd=cwd)
    except NotebookError as exc:
        return {"notebook": Path(notebook).stem, "status": "error", "output": None, "html": None,
                "run_id": None, "run_dir": None, "error": str(exc)}


def prepare_corpus(corpus, cwd=None, limit: int | None = None) -> dict[str, Any] | None:
    """Process ``corpus`` once into the cache the notebooks read (``<cwd>/.gdtools-cache``).

    Without it, two corpus notebooks starting together would both extract every report.
    Returns the batch summary, or None when the corpus holds no report files.
    """
    import tempfile

    import gdtools

    from .analysis import report_folder

    paths = sorted(gdtools.iter_report_paths([report_folder(corpus)]))
    if limit:
        paths = paths[:limit]
    if not paths:
        return None
    with tempfile.TemporaryDirectory(prefix="gdtools-prepare-") as tmp:
        return gdtools.process(paths, out=tmp, cache_dir=Path(cwd or ".") / ".gdtools-cache", progress=False)


def run_notebooks(notebooks, parameters: dict[str, Any] | None = None, corpus=None, out="reports",
                  jobs: int = 2, *, cwd=None, prepare: bool = True) -> list[dict[str, Any]]:
    """Run several notebooks (``jobs`` at a time in worker processes); one record each, in input order.

    Each item of ``notebooks`` is a path or a ``(path, parameters)`` pair whose parameters
    are laid over the shared ``parameters``. With a ``corpus`` folder and several
    notebooks, the corpus is first processed once into the cache (``prepare``; honours a
    shared ``limit`` parameter). A failing notebook does not stop the others; its record
    has ``status == "error"``. ``reports/index.html`` is refreshed once at the end.
    """
    items = list(notebooks)
    if prepare and corpus is not None and Path(corpus).is_dir() and len(items) > 1:
        t0 = time.perf_counter()
        try:
            summary = prepare_corpus(corpus, cwd, (parameters or {}).get("limit") or None)
        except Exception as exc:  # the notebooks will report the same problem in context
            log.warning("could not process %s ahead of the notebooks: %s", corpus, exc)
        else:
            if summary:
                log.info("corpus prepared: %d reports (%d from cache) in %.1f s", summary["n_reports"],
                         summary["n_cached"], time.perf_counter() - t0)
    notebooks = items
    tasks = []
    for item in notebooks:
        path, own = item if isinstance(item, tuple) else (item, {})
        tasks.append((str(path), {**(parameters or {}), **own}, None if corpus is None else str(corpus), str(out),
                      None if cwd is None else str(cwd)))
    if jobs <= 1 or len(tasks) <= 1:
        results = [_worker(task) for task in tasks]
    else:
        # spawn: a forked child would inherit the parent's ZMQ/asyncio state.
        with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=get_context("spawn")) as pool:
            results = list(pool.map(_worker, tasks))
    write_index_page(Path(out))
    return results


def _load_runs(out: Path) -> list[dict[str, Any]]:
    runs = []
    for path in sorted(out.glob("*/*/run.json")):
        try:
            runs.append(json.loads(path.read_text(encoding="utf-8")) | {"_dir": path.parent})
        except (OSError, ValueError) as exc:
            log.warning("skipping unreadable %s: %s", path, exc)
    return runs


def write_index_page(out) -> Path:
    """Write ``out/index.html`` linking every run under ``out`` (newest first per notebook)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs = _load_runs(out)
    by_notebook: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_notebook.setdefault(run["_dir"].parent.name, []).append(run)
    parts = ["<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>",
             "<title>gdtools 分析报告索引</title><style>body{font-family:sans-serif;margin:2em}"
             "td,th{padding:2px 10px;text-align:left}.error{color:#b00}</style></head><body>",
             f"<h1>gdtools 分析报告索引</h1><p>{len(runs)} 次运行 · gdtools {html.escape(__version__)}</p>"]
    for name in sorted(by_notebook):
        parts.append(f"<h2>{html.escape(name)}</h2><table><tr><th>运行</th><th>状态</th><th>开始时间</th>"
                     "<th>耗时(秒)</th><th>参数</th><th>文件</th></tr>")
        for run in sorted(by_notebook[name], key=lambda r: r["_dir"].name, reverse=True):
            rel = run["_dir"].relative_to(out).as_posix()
            links = []
            if run.get("html") and (run["_dir"] / Path(run["html"]).name).is_file():
                links.append(f"<a href='{html.escape(rel)}/{html.escape(Path(run['html']).name)}'>HTML</a>")
            if run.get("output") and (run["_dir"] / Path(run["output"]).name).is_file():
                links.append(f"<a href='{html.escape(rel)}/{html.escape(Path(run['output']).name)}'>ipynb</a>")
            links.append(f"<a href='{html.escape(rel)}/run.json'>run.json</a>")
            status = run.get("status", "?")
            error = f"<br><small>{html.escape(str(run.get('error') or ''))[:300]}</small>" if status != "ok" else ""
            params = html.escape(json.dumps(run.get("parameters", {}), ensure_ascii=False))
            parts.append(
                f"<tr><td>{html.escape(run['_dir'].name)}</td><td class='{html.escape(status)}'>{html.escape(status)}"
                f"{error}</td><td>{html.escape(str(run.get('started', '')))}</td>"
                f"<td>{run.get('timings', {}).get('total_s', '')}</td><td><code>{params}</code></td>"
                f"<td>{' · '.join(links)}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    index = out / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    return index


def unstripped_cells(notebook) -> list[int]:
    """Indices of code cells that carry outputs or an execution count."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    return [i for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]


def strip_notebook(notebook) -> bool:
    """Remove outputs and execution counts in place; True when the file changed."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    changed = False
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            cell.outputs, cell.execution_count, changed = [], None, True
    if changed:
        nbformat.write(nb, str(notebook))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gdtools.notebooks",
                                     description="Check or strip notebook outputs before commit.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check-stripped", action="store_true",
                       help="exit 1 if any notebook in DIR has outputs or execution counts")
    group.add_argument("--strip", action="store_true", help="remove outputs and execution counts in place")
    parser.add_argument("dirs", nargs="+", type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    paths = sorted(p for d in args.dirs for p in ([d] if d.is_file() else d.glob("*.ipynb")))
    bad = []
    for path in paths:
        if args.strip:
            if strip_notebook(path):
                sys.stderr.write(f"stripped {path}\n")
        elif cells := unstripped_cells(path):
            bad.append(path)
            sys.stderr.write(f"{path}: outputs or execution counts in cells {cells}; "
                             f"run `python -m gdtools.notebooks --strip {path}`\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
