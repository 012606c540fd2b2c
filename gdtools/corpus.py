"""Many reports at once: parallel, cached, resumable, streaming to disk with bounded memory.

The per-report work is a registry of stages (name -> ``function(report, context) -> frame``)
run in worker processes that receive *paths* and return small frames. The main process
hashes every file, serves unchanged files from the cache, keeps a bounded window of
batches in flight through any :class:`concurrent.futures.Executor` (a process pool by
default, ``dask.distributed.Client.get_executor()`` unchanged), and appends each chunk
of results to ``.part`` files with a journal so an interrupted run resumes where it
stopped (a first run starts on the first files while the others are hashed). Corpus-level
steps (table 二 refinement, cross-year validation, repeated statements, keywords) run last,
in the workers, from side parts written beside the tables and statements parts (what those
steps read, as Arrow records), so that no step parses the written CSV again.

Output folder::

    reports.csv      one row per file (REPORT_COLUMNS [+ n_ok, n_blank, n_uncertain, n_missing])
    tables.<fmt>     TABLE_COLUMNS            (stage ``tables``)
    findings.csv     FINDING_COLUMNS, summary.csv  (stage ``validate``)
    statements.csv   STATEMENT_COLUMNS, repeats.csv, keywords.csv  (stage ``narrative``)
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import io
import json
import logging
import math
import os
import pickle
import resource
import shutil
import signal
import struct
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import __version__
from .cache import (
    DEFAULT_CACHE_DIR,
    KEY_COLUMN,
    Cache,
    cache_key,
    code_fingerprint,
    encode_tables,
    file_digest,
)
from .errors import GdtoolsError
from .model import FINDING_COLUMNS, REPORT_COLUMNS, STATEMENT_COLUMNS, TABLE_COLUMNS
from .outputs import (
    FLOAT_COLUMNS,
    FORMATS,
    INT_COLUMNS,
    PartWriter,
    arrow_csv_lines,
    atomic_path,
    columns_table,
    frame_table,
    normalize_frame,
    read_frame,
    to_csv_bytes,
    write_frame,
)

log = logging.getLogger("gdtools")

# What a stage returns: its columns as lists of plain values (the cheapest), a frame, or its rows as dicts.
Rows = dict[str, list] | pd.DataFrame | list[dict]

COUNT_COLUMNS = ["n_ok", "n_blank", "n_uncertain", "n_missing"]
PROCESS_STAGES = ("inspect", "tables", "validate", "narrative")
JOURNAL = ".gdtools-journal.jsonl"
FILE_TIMEOUT = 300  # seconds one file may take through all stages (GDTOOLS_FILE_TIMEOUT overrides)


# ---------------------------------------------------------------- per-report stages

def _stage_inspect(report, context) -> list[dict]:
    from .io import report_record

    return [report_record(report)]


def _stage_tables(report, context) -> dict[str, list]:
    from .tables import table_columns

    return table_columns(report)


def _stage_validate(report, context) -> dict[str, list]:
    from .validate import validate_report_columns

    tables = context.get("tables")
    if tables is None:
        from .tables import table_columns

        tables = table_columns(report)
    return validate_report_columns(report, tables)


def _stage_narrative(report, context) -> dict[str, list]:
    from .statements import statement_columns

    return statement_columns(report)


@dataclass(frozen=True)
class Stage:
    kind: str                      # output frame it produces
    columns: list[str]             # its column order
    run: Callable                  # function(report, context) -> Rows (columns, a DataFrame or rows as dicts)
    needs: tuple[str, ...] = ()    # stages whose frames it reads from the context


STAGES: dict[str, Stage] = {
    "inspect": Stage("reports", REPORT_COLUMNS, _stage_inspect),
    "tables": Stage("tables", TABLE_COLUMNS, _stage_tables),
    "validate": Stage("findings", FINDING_COLUMNS, _stage_validate, needs=("tables",)),
    "narrative": Stage("statements", STATEMENT_COLUMNS, _stage_narrative),
}


def _report_columns(stages) -> list[str]:
    return REPORT_COLUMNS + (COUNT_COLUMNS if "tables" in stages else [])


def _kind_columns(stages) -> dict[str, list[str]]:
    cols = {"reports": _report_columns(stages)}
    for name in stages:
        if name != "inspect":
            cols[STAGES[name].kind] = STAGES[name].columns
    return cols


def _error_rows(path: str, exc: BaseException) -> list[dict]:
    from .io import error_record

    return [error_record(path, exc)]


class FileTimeout(GdtoolsError):
    """One file took longer than the per-file time budget (``GDTOOLS_FILE_TIMEOUT`` seconds)."""


@contextmanager
def _time_budget(path: str):
    """Abort the work on one file after ``GDTOOLS_FILE_TIMEOUT`` seconds (default 300; 0 = no limit).

    A single pathological file (a PDF listing hundreds of thousands of objects, say) must not
    stall a night's batch. Uses SIGALRM, so it applies in worker processes' main threads only.
    """
    seconds = int(os.environ.get("GDTOOLS_FILE_TIMEOUT", FILE_TIMEOUT))
    state = {"expired": None}
    usable = seconds > 0 and hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield state
        return

    def expire(signum, frame):
        # Code under the budget may wrap any exception (loaders turn them into ReadError), so the
        # expiry is also recorded here for the caller to see.
        state["expired"] = FileTimeout(f"处理超过 {seconds} 秒仍未完成，已跳过 (processing took over {seconds} s; "
                                       "set GDTOOLS_FILE_TIMEOUT to allow more)", path)
        raise state["expired"]

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield state
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _run_one(path: str, stages: tuple[str, ...]) -> tuple[dict[str, Rows], dict]:
    """All stages for one file: its frames by kind and ``{ok, cacheable, timings}``.

    Never raises: a file that cannot be read, or a stage that fails on it (even a bug),
    or one that runs out of its time budget, becomes the report's row with status
    ``error`` and the reason.
    """
    result = None
    with _time_budget(path) as budget:
        try:
            result = _run_stages(path, stages)
        except FileTimeout:
            pass
    if budget["expired"] is not None:  # never cached: another machine or a later run may finish it
        return {"reports": _error_rows(path, budget["expired"])}, {"ok": False, "cacheable": False, "timings": {}}
    return result


def _run_stages(path: str, stages: tuple[str, ...]) -> tuple[dict[str, Rows], dict]:
    from .io import load_report

    timings: dict[str, float] = {}  # wall and CPU seconds per stage ("load", "cpu_load", …)

    def clock(name: str, wall: float, cpu: float) -> None:
        timings[name] = time.perf_counter() - wall
        timings[f"cpu_{name}"] = time.process_time() - cpu

    wall, cpu = time.perf_counter(), time.process_time()
    try:
        report = load_report(path)
    except Exception as exc:  # one bad file must not stop the batch
        log.debug("cannot read %s", path, exc_info=True)
        clock("load", wall, cpu)
        return {"reports": _error_rows(path, exc)}, {"ok": False, "cacheable": isinstance(exc, GdtoolsError),
                                                      "timings": timings}
    clock("load", wall, cpu)
    context: dict[str, Rows] = {}
    frames: dict[str, Rows] = {}
    failure: tuple[str, BaseException] | None = None
    for name in stages:
        stage = STAGES[name]
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            frame = stage.run(report, context)
        except Exception as exc:  # a stage bug on one file becomes that file's error row
            log.debug("stage %s failed on %s", name, path, exc_info=True)
            failure = (name, exc)
            break
        finally:
            clock(name, wall, cpu)
        context[name] = frame
        frames[stage.kind] = frame
    if failure is not None:
        name, exc = failure
        if "reports" in frames:
            error = f"stage {name} failed: {type(exc).__name__}: {exc}"
            frames["reports"] = [{**row, "status": "error", "error": error} for row in frames["reports"]]
        else:
            frames["reports"] = _error_rows(path, exc)
    return frames, {"ok": failure is None, "cacheable": failure is None or isinstance(failure[1], GdtoolsError),
                    "timings": timings}


def _n_rows(rows: Rows | None) -> int:
    if rows is None:
        return 0
    if isinstance(rows, dict):
        return len(next(iter(rows.values()))) if rows else 0
    return len(rows)


def _kind_table(items: list[tuple[str, Rows]], columns: list[str]) -> pa.Table:
    """One Arrow table of ``columns`` for the non-empty results of a kind, with the values and
    types :func:`gdtools.outputs.normalize_frame` gives their concatenated frame."""
    table = None
    if not any(isinstance(f, pd.DataFrame) for _, f in items):  # plain values: straight into Arrow
        merged: dict[str, list] = {c: [] for c in columns}
        for _, rows in items:
            if isinstance(rows, dict):
                n = _n_rows(rows)
                for c in columns:
                    merged[c] += rows.get(c) or [None] * n
            else:
                for c in columns:
                    merged[c] += [row.get(c) for row in rows]
        table = columns_table(merged, columns)
        if table is None:  # a value only normalize_frame turns into the output's text
            table = frame_table(normalize_frame(pd.DataFrame(merged), columns))
    if table is None:
        frames = [f if isinstance(f, pd.DataFrame) else pd.DataFrame(f) for _, f in items]
        table = frame_table(normalize_frame(pd.concat(frames, ignore_index=True), columns))
    keys = np.repeat(np.array([k for k, _ in items], dtype=object), [_n_rows(f) for _, f in items])
    return table.append_column(KEY_COLUMN, pa.array(keys, pa.string()))


def _batch_frames(pairs: dict[str, list[tuple[str, Rows]]], stages: tuple[str, ...]) -> dict[str, pa.Table]:
    """One Arrow table per kind for a batch, rows tagged with their file's cache key.

    Assembling once per batch instead of once per report keeps the per-report overhead
    small next to the real work; the ``n_*`` cell-status counts are added to report rows.
    """
    columns = _kind_columns(stages)
    out = {}
    for kind, items in pairs.items():
        items = [(k, f) for k, f in items if _n_rows(f)]
        if items:
            out[kind] = _kind_table(items, [c for c in columns[kind] if c not in COUNT_COLUMNS])
    reports = out.get("reports")
    if "tables" in stages and reports is not None:
        tables = out.get("tables")
        unread = pc.not_equal(reports.column("status"), "ok").fill_null(True).to_numpy(zero_copy_only=False)
        codes, keys = pd.factorize(reports.column(KEY_COLUMN).to_numpy(zero_copy_only=False))  # a key may be twice
        if tables is not None:
            of_key = pc.index_in(tables.column(KEY_COLUMN), value_set=pa.array(keys, pa.string()))
            of_key = of_key.fill_null(-1).to_numpy()
            status = tables.column("status")
        for col in COUNT_COLUMNS:
            counts = np.zeros(len(keys), dtype=np.int64)
            if tables is not None:
                hit = pc.equal(status, col[2:]).fill_null(False).to_numpy(zero_copy_only=False)
                counts = np.bincount(of_key[hit & (of_key >= 0)], minlength=len(keys))
            reports = reports.add_column(reports.num_columns - 1, col,
                                         pa.array(counts[codes].astype(np.int64), pa.int64(), mask=unread))
        out["reports"] = reports
    return out


def _select(table: pa.Table, columns: list[str]) -> pa.Table:
    """``columns`` of ``table`` in order, a missing one all null."""
    have = set(table.column_names)
    return pa.Table.from_arrays([table.column(c) if c in have else pa.nulls(table.num_rows, pa.string())
                                 for c in columns], names=columns)


def _csv_rows(tables: dict[str, pa.Table], columns: dict[str, list[str]]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The part-file rows of each kind's table (its ``columns``, CSV as the part writer writes it), and
    the side records of the tables and statements rows (:func:`_side_record`) by kind."""
    csv, sides = {}, {}
    for kind, table in tables.items():
        if kind in columns and table.num_rows:
            lines = arrow_csv_lines(_select(table, columns[kind]).columns)
            ends = np.frombuffer(lines.buffers()[1], np.int64, len(lines) + 1, lines.offset * 8)
            csv[kind] = lines.buffers()[2][ends[0]:ends[-1]].to_pybytes()
            if kind in SIDE_KINDS:
                record = _side_record(kind, table, np.diff(ends))
                if record is not None:
                    sides[kind] = record
    return csv, sides


