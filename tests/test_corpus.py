"""Batch machinery: error rows, resume, up-to-date re-runs, cache reuse, executors, dtypes.

The per-report stages are a registry; tests that exercise the machinery replace the
``tables`` stage with small functions of their own so the behaviour under test (crashes,
interruptions, counting calls) is controlled. Files are fictional reports written here.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from gdtools import corpus
from gdtools.model import REPORT_COLUMNS, TABLE_COLUMNS

AGENCIES = ["示例县民政局", "示例市交通运输局", "示例区教育局", "示例镇人民政府"]


def _report_text(i: int) -> str:
    agency = AGENCIES[i % len(AGENCIES)]
    year = 2019 + i % 4
    return (f"{agency}{year}年政府信息公开工作年度报告\n"
            "一、总体情况\n本机关认真贯彻落实政府信息公开条例，第{i}号示例。\n"
            "二、主动公开政府信息情况\n本年新制作规范性文件若干件。\n"
            "五、存在的主要问题及改进情况\n公开内容不够全面。下一步将加强培训。\n").replace("{i}", str(i))


def _corpus(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"report_{i:03d}.txt"
        path.write_text(_report_text(i), encoding="utf-8")
        paths.append(path)
    return paths


def _fake_tables(report, context):
    """Three cells per report: a number, a blank, and a number derived from the text length."""
    return pd.DataFrame({
        "report_id": report.report_id, "source": report.source, "template": report.template,
        "table": "table3", "row_code": ["r1", "r2", "r3"], "col_code": "total",
        "value": [1.0, None, float(len(report.text))], "status": ["ok", "blank", "ok"],
    })


def _crashing_tables(report, context):
    if "第3号" in report.text:
        raise ZeroDivisionError("simulated bug")
    return _fake_tables(report, context)


def _dying_tables(report, context):
    if "第2号" in report.text:
        os._exit(3)  # a worker killed mid-file (segfault, out-of-memory killer)
    return _fake_tables(report, context)


def _unsure_tables(report, context):
    """:func:`_fake_tables` with the third cell uncertain in reports with an odd number."""
    frame = _fake_tables(report, context)
    if any(f"第{i}号" in report.text for i in range(1, 20, 2)):
        frame.loc[2, "status"] = "uncertain"
    return frame


class _Interrupt:
    """A stage that stops the batch (like Ctrl-C) when it reaches report number ``at`` (``tables`` otherwise)."""

    def __init__(self, at: int, tables=_fake_tables):
        self.at, self.tables = at, tables

    def __call__(self, report, context):
        if f"第{self.at}号" in report.text:
            raise KeyboardInterrupt
        return self.tables(report, context)


@pytest.fixture
def fake_tables(monkeypatch):
    def use(fn):
        monkeypatch.setitem(corpus.STAGES, "tables", corpus.Stage("tables", TABLE_COLUMNS, fn))
    use(_fake_tables)
    return use


def _read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, dtype=str, keep_default_na=False)


def test_inspect_batch_writes_one_row_per_file_and_error_rows(tmp_path):
    paths = _corpus(tmp_path / "in", 5)
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    (tmp_path / "in" / "garbage.pdf").write_bytes(b"\x00\x01 not a pdf at all")
    result = corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect",), jobs=1, progress=False)
    assert (result["n_ok"], result["n_error"]) == (5, 2)
    reports = _read(tmp_path / "out", "reports.csv")
    assert list(reports.columns) == REPORT_COLUMNS
    assert len(reports) == 7
    errors = reports[reports["status"] == "error"]
    assert sorted(Path(s).name for s in errors["source"]) == ["empty.txt", "garbage.pdf"]
    assert (errors["error"] != "").all()
    ok = reports[reports["status"] == "ok"]
    assert set(ok["year"]) == {"2019", "2020", "2021", "2022"}
    assert set(ok["report_id"]) == {hashlib.sha1(p.read_bytes()).hexdigest()[:12] for p in paths}
    # no temp or part files left behind
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".gdtools-journal")) \
        == ["reports.csv"]


def test_files_hashed_in_chunks_by_threads_keep_their_order_and_an_unreadable_one(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "_HASH_CHUNK", 2)  # 7 files: 4 chunks over the hashing threads
    paths = _corpus(tmp_path / "in", 6)
    gone = tmp_path / "in" / "gone.txt"  # named, then removed: unreadable when hashed
    result = corpus.run_batch([*paths[:3], gone, *paths[3:]], tmp_path / "out", stages=("inspect",), jobs=1,
                              progress=False)
    assert (result["n_ok"], result["n_error"]) == (6, 1)
    reports = _read(tmp_path / "out", "reports.csv")
    assert [Path(s).name for s in reports["source"]] == [p.name for p in [*paths[:3], gone, *paths[3:]]]
    assert list(reports["report_id"][:3]) == [hashlib.sha1(p.read_bytes()).hexdigest()[:12] for p in paths[:3]]


def test_a_first_run_works_on_the_first_files_while_the_others_are_hashed(tmp_path, monkeypatch, fake_tables):
    import threading

    monkeypatch.setattr(corpus, "_HASH_CHUNK", 2)
    paths = _corpus(tmp_path / "in", 6)
    started, seen = threading.Event(), []
    real = corpus._hashed_items

    def hashed(chunk):
        if chunk[-1] == str(paths[-1]):  # the last chunk waits for the work to start (at most 30 s)
            seen.append(started.wait(30))
        return real(chunk)

    def tables(report, context):
        started.set()
        return _fake_tables(report, context)

    monkeypatch.setattr(corpus, "_hashed_items", hashed)
    fake_tables(tables)
    kw = dict(stages=("inspect", "tables"), jobs=1, progress=False, batch_size=1)
    first = corpus.run_batch([tmp_path / "in"], tmp_path / "out", **kw)
    assert seen == [True] and first["n_ok"] == 6 and first["bytes"] == sum(p.stat().st_size for p in paths)
    # a folder with a finished run is checked against every digest before any work: unchanged, nothing to do
    assert corpus.run_batch([tmp_path / "in"], tmp_path / "out", **kw)["up_to_date"]


def test_unexpected_stage_error_is_an_error_row_and_batch_goes_on(tmp_path, fake_tables):
    fake_tables(_crashing_tables)
    _corpus(tmp_path / "in", 6)
    result = corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect", "tables"), jobs=2,
                              progress=False)
    assert (result["n_ok"], result["n_error"]) == (5, 1)
    reports = _read(tmp_path / "out", "reports.csv").set_index("source")
    bad = reports.loc[str(tmp_path / "in" / "report_003.txt")]
    assert bad["status"] == "error"
    assert "tables" in bad["error"] and "ZeroDivisionError" in bad["error"]
    tables = _read(tmp_path / "out", "tables.csv")
    assert list(tables.columns) == TABLE_COLUMNS
    assert tables["source"].nunique() == 5


def test_a_dying_worker_costs_only_its_file(tmp_path, fake_tables):
    fake_tables(_dying_tables)
    _corpus(tmp_path / "in", 8)
    result = corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect", "tables"), jobs=2,
                              progress=False, batch_size=4)
    assert (result["n_ok"], result["n_error"]) == (7, 1)
    reports = _read(tmp_path / "out", "reports.csv")
    dead = reports[reports["status"] == "error"]
    assert [Path(s).name for s in dead["source"]] == ["report_002.txt"]
    assert "worker process died" in dead["error"].iloc[0]


def test_extract_counts_cell_statuses_per_report(tmp_path, fake_tables):
    _corpus(tmp_path / "in", 3)
    corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect", "tables"), jobs=1, progress=False)
    reports = corpus.load_outputs(tmp_path / "out")["reports"]
    assert list(reports.columns) == REPORT_COLUMNS + corpus.COUNT_COLUMNS
    assert reports["n_ok"].tolist() == [2, 2, 2]
    assert reports["n_blank"].tolist() == [1, 1, 1]
    assert reports["n_missing"].tolist() == [0, 0, 0]


def test_interrupted_run_resumes_without_redoing_or_duplicating(tmp_path, fake_tables):
    _corpus(tmp_path / "in", 9)
    fake_tables(_Interrupt(at=5))
    with pytest.raises(KeyboardInterrupt):
        corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect", "tables"), jobs=1,
                         progress=False, chunk_size=2)
    assert not (tmp_path / "out" / "reports.csv").exists()  # outputs appear only when complete
    with open(tmp_path / "out" / corpus.JOURNAL, "a", encoding="utf-8") as fh:
        fh.write('{"chunk": {"torn')  # a crash in the middle of a journal line
    fake_tables(_fake_tables)
    resumed = corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect", "tables"), jobs=1,
                               progress=False, chunk_size=2)
    assert resumed["n_computed"] == 5  # reports 0-3 were flushed before the interruption
    assert (resumed["n_ok"], resumed["n_error"]) == (9, 0)
    corpus.run_batch([tmp_path / "in"], tmp_path / "clean", stages=("inspect", "tables"), jobs=1,
                     progress=False)
    for name in ("reports.csv", "tables.csv"):
        assert (tmp_path / "out" / name).read_text(encoding="utf-8") == \
            (tmp_path / "clean" / name).read_text(encoding="utf-8")
    assert corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect", "tables"), jobs=1,
                            progress=False)["up_to_date"]


def test_a_resumed_run_reads_the_side_part_of_both_runs(tmp_path, fake_tables):
    """The corpus steps read the tables from the side part: after a resume it holds the rows of both runs
    once (the summary counts each uncertain cell once), as a run without interruption."""
    _corpus(tmp_path / "in", 9)
    stages = ("inspect", "tables", "validate")
    fake_tables(_Interrupt(at=6, tables=_unsure_tables))
    with pytest.raises(KeyboardInterrupt):
        corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=stages, jobs=1, progress=False, chunk_size=2,
                         batch_size=1)
    side = tmp_path / "out" / ".tables-side.part"
    side.write_bytes(side.read_bytes() * 2)  # records flushed after the journal's last line (a crash between)
    fake_tables(_unsure_tables)
    resumed = corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=stages, jobs=1, progress=False,
                               chunk_size=2, batch_size=1)
    assert resumed["n_computed"] == 3
    corpus.run_batch([tmp_path / "in"], tmp_path / "clean", stages=stages, jobs=1, progress=False)
    for name in ("reports.csv", "tables.csv", "findings.csv", "summary.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "clean" / name).read_bytes(), name
    summary = _read(tmp_path / "out", "summary.csv")
    assert sorted(summary["cells_uncertain"].astype(int)) == [0] * 5 + [1] * 4
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")) == [corpus.JOURNAL]


def test_cached_and_computed_units_give_the_side_part_of_a_fresh_run(tmp_path, fake_tables):
    fake_tables(_unsure_tables)
    paths = _corpus(tmp_path / "in", 7)
    kw = dict(stages=("inspect", "tables", "validate"), jobs=1, progress=False, batch_size=2)
    corpus.run_batch([tmp_path / "in"], tmp_path / "a", cache_dir=tmp_path / "cache", **kw)
    paths[3].write_text(_report_text(3) + "补充。\n", encoding="utf-8")
    mixed = corpus.run_batch([tmp_path / "in"], tmp_path / "b", cache_dir=tmp_path / "cache", **kw)
    assert (mixed["n_cached"], mixed["n_computed"]) == (6, 1)
    corpus.run_batch([tmp_path / "in"], tmp_path / "c", cache_dir=None, **kw)
    for name in ("tables.csv", "findings.csv", "summary.csv"):
        assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "c" / name).read_bytes(), name
    assert _read(tmp_path / "b", "summary.csv")["cells_uncertain"].astype(int).sum() == 3


def test_rerun_on_unchanged_inputs_is_up_to_date_and_a_change_redoes(tmp_path, fake_tables):
    paths = _corpus(tmp_path / "in", 4)
    first = corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect", "tables"), jobs=1,
                             progress=False)
    assert not first["up_to_date"]
    again = corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect", "tables"), jobs=1,
                             progress=False)
    assert again["up_to_date"] and again["n_computed"] == 0 and again["n_ok"] == 4
    paths[1].write_text(_report_text(1) + "补充一段。\n", encoding="utf-8")
    changed = corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect", "tables"), jobs=1,
                               progress=False)
    assert not changed["up_to_date"] and changed["n_computed"] == 4  # no cache: all again
    reports = _read(tmp_path / "out", "reports.csv")
    assert len(reports) == 4


def test_cache_serves_unchanged_files_in_a_new_output_folder(tmp_path, fake_tables):
    paths = _corpus(tmp_path / "in", 6)
    cache_dir = tmp_path / "cache"
    kw = dict(stages=("inspect", "tables"), jobs=1, progress=False, cache_dir=cache_dir)
    first = corpus.run_batch([tmp_path / "in"], tmp_path / "a", **kw)
    assert (first["n_cached"], first["n_computed"]) == (0, 6)
    second = corpus.run_batch([tmp_path / "in"], tmp_path / "b", **kw)
    assert (second["n_cached"], second["n_computed"]) == (6, 0)
    for name in ("reports.csv", "tables.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    # one edited file is re-read; a copy of a file elsewhere reuses the entry under its own path
    paths[0].write_text(_report_text(0) + "新增内容。\n", encoding="utf-8")
    (tmp_path / "in" / "sub").mkdir()
    copy = tmp_path / "in" / "sub" / paths[2].name
    copy.write_bytes(paths[2].read_bytes())
    third = corpus.run_batch([tmp_path / "in"], tmp_path / "c", **kw)
    assert (third["n_cached"], third["n_computed"]) == (6, 1)
    tables = _read(tmp_path / "c", "tables.csv")
    assert set(tables["source"]) == {str(p) for p in paths} | {str(copy)}


def test_cached_stages_must_cover_the_request(tmp_path, fake_tables):
    _corpus(tmp_path / "in", 3)
    kw = dict(jobs=1, progress=False, cache_dir=tmp_path / "cache")
    corpus.run_batch([tmp_path / "in"], tmp_path / "a", stages=("inspect",), **kw)
    more = corpus.run_batch([tmp_path / "in"], tmp_path / "b", stages=("inspect", "tables"), **kw)
    assert more["n_computed"] == 3
    fewer = corpus.run_batch([tmp_path / "in"], tmp_path / "c", stages=("inspect",), **kw)
    assert fewer["n_cached"] == 3


def test_any_executor_works_and_inputs_are_not_modified(tmp_path, fake_tables):
    paths = _corpus(tmp_path / "in", 5)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths}
    with ThreadPoolExecutor(2) as pool:
        result = corpus.process([tmp_path / "in"], pool, out=tmp_path / "out", cache_dir=None,
                                stages=("inspect", "tables"))
    assert result["n_ok"] == 5
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in paths} == before
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == sorted(p.name for p in paths)


def test_dask_executor_works_unchanged(tmp_path, fake_tables):
    distributed = pytest.importorskip("distributed")
    _corpus(tmp_path / "in", 4)
    with distributed.Client(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as client:
        result = corpus.process([tmp_path / "in"], client.get_executor(), out=tmp_path / "out", cache_dir=None,
                                stages=("inspect", "tables"))
    assert (result["n_ok"], result["n_error"]) == (4, 0)


@pytest.mark.parametrize("fmt", ["parquet", "json", "xlsx"])
def test_table_formats_round_trip_with_dtypes(tmp_path, fake_tables, fmt):
    _corpus(tmp_path / "in", 2)
    corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect", "tables"), fmt=fmt, jobs=1,
                     progress=False)
    assert (tmp_path / "out" / f"tables.{fmt}").exists() and not (tmp_path / "out" / "tables.csv").exists()
    frames = corpus.load_outputs(tmp_path / "out")
    tables = frames["tables"]
    assert tables["value"].dtype == "float64"
    assert tables["value"].isna().sum() == 2  # the blank cells stay NA, not 0
    assert frames["reports"]["year"].dtype == "Int64"


def test_load_outputs_keeps_blank_distinct_from_zero(tmp_path, fake_tables):
    _corpus(tmp_path / "in", 2)
    corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect", "tables"), jobs=1, progress=False)
    tables = corpus.load_outputs(tmp_path / "out")["tables"]
    assert tables["value"].dtype == "float64"
    blank = tables[tables["status"] == "blank"]
    assert blank["value"].isna().all() and len(blank) == 2
    assert (tables.loc[tables["row_code"] == "r1", "value"] == 1.0).all()


def test_no_report_files_is_a_usage_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(corpus.GdtoolsError, match="no report files"):
        corpus.run_batch([tmp_path / "empty"], tmp_path / "out", stages=("inspect",), jobs=1, progress=False)


def test_unknown_stage_or_format_is_refused(tmp_path):
    _corpus(tmp_path / "in", 1)
    with pytest.raises(corpus.GdtoolsError, match="unknown stage"):
        corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("ocr",), jobs=1, progress=False)
    with pytest.raises(corpus.GdtoolsError, match="format"):
        corpus.run_batch([tmp_path / "in"], tmp_path / "out", stages=("inspect",), fmt="xls", jobs=1,
                         progress=False)


def _table3(report_id: str, carried_in: float, carried_forward: float) -> pd.DataFrame:
    cols = ["natural", "business", "research", "public_interest", "legal_services", "other_org", "total"]
    rows = []
    for row_code, value in (("carried_in", carried_in), ("carried_forward", carried_forward)):
        for col in cols:
            v = value if col in ("natural", "total") else 0.0
            rows.append({"report_id": report_id, "source": f"{report_id}.txt", "template": "v2021",
                         "table": "table3", "row_code": row_code, "col_code": col, "value": v, "status": "ok"})
    return pd.DataFrame(rows)


def _parts(folder: Path, tables: pd.DataFrame, batch: int = 2) -> tuple[Path, corpus._SideIndex]:
    """A tables part and its side part as a run writes them (``batch`` reports per worker batch), and the side index."""
    from gdtools.outputs import PartWriter, columns_table

    part, side_part = folder / ".tables.csv.part", folder / ".tables-side.part"
    writer = PartWriter(part, TABLE_COLUMNS)
    at = writer.offset()
    with open(side_part, "wb") as side:
        ids = list(dict.fromkeys(tables["report_id"]))
        for start in range(0, len(ids), batch):
            rows = tables[tables["report_id"].isin(ids[start:start + batch])]
            table = columns_table({c: rows[c].astype(object).where(rows[c].notna(), None).tolist()
                                   for c in TABLE_COLUMNS}, TABLE_COLUMNS)
            csv, sides = corpus._csv_rows({"tables": table}, {"tables": TABLE_COLUMNS})
            writer.append(csv["tables"])
            side.write(corpus._SIDE_HEAD.pack(len(sides["tables"]), at) + sides["tables"])
            at += len(csv["tables"])
    writer.close()
    return part, corpus._SideIndex(side_part)


def test_cross_year_findings_by_agency_group_equal_one_call_over_everything(tmp_path):
    from gdtools.validate import validate_corpus

    reports = pd.DataFrame([
        {"report_id": "a21", "source": "a21.txt", "agency": "示例县民政局", "year": 2021},
        {"report_id": "a22", "source": "a22.txt", "agency": "示例县民政局", "year": 2022},
        {"report_id": "b21", "source": "b21.txt", "agency": "示例市交通运输局", "year": 2021},
        {"report_id": "b22", "source": "b22.txt", "agency": "示例市交通运输局", "year": 2022},
        {"report_id": "c22", "source": "c22.txt", "agency": "示例区教育局", "year": 2022},  # no neighbour
    ]).assign(template="v2021", status="ok")
    reports["year"] = reports["year"].astype("Int64")
    # a carries 3 forward and 3 in (consistent); b carries 5 forward but 2 in (inconsistent)
    tables = pd.concat([_table3("a21", 1, 3), _table3("a22", 3, 0), _table3("b21", 1, 5), _table3("b22", 2, 0),
                        _table3("c22", 7, 0)], ignore_index=True)
    groups = corpus._agency_groups(reports, max_reports=1)
    # whole agencies per group; c22 has no neighbour year and needs no check
    assert sorted(sorted(g["report_id"]) for g in groups) == [["a21", "a22"], ["b21", "b22"]]
    _, side = _parts(tmp_path, tables.reindex(columns=TABLE_COLUMNS))
    parts = [corpus._on_side(lambda rows, group: rows, side.path, picks, corpus.CROSS_YEAR_TABLE_COLUMNS, None, {},
                             False, group) for picks, group in zip(side.slices([g["report_id"] for g in groups]), groups)]
    assert sorted(len(p) for p in parts) == [28, 28]  # c22's rows belong to no group
    grouped = pd.concat([corpus._cross_year_task(part, group) for part, group in zip(parts, groups)],
                        ignore_index=True)
    whole = validate_corpus(tables, reports)
    assert (grouped["severity"] == "error").any() and set(grouped["report_id"]) <= {"b22", "a22"}

    def key(frame):
        return sorted(map(tuple, frame[["report_id", "rule", "col_label", "severity"]].astype(str).values))

    assert key(grouped) == key(whole)


@pytest.mark.realdata
def test_process_real_reports_end_to_end_and_again_from_the_cache(realdata, tmp_path, monkeypatch):
    from gdtools.model import FINDING_COLUMNS, STATEMENT_COLUMNS

    paths = sorted(p for p in (realdata / "reports").iterdir() if p.suffix in (".txt", ".md", ".html"))
    first = corpus.process(paths, out=tmp_path / "a", cache_dir=tmp_path / "cache", jobs=2)
    assert first["n_ok"] + first["n_error"] == len(paths) and first["n_ok"] >= len(paths) - 1
    frames = corpus.load_outputs(tmp_path / "a")
    assert set(frames) == {"reports", "tables", "findings", "summary", "statements", "repeats", "keywords"}
    assert list(frames["tables"].columns) == TABLE_COLUMNS
    assert list(frames["findings"].columns) == FINDING_COLUMNS
    assert list(frames["statements"].columns) == STATEMENT_COLUMNS
    assert frames["reports"]["year"].dtype == "Int64" and frames["tables"]["value"].dtype == "float64"
    assert set(frames["tables"]["source"]) <= {str(p) for p in paths}
    # the corpus holds consecutive years of the same agencies: cross-year rules were checked
    assert frames["findings"]["rule"].str.startswith("X").any()
    assert len(frames["summary"]) == first["n_ok"]

    def not_again(*args, **kwargs):
        raise AssertionError("corpus-level step recomputed for an unchanged corpus")

    monkeypatch.setattr("gdtools.validate.validate_corpus", not_again)
    monkeypatch.setattr("gdtools.narrative.repeats", not_again)
    monkeypatch.setattr("gdtools.corpus._keyword_counts_task", not_again)
    again = corpus.process(paths, out=tmp_path / "b", cache_dir=tmp_path / "cache", jobs=2)
    assert again["n_cached"] == first["n_ok"] and again["corpus_step_errors"] == 0
    for name in ("reports.csv", "tables.csv", "findings.csv", "statements.csv", "summary.csv", "repeats.csv",
                 "keywords.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_a_file_over_its_time_budget_becomes_an_error_row_and_the_batch_goes_on(tmp_path, monkeypatch):
    import time as _time

    import gdtools.corpus as corpus

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("某县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n本年度工作有序开展。\n",
                                     encoding="utf-8")
    real = corpus._run_stages

    def slow_on_b(path, stages):
        if path.endswith("b.txt"):
            _time.sleep(5)
        return real(path, stages)

    monkeypatch.setattr(corpus, "_run_stages", slow_on_b)
    monkeypatch.setenv("GDTOOLS_FILE_TIMEOUT", "1")
    frames, info = corpus._run_one(str(tmp_path / "b.txt"), ("inspect",))
    row = frames["reports"][0]
    assert row["status"] == "error" and "GDTOOLS_FILE_TIMEOUT" in row["error"] and info["cacheable"] is False
    frames, info = corpus._run_one(str(tmp_path / "a.txt"), ("inspect",))
    assert frames["reports"][0]["status"] == "ok" and info["ok"]


def test_batch_extract_narrows_table2_with_the_adjacent_year(realdata, tmp_path):
    """Glued table 二 rows that one report leaves open are settled by the same agency's next report."""
    import json
    import shutil

    from gdtools.corpus import load_outputs, run_batch

    stems = ["004_pingtan-zone-2019", "006_pingtan-zone-2020"]
    folder = tmp_path / "in"
    folder.mkdir()
    for stem in stems:
        shutil.copy(realdata / "reports" / f"{stem}.txt", folder)
    run_batch([folder], tmp_path / "out", stages=("inspect", "tables"), jobs=1, progress=False)
    tables = load_outputs(tmp_path / "out")["tables"]
    expected = json.loads((realdata / "expected" / f"{stems[0]}.json").read_text(encoding="utf-8"))
    cells = tables[tables["source"].str.contains(stems[0]) & (tables["table"] == "table2")
                   & (tables["row_code"] == "licensing")].set_index("col_code")
    assert cells.loc["prev_items", "status"] == "ok" and "跨年度" in cells.loc["prev_items", "raw"]
    assert cells.loc["prev_items", "value"] == expected["table2"]["行政许可"]["上一年项目数量"]
    assert not ((tables["status"] == "ok") & tables["raw"].str.contains("跨年度") & tables["value"].isna()).any()


