"""Per-report results cached as Parquet, keyed by file content and by the code that made them.

A key is the SHA-1 of the file's bytes plus its file name (metadata may come from the
name). Entries live under ``<cache_dir>/<fingerprint>/`` where the fingerprint hashes the
gdtools version, its source and its spec files (rules, crosswalks, lexicons): change a rule
and the old entries are simply never looked at again. Results are stored in chunks of
many reports (one Parquet file per output kind per chunk) so a national corpus is a few
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

from . import __version__
from .outputs import atomic_path, normalize_frame

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


class Cache:
    """Chunked Parquet store of per-report frames (``reports``, ``tables``, ``findings``, ``statements``)."""

    def __init__(self, root: str | os.PathLike = DEFAULT_CACHE_DIR, fingerprint: str | None = None,
                 max_chunks_in_memory: int = 8):
        self.root = Path(root)
        self.dir = self.root / (fingerprint or code_fingerprint())[:16]
        self._index: dict[str, tuple[str, frozenset[str]]] = {}
        self._loaded: OrderedDict[tuple[str, str], tuple[pd.DataFrame, dict]] = OrderedDict()
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

    def get_many(self, keys_and_paths: list[tuple[str, str]], kinds) -> dict[str, pd.DataFrame]:
        """The cached frames of ``kinds`` for many keys, in order, with ``source`` set to each path.

        Call :meth:`has` first. Identical files at two paths share one entry, so ``source``
        is rewritten to the path asked for.
        """
        out: dict[str, list[pd.DataFrame]] = {kind: [] for kind in kinds}
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
        return {kind: pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
                for kind, frames in out.items()}

    def _rows(self, chunk: str, kind: str, keys_and_paths: list[tuple[str, str]]) -> pd.DataFrame:
        frame, positions = self._chunk_kind(chunk, kind)
        empty = np.empty(0, dtype=np.int64)
        picks = [positions.get(key, empty) for key, _ in keys_and_paths]
        rows = frame.iloc[np.concatenate(picks)].drop(columns=KEY_COLUMN).reset_index(drop=True)
        if "source" in rows:
            rows["source"] = np.repeat([p for _, p in keys_and_paths], [len(p) for p in picks])
        return rows

    def _chunk_kind(self, chunk: str, kind: str) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
        slot = (chunk, kind)
        if slot in self._loaded:
            self._loaded.move_to_end(slot)
            return self._loaded[slot]
        path = self.dir / "chunks" / chunk / f"{kind}.parquet"
        if path.exists():
            frame = pd.read_parquet(path)
            positions = frame.groupby(KEY_COLUMN, sort=False).indices
        else:
            frame, positions = pd.DataFrame(columns=[KEY_COLUMN]), {}
        self._loaded[slot] = (frame, positions)
        while len(self._loaded) > self._max_loaded:
            self._loaded.popitem(last=False)
        return frame, positions

    def put_frames(self, batches: list[tuple[dict[str, pd.DataFrame], list[str]]], stages) -> None:
        """Store one chunk: ``(frames by kind, keys)`` pairs whose frames carry a ``_cache_key`` column.

        Only rows of the listed keys are stored (a batch may hold files that must not be
        cached, e.g. ones that hit a bug); ``stages`` are the stages the frames came from.
        """
        keys = [k for _, batch_keys in batches for k in batch_keys]
        if not keys:
            return
        self._counter += 1
        chunk = f"{time.time_ns():020d}-{os.getpid()}-{self._counter}"
        chunk_dir = self.dir / "chunks" / chunk
        chunk_dir.mkdir(parents=True, exist_ok=True)
        by_kind: dict[str, list[pd.DataFrame]] = {}
        for frames, batch_keys in batches:
            wanted = set(batch_keys)
            for kind, frame in frames.items():
                if frame is not None and len(frame):
                    keep = frame[KEY_COLUMN].isin(wanted).to_numpy()
                    by_kind.setdefault(kind, []).append(frame if keep.all() else frame[keep])
        for kind, frames in by_kind.items():
            frame = normalize_frame(pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0])
            with atomic_path(chunk_dir / f"{kind}.parquet") as tmp:
                frame.to_parquet(tmp, index=False)
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
