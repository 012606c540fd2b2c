"""Per-report results cached as Parquet, keyed by file content and by the code that made them.

A key is the SHA-1 of the file's bytes plus its file name (metadata may come from the
name). Entries live under ``<cache_dir>/<fingerprint>/`` where the fingerprint hashes the
gdtools version, its source and its spec files (rules, crosswalks, lexicons): change a rule
and the old entries are simply never looked at again. Results are stored in chunks of
many reports (one Parquet file per output kind per worker batch of a chunk) so a national corpus is a few
hundred files, not a few hundred thousand; a chunk becomes visible only when its index
file is written, last and atomically, so an interrupted run never leaves a half entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections import OrderedDict
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import __version__
from .outputs import atomic_path

log = logging.getLogger("gdtools")

KEY_COLUMN = "_cache_key"
DEFAULT_CACHE_DIR = Path(".gdtools-cache")


def file_digest(path: str | os.PathLike, block: int = 1 << 20) -> tuple[str, int]:
    """SHA-1 hex digest of the file's bytes and its size."""
    h = hashlib.sha1()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def cache_key(digest: str, path: str | os.PathLike) -> str:
    """The cache key of a file: content digest plus file name."""
    name = Path(path).name.encode("utf-8")
    return hashlib.sha1(digest.encode("ascii") + b"\0" + name).hexdigest()


