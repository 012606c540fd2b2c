"""A batch's rows: the stages' columns (the agreed interface), frames or row dicts give the same CSV
rows, the bytes pandas writes for the normalized concatenation, and the report rows get their cell counts."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow.parquet as pq

from gdtools import corpus
from gdtools.cache import KEY_COLUMN
from gdtools.model import REPORT_COLUMNS, TABLE_COLUMNS
from gdtools.outputs import normalize_frame

STAGES = ("inspect", "tables")


def _report(rid: str, status: str = "ok") -> dict:
    return {**dict.fromkeys(REPORT_COLUMNS), "report_id": rid, "source": f"in/{rid}.txt", "format": "txt",
            "year": 2021, "n_chars": 10, "status": status, "error": "" if status == "ok" else "读取失败"}


def _cells(rid: str, values: list, statuses: list[str]) -> dict[str, list]:
    n = len(values)
    columns = {c: [None] * n for c in TABLE_COLUMNS}
    columns.update(report_id=[rid] * n, source=[f"in/{rid}.txt"] * n, table=["table3"] * n,
                   row_code=[f"r{i}" for i in range(n)], col_code=["total"] * n, value=values, status=statuses,
                   raw=['1,"2"\n3' if i == 0 else "" for i in range(n)])  # text the CSV writer must quote
    return columns


def _pairs(form: str) -> dict:
    cells = {"k1": _cells("a", [1.0, None, 2.5], ["ok", "blank", "uncertain"]),
             "k2": _cells("b", [0.0], ["missing"]), "k3": _cells("c", [], [])}

    def as_form(columns):
        if form == "frame":
            return pd.DataFrame(columns)
        if form == "rows":
            return [dict(zip(columns, values)) for values in zip(*columns.values())]
        return columns
    return {"reports": [("k1", [_report("a")]), ("k2", [_report("b")]), ("k3", [_report("c", "error")])],
            "tables": [(key, as_form(columns)) for key, columns in cells.items()]}


def test_columns_frames_and_rows_give_the_same_csv():
    infos = [{"ok": True, "cacheable": True, "timings": {}}] * 3
    results = {form: corpus._batch_result(_pairs(form), STAGES, infos, None) for form in ("columns", "frame", "rows")}
    assert results["columns"]["csv"] == results["frame"]["csv"] == results["rows"]["csv"]
    frames = [pd.DataFrame(c) for _, c in _pairs("columns")["tables"]]
    expected = normalize_frame(pd.concat(frames, ignore_index=True), TABLE_COLUMNS)
    assert results["columns"]["csv"]["tables"] == expected.to_csv(index=False, header=False,
                                                                   lineterminator="\n").encode("utf-8")


def test_report_rows_count_their_cells_and_unread_reports_have_none():
    tables = corpus._batch_frames(_pairs("columns"), STAGES)
    reports = tables["reports"].to_pandas()
    assert reports[KEY_COLUMN].tolist() == ["k1", "k2", "k3"]
    assert reports["n_ok"].tolist()[:2] == [1, 0] and reports["n_blank"].tolist()[:2] == [1, 0]
    assert reports["n_uncertain"].tolist()[:2] == [1, 0] and reports["n_missing"].tolist()[:2] == [0, 1]
    assert reports[["n_ok", "n_blank", "n_uncertain", "n_missing"]].iloc[2].isna().all()  # status error
    assert tables["tables"].column(KEY_COLUMN).to_pylist() == ["k1"] * 3 + ["k2"]


def test_cache_rows_are_only_the_cacheable_files():
    infos = [{"ok": True, "cacheable": True, "timings": {}}] * 3
    result = corpus._batch_result(_pairs("columns"), STAGES, infos, ["k2"])
    stored = pq.read_table(io.BytesIO(result["cache"]["tables"]))
    assert stored.column(KEY_COLUMN).to_pylist() == ["k2"]
    assert stored.column("value").to_pylist() == [0.0]  # zero stays zero