def _side_record(kind: str, rows: pa.Table, lengths: np.ndarray) -> bytes | None:
    """An Arrow IPC stream of what the corpus steps read of a batch's rows of ``kind``, as the CSV reader
    reads them back from the part (:func:`_open_csv`: text equal to one of its null markers is null, whole
    numbers as text), without parsing the CSV; repetitive text is dictionary-encoded (:func:`_decoded`).

    ``tables``: the ``SIDE_COLUMNS`` of every row (``raw`` of table 二 rows only) and the length of each
    row's CSV record (``_csv_len``); ``statements``: the section-五 rows (None when there are none).
    """
    columns, encoded = SIDE_KINDS[kind]
    side = _select(rows, columns).combine_chunks()
    nulls = _csv_null_texts()
    arrays = []
    for name, column in zip(side.column_names, side.columns):
        if name not in FLOAT_COLUMNS:
            if pa.types.is_floating(column.type):  # a text column of a frame with NaN only, say: text as written
                values = column.to_numpy()
                column = pa.array(values.astype(str), pa.string(), mask=np.isnan(values))
            elif not pa.types.is_string(column.type):
                column = pc.cast(column, pa.string())
            if name in encoded:  # the null markers looked for among the few distinct values
                column = pc.dictionary_encode(column)
                if isinstance(column, pa.ChunkedArray):
                    column = column.combine_chunks()
                marked = pc.is_in(column.dictionary, value_set=nulls)
                if pc.any(marked).as_py():
                    indices = pc.if_else(pc.take(marked, column.indices), pa.scalar(None, column.indices.type),
                                         column.indices)
                    column = pa.DictionaryArray.from_arrays(indices, column.dictionary)
            else:
                column = pc.if_else(pc.is_in(column, value_set=nulls), pa.scalar(None, pa.string()), column)
        arrays.append(column)
    if kind == "tables":  # raw: only the table 二 refinement reads it
        at = columns.index("raw")
        arrays[at] = pc.if_else(pc.equal(side.column("table"), "table2"), arrays[at], pa.scalar(None, pa.string()))
        side = pa.Table.from_arrays([*arrays, pa.array(lengths, pa.int32())], names=[*columns, _CSV_LEN])
    else:
        side = pa.Table.from_arrays(arrays, names=columns)
        side = side.filter(pc.equal(side.column("section"), "五"))
        if not side.num_rows:
            return None
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, side.schema) as writer:
        writer.write_table(side.combine_chunks())
    return sink.getvalue().to_pybytes()


def _decoded(table: pa.Table) -> pa.Table:
    """``table`` with its dictionary-encoded columns as plain text."""
    return pa.Table.from_arrays([pc.cast(c, c.type.value_type) if pa.types.is_dictionary(c.type) else c
                                 for c in table.columns], names=table.column_names)


@cache
def _csv_null_texts() -> pa.Array:
    from pyarrow import csv as pacsv

    return pa.array(pacsv.ConvertOptions().null_values, pa.string())


