"""Writing and reading the tidy output frames: atomic files, append-only parts, stable dtypes.

Every output a user opens (``reports.csv``, ``tables.parquet`` …) appears in one
``os.replace``: a crash leaves either the previous file or none, never half a file.
Batch runs stream rows into ``.part`` files that only become outputs when the batch ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import GdtoolsError

# Columns whose type is known across all output frames; every other column is text.
# Blank is not zero: numbers use nullable/float dtypes so "not reported" stays NA.
FLOAT_COLUMNS = {"value", "expected", "actual", "diff", "specificity", "score", "share", "weight"}
INT_COLUMNS = {
    "year", "n_chars", "idx", "start", "end", "n_ok", "n_blank", "n_uncertain", "n_missing",
    "n_reports", "n_agencies", "count", "n", "page",
}

FORMATS = ("csv", "parquet", "xlsx", "json")

# What text columns become: pandas' default ``str`` dtype (Arrow-backed, NaN for missing).
TEXT_DTYPE = pd.StringDtype(na_value=float("nan"))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the writer creates the file, so it gets the usual permissions (mkstemp would make it 0600)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _cell_to_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (set, frozenset)):
        value = sorted(value)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def normalize_frame(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """``frame`` with ``columns`` in order (missing ones NA, extras dropped) and storable dtypes.

    Lists and dicts become JSON text so a frame survives CSV and Parquet alike; known
    numeric columns become float / nullable Int64 so NA is never turned into 0.
    """
    if columns is not None:
        frame = frame.reindex(columns=columns)
    else:
        frame = frame.copy()
    for col in frame.columns:
        series = frame[col]
        if col in FLOAT_COLUMNS:
            if series.dtype != np.float64:  # a float64 column is what the conversion gives it
                frame[col] = pd.to_numeric(series, errors="coerce").astype("float64")
        elif col in INT_COLUMNS:
            if series.dtype != "Int64":  # nor does it change an Int64 column
                frame[col] = _to_int64(series)
        elif series.dtype == TEXT_DTYPE:
            continue  # text already: the dtype and values the conversion below gives
        elif series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "string":
            frame[col] = series.astype(TEXT_DTYPE)
        elif series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            frame[col] = series.astype(object).map(_cell_to_text, na_action="ignore")
        elif pd.api.types.is_bool_dtype(series.dtype):
            frame[col] = series.astype(object).map(str, na_action="ignore")
    return frame.reset_index(drop=True)


def _text_column(values: list):
    """Text cells as ``normalize_frame`` leaves them (None for NA), or None when a value is not
    one it turns into text the same way whatever the other values of its column are."""
    kinds = set(map(type, values))
    if kinds <= {str, type(None)}:
        return values
    if not kinds <= {str, type(None), float, bool, list, tuple, dict, set, frozenset}:
        return None
    out = []
    for v in values:
        if v is None or isinstance(v, str):
            out.append(v)
        elif isinstance(v, float):
            if v == v:  # a number among text: pandas would format the column as numbers
                return None
            out.append(None)
        else:
            out.append(_cell_to_text(v))
    return out


def _int_column(values: list):
    """Whole numbers (None for NA), or None when a value is not an int, a whole float or NA."""
    kinds = set(map(type, values))
    if kinds <= {int, type(None)}:
        return values
    if not kinds <= {int, float, type(None)}:
        return None
    out = []
    for v in values:
        if isinstance(v, float):
            if v != v:
                v = None
            elif v.is_integer():
                v = int(v)
            else:
                return None  # a fraction: normalize_frame keeps such a column float
        out.append(v)
    return out


def columns_table(columns: dict[str, list], names: list[str]):
    """A ``pyarrow.Table`` of ``names`` (missing ones NA) from plain-value columns, holding what
    :func:`normalize_frame` gives the frame of these columns: text as strings, ``FLOAT_COLUMNS`` as
    float64, ``INT_COLUMNS`` as int64, NA as null. None when a value needs that function (a number
    given as text, a fraction in a count, an object it does not know), so that the caller uses it.
    """
    import pyarrow as pa

    n = len(next(iter(columns.values()))) if columns else 0
    arrays = []
    for name in names:
        values = columns.get(name)
        if values is None:
            values = [None] * n
        if name in FLOAT_COLUMNS:
            if not set(map(type, values)) <= {float, int, type(None)}:
                return None
            arrays.append(pa.array(values, type=pa.float64(), from_pandas=True))
        elif name in INT_COLUMNS:
            values = _int_column(values)
            if values is None:
                return None
            arrays.append(pa.array(values, type=pa.int64()))
        else:
            values = _text_column(values)
            if values is None:
                return None
            arrays.append(pa.array(values, type=pa.string()))
    return pa.Table.from_arrays(arrays, names=names)


def frame_table(frame: pd.DataFrame):
    """A normalized frame (see :func:`normalize_frame`) as a ``pyarrow.Table``: float64 and Int64
    columns as float64 and int64, every other column as text (null for NA)."""
    import pyarrow as pa

    arrays = []
    for name in frame.columns:
        series = frame[name]
        if series.dtype == np.float64:
            arrays.append(pa.array(series.to_numpy(), type=pa.float64(), from_pandas=True))
        elif series.dtype == "Int64":
            arrays.append(pa.array(series, type=pa.int64()))
        elif series.dtype == TEXT_DTYPE:
            arrays.append(pa.array(series, type=pa.string()))
        elif series.dtype.kind in "iu":
            arrays.append(pa.array(series.to_numpy(), type=pa.int64()))
        else:
            text = series.astype(object).map(_cell_to_text, na_action="ignore")
            arrays.append(pa.array(text.tolist(), type=pa.string(), from_pandas=True))
    return pa.Table.from_arrays(arrays, names=[str(c) for c in frame.columns])


def _to_int64(series: pd.Series) -> pd.Series:
    """Nullable integers; a column holding fractions stays float rather than losing them."""
    if series.dtype.kind == "i":  # numpy integers: nothing to parse or round
        return series.astype("Int64")
    if series.dtype == np.float64:
        values = series.to_numpy()
        with np.errstate(invalid="ignore"):
            whole = np.isnan(values) | (values == np.round(values))
        return series.astype("Int64" if whole.all() else "float64")
    numbers = pd.to_numeric(series, errors="coerce")
    if not (numbers.isna() | (numbers == numbers.round())).all():
        return numbers.astype("float64")
    return numbers.round().astype("Int64")


def _text_columns(columns) -> dict[str, str]:
    return {c: "string" for c in columns if c not in FLOAT_COLUMNS and c not in INT_COLUMNS}


def to_csv_bytes(frame: pd.DataFrame, header: bool) -> bytes:
    """UTF-8 CSV of a normalized frame (no index, empty cell for NA, ``\\n`` line ends)."""
    if not header and len(frame.columns) > 1 and len(frame):
        data = _arrow_csv_rows(frame)
        if data is not None:
            return data
    return frame.to_csv(index=False, header=header, lineterminator="\n").encode("utf-8")


# What pandas' writer (the csv module, QUOTE_MINIMAL, "\n" line ends) quotes: a cell holding one of these.
_QUOTE_IF = (b",", b'"', b"\n")


def _arrow_csv_rows(frame: pd.DataFrame) -> bytes | None:
    """The rows ``frame.to_csv(index=False, header=False, lineterminator="\\n")`` writes, byte for byte
    in UTF-8, made with Arrow kernels (several times faster); None when a column has a dtype it does not cover.
    """
    import pyarrow as pa

    columns = []
    for name in frame.columns:
        series = frame[name]
        if series.dtype == TEXT_DTYPE:
            columns.append(pa.array(series, type=pa.large_string()))
        elif series.dtype == np.float64:
            columns.append(pa.array(series.to_numpy(), type=pa.float64()))
        elif series.dtype == "Int64":
            columns.append(pa.array(series, type=pa.int64()))
        elif series.dtype == object and series.isna().all():
            columns.append(pa.nulls(len(series), pa.large_string()))
        else:
            return None
    return arrow_csv_rows(columns)


def arrow_csv_rows(columns) -> bytes:
    """The CSV rows (no header) of Arrow columns, as ``DataFrame.to_csv(index=False, header=False,
    lineterminator="\\n")`` writes the frame they stand for, byte for byte in UTF-8 (see :func:`arrow_csv_lines`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = arrow_csv_lines(columns)
    one = pa.LargeListArray.from_arrays(pa.array([0, len(rows)], pa.int64()), rows)
    return pc.binary_join(one, pa.scalar("", pa.large_string()))[0].as_buffer().to_pybytes()


def arrow_csv_lines(columns):
    """The CSV record of each row of Arrow columns (a ``large_string`` array, each ending in ``\\n``),
    what :func:`arrow_csv_rows` joins.

    Columns are text (quoted as the csv module quotes: a cell holding a comma, a double quote or
    a newline, quotes doubled), float64 (formatted by numpy as pandas formats them; NaN and null
    empty) or int64; null is an empty cell. Needs at least two columns (pandas quotes a lone empty
    cell) and one row.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = []
    for column in columns:
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        kind = column.type
        if pa.types.is_floating(kind):
            values = column.to_numpy(zero_copy_only=False)
            column = pa.array(values.astype(str), type=pa.large_string(), mask=np.isnan(values))
        elif pa.types.is_integer(kind):
            column = pc.cast(column, pa.large_string())
        elif pa.types.is_null(kind):
            column = pa.nulls(len(column), pa.large_string())
        else:
            column = column.cast(pa.large_string())
            data = column.buffers()[2]
            if data is not None and _holds_quote_char(data):
                quote = pa.scalar('"', pa.large_string())
                quoted = pc.binary_join_element_wise(quote, pc.replace_substring(column, '"', '""'), quote,
                                                     pa.scalar("", pa.large_string()))
                column = pc.if_else(pc.match_substring_regex(column, '[,"\n]'), quoted, column)
        cells.append(column)
    rows = pc.binary_join_element_wise(*cells, pa.scalar(",", pa.large_string()), null_handling="replace",
                                       null_replacement="")
    return pc.binary_join_element_wise(rows, pa.scalar("", pa.large_string()), pa.scalar("\n", pa.large_string()))


def _holds_quote_char(data) -> bool:
    """Whether a text buffer holds a byte the csv module quotes for (a copy searched with memchr is
    many times faster than numpy comparisons in place)."""
    raw = data.to_pybytes()
    return any(char in raw for char in _QUOTE_IF)


def write_frame(frame: pd.DataFrame, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write ``frame`` atomically as csv, parquet, xlsx or json (from ``fmt`` or the suffix)."""
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise GdtoolsError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}", str(path))
    frame = normalize_frame(frame)
    with atomic_path(path) as tmp:
        if fmt == "csv":
            frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
        elif fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        elif fmt == "xlsx":
            if len(frame) > 1_048_575:
                raise GdtoolsError(f"{len(frame)} rows do not fit in one Excel sheet; use --format parquet or csv",
                                   str(path))
            frame.to_excel(tmp, index=False, engine="openpyxl")
        else:
            frame.to_json(tmp, orient="records", force_ascii=False, indent=1)
    return path