_PROBLEMS = ["公开内容不够全面，政策解读形式单一。", "依申请公开答复时限把握不严，培训不足。",
             "基层政务公开标准化建设进展缓慢，专栏更新不及时。", "网站栏目设置不合理，信息检索困难。"]


def test_keywords_are_those_of_the_whole_section_five_frame_whatever_the_chunks(tmp_path, monkeypatch):
    from gdtools.narrative import keywords
    from gdtools.outputs import read_frame, write_frame

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(9):
        text = _report_text(i).replace("公开内容不够全面。", _PROBLEMS[i % 4] + _PROBLEMS[(i * 3 + 1) % 4])
        (folder / f"report_{i:03d}.txt").write_text(text, encoding="utf-8")
    # chunks of 2 reports: the document frequencies must still count all nine documents
    monkeypatch.setattr(corpus._Batch.__init__, "__defaults__", (2,))
    corpus.run_batch([folder], tmp_path / "out", jobs=2, progress=False, cache_dir=None,
                     executor=ThreadPoolExecutor(2))
    statements = read_frame(tmp_path / "out" / "statements.csv")
    section5 = statements[statements["section"] == "五"]
    assert section5["report_id"].nunique() == 9
    write_frame(keywords(section5, by="report_id"), tmp_path / "whole.csv")
    got = (tmp_path / "out" / "keywords.csv").read_bytes()
    assert got == (tmp_path / "whole.csv").read_bytes()
    assert len(pd.read_csv(tmp_path / "whole.csv")["group"].unique()) == 9
    assert not (tmp_path / "out" / ".narrative-spill").exists()


