"""validate_report_columns: the findings as plain columns, equal to the validate_report frame, from a
tables frame or from the tables as columns (real reports, generated reports, synthetic frames)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from test_validate import CONSISTENT, _with_uncertain, frame, report, table2_rows, table3_rows, table4_rows

from gdtools.model import FINDING_COLUMNS, TABLE_COLUMNS
from gdtools.validate import validate_report, validate_report_columns


def as_columns(tables: pd.DataFrame) -> dict[str, list]:
    """A tables frame as the columns gdtools.tables.table_columns returns (plain values, None for NA)."""
    return {c: [None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v
                for v in tables[c].tolist()] for c in TABLE_COLUMNS}


def plain(findings: pd.DataFrame) -> dict[str, list]:
    return {c: [None if isinstance(v, float) and math.isnan(v) else v for v in findings[c].tolist()]
            for c in findings.columns}


def check(rep, tables: pd.DataFrame) -> dict[str, list]:
    """Columns from the frame and from its columns are equal, plain, and the frame's values."""
    from_frame = validate_report_columns(rep, tables)
    from_columns = validate_report_columns(rep, as_columns(tables))
    assert list(from_frame) == FINDING_COLUMNS
    assert from_frame == from_columns
    assert len({len(v) for v in from_frame.values()}) == 1
    for name, values in from_frame.items():
        kinds = (float, type(None)) if name in ("expected", "actual", "diff") else (str,)
        assert all(type(v) in kinds for v in values), name
    findings = validate_report(rep, tables)
    assert list(findings.columns) == FINDING_COLUMNS
    assert plain(findings) == from_frame
    return from_frame


def test_columns_equal_the_frame_on_synthetic_tables():
    consistent = frame(table3_rows("r1", "v2021", CONSISTENT) + table4_rows("r1", "v2021")
                       + table2_rows("r1", "v2021", {("rules", "in_force"): 3}))
    broken = frame(table3_rows("r1", "v2019", dict(CONSISTENT, total=[9, None, 0, 0, 0, 0, 3]))
                   + table4_rows("r1", "v2019", {"review": [1, None, 0, 0, 4]}))
    uncertain = _with_uncertain(consistent, "open", "natural", None, "5|6")
    text = "一、总体情况\n本年度共收到政府信息公开申请13件，予以公开7件。\n"
    cases = [(report(), consistent), (report(template="v2019"), broken), (report(), uncertain),
             (report(text=text, sections=[("一", 0, len(text))]), consistent),
             (report(template="older"), consistent.iloc[:0]), (report(template="v2021"), broken)]
    seen = set()
    for rep, tables in cases:
        columns = check(rep, tables)
        seen |= set(columns["severity"])
    assert {"ok", "error", "not_assessable"} <= seen


def test_only_the_reports_own_rows_are_read_from_a_shared_frame():
    mine = frame(table3_rows("r1", "v2021", CONSISTENT))
    other = frame(table3_rows("r2", "v2021", dict(CONSISTENT, total=[0, 0, 0, 0, 0, 0])))
    shared = pd.concat([other, mine, other], ignore_index=True)
    alone = validate_report_columns(report(), mine)
    assert check(report(), shared) == alone
    assert "error" not in alone["severity"]
    none = validate_report_columns(report(), other)
    assert "C2" in none["rule"] and not {"R1", "R2", "R3"} & set(none["rule"])   # no table 三 of r1
    assert none == validate_report_columns(report(), as_columns(other))


def test_no_tables_at_all_give_the_completeness_findings():
    empty = {c: [] for c in TABLE_COLUMNS}
    columns = validate_report_columns(report(), empty)
    assert columns == validate_report_columns(report(), pd.DataFrame())
    assert "C2" in columns["rule"] and validate_report(report(), empty).equals(validate_report(report(), frame([])))


def _pipeline_check(paths) -> int:
    from gdtools.io import load_report
    from gdtools.tables import extract_tables

    rows = 0
    for path in paths:
        rep = load_report(path)
        rows += len(check(rep, extract_tables(rep))["rule"])
    return rows


@pytest.mark.realdata
def test_columns_equal_the_frame_on_real_reports(realdata, manifest):
    paths = [realdata / "reports" / row["file"] for row in manifest]
    paths = [p for p in paths if p.is_file() and p.suffix != ".pdf"][:12]
    assert _pipeline_check(paths) > 0


def test_columns_equal_the_frame_on_generated_reports(tmp_path):
    from gdtools.synth import generate_corpus

    paths = generate_corpus(tmp_path / "corpus", n=6, seed=3, formats=("txt", "html", "docx"))
    assert _pipeline_check([p for p in paths if p.suffix in (".txt", ".html", ".docx", ".md")]) > 0


def test_columns_given_as_arrays_or_tuples_read_as_lists():
    import numpy as np

    tables = frame(table3_rows("r1", "v2021", CONSISTENT) + table4_rows("r1", "v2021"))
    columns = as_columns(tables)
    arrays = {name: np.array(values, dtype=object) if i % 2 else tuple(values)
              for i, (name, values) in enumerate(columns.items())}
    assert validate_report_columns(report(), arrays) == validate_report_columns(report(), columns)