def _batch_result(pairs: dict[str, list[tuple[str, Rows]]], stages: tuple[str, ...], infos: list[dict],
                  cache_keys: list[str] | None) -> dict:
    """What a batch hands back: its rows as CSV bytes by kind, the side records of its tables and
    statements rows by kind (:func:`_side_record`); unless ``cache_keys`` is None, the rows
    of those keys as Parquet bytes by kind (:func:`gdtools.cache.encode_tables`, for the cache);
    ``items`` (``{ok, cacheable, timings}`` per file) and ``maxrss_kib``."""
    tables = _batch_frames(pairs, stages)
    csv, sides = _csv_rows(tables, _kind_columns(stages))
    return {"csv": csv, "sides": sides,
            "cache": None if cache_keys is None else encode_tables(tables, cache_keys),
            "items": infos, "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def _run_batch_of_paths(items: list[tuple[str, str]], stages: tuple[str, ...], cache: bool = True) -> dict:
    """Worker entry point for ``(path, cache key)`` items: see :func:`_batch_result`.

    The rows are written to CSV (and, when ``cache``, the cacheable files' rows to Parquet) here,
    in the worker, so that the main process only writes bytes.
    """
    pairs: dict[str, list[tuple[str, Rows]]] = {}
    infos = []
    for path, key in items:
        frames, info = _run_one(path, stages)
        infos.append(info)
        for kind, frame in frames.items():
            pairs.setdefault(kind, []).append((key, frame))
    keys = [key for (_, key), info in zip(items, infos) if info["cacheable"]]
    return _batch_result(pairs, stages, infos, keys if cache else None)


def _failed_batch(items: list, exc: BaseException, stages: tuple[str, ...]) -> dict:
    pairs = {"reports": [(it.key, _error_rows(it.path, exc)) for it in items]}
    return _batch_result(pairs, stages, [{"ok": False, "cacheable": False, "timings": {}} for _ in items], None)


class SerialExecutor(Executor):
    """Runs each call in the calling process when submitted (``jobs=1``; tests; debugging)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


# ---------------------------------------------------------------- the batch

@dataclass
class _Item:
    path: str
    digest: str
    size: int
    key: str


@dataclass
class _Unit:
    items: list[_Item]
    future: Future | None = None      # None: served from the cache
    executor: Executor | None = None


def _died(exc: BaseException) -> RuntimeError:
    return RuntimeError(f"the worker process died while reading this file ({exc}); "
                        "it may be too large for the memory available")


class _Chunk:
    """Results gathered until the next flush to the part files, the cache and the journal."""

    def __init__(self, columns: dict[str, list[str]]):
        self.columns = columns
        self.csv: dict[str, list[bytes]] = {k: [] for k in columns}
        # side records by kind, each with where its tables rows start in the chunk (0 for statements)
        self.side: dict[str, list[tuple[bytes, int]]] = {k: [] for k in SIDE_KINDS if k in columns}
        self.tables_bytes = 0
        self.done: dict[str, str] = {}
        self.to_cache: list[tuple[dict[str, bytes], list[str]]] = []
        self.n = self.n_ok = self.n_error = 0

    def _add_rows(self, csv: dict[str, bytes], sides: dict[str, bytes]) -> None:
        for kind, data in csv.items():
            if kind in self.csv:
                self.csv[kind].append(data)
        for kind, record in sides.items():
            if kind in self.side:
                self.side[kind].append((record, self.tables_bytes if kind == "tables" else 0))
        self.tables_bytes += len(csv.get("tables", b""))

    def add_batch(self, items: list[_Item], result: dict, cache: bool) -> None:
        self._add_rows(result["csv"], result["sides"])
        for it, info in zip(items, result["items"]):
            self.n_ok += info["ok"]
            self.n_error += not info["ok"]
            self.done[it.path] = it.digest
        self.n += len(items)
        keys = [it.key for it, info in zip(items, result["items"]) if info["cacheable"]]
        if cache and keys and result["cache"] is not None:
            self.to_cache.append((result["cache"], keys))

    def add_cached(self, items: list[_Item], tables: dict[str, pa.Table]) -> None:
        self._add_rows(*_csv_rows(tables, self.columns))
        n_error = pc.sum(pc.equal(tables["reports"].column("status"), "error")).as_py() or 0
        self.n += len(items)
        self.n_ok += len(items) - n_error
        self.n_error += n_error
        self.done.update((it.path, it.digest) for it in items)


@dataclass
class _Stats:
    n_ok: int = 0
    n_error: int = 0
    n_cached: int = 0
    n_computed: int = 0
    bytes: int = 0
    worker_maxrss_kib: int = 0
    corpus_step_errors: int = 0
    main_maxrss_per_report_kib: int = 0
    main_maxrss_after_kib: dict[str, int] = field(default_factory=dict)  # corpus step -> peak so far
    seconds: dict[str, float] = field(default_factory=dict)

    def add_time(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds


_HASH_THREADS, _HASH_CHUNK = 8, 256


def _hashed_items(paths: list[str]) -> list[_Item]:
    """The batch items of ``paths``: content digest, size and cache key (an unreadable file is an item
    too, so that it gets its error record)."""
    items = []
    for p in paths:
        try:
            digest, size = file_digest(p)
        except OSError as exc:
            digest, size = f"unreadable:{type(exc).__name__}", 0
        items.append(_Item(p, digest, size, cache_key(digest, p)))
    return items


def _timed_hashed_items(paths: list[str]) -> tuple[list[_Item], float]:
    return _hashed_items(paths), time.perf_counter()


def _inputs_digest(items: list[_Item]) -> str:
    h = hashlib.sha1()
    for it in items:
        h.update(f"{it.path}\0{it.digest}\n".encode())
    return h.hexdigest()


class _Journal:
    """``OUT/.gdtools-journal.jsonl``: a header, one line per flushed chunk, a completion line."""

    def __init__(self, out: Path, header: dict):
        self.path = out / JOURNAL
        self.header = header
        self.done: dict[str, str] = {}
        self.offsets: dict[str, int] | None = None
        self.complete: dict | None = None
        self.n_ok = self.n_error = 0
        self.valid_bytes = 0
        self._read()

    def _read(self) -> None:
        if not self.path.exists():
            return
        lines = []
        with open(self.path, "rb") as fh:
            for raw in fh:
                try:
                    lines.append(json.loads(raw))
                except ValueError:
                    break  # a line torn by a crash: everything before it was flushed first, so it stands
                self.valid_bytes += len(raw)
        if not lines or lines[0] != {"header": self.header}:
            return
        for line in lines[1:]:
            if "chunk" in line:
                self.done.update(line["chunk"])
                self.offsets = line["offsets"]
                self.n_ok += line["n_ok"]
                self.n_error += line["n_error"]
            elif "complete" in line:
                self.complete = line["complete"]

    def trim(self) -> None:
        """Drop a torn last line so that new lines follow the last good one."""
        with open(self.path, "r+b") as fh:
            fh.truncate(self.valid_bytes)

    def start(self) -> None:
        self.done, self.offsets, self.complete = {}, None, None
        self.n_ok = self.n_error = 0
        self.path.write_text(json.dumps({"header": self.header}) + "\n", encoding="utf-8")

    def append(self, record: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


class _Batch:
    def __init__(self, paths, out, stages, fmt, jobs, html, progress, cache_dir, executor,
                 chunk_size, batch_size, corpus_group_size=500):
        unknown = [s for s in stages if s not in STAGES]
        if unknown:
            raise GdtoolsError(f"unknown stage(s) {unknown}; known: {', '.join(STAGES)}")
        if fmt not in FORMATS:
            raise GdtoolsError(f"unknown table format {fmt!r}; use one of {', '.join(FORMATS)}")
        # every run reads the report (inspect) and the stages a stage needs; order is fixed
        wanted = {"inspect", *stages, *(n for s in stages for n in STAGES[s].needs)}
        self.stages = tuple(s for s in PROCESS_STAGES if s in wanted)
        self.paths = paths
        self.out = Path(out)
        self.fmt = fmt
        self.jobs = jobs or os.cpu_count() or 1
        self.html = html
        self.progress = progress
        self.cache_dir = cache_dir
        self.executor = executor
        self.chunk_size = chunk_size
        self.batch_size = batch_size
        self.corpus_group_size = corpus_group_size
        self.columns = _kind_columns(self.stages)
        self.stats = _Stats()

    # -- helpers
    def _part(self, kind: str) -> Path:
        return self.out / f".{kind}.csv.part"

    def _side_part(self, kind: str) -> Path:
        return self.out / f".{kind}-side.part"

    def _sides(self) -> list[str]:
        """The kinds with a side part (see :func:`_side_record`)."""
        return [k for k in SIDE_KINDS if k in self.columns]

    def _final(self, kind: str) -> Path:
        return self.out / (f"tables.{self.fmt}" if kind == "tables" else f"{kind}.csv")

    def _corpus_outputs(self) -> list[Path]:
        outs = [self._final(k) for k in self.columns]
        if "validate" in self.stages:
            outs.append(self.out / "summary.csv")
        if "narrative" in self.stages:
            outs += [self.out / "repeats.csv", self.out / "keywords.csv"]
        return outs

    # -- main
    def run(self) -> dict:
        from .io import iter_report_paths

        t_start = time.perf_counter()
        _check_writable(self.out)
        t = time.perf_counter()
        paths = [str(p) for p in iter_report_paths(self.paths)]
        if not paths:
            raise GdtoolsError(f"no report files found in {', '.join(map(str, self.paths))}; "
                               "give files or folders holding .txt/.md/.html/.docx/.pdf reports")
        header = {"gdtools": __version__, "fingerprint": code_fingerprint(), "stages": list(self.stages),
                  "fmt": self.fmt, "html": self.html}
        journal = _Journal(self.out, header)
        resumable = False
        if journal.complete is None and journal.offsets is None:
            # nothing done here that could be up to date or resumed: the work starts with the first
            # files hashed, and the others are hashed beside it
            journal.start()
            items: list[_Item] = []
            todo: Iterable[_Item] = self._hashed(paths, items, t)
            self._pdf_inputs = any(p.lower().endswith(".pdf") for p in paths)
        else:
            items = list(self._hashed(paths, [], t))
            inputs = _inputs_digest(items)
            if (journal.complete and journal.complete.get("inputs") == inputs
                    and all(p.exists() for p in self._corpus_outputs())):
                log.info("%s is up to date with its %d inputs", self.out, len(items))
                self.stats.n_ok, self.stats.n_error = journal.complete["n_ok"], journal.complete["n_error"]
                self.stats.bytes = sum(it.size for it in items)
                return self._summary(len(items), t_start, up_to_date=True)
            current = {it.path: it.digest for it in items}
            resumable = (journal.offsets is not None and not journal.complete
                         and all(current.get(p) == d for p, d in journal.done.items())
                         and all(self._part(k).exists()
                                 and self._part(k).stat().st_size >= journal.offsets.get(k, 0) for k in self.columns)
                         and all(f"{k}-side" in journal.offsets and self._side_part(k).exists()
                                 and self._side_part(k).stat().st_size >= journal.offsets[f"{k}-side"]
                                 for k in self._sides()))
            if resumable:
                log.info("resuming: %d of %d files already done in %s", len(journal.done), len(items), self.out)
                self.stats.n_ok, self.stats.n_error = journal.n_ok, journal.n_error
                journal.trim()
                todo = [it for it in items if journal.done.get(it.path) != it.digest]
            else:
                journal.start()
                todo = items
            self._pdf_inputs = any(it.path.lower().endswith(".pdf") for it in todo)
        n_done = len(journal.done) if resumable else 0
        writers = {k: PartWriter(self._part(k), cols, journal.offsets.get(k) if resumable else None)
                   for k, cols in self.columns.items()}
        for kind in self._sides():  # the side records of its rows (see _side_record)
            writers[f"{kind}-side"] = PartWriter(self._side_part(kind), None,
                                                 journal.offsets[f"{kind}-side"] if resumable else None)
        self._own_pool = self.executor is None
        self._executor = self.executor or self._new_pool()
        try:
            try:
                self._per_report(todo, n_done, len(paths), writers, journal)
            finally:
                for w in writers.values():
                    w.close()
            self.stats.main_maxrss_per_report_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.stats.bytes = sum(it.size for it in items)
            inputs = _inputs_digest(items)
            self._finish(journal.offsets or {}, inputs)
        finally:
            if self._own_pool:
                self._executor.shutdown(wait=True, cancel_futures=True)
                children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
                self.stats.worker_maxrss_kib = max(self.stats.worker_maxrss_kib, children)
        journal.append({"complete": {"inputs": inputs, "n_ok": self.stats.n_ok, "n_error": self.stats.n_error}})
        return self._summary(len(items), t_start, up_to_date=False)

    def _hashed(self, paths: list[str], items: list[_Item], t: float):
        """The items of ``paths`` in order as they are hashed (each also appended to ``items``); the wall
        seconds from ``t`` until every file is hashed are the batch summary's ``hash``.

        The files are hashed by a few threads, chunk by chunk in order: reading a corpus the page cache
        does not hold waits on the disk, and parallel reads wait less (cold 50,000 files: 13.6 -> 6.0 s).
        """
        chunks = [paths[i:i + _HASH_CHUNK] for i in range(0, len(paths), _HASH_CHUNK)]
        pool = ThreadPoolExecutor(min(_HASH_THREADS, len(chunks)))
        try:
            done = t
            for chunk, at in pool.map(_timed_hashed_items, chunks):
                done = max(done, at)
                items += chunk
                yield from chunk
            self.stats.add_time("hash", done - t)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _summary(self, n: int, t_start: float, up_to_date: bool) -> dict:
        self.stats.add_time("total", time.perf_counter() - t_start)
        s = self.stats
        return {"n_reports": n, "n_ok": s.n_ok, "n_error": s.n_error, "n_cached": s.n_cached,
                "n_computed": s.n_computed, "bytes": s.bytes, "up_to_date": up_to_date, "out": str(self.out),
                "stages": list(self.stages), "seconds": dict(s.seconds),
                "corpus_step_errors": s.corpus_step_errors, "worker_maxrss_mib": s.worker_maxrss_kib / 1024,
                "main_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "main_maxrss_per_report_pass_mib": s.main_maxrss_per_report_kib / 1024,
                "main_maxrss_after_mib": {step: kib / 1024 for step, kib in s.main_maxrss_after_kib.items()}}

    def _per_report(self, todo: Iterable[_Item], n_done: int, n_total: int, writers, journal: _Journal) -> None:
        self._cache = Cache(self.cache_dir) if self.cache_dir is not None else None
        self._writers, self._journal = writers, journal
        self._tables_at = writers["tables"].offset() if "tables" in writers else 0  # the tables part's end
        self._bar = None
        if self.progress:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=n_total, initial=n_done, unit="report", file=sys.stderr, dynamic_ncols=True,
                             desc="gdtools")
        max_inflight = 2 * self.jobs + 2
        # big batches: the per-batch costs (a frame per kind, pickling, a result to take) are paid once per
        # batch; at least four batches per worker keep the workers evenly busy to the end, and the results
        # in flight stay about a thousand reports (main-process memory) however many workers there are
        batch_size = self.batch_size or max(1, min(64, max(16, 1024 // max_inflight), (n_total - n_done) // (self.jobs * 4)))
        self._units: deque[_Unit] = deque()
        self._chunk = _Chunk(self.columns)
        units = self._units
        try:
            pending: list[_Item] = []
            cached: list[_Item] = []
            for it in todo:
                hit = self._cache is not None and self._cache.has(it.key, self.stages)
                if hit and pending or not hit and cached or len(pending) >= batch_size \
                        or len(cached) >= self.chunk_size:
                    units.append(self._submit(pending) if pending else _Unit(cached))
                    pending, cached = [], []
                (cached if hit else pending).append(it)
                # take finished units in order; block on the oldest when the window is full
                while units and (units[0].future is None or units[0].future.done()
                                 or sum(u.future is not None for u in units) >= max_inflight):
                    self._take(units.popleft())
            if pending or cached:
                units.append(self._submit(pending) if pending else _Unit(cached))
            while units:
                self._take(units.popleft())
            if self._chunk.n:
                self._flush()
        finally:
            if self._bar is not None:
                self._bar.set_postfix(ok=self.stats.n_ok, errors=self.stats.n_error, cached=self.stats.n_cached)
                self._bar.close()

    def _new_pool(self) -> Executor:
        if self.jobs == 1:
            return SerialExecutor()
        # the stages' modules imported once here, before the workers start: forked workers share them
        # (each would import them itself otherwise); the main process imports validate and narrative anyway.
        # Names are imported, not modules (`from . import validate` would bind the package's lazy public
        # function `gdtools.validate` over the module attribute)
        from .statements import statement_columns  # noqa: F401
        from .tables import table_columns  # noqa: F401
        from .validate import validate_report_columns  # noqa: F401

        if self._pdf_inputs:  # the PDF reader's libraries take ~0.25 s CPU to import
            from .io import pdf  # noqa: F401
        pool = ProcessPoolExecutor(max_workers=self.jobs)
        pool.submit(int)  # the workers are forked now, before the hashing threads of a first run start
        return pool

    def _submit(self, items: list[_Item]) -> _Unit:
        future = self._executor.submit(_run_batch_of_paths, [(i.path, i.key) for i in items], self.stages,
                                       self._cache is not None)
        return _Unit(items, future, self._executor)

    def _isolate(self, unit: _Unit) -> list[tuple[list[_Item], dict]]:
        """After a worker died: re-run the batch's files one at a time to find the one that kills it."""
        if unit.executor is self._executor:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new_pool()
        results = []
        for it in unit.items:
            try:
                result = self._submit([it]).future.result()
            except BrokenExecutor as exc:
                result = _failed_batch([it], _died(exc), self.stages)
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_pool()
            results.append(([it], result))
        return results

    def _take(self, unit: _Unit) -> None:
        chunk = self._chunk
        if unit.future is None:
            t = time.perf_counter()
            tables = self._cache.get_many([(it.key, it.path) for it in unit.items], self.columns)
            chunk.add_cached(unit.items, tables)
            self.stats.n_cached += len(unit.items)
            self.stats.add_time("cache_read", time.perf_counter() - t)
        else:
            try:
                results = [(unit.items, unit.future.result())]
            except BrokenExecutor as exc:
                if self._own_pool:
                    results = self._isolate(unit)
                else:
                    results = [(unit.items, _failed_batch(unit.items, _died(exc), self.stages))]
            except Exception as exc:  # e.g. a remote worker lost: error rows, not a crash
                results = [(unit.items, _failed_batch(unit.items, exc, self.stages))]
            for items, result in results:
                self.stats.worker_maxrss_kib = max(self.stats.worker_maxrss_kib, result["maxrss_kib"])
                chunk.add_batch(items, result, cache=self._cache is not None)
                for info in result["items"]:
                    for name, seconds in info["timings"].items():
                        self.stats.add_time(f"stage_{name}", seconds)
            self.stats.n_computed += len(unit.items)
        if self._bar is not None:
            self._bar.update(len(unit.items))
            self._bar.set_postfix(ok=self.stats.n_ok + chunk.n_ok, errors=self.stats.n_error + chunk.n_error,
                                  cached=self.stats.n_cached, refresh=False)
        if chunk.n >= self.chunk_size:
            self._flush()

    def _flush(self) -> None:
        chunk = self._chunk
        t = time.perf_counter()
        offsets = {}
        for kind, writer in self._writers.items():
            if writer.columns is None:  # a side part: each record after its length and where its rows start
                of = kind.removesuffix("-side")
                base = self._tables_at if of == "tables" else 0
                writer.append(b"".join(_SIDE_HEAD.pack(len(record), base + at) + record
                                       for record, at in chunk.side[of]))
            elif chunk.csv[kind]:
                writer.append(b"".join(chunk.csv[kind]))
            offsets[kind] = writer.offset()
        self._tables_at += chunk.tables_bytes
        self.stats.add_time("write", time.perf_counter() - t)
        if chunk.to_cache:
            t = time.perf_counter()
            self._cache.put_encoded(chunk.to_cache, self.stages)
            self.stats.add_time("cache_write", time.perf_counter() - t)
        self.stats.n_ok += chunk.n_ok
        self.stats.n_error += chunk.n_error
        self._journal.append({"chunk": chunk.done, "offsets": offsets, "n_ok": chunk.n_ok,
                              "n_error": chunk.n_error})
        self._journal.offsets = offsets
        self._chunk = _Chunk(self.columns)

    # -- corpus-level steps, from the written frames
    def _finish(self, offsets: dict[str, int], inputs: str) -> None:
        """Corpus-level steps from the written frames, then the outputs appear.

        Results stream to files (memory holds one agency group at a time) and are cached,
        as files, under the digest of all inputs: re-analysing an unchanged corpus (a
        notebook run into a fresh folder) skips these steps as well. The steps read the
        tables from the side part (:func:`_side_record`), never by parsing the tables CSV.
        """
        t = time.perf_counter()
        reports = read_frame_part(self._part("reports"))
        key = hashlib.sha1(f"{inputs}\0{','.join(self.stages)}".encode()).hexdigest()
        hit = self._cache.corpus_files(key) if self._cache is not None else None
        made: dict[str, Path] = {}
        peak = self.stats.main_maxrss_after_kib
        step = time.perf_counter()

        def done(name: str) -> None:  # each step's peak memory and wall seconds go into the batch summary
            nonlocal step
            peak[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.stats.add_time(f"corpus_{name}", time.perf_counter() - step)
            step = time.perf_counter()

        spill = self.out / ".narrative-spill"
        shutil.rmtree(spill, ignore_errors=True)
        narrative = None
        tables = _RefinedTables(self._part("tables"), self.out / ".tables.csv.patched")
        try:
            # the narrative steps read only the statements: their tasks start first and are topped up
            # (``poll``) whenever the main process is about to work alone or wait, so the workers go on with
            # them then instead of idling; what is left is finished after the other steps
            narrative = self._start_narrative(reports, spill) if "narrative" in self.stages and hit is None else None
            poll = narrative.poll if narrative is not None else None
            if "tables" in self.stages:
                side = _SideIndex(self._side_part("tables"))
                tables.changed(side, self._refine_tables(reports, side, poll))
                done("refine_tables")
            if "validate" in self.stages:
                made |= self._finish_validate(reports, offsets, hit, poll, side, tables)
                done("validate")
            if "narrative" in self.stages:
                made |= self._finish_narrative(hit, narrative)
                done("narrative")
            tables.write()  # unless the cross-year step wrote them while its tasks ran
        finally:
            if narrative is not None:  # closed already unless a step failed
                narrative.close()
            shutil.rmtree(spill, ignore_errors=True)
        if hit is None and self._cache is not None and made:
            self._cache.put_corpus_files(key, made)
        self.out.joinpath(".cross_year.csv.part").unlink(missing_ok=True)
        if "tables" in self.stages:
            if self.fmt != "csv":
                _convert_tables(tables.path, self._final("tables"), self.fmt)
            else:
                os.replace(tables.path, self._final("tables"))
            for path in (self._part("tables"), tables.patched):
                path.unlink(missing_ok=True)
        for kind in self._sides():
            self._side_part(kind).unlink(missing_ok=True)
        for kind in self.columns:
            if self._part(kind).exists():
                os.replace(self._part(kind), self._final(kind))
        self.stats.add_time("corpus_steps", time.perf_counter() - t)

    def _finish_validate(self, reports: pd.DataFrame, offsets: dict[str, int], hit: Path | None,
                         poll: Callable | None, side: _SideIndex, tables: _RefinedTables) -> dict:
        cross = self.out / ".cross_year.csv.part"
        if hit is not None:
            shutil.copyfile(hit / "cross_year.csv", cross)
        else:
            writer = PartWriter(cross, FINDING_COLUMNS)
            try:
                for frame in self._cross_year_findings(reports, side, tables, poll):
                    writer.append(frame)
            finally:
                writer.close()
        part = self._part("findings")
        # the part may hold corpus findings from an interrupted finish: cut back to the journal
        with open(part, "r+b") as out, open(cross, "rb") as src:
            out.truncate(offsets.get("findings", out.seek(0, os.SEEK_END)))
            out.seek(0, os.SEEK_END)
            src.readline()  # header
            shutil.copyfileobj(src, out)
        summary = self.out / "summary.csv"
        if hit is not None:
            with atomic_path(summary) as tmp:
                shutil.copyfile(hit / "summary.csv", tmp)
        else:
            if poll is not None:
                poll()
            # the summary counts findings by severity and uncertain cells per report (every report is in
            # `reports`), so only those columns and rows are read back: the messages stay on disk
            # plain text columns: the summary looks up counts per report, which categoricals make slow
            # streamed block by block (a national findings file has millions of rows): only counts are kept
            reader = _open_csv(part, ["report_id", "source", "severity"])
            findings = (_to_pandas(pa.Table.from_batches([batch]), categorical=False) for batch in reader)
            uncertain = _to_pandas(side.uncertain(tables.updates), categorical=False)
            write_frame(_summary(findings, uncertain, reports), summary)
        if self.html:
            from .healthcheck import write_health_pages

            write_health_pages(read_frame_part(part), read_frame(summary), reports, self.out / "health")
        return {"cross_year.csv": cross, "summary.csv": summary}

    def _start_narrative(self, reports: pd.DataFrame, spill: Path) -> _Narrative:
        """Submit the first repeats and keyword-count tasks, which read the section-五 statements from
        the statements side part: by agency group (repeats) and by chunks of reports in order of first
        appearance (keywords). Memory holds one group of statements at a time, in a worker."""
        known = reports[reports["year"].notna() & reports["agency"].notna()]
        groups = _agency_groups(known, self.corpus_group_size)
        side = _SideIndex(self._side_part("statements"))
        order = list(dict.fromkeys(rid for rid, *_ in side.runs if rid is not None))
        size = self.corpus_group_size
        chunks = side.slices([order[i:i + size] for i in range(0, len(order), size)])
        spill.mkdir(parents=True, exist_ok=True)
        # one stream of tasks, the repeats' then the keyword counts': the workers go on to the
        # counts while the last repeats come back
        from .narrative import REPEAT_COLUMNS

        repeats = partial(_csv_of, _repeats_task, REPEAT_COLUMNS)
        tasks = chain(((repeats, side.path, picks, STATEMENT_COLUMNS, None, None, False, g)
                       for picks, g in zip(side.slices([g["report_id"] for g in groups]), groups)),
                      ((partial(_keyword_counts_to, spill / f"keywords-{i:05d}.counts"), side.path, picks,
                        ["report_id", "text"], None, None, False, _NO_AGENCY) for i, picks in enumerate(chunks)))
        narrative = _Narrative(_Stream(self, _on_side, tasks, "repeats and keywords"), spill)
        narrative.poll()
        return narrative

    def _finish_narrative(self, hit: Path | None, narrative: _Narrative | None) -> dict:
        """Repeats and keywords of section 五 (problems and measures), the part these analyses are about."""
        outputs = {"repeats.csv": self.out / "repeats.csv", "keywords.csv": self.out / "keywords.csv"}
        if hit is not None:
            for name, path in outputs.items():
                with atomic_path(path) as tmp:
                    shutil.copyfile(hit / name, tmp)
            return outputs
        narrative.finish()
        os.replace(narrative.repeats_file, outputs["repeats.csv"])
        self._keywords(narrative, outputs["keywords.csv"])
        return outputs

    def _keywords(self, narrative: _Narrative, out: Path) -> None:
        """keywords.csv as :func:`gdtools.narrative.keywords` (tf-idf, one document per report) gives it
        for all section-五 statements, with bounded memory.

        The document frequencies need every report before any report can be scored: the
        reports' word counts are made in the workers (from the statements spilled in chunks
        of reports, in order of first appearance, the order ``keywords`` uses), each chunk's
        kept in a file there and its document frequencies counted into ``narrative.doc_freq``;
        then the workers score the chunks with the IDF of every word (one file). Memory holds
        the vocabulary, not the statements, the tokens or the counts.
        """
        from .narrative import KEYWORD_COLUMNS

        # the smoothed IDF of each word, once (the same float for every document that has the word)
        n_docs = narrative.n_docs
        idf = {word: math.log((1 + n_docs) / (1 + df)) + 1 for word, df in narrative.doc_freq.items()}
        idf_file = narrative.repeats_file.with_name("idf.pickle")
        with open(idf_file, "wb") as fh:
            pickle.dump(idf, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tasks = ((f, idf_file, _NO_AGENCY) for f in narrative.count_files)
        with atomic_path(out) as tmp:
            writer = PartWriter(tmp, KEYWORD_COLUMNS)
            try:
                for rows in self._map(_keyword_scores_task, tasks, "keyword scores"):
                    writer.append(rows)
            finally:
                writer.close()

    def _refine_tables(self, reports: pd.DataFrame, side: _SideIndex, poll: Callable | None) -> pd.DataFrame | None:
        """Narrow uncertain table 二 cells with the same agency's adjacent years (:func:`gdtools.refine_tables`).

        Agency groups run through the executor with bounded memory, each reading its table 二
        rows from the side part; returns the cells changed (key and new values), or None.
        """
        from .agency import normalize_agency

        ok = reports[(reports["status"] == "ok") & reports["year"].notna() & reports["agency"].notna()]
        # only an agency with an uncertain cell (n_uncertain, counted per report) can have one narrowed
        agency = ok["agency"].map(normalize_agency)
        ok = ok[agency.isin(set(agency[ok["n_uncertain"].fillna(0) > 0]))]
        groups = _agency_groups(ok, self.corpus_group_size)
        if not groups:
            return None
        if poll is not None:
            poll()
        # refine_tables reads and narrows table 二 cells only
        slices = side.slices([g["report_id"] for g in groups])
        tasks = ((_refine_task, side.path, s, _REFINE_READS, "table2", None, True, g) for s, g in zip(slices, groups))
        changed = list(self._map(_on_side, tasks, "cross-year table refinement", poll))
        return pd.concat(changed, ignore_index=True) if changed else None

    def _cross_year_findings(self, reports: pd.DataFrame, side: _SideIndex, tables: _RefinedTables,
                             poll: Callable | None):
        """Cross-year findings, agency group by agency group, in parallel and with bounded memory.

        Only reports with a same-agency neighbour year need their tables in memory, and only
        the columns the rules read, as refined (the side part's rows with the changed cells'
        values). The refined tables part is written while the first tasks run.
        """
        ok = reports[(reports["status"] == "ok") & reports["year"].notna() & reports["agency"].notna()]
        groups = _agency_groups(ok, self.corpus_group_size)
        if not groups:
            return
        slices = side.slices([g["report_id"] for g in groups])
        # plain text columns: the rules read each report's cells as lists, which categoricals make slow
        task = partial(_csv_of, _cross_year_task, FINDING_COLUMNS)
        tasks = ((task, side.path, s, CROSS_YEAR_TABLE_COLUMNS, None, tables.updates_of(g["report_id"]),
                  False, g) for s, g in zip(slices, groups))

        def write_then_poll():  # the main process writes the tables while the workers run the first tasks
            tables.write()
            if poll is not None:
                poll()

        yield from self._map(_on_side, tasks, "cross-year validation", write_then_poll)
    def _map(self, fn: Callable, args, what: str, poll: Callable | None = None):
        """``fn(*a)`` for each ``a`` through the executor, results in order, a bounded number in flight
        (see :class:`_Stream`); ``poll()`` before each wait."""
        return _Stream(self, fn, args, what).results(poll)


class _Stream:
    """``fn(*a)`` for each ``a`` through the batch's executor, results in order, ``2·jobs+1`` in flight.

    A failing task is logged with the agencies of its group (``a[-1]``) and skipped, so one bad
    group does not cost the whole corpus its outputs; the count is in the batch summary.
    """

    def __init__(self, batch: _Batch, fn: Callable, args, what: str):
        self.batch, self.fn, self.args, self.what = batch, fn, iter(args), what
        self.window: deque[tuple[Future, pd.DataFrame]] = deque()

    def _fill(self) -> None:
        while len(self.window) <= 2 * self.batch.jobs:
            a = next(self.args, None)
            if a is None:
                return
            self.window.append((self.batch._executor.submit(self.fn, *a), a[-1]))

    def _take(self):
        future, group = self.window.popleft()
        try:
            found = future.result()
        except Exception as exc:  # reported, counted, and the other groups go on
            agencies = ", ".join(sorted(map(str, group["agency"].unique()))[:5])
            log.error("%s failed for agencies %s…: %s: %s", self.what, agencies, type(exc).__name__, exc)
            self.batch.stats.corpus_step_errors += 1
            return None
        return found if found is not None and len(found) else None

    def ready(self):
        """The results done already at the head, in order, without waiting; the window refilled."""
        self._fill()
        while self.window and self.window[0][0].done():
            found = self._take()
            self._fill()
            if found is not None:
                yield found

    def results(self, poll: Callable | None = None):
        """All the results in order, ``poll()`` called before each wait."""
        while True:
            self._fill()
            if not self.window:
                return
            if poll is not None and not self.window[0][0].done():
                poll()
            found = self._take()
            if found is not None:
                yield found


class _Narrative:
    """The repeats and keyword-count results of section 五 as they come back: repeats rows appended
    to ``repeats_file``, each chunk's document frequencies counted and its counts file noted."""

    def __init__(self, stream: _Stream, spill: Path):
        from .narrative import REPEAT_COLUMNS

        self.stream = stream
        self.repeats_file = spill / "repeats.csv"
        self.writer = PartWriter(self.repeats_file, REPEAT_COLUMNS)
        self.doc_freq: Counter[str] = Counter()
        self.n_docs = 0
        self.count_files: list[Path] = []  # each chunk's word counts (see _keyword_counts_to), in order

    def _add(self, found) -> None:
        if isinstance(found, bytes):  # repeats rows
            self.writer.append(found)
            return
        doc_freq, n_docs, counts_file = found
        self.doc_freq.update(doc_freq)
        self.n_docs += n_docs
        self.count_files.append(counts_file)

    def poll(self) -> None:
        """Take the results done already and submit more tasks (never waits)."""
        for found in self.stream.ready():
            self._add(found)

    def finish(self) -> None:
        """Wait for the rest; the files are complete and closed after."""
        try:
            for found in self.stream.results():
                self._add(found)
        finally:
            self.close()

    def close(self) -> None:
        self.writer.close()


def _summary(findings: pd.DataFrame | Iterable[pd.DataFrame], uncertain: pd.DataFrame,
             reports: pd.DataFrame) -> pd.DataFrame:
    """``gdtools.validate.summarize_findings(findings, tables=uncertain, reports=reports)``, the same
    frame, with the counts per report gathered in dicts (its per-report frame lookups cost ~0.5 ms a report).

    ``findings`` holds ``report_id``, ``source``, ``severity`` (one frame, or consecutive chunks of it,
    so that memory holds counts rather than every finding); ``uncertain`` the ``report_id``, ``source``,
    ``status`` of table cells; ``reports`` the reports frame.
    """
    from .validate import UNCERTAIN, _summary_frame

    order: dict[str, dict] = {}
    if not reports.empty:
        wanted = ("report_id", "source", "agency", "year", "template", "status")
        for rec in reports[[c for c in wanted if c in reports.columns]].to_dict("records"):
            order.setdefault(str(rec["report_id"]),
                             {k: rec.get(k) for k in ("source", "agency", "year", "template", "status")})
    counts: Counter[tuple[str, str]] = Counter()
    chunks = [findings] if isinstance(findings, pd.DataFrame) else findings
    for i, frame in enumerate(chain([uncertain], chunks)):
        if frame.empty:
            continue
        firsts = frame[["report_id", "source"]].drop_duplicates("report_id")
        for rid, src in zip(firsts["report_id"].astype(str), firsts["source"]):
            order.setdefault(rid, {"source": src})
        if i:  # a findings chunk: what a crosstab of report and severity counts (NA in either left out)
            rids, severities = frame["report_id"].astype(str), frame["severity"]
            known = (rids.notna() & severities.notna()).to_numpy()
            counts.update(zip(rids[known].tolist(), severities[known].tolist()))
    cells: Counter[str] = Counter()
    if not uncertain.empty:
        rids = uncertain["report_id"].astype(str)
        cells.update(rids[((uncertain["status"] == UNCERTAIN).fillna(False) & rids.notna()).to_numpy()].tolist())
    return _summary_frame(order, lambda rid, sev: counts[(rid, sev)], cells.__getitem__)


# Columns of the tables frame the cross-year rules read (the bulky raw text and labels stay on disk).
CROSS_YEAR_TABLE_COLUMNS = ["report_id", "source", "template", "table", "row_code", "col_code", "value", "status",
                            "candidates"]
# What the corpus steps read of the tables (cross-year rules, table 二 refinement, the summary's uncertain
# cells), kept beside the tables part (see _side_record)
SIDE_COLUMNS = [*CROSS_YEAR_TABLE_COLUMNS, "raw"]
# The kinds with a side part: their columns there, and which of them are dictionary-encoded
SIDE_KINDS = {"tables": (SIDE_COLUMNS, {"report_id", "source", "template", "table", "row_code", "col_code", "status"}),
              "statements": (STATEMENT_COLUMNS, {"report_id", "source", "section", "kind"})}


def _agency_groups(reports: pd.DataFrame, max_reports: int) -> list[pd.DataFrame]:
    """Reports with a report of the same agency one year before or after, in groups of whole agencies.

    Cross-year rules and repeated statements only ever compare an agency with itself
    (agencies keyed by :func:`gdtools.agency.normalize_agency`, as those steps do), so
    groups of about ``max_reports`` reports can be checked independently.
    """
    from .agency import normalize_agency

    if reports.empty:
        return []
    frame = reports.assign(_agency=reports["agency"].map(normalize_agency),
                           _year=pd.to_numeric(reports["year"], errors="coerce"))
    frame = frame[frame["_agency"].ne("") & frame["_year"].notna()]
    pairs = list(zip(frame["_agency"].tolist(), frame["_year"].astype(int).tolist()))
    years = set(pairs)
    frame = frame[[(a, y - 1) in years or (a, y + 1) in years for a, y in pairs]]
    if frame.empty:
        return []
    # agencies in sorted order, each agency's reports in their order; a group ends with the agency that fills it
    frame = frame.sort_values("_agency", kind="stable")
    agencies = frame["_agency"].to_numpy(dtype=object)
    ends = np.append(np.flatnonzero(agencies[1:] != agencies[:-1]) + 1, len(agencies))  # where each agency ends
    frame = frame.drop(columns=["_agency", "_year"])
    groups, start = [], 0
    for end in ends:
        if end - start >= max_reports or end == len(agencies):
            groups.append(frame.iloc[start:end].reset_index(drop=True))
            start = end
    return groups


def _partition(frame: pd.DataFrame, groups: list[pd.DataFrame]):
    """The rows of ``frame`` belonging to each group's reports (by ``report_id``), group by group."""
    rows_of = frame.groupby(frame["report_id"].astype(str), sort=False, observed=True).indices
    for group in groups:
        picks = [rows_of[r] for r in group["report_id"].astype(str).unique() if r in rows_of]
        yield frame.iloc[np.concatenate(picks)] if picks else frame.iloc[:0]


def _cross_year_task(tables: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    from .validate import validate_corpus

    return normalize_frame(validate_corpus(tables, reports), FINDING_COLUMNS)


_CELL_KEY = ["report_id", "table", "row_code", "col_code"]
_REFINED = ["value", "status", "candidates", "raw"]
# The columns refine_tables reads (the labels, unit and source stay on disk; a column it came to need
# would fail the groups loudly, as a KeyError, not change them silently)
_REFINE_READS = _CELL_KEY + _REFINED


def _refine_task(tables: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    """The cells of one agency group that cross-year evidence changed (key and new values)."""
    from .agency import normalize_agency
    from .tables import refine_tables

    # Only a row holding an uncertain cell can be narrowed, and only by the same agency's rows: the
    # agencies with no uncertain cell change nothing and are left out (their rows cost the most time).
    agencies = [(rid, normalize_agency(a) if isinstance(a, str) else "")
                for rid, a in zip(reports["report_id"].astype(str), reports["agency"])]
    uncertain = set(tables.loc[tables["status"] == "uncertain", "report_id"].astype(str))
    unsure = {a for rid, a in agencies if rid in uncertain}
    if not unsure:
        return tables.iloc[:0]
    ids = {rid for rid, a in agencies if a in unsure}
    tables = tables[tables["report_id"].astype(str).isin(ids)]
    tables = tables.astype({c: object for c in tables.columns if c != "value"}).reset_index(drop=True)
    refined = refine_tables(tables, reports).reset_index(drop=True)
    differs = pd.Series(False, index=tables.index)
    for col in _REFINED:
        before, after = tables[col], refined[col]
        differs |= ~((before == after) | (before.isna() & after.isna()))
    return refined.loc[differs, _CELL_KEY + _REFINED]


def _patched_record(record: bytes, key_at: list[int], refined_at: list[int], updates: dict) -> bytes:
    """``record`` (a CSV record) with its cell's refined fields when ``updates`` has its key."""
    fields = next(csv.reader(io.StringIO(record.decode("utf-8"), newline="")))
    new = updates.get(tuple(fields[i] for i in key_at))
    if new is None:
        return record
    for i, value in zip(refined_at, new):
        fields[i] = value
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerow(fields)
    return out.getvalue().encode("utf-8")


def _repeats_task(statements: pd.DataFrame, reports: pd.DataFrame) -> pd.DataFrame:
    from .narrative import REPEAT_COLUMNS, repeats

    return normalize_frame(repeats(statements, reports), REPEAT_COLUMNS)


def _csv_of(fn: Callable, columns: list[str], rows: pd.DataFrame, group: pd.DataFrame) -> bytes:
    """The rows of ``fn(rows, group)`` (a normalized frame) as a part writer of ``columns`` writes them:
    made where the task runs, so that the main process only appends bytes."""
    found = fn(rows, group)
    return to_csv_bytes(found.reindex(columns=columns), header=False) if len(found) else b""


_UNCERTAIN_COLUMNS = ["report_id", "source", "status"]  # what the summary reads of the uncertain cells


def _keyword_counts_task(statements: pd.DataFrame, _reports: pd.DataFrame) -> list[tuple[str, Counter]]:
    """Content-word counts of each report's section-五 text (statements joined by newlines, as
    :func:`gdtools.narrative.keywords` joins them), reports in order of first appearance."""
    docs: dict[str, list[str]] = {}
    for rid, text in zip(statements["report_id"], statements["text"]):
        if isinstance(text, str) and isinstance(rid, str):
            docs.setdefault(rid, []).append(text)
    segmenter = _default_segmenter()
    return [(rid, Counter(segmenter.tokens("\n".join(texts), content=True))) for rid, texts in docs.items()]


_NO_AGENCY = pd.DataFrame({"agency": ["?"]})  # a keyword chunk's "group", named when its task fails


def _keyword_counts_to(path: Path, statements: pd.DataFrame, reports: pd.DataFrame) -> tuple[Counter, int, Path]:
    """:func:`_keyword_counts_task` of a chunk of reports, its ``(report_id, word counts)`` pickled to
    ``path``; returns the chunk's document frequencies, its number of documents and ``path``."""
    pairs = _keyword_counts_task(statements, reports)
    with open(path, "wb") as fh:
        pickle.dump(pairs, fh, protocol=pickle.HIGHEST_PROTOCOL)
    doc_freq: Counter[str] = Counter()
    for _, counts in pairs:
        doc_freq.update(counts.keys())
    return doc_freq, len(pairs), path


def _keyword_scores_task(counts_file: Path, idf_file: Path, _group: pd.DataFrame) -> bytes:
    """The keywords rows of one chunk's reports (see :meth:`_Batch._keywords`) as the part writer writes them."""
    from .narrative import KEYWORD_COLUMNS

    with open(idf_file, "rb") as fh:
        idf = pickle.load(fh)
    with open(counts_file, "rb") as fh:
        pairs = pickle.load(fh)
    rows = [row for rid, counts in pairs for row in _tfidf_top(rid, counts, idf)]
    found = normalize_frame(pd.DataFrame(rows, columns=KEYWORD_COLUMNS), KEYWORD_COLUMNS)
    return to_csv_bytes(found, header=False) if len(found) else b""


@cache
def _default_segmenter():
    """One default :class:`gdtools.segment.Segmenter` per process: building its dictionary takes
    about 0.1 s, more than segmenting a few hundred reports' section 五 (it never changes once built)."""
    from .segment import Segmenter

    return Segmenter()


def _tfidf_top(rid: str, counts: Counter, idf: dict[str, float], top: int = 10) -> list[dict]:
    """The rows :func:`gdtools.narrative.keywords` (method tfidf, defaults) gives one document:
    term frequency × ``idf`` (``log((1+N)/(1+df))+1`` by word), best ``top`` first, ties alphabetical, 6 decimals."""
    total = sum(counts.values())
    # (−score, word) pairs: the smallest are the best, ties alphabetical (as sorted(...)[:top]), no key function
    ranked = heapq.nsmallest(top, [(-(c / total * idf[w]), w) for w, c in counts.items()])
    return [{"group": rid, "method": "tfidf", "rank": r, "keyword": w, "score": round(-s, 6)}
            for r, (s, w) in enumerate(ranked, 1)]


def _open_csv(path: Path, columns: list[str]):
    """A streaming Arrow reader of ``columns`` of an output CSV ("" is NA, never 0)."""
    from pyarrow import csv as pacsv

    header = pd.read_csv(path, nrows=0).columns
    columns = [c for c in columns if c in header]
    types = {c: (pa.float64() if c in FLOAT_COLUMNS else pa.string()) for c in columns}
    return pacsv.open_csv(
        path, read_options=pacsv.ReadOptions(block_size=4 << 20, use_threads=False),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(include_columns=columns, column_types=types, strings_can_be_null=True))


def _to_pandas(table: pa.Table, categorical: bool) -> pd.DataFrame:
    frame = table.to_pandas(strings_to_categorical=categorical)
    for col in frame.columns:
        if col in INT_COLUMNS:
            frame[col] = pd.to_numeric(frame[col].astype(object), errors="coerce").astype("Int64")
    return frame


def read_frame_part(path: Path, usecols: list[str] | None = None) -> pd.DataFrame:
    """A ``.csv.part`` file read back with the output dtypes."""
    return read_frame(path, usecols=usecols, fmt="csv")


def _convert_tables(part: Path, final: Path, fmt: str) -> None:
    frame = read_frame_part(part)
    write_frame(frame, final, fmt)


# ---------------------------------------------------------------- the side part: the tables as the corpus steps read them

_SIDE_HEAD = struct.Struct("<QQ")  # a side record's length, and where its rows start in the tables part
_CSV_LEN = "_csv_len"


def _ipc_table(data) -> pa.Table:
    return pa.ipc.open_stream(data).read_all()


class _SideIndex:
    """Where the rows of a side part are, from one pass over it: runs of consecutive rows of one
    ``report_id`` in the order of the part (each with its side record, its rows there and, for the
    tables, its bytes in the tables part); and the uncertain table cells (for the summary)."""

    def __init__(self, path: Path):
        self.path = path
        self.records: list[tuple[int, int]] = []  # where each IPC stream starts in the side part, its length
        # report_id, record, first and last+1 row in it, first and last+1 byte in the tables part
        self.runs: list[tuple[str | None, int, int, int, int, int]] = []
        self._uncertain: list[pa.Table] = []
        with open(path, "rb") as fh:  # read, not mapped: memory holds one record at a time
            while head := fh.read(_SIDE_HEAD.size):
                size, csv_at = _SIDE_HEAD.unpack(head)
                self.records.append((fh.tell(), size))
                table = _ipc_table(fh.read(size))
                rid = table.column("report_id").combine_chunks()
                n = len(rid)
                codes = rid.indices.fill_null(-1).to_numpy()  # a null report_id is a run of its own
                change = (codes[1:] != codes[:-1]) | (codes[1:] < 0)
                starts = np.concatenate(([0], np.flatnonzero(change) + 1))
                stops = np.append(starts[1:], n)
                lengths = table.column(_CSV_LEN).to_numpy() if _CSV_LEN in table.column_names else np.zeros(n)
                ends = csv_at + np.concatenate(([0], np.cumsum(lengths, dtype=np.int64)))
                record = len(self.records) - 1
                self.runs.extend(zip(rid.take(pa.array(starts)).to_pylist(), [record] * len(starts), starts.tolist(),
                                     stops.tolist(), ends[starts].tolist(), ends[stops].tolist()))
                if "status" not in table.column_names:
                    continue
                rows = table.filter(pc.equal(table.column("status"), "uncertain"))
                if rows.num_rows:
                    self._uncertain.append(_decoded(rows.select([*_CELL_KEY, "source", "status"])))

    def slices(self, groups: list) -> list[list[tuple[int, int, int, int]]]:
        """For each group of ``report_id`` values, the ``(offset, length, first row, last+1 row)`` of its rows'
        side records, in order (an id in two groups belongs to the first)."""
        group_of: dict[str, int] = {}
        for i, report_ids in enumerate(groups):
            for rid in _texts(report_ids):
                group_of.setdefault(rid, i)
        out: list[list[tuple[int, int, int, int]]] = [[] for _ in groups]
        for rid, record, start, stop, _, _ in self.runs:
            group = group_of.get(rid)
            if group is not None:
                at, size = self.records[record]
                picks = out[group]
                if picks and picks[-1][0] == at and picks[-1][3] == start:  # the run goes on in the same record
                    picks[-1] = (at, size, picks[-1][2], stop)
                else:
                    picks.append((at, size, start, stop))
        return out

    def uncertain(self, updates: dict) -> pa.Table:
        """``report_id``, ``source``, ``status`` of the uncertain cells once ``updates`` (see
        :class:`_RefinedTables`) are applied."""
        columns = [*_CELL_KEY, "source", "status"]
        rows = pa.concat_tables(self._uncertain) if self._uncertain else _empty_side(columns)
        # a cell the refinement made uncertain that was not (rare): its reports' rows are read
        made = {key for key, fields in updates.items() if fields[1] == "uncertain"}
        if made:
            near = rows.filter(pc.is_in(rows.column("report_id"), value_set=pa.array(sorted({k[0] for k in made}))))
            made -= set(zip(*(near.column(c).to_pylist() for c in _CELL_KEY)))
        rows = _with_updates(rows, updates)
        ids = sorted({key[0] for key in made})
        if ids:
            rows = rows.filter(pc.invert(pc.is_in(rows.column("report_id"), value_set=pa.array(ids, pa.string()))))
            with pa.OSFile(str(self.path)) as source:
                rows = pa.concat_tables([rows, _with_updates(_side_rows(source, self.slices([ids])[0], columns),
                                                             updates)]).combine_chunks()
        return rows.filter(pc.equal(rows.column("status"), "uncertain")).select(_UNCERTAIN_COLUMNS)

    def edits(self, part: Path, updates: dict[tuple, list[str]]) -> list[tuple[int, int, bytes]]:
        """``(offset, length, new record)`` of each record of the tables part that ``updates`` (cell key ->
        the refined fields as written) changes, in order: the side rows tell which records hold a changed
        cell's key, and only those are read and parsed."""
        ids = {key[0] for key in updates}
        names = pa.array(sorted({key[1] for key in updates}), pa.string())
        spans: dict[int, list[tuple[int, int, int]]] = {}  # side record -> the changed reports' runs in it
        for rid, record, start, stop, first, _ in self.runs:
            if rid in ids:
                spans.setdefault(record, []).append((start, stop, first))
        out = []
        # the side part is read, not mapped: the changed reports are spread over all of it, and its touched
        # pages would count in this process's memory (1.2 GB of them at N=100,000)
        with open(part, "rb") as src, pa.OSFile(str(self.path)) as source:
            columns = next(csv.reader([src.readline().decode("utf-8")]))
            key_at = [columns.index(c) for c in _CELL_KEY]
            refined_at = [columns.index(c) for c in _REFINED]
            for record, runs in spans.items():
                at, size = self.records[record]
                table = _ipc_table(source.read_at(size, at))
                lengths = table.column(_CSV_LEN).to_numpy().astype(np.int64)
                rows = np.concatenate([np.arange(start, stop) for start, stop, _ in runs])
                starts = np.concatenate([first + np.cumsum(lengths[start:stop]) - lengths[start:stop]
                                         for start, stop, first in runs])
                keys = table.select(_CELL_KEY).take(pa.array(rows))
                near = np.flatnonzero(pc.is_in(keys.column("table"), value_set=names).to_numpy(zero_copy_only=False))
                found = zip(*(keys.column(c).take(pa.array(near)).to_pylist() for c in _CELL_KEY))
                for i, key in zip(near.tolist(), found):
                    if key in updates:
                        offset, length = int(starts[i]), int(lengths[rows[i]])
                        record_bytes = os.pread(src.fileno(), length, offset)
                        new = _patched_record(record_bytes, key_at, refined_at, updates)
                        if new is not record_bytes:
                            out.append((offset, length, new))
        return sorted(out, key=lambda edit: edit[0])


def _texts(values) -> list[str]:
    """``str`` of each value (of a list, or of a Series, read as a list at once)."""
    return [str(v) for v in (values.tolist() if isinstance(values, pd.Series) else values)]


def _empty_side(columns: list[str]) -> pa.Table:
    return pa.table({c: pa.array([], pa.float64() if c in FLOAT_COLUMNS else pa.string()) for c in columns})


def _side_rows(source: pa.NativeFile, slices: list[tuple[int, int, int, int]], columns: list[str]) -> pa.Table:
    """``columns`` of the side rows of ``slices`` (see :meth:`_SideIndex.slices`), in order."""
    pieces, last = [], (None, None)
    for at, size, start, stop in slices:
        if last[0] != at:  # a record's runs of one group come one after the other
            last = (at, _ipc_table(source.read_at(size, at)))
        pieces.append(last[1].select(columns).slice(start, stop - start))
    return _decoded(pa.concat_tables(pieces)) if pieces else _empty_side(columns)


def _with_updates(table: pa.Table, updates: dict) -> pa.Table:
    """``table`` with the refined fields of the cells in ``updates`` (cell key -> value, status, candidates, raw
    as the CSV reader reads the rewritten record) replaced."""
    if not updates or not table.num_rows:
        return table
    ids = pa.array(sorted({key[0] for key in updates}), pa.string())
    near = np.flatnonzero(pc.is_in(table.column("report_id"), value_set=ids).to_numpy(zero_copy_only=False))
    keys = zip(*(table.column(c).take(pa.array(near)).to_pylist() for c in _CELL_KEY))
    found = [(i, updates[key]) for i, key in zip(near.tolist(), keys) if key in updates]
    if not found:
        return table
    mask = np.zeros(table.num_rows, dtype=bool)
    mask[[i for i, _ in found]] = True
    for j, name in enumerate(_REFINED):
        if name in table.column_names:
            column = table.column(name).combine_chunks()
            new = pa.array([fields[j] for _, fields in found], column.type)
            table = table.set_column(table.column_names.index(name), name,
                                     pc.replace_with_mask(column, pa.array(mask), new))
    return table


def _on_side(fn: Callable, path: Path, slices: list, columns: list[str], table: str | None, updates: dict | None,
             categorical: bool, group: pd.DataFrame):
    """``fn(rows, group)`` with the group's tables rows (``columns``, of ``table`` only unless None, with
    ``updates`` applied) read from the side part where the task runs (a worker)."""
    with pa.memory_map(str(path)) as source:
        rows = _side_rows(source, slices, columns if table is None or "table" in columns else [*columns, "table"])
        if table is not None:
            rows = rows.filter(pc.equal(rows.column("table"), table))
        rows = _with_updates(rows, updates)
        frame = _to_pandas(rows.select(columns), categorical)
    return fn(frame, group)


class _RefinedTables:
    """The tables part and the cells the refinement changed: ``updates`` holds, by cell key, their fields as
    the CSV reader reads them back from the rewritten records (what the steps reading the side part see);
    :meth:`write` writes the refined tables to ``patched`` once, after which ``path`` names them."""

    def __init__(self, part: Path, patched: Path):
        self.part, self.patched, self.path = part, patched, part
        self.updates: dict[tuple, tuple] = {}
        self._pending: tuple[_SideIndex, dict] | None = None

    def changed(self, side: _SideIndex, changed: pd.DataFrame | None) -> None:
        if changed is None or changed.empty:
            return
        # the fields as written: the value as repr of the float, other NA as an empty field
        written = {tuple(map(str, key)): ["" if pd.isna(row.value) else repr(float(row.value)),
                                          *("" if pd.isna(v) else str(v) for v in (row.status, row.candidates, row.raw))]
                   for key, row in zip(changed[_CELL_KEY].itertuples(index=False),
                                       changed[_REFINED].itertuples(index=False))}
        nulls = set(_csv_null_texts().to_pylist())
        self.updates = {key: (float(value) if value else None, *(None if t in nulls else t for t in texts))
                        for key, (value, *texts) in written.items()}
        self._pending = (side, written)

    def updates_of(self, report_ids) -> dict:
        ids = set(_texts(report_ids))
        return {key: fields for key, fields in self.updates.items() if key[0] in ids}

    def write(self) -> None:
        """The tables part with the changed records rewritten, into ``patched``: the records in between are
        copied by the kernel (``os.copy_file_range``), not read into the process."""
        if self._pending is None:
            return
        side, written = self._pending
        self._pending = None
        edits = side.edits(self.part, written)
        with open(self.part, "rb") as src, atomic_path(self.patched) as tmp, open(tmp, "wb", buffering=0) as dst:
            pos = 0
            for at, length, new in [*edits, (os.fstat(src.fileno()).st_size, 0, b"")]:
                _copy_bytes(src.fileno(), dst.fileno(), pos, at - pos)
                dst.write(new)
                pos = at + length
        self.path = self.patched


def _copy_bytes(src: int, dst: int, at: int, count: int) -> None:
    """Append ``count`` bytes of file descriptor ``src`` from offset ``at`` to ``dst``, in the kernel where it can."""
    while count > 0:
        try:
            n = os.copy_file_range(src, dst, count, at)
        except OSError:  # a file system that cannot: through the process
            n = 0
        if not n:
            data = os.pread(src, min(count, 1 << 24), at)
            if not data:
                raise GdtoolsError(f"the tables part ended {count} bytes early; run again into a new folder")
            n = os.write(dst, data)
        at += n
        count -= n


# ---------------------------------------------------------------- public API

def _check_writable(folder: Path) -> None:
    """Fail before any work when the output folder cannot be created or written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".gdtools-probe-"):
            pass
    except OSError as exc:
        raise GdtoolsError(f"cannot write the output folder ({exc.strerror or exc}); "
                           "choose another -o folder or fix its permissions", str(folder)) from exc


def run_batch(paths: Iterable, out, stages=PROCESS_STAGES, fmt: str = "csv", jobs: int | None = None,
              html: bool = False, progress: bool = True, cache_dir=None, executor: Executor | None = None,
              chunk_size: int = 256, batch_size: int | None = None) -> dict:
    """Run ``stages`` over every report under ``paths`` into folder ``out``; returns counts and timings.

    Files that cannot be read, or on which a stage fails, become rows with status
    ``error`` in ``reports.csv``; the batch goes on. ``cache_dir=None`` disables the cache.
    Re-running on the same inputs resumes an interrupted run or, when everything is done
    and up to date, returns at once.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    batch = _Batch(list(paths), out, tuple(stages), fmt, jobs, html, progress,
                   None if cache_dir is None else Path(cache_dir), executor, chunk_size, batch_size)
    return batch.run()


def process(paths, executor: Executor | None = None, *, out="gdtools-out", jobs: int | None = None,
            cache_dir=DEFAULT_CACHE_DIR, progress: bool = False, fmt: str = "csv", html: bool = False,
            stages=PROCESS_STAGES) -> dict:
    """Everything in one pass: reports, tables, findings, statements (+ summary, repeats, keywords).

    ``executor`` is any :class:`concurrent.futures.Executor` — default a process pool over
    ``jobs`` cores; a Dask ``client.get_executor()`` works unchanged. Unchanged files are
    served from ``cache_dir`` (``None`` to disable). Read the results with :func:`load_outputs`.
    """
    return run_batch(paths, out, stages=stages, fmt=fmt, jobs=jobs, html=html, progress=progress,
                     cache_dir=cache_dir, executor=executor)


OUTPUT_NAMES = ("reports", "tables", "findings", "summary", "statements", "repeats", "keywords")


def load_outputs(out_dir) -> dict[str, pd.DataFrame]:
    """The output frames found in ``out_dir`` by name (``reports``, ``tables``, ``findings`` …).

    Reads CSV, Parquet, Excel or JSON with stable dtypes: ``value`` float with NA,
    ``year`` and counts nullable Int64, text as ``string``.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise GdtoolsError(f"no such output folder {out_dir}; run `gdtools process PATHS -o {out_dir}` first")
    frames = {}
    for name in OUTPUT_NAMES:
        for fmt in ("parquet", "csv", "json", "xlsx"):
            path = out_dir / f"{name}.{fmt}"
            if path.exists():
                frames[name] = read_frame(path)
                break
    return frames