def _cells(rid: str, n: int = 3, table: str = "table2") -> list[dict]:
    """``n`` table-二 cells of report ``rid``: text the CSV writer quotes, and text its reader reads as null."""
    rows = []
    for i, (value, status, raw) in enumerate([(1.0, "ok", "1"), (None, "uncertain", '第2行, "引号"\n换行 12'),
                                              (None, "blank", "NA"), (3.0, "ok", "")][:n]):
        rows.append({"report_id": rid, "source": f"dir, with comma/{rid}.txt", "template": "v2021", "table": table,
                     "row_code": "rules", "col_code": f"c{i}", "value": value, "status": status,
                     "candidates": "1|12" if status == "uncertain" else None, "raw": raw})
    return rows


def test_side_rows_are_the_tables_part_as_the_csv_reader_reads_it_group_by_group(tmp_path):
    tables = pd.DataFrame(_cells("aaaaaaaaaaaa", 4) + _cells("bbbbbbbbbbbb", 2, "table3") + _cells("cccccccccccc", 4)
                          + _cells("aaaaaaaaaaaa", 1)).reindex(columns=TABLE_COLUMNS)  # a report twice (a copy)
    part, side = _parts(tmp_path, tables)
    read = corpus._to_pandas(pa.Table.from_batches(list(corpus._open_csv(part, corpus.SIDE_COLUMNS))), False)
    read.loc[read["table"] != "table2", "raw"] = None  # the side keeps table 二's raw only
    # each id once, the first group taking an id named twice; the copy's rows come in the tables' order
    groups = [["cccccccccccc", "aaaaaaaaaaaa"], ["bbbbbbbbbbbb", "cccccccccccc"], ["nobody"]]
    got = [corpus._on_side(lambda rows, group: rows, side.path, picks, corpus.SIDE_COLUMNS, None, {}, False, None)
           for picks in side.slices(groups)]
    rid = read["report_id"]
    for frame, ids in zip(got, [{"aaaaaaaaaaaa", "cccccccccccc"}, {"bbbbbbbbbbbb"}, set()]):
        pd.testing.assert_frame_equal(frame, read[rid.isin(ids)].reset_index(drop=True))
    assert read.loc[read["table"] == "table2", "raw"].isna().sum() == 4  # "NA" and "" are null as the reader reads them
    only2 = corpus._on_side(lambda rows, group: rows, side.path, side.slices([["bbbbbbbbbbbb"]])[0], ["value"],
                            "table2", {}, False, None)
    assert list(only2.columns) == ["value"] and only2.empty
    uncertain = corpus._to_pandas(side.uncertain({}), False)
    assert uncertain["report_id"].tolist() == ["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"]


