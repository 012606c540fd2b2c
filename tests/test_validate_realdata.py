"""End to end on the real reports: load → extract_tables → validate (skipped without ../shared)."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from gdtools.agency import normalize_agency
from gdtools.spec import table_spec

pytestmark = pytest.mark.realdata

ARITHMETIC = ["R1", "R2", "R3", "R4"]


@pytest.fixture(scope="module")
def pipeline(realdata, manifest):
    from gdtools.io import load_report
    from gdtools.tables import extract_tables
    from gdtools.validate import validate

    reports, frames, names = [], [], {}
    for row in manifest:
        path = realdata / "reports" / row["file"]
        if not path.is_file():
            continue
        rep = load_report(path)
        reports.append(rep)
        frames.append(extract_tables(rep))
        names[rep.report_id] = row["file"].rsplit(".", 1)[0]
    tables = pd.concat(frames, ignore_index=True)
    findings = validate(reports, tables)
    findings["stem"] = findings.report_id.map(names)
    tables["stem"] = tables.report_id.map(names)
    return reports, tables, findings


def _recorded(truth: dict) -> set[tuple[str, str]]:
    """(rule, row-or-column key) of the failures recorded by hand, e.g. ("R3", "自然人")."""
    out = set()
    for text in truth["_checks_as_recorded"]["failures"]:
        m = re.match(r"(R\d)\[([^\]]+)\]", text)
        out.add((m.group(1), m.group(2)))
    return out


def _key(row) -> str:
    """The key the recorded failures use: the column for R1/R3, the row for R2/R4."""
    if row.rule in ("R1", "R3"):
        return row.col_label
    r3 = table_spec("table3_rows")
    r4 = table_spec("table4_rows")
    by_label = {**dict(zip(r3.label, r3.gold_key)), **dict(zip(r4.label, r4.gold_key))}
    return by_label.get(row.row_label, row.row_label)


def _extracted_exactly(tables: pd.DataFrame, stem: str, truth: dict) -> bool:
    """True when tables 三 and 四 were extracted with every hand-checked value (blank = NA)."""
    mine = tables[tables.stem == stem]
    if mine.empty:
        return False
    for table in ("table3", "table4"):
        rows, cols = table_spec(f"{table}_rows"), table_spec(f"{table}_cols")
        rk, ck = dict(zip(rows.gold_key, rows.row_code)), dict(zip(cols.gold_key, cols.col_code))
        got = {(r.row_code, r.col_code): (r.value, r.status) for r in mine[mine.table == table].itertuples()}
        for key, values in (truth.get(table) or {}).items():
            for col, want in values.items():
                value, status = got.get((rk[key], ck[col]), (None, "missing"))
                if status not in ("ok", "blank"):
                    return False
                value = None if value is None or pd.isna(value) else float(value)
                if (want is None) != (value is None) or (want is not None and not math.isclose(want, value)):
                    return False
    return True


def test_reports_read_correctly_get_exactly_the_recorded_arithmetic_errors(pipeline, expected_tables):
    _, tables, findings = pipeline
    checked = 0
    for stem, truth in expected_tables.items():
        if not _extracted_exactly(tables, stem, truth):
            continue
        checked += 1
        mine = findings[(findings.stem == stem) & findings.rule.isin(ARITHMETIC)]
        errors = {(r.rule, _key(r)) for r in mine[mine.severity == "error"].itertuples()}
        recorded = _recorded(truth)
        flagged = {(r.rule, _key(r)) for r in mine[mine.severity.isin(["error", "not_assessable"])].itertuples()}
        assert errors <= recorded, (stem, errors - recorded)
        assert recorded <= flagged, (stem, recorded - flagged)
    assert checked >= 3


def test_x4_finds_the_narrative_figures_that_contradict_the_table(pipeline):
    _, _, findings = pipeline
    x4 = findings[(findings.stem == "005_shanghai-gov-office-2019") & (findings.rule == "X4")]
    warned = x4[x4.severity == "warning"]
    assert set(warned.row_label) == {"予以公开及部分公开", "无法提供"}
    assert set(warned.expected) == {275, 337}
    assert len(x4[x4.severity == "ok"]) == 1


def test_x4_never_warns_where_text_and_table_agree(pipeline):
    _, _, findings = pipeline
    x4 = findings[(findings.rule == "X4") & (findings.severity == "warning")]
    # every warning states two different numbers
    assert (x4.expected != x4.actual).all()
    assert set(x4.stem) <= {"005_shanghai-gov-office-2019"}


def test_x1_result_is_shown_for_every_consecutive_year_pair(pipeline, manifest):
    reports, _, findings = pipeline
    by_agency = {}
    for rep in reports:
        year = rep.meta("year")
        if rep.meta("agency") and year:
            by_agency.setdefault(normalize_agency(rep.meta("agency")), {})[int(year)] = rep
    expected = set()
    for years in by_agency.values():
        for year, rep in years.items():
            prev = years.get(year - 1)
            if prev is not None and rep.template in ("v2019", "v2021"):
                expected.add(rep.report_id)
    assert expected
    shown = set(findings[findings.rule == "X1"].report_id)
    assert expected <= shown


def test_validate_report_extracts_the_tables_itself_when_none_are_given(pipeline):
    from gdtools.validate import validate_report

    reports, tables, findings = pipeline
    rep = next(r for r in reports if r.source.endswith("005_shanghai-gov-office-2019.html"))
    alone = validate_report(rep)
    mine = findings[(findings.report_id == rep.report_id) & ~findings.rule.str.startswith("X1")]
    mine = mine[~mine.rule.isin(["X2", "X3"])].drop(columns="stem").reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.reset_index(drop=True), mine)


def test_blank_carried_forward_total_makes_r1_not_a_silent_pass(pipeline):
    _, _, findings = pipeline
    r1 = findings[(findings.stem == "001_shanghai-stcsm-2024") & (findings.rule == "R1")
                  & (findings.col_label == "总计")]
    assert list(r1.severity) in (["not_assessable"], ["error"])
    assert "结转下年度" in r1.iloc[0].message


def test_no_arithmetic_error_outside_the_reports_recorded_as_inconsistent(pipeline):
    _, _, findings = pipeline
    errors = findings[findings.rule.isin(ARITHMETIC) & (findings.severity == "error")]
    assert set(errors.stem) <= {"006_pingtan-zone-2020", "013_hebei-sci-tech-dept-2022",
                                "047_hongze-district-gov-2023"}