def read_frame(path: str | os.PathLike, usecols: list[str] | None = None, fmt: str | None = None) -> pd.DataFrame:
    """Read an output written by gdtools back with its dtypes (value float with NA, year Int64 …)."""
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt == "csv":
        header = pd.read_csv(path, nrows=0).columns
        if usecols is not None:
            header = [c for c in header if c in usecols]
        dtypes = _text_columns(header)
        dtypes.update({c: "float64" for c in header if c in FLOAT_COLUMNS})
        dtypes.update({c: "Int64" for c in header if c in INT_COLUMNS})
        frame = pd.read_csv(path, dtype=dtypes, usecols=list(header), keep_default_na=False, na_values=[""],
                            encoding="utf-8")
    elif fmt == "parquet":
        frame = pd.read_parquet(path, columns=usecols)
    elif fmt == "xlsx":
        frame = pd.read_excel(path, usecols=usecols, dtype=object, engine="openpyxl")
    elif fmt == "json":
        frame = pd.read_json(path, orient="records", dtype=False)
        if usecols is not None:
            frame = frame[[c for c in frame.columns if c in usecols]]
    else:
        raise GdtoolsError(f"cannot read {fmt!r} outputs; expected csv, parquet, xlsx or json", str(path))
    return _restore_dtypes(frame)