def test_side_records_of_frames_read_as_their_csv_whatever_the_column_types(tmp_path):
    """A stage frame's columns become text, floats or NaN-only columns in a batch: the side rows are still
    what the CSV reader reads back from the written part (section-五 rows only for the statements)."""
    from gdtools.model import STATEMENT_COLUMNS
    from gdtools.outputs import frame_table, normalize_frame

    tables = frame_table(normalize_frame(pd.DataFrame({
        "report_id": ["r1", "r1", "r2"], "table": ["table2", "table3", "table2"], "row_code": ["a", "b", "c"],
        "col_code": ["x", "x", "x"], "value": [1.5, None, 3.0], "status": ["ok", "NA", "null"],
        "raw": ["1.5", "n/a", "7,8"]}), TABLE_COLUMNS))  # template, candidates …: missing (NaN only)
    statements = frame_table(normalize_frame(pd.DataFrame({
        "report_id": ["r1", "r1", "r2"], "section": ["五", "一", "五"], "idx": [0, 1, 2], "text": ["甲", "乙", "NA"],
        "specificity": [0.25, None, 1.0], "start": [3, 4, None]}), STATEMENT_COLUMNS))
    columns = {"tables": TABLE_COLUMNS, "statements": STATEMENT_COLUMNS}
    csv, sides = corpus._csv_rows({"tables": tables, "statements": statements}, columns)
    for kind, wanted in (("tables", corpus.SIDE_COLUMNS), ("statements", STATEMENT_COLUMNS)):
        part = tmp_path / f"{kind}.csv"
        part.write_bytes(",".join(columns[kind]).encode() + b"\n" + csv[kind])
        read = corpus._to_pandas(pa.Table.from_batches(list(corpus._open_csv(part, wanted))), False)
        if kind == "tables":
            read.loc[read["table"] != "table2", "raw"] = None
        else:
            read = read[read["section"] == "五"].reset_index(drop=True)
        side = corpus._to_pandas(corpus._decoded(corpus._ipc_table(sides[kind])).select(wanted), False)
        pd.testing.assert_frame_equal(side, read)