@cache
def code_fingerprint() -> str:
    """Hash of the gdtools version, its Python source and its spec files.

    Computed once per process; any edit to a rule, crosswalk, lexicon or module gives a
    new fingerprint and therefore a fresh cache namespace.
    """
    root = Path(__file__).resolve().parent
    h = hashlib.sha1(__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            h.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
            h.update(path.read_bytes())
    return h.hexdigest()


def encode_tables(tables: dict[str, pa.Table], keys: list[str]) -> dict[str, bytes]:
    """The rows of ``keys`` (by the ``_cache_key`` column) of each kind's table as the bytes of a
    Parquet file, what :meth:`Cache.put_encoded` stores; kinds without such rows are left out."""
    wanted = pa.array(keys, pa.string())
    out = {}
    for kind, table in tables.items():
        if table is None or not table.num_rows:
            continue
        keep = pc.is_in(table.column(KEY_COLUMN), value_set=wanted)
        if not pc.all(keep).as_py():
            table = table.filter(keep)
        if table.num_rows:
            sink = pa.BufferOutputStream()
            pq.write_table(table, sink, write_statistics=False)
            out[kind] = sink.getvalue().to_pybytes()
    return out


class Cache:
    """Chunked Parquet store of per-report rows (``reports``, ``tables``, ``findings``, ``statements``)."""

    def __init__(self, root: str | os.PathLike = DEFAULT_CACHE_DIR, fingerprint: str | None = None,
                 max_chunks_in_memory: int = 8):
        self.root = Path(root)
        self.dir = self.root / (fingerprint or code_fingerprint())[:16]
        self._index: dict[str, tuple[str, frozenset[str]]] = {}
        self._loaded: OrderedDict[tuple[str, str], tuple[pa.Table, dict]] = OrderedDict()
        self._max_loaded = max_chunks_in_memory
        self._counter = 0
        self._read_index()

    def _read_index(self) -> None:
        index_dir = self.dir / "index"
        if not index_dir.is_dir():
            return
        # chunk names sort by creation time: a later entry for the same key wins
        for path in sorted(index_dir.glob("*.json")):
            try:
                entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.warning("ignoring unreadable cache index %s (%s); delete it to silence this", path, exc)
                continue
            chunk = path.stem
            for key, stages in entries.items():
                self._index[key] = (chunk, frozenset(stages))

    def __len__(self) -> int:
        return len(self._index)

    def has(self, key: str, stages) -> bool:
        """True when ``key`` was computed with at least ``stages``."""
        entry = self._index.get(key)
        return entry is not None and set(stages) <= entry[1]

    def get_many(self, keys_and_paths: list[tuple[str, str]], kinds) -> dict[str, pa.Table]:
        """The cached rows of ``kinds`` for many keys, in order, with ``source`` set to each path,
        as ``pyarrow.Table`` by kind (without the key column).

        Call :meth:`has` first. Identical files at two paths share one entry, so ``source``
        is rewritten to the path asked for.
        """
        out: dict[str, list[pa.Table]] = {kind: [] for kind in kinds}
        run: list[tuple[str, str]] = []
        run_chunk = None
        for key, path in [*keys_and_paths, (None, None)]:
            chunk = self._index[key][0] if key is not None else None
            if run and chunk != run_chunk:
                for kind in kinds:
                    out[kind].append(self._rows(run_chunk, kind, run))
                run = []
            run_chunk = chunk
            if key is not None:
                run.append((key, path))
        result = {}
        for kind, tables in out.items():
            filled = [t for t in tables if t.num_rows]
            result[kind] = pa.concat_tables(filled, promote_options="permissive") if filled else tables[0]
        return result

    def _rows(self, chunk: str, kind: str, keys_and_paths: list[tuple[str, str]]) -> pa.Table:
        table, positions = self._chunk_kind(chunk, kind)
        empty = np.empty(0, dtype=np.int64)
        picks = [positions.get(key, empty) for key, _ in keys_and_paths]
        rows = table.take(pa.array(np.concatenate(picks), pa.int64())).drop_columns([KEY_COLUMN])
        if "source" in rows.column_names:
            sources = np.repeat(np.array([p for _, p in keys_and_paths], dtype=object), [len(p) for p in picks])
            rows = rows.set_column(rows.column_names.index("source"), "source", pa.array(sources, pa.string()))
        return rows

    def _chunk_kind(self, chunk: str, kind: str) -> tuple[pa.Table, dict[str, np.ndarray]]:
        slot = (chunk, kind)
        if slot in self._loaded:
            self._loaded.move_to_end(slot)
            return self._loaded[slot]
        paths = sorted((self.dir / "chunks" / chunk).glob(f"{kind}-*.parquet"))
        if paths:
            table = pa.concat_tables([pq.read_table(p) for p in paths], promote_options="permissive")
            codes, keys = pd.factorize(table.column(KEY_COLUMN).to_numpy(zero_copy_only=False))
            order = np.argsort(codes, kind="stable")
            positions = dict(zip(keys, np.split(order, np.cumsum(np.bincount(codes, minlength=len(keys)))[:-1])))
        else:
            table, positions = pa.table({KEY_COLUMN: pa.array([], pa.string())}), {}
        self._loaded[slot] = (table, positions)
        while len(self._loaded) > self._max_loaded:
            self._loaded.popitem(last=False)
        return table, positions

    def put_tables(self, batches: list[tuple[dict[str, pa.Table], list[str]]], stages) -> None:
        """Store one chunk: ``(pyarrow tables by kind, keys)`` pairs whose tables carry a ``_cache_key`` column.

        Only rows of the listed keys are stored (a batch may hold files that must not be
        cached, e.g. ones that hit a bug); ``stages`` are the stages the tables came from.
        """
        self.put_encoded([(encode_tables(tables, keys), keys) for tables, keys in batches], stages)

    def put_encoded(self, batches: list[tuple[dict[str, bytes], list[str]]], stages) -> None:
        """Store one chunk of batches already encoded by :func:`encode_tables` (in the workers), with their keys."""
        keys = [k for _, batch_keys in batches for k in batch_keys]
        if not keys:
            return
        self._counter += 1
        chunk = f"{time.time_ns():020d}-{os.getpid()}-{self._counter}"
        chunk_dir = self.dir / "chunks" / chunk
        chunk_dir.mkdir(parents=True, exist_ok=True)
        for i, (files, _) in enumerate(batches):
            for kind, data in files.items():
                with atomic_path(chunk_dir / f"{kind}-{i:05d}.parquet") as tmp:
                    tmp.write_bytes(data)
        stages = sorted(stages)
        with atomic_path(self.dir / "index" / f"{chunk}.json") as tmp:
            tmp.write_text(json.dumps(dict.fromkeys(keys, stages)), encoding="utf-8")
        for key in keys:
            self._index[key] = (chunk, frozenset(stages))

    def corpus_files(self, key: str) -> Path | None:
        """The folder of corpus-level output files stored under ``key`` (a digest of all inputs), or None."""
        folder = self.dir / "corpus" / key
        return folder if (folder / "complete.json").exists() else None

    def put_corpus_files(self, key: str, files: dict[str, Path]) -> None:
        """Store corpus-level output files (cross-year findings, summary, repeats, keywords) under ``key``."""
        folder = self.dir / "corpus" / key
        folder.mkdir(parents=True, exist_ok=True)
        for name, path in files.items():
            with atomic_path(folder / name) as tmp:
                shutil.copyfile(path, tmp)
        with atomic_path(folder / "complete.json") as tmp:
            tmp.write_text(json.dumps(sorted(files)), encoding="utf-8")