def _restore_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    for col in frame.columns:
        if col in FLOAT_COLUMNS:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        elif col in INT_COLUMNS:
            frame[col] = _to_int64(frame[col])
        elif frame[col].dtype != "string":
            frame[col] = frame[col].astype("string")
    return frame


class PartWriter:
    """Append-only CSV part file with a fixed header (``columns`` None: a part of binary records, no
    header); ``offset`` is its flushed size for the journal, where a resumed run cuts it back to."""

    def __init__(self, path: Path, columns: list[str] | None, resume_at: int | None = None):
        self.path = path
        self.columns = columns
        path.parent.mkdir(parents=True, exist_ok=True)
        if resume_at is None or not path.exists():
            self._fh = open(path, "wb")
            if columns is not None:
                self._fh.write(to_csv_bytes(pd.DataFrame(columns=columns), header=True))
        else:
            self._fh = open(path, "r+b")
            self._fh.truncate(resume_at)
            self._fh.seek(resume_at)
        self._fh.flush()

    def append(self, rows: pd.DataFrame | bytes) -> None:
        """Append the rows of a frame already normalized (see :func:`normalize_frame`), or their CSV bytes."""
        if isinstance(rows, bytes):
            self._fh.write(rows)
        elif len(rows):
            self._fh.write(to_csv_bytes(rows.reindex(columns=self.columns), header=False))

    def offset(self) -> int:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return self._fh.tell()

    def close(self) -> None:
        self._fh.close()