def test_refined_tables_rewrite_only_the_changed_records_and_the_side_reads_them_as_the_csv_reader(tmp_path):
    rows = _cells("aaaaaaaaaaaa") + _cells("bbbbbbbbbbbb") + _cells("cccccccccccc", table="table3")
    part, side = _parts(tmp_path, pd.DataFrame(rows).reindex(columns=TABLE_COLUMNS))
    before = part.read_bytes()
    changed = pd.DataFrame([{"report_id": "bbbbbbbbbbbb", "table": "table2", "row_code": "rules", "col_code": "c1",
                             "value": 12.0, "status": "ok", "candidates": None, "raw": '第2行, "引号"\n换行 12 [跨年度]'},
                            {"report_id": "bbbbbbbbbbbb", "table": "table2", "row_code": "rules", "col_code": "c2",
                             "value": None, "status": "uncertain", "candidates": "NA", "raw": "0"}])
    tables = corpus._RefinedTables(part, tmp_path / ".tables.csv.patched")
    tables.changed(side, changed)
    assert tables.path == part and set(tables.updates_of(["bbbbbbbbbbbb"])) == set(tables.updates)
    assert tables.updates_of(["aaaaaaaaaaaa"]) == {}
    tables.write()
    assert tables.path == tmp_path / ".tables.csv.patched" and part.read_bytes() == before  # the part is kept
    got = pd.read_csv(tables.path, dtype=str, keep_default_na=False)
    assert len(got) == 9 and list(got.columns) == TABLE_COLUMNS
    hit = (got["report_id"] == "bbbbbbbbbbbb") & got["col_code"].isin(["c1", "c2"])
    assert got.loc[hit, ["value", "status", "candidates", "raw"]].values.tolist() == [
        ["12.0", "ok", "", '第2行, "引号"\n换行 12 [跨年度]'], ["", "uncertain", "NA", "0"]]
    assert got.loc[~hit, "raw"].tolist() == [r["raw"] for r in rows if r["report_id"] != "bbbbbbbbbbbb"
                                             or r["col_code"] not in ("c1", "c2")]
    # the records before the changed report keep their bytes, and the file is what pandas writes for its rows
    assert tables.path.read_bytes().startswith(before.split(b"\nbbbbbbbbbbbb,", 1)[0])
    assert tables.path.read_text(encoding="utf-8") == got.to_csv(index=False, lineterminator="\n")
    # what the cross-year step and the summary read (side rows and the updates) is the refined part read back
    read = corpus._to_pandas(pa.Table.from_batches(list(corpus._open_csv(tables.path, corpus.CROSS_YEAR_TABLE_COLUMNS))),
                             False)
    (picks,) = side.slices([["aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc"]])
    seen = corpus._on_side(lambda frame, group: frame, side.path, picks, corpus.CROSS_YEAR_TABLE_COLUMNS, None,
                           tables.updates, False, None)
    pd.testing.assert_frame_equal(seen, read)
    uncertain = corpus._to_pandas(side.uncertain(tables.updates), False)
    expected = read.loc[read["status"] == "uncertain", ["report_id", "source", "status"]]
    assert sorted(map(tuple, uncertain.values)) == sorted(map(tuple, expected.values))


def test_the_statements_side_holds_the_section_five_rows_that_the_narrative_steps_read(tmp_path, monkeypatch):
    """The repeats groups and the keyword chunks (reports in order of first appearance) read the
    section-五 rows from the statements side part, as the statements part reads back."""
    from gdtools.outputs import read_frame

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(7):
        text = _report_text(i).replace("公开内容不够全面。", _PROBLEMS[i % 4] + "NA")
        (folder / f"report_{i:03d}.txt").write_text(text, encoding="utf-8")
    seen = []
    real = corpus._keyword_counts_task

    def counts(statements, reports):
        seen.append(statements["report_id"].tolist())
        return real(statements, reports)

    monkeypatch.setattr(corpus, "_keyword_counts_task", counts)
    monkeypatch.setattr(corpus._Batch.__init__, "__defaults__", (3,))  # groups and chunks of 3 reports
    corpus.run_batch([folder], tmp_path / "out", jobs=1, progress=False, batch_size=2)
    statements = read_frame(tmp_path / "out" / "statements.csv")
    five = statements[statements["section"] == "五"]
    order = list(dict.fromkeys(five["report_id"]))
    assert len(order) == 7 and [list(dict.fromkeys(ids)) for ids in seen] == [order[:3], order[3:6], order[6:]]
    assert sum(map(len, seen)) == len(five)
    assert not (tmp_path / "out" / ".statements-side.part").exists()
