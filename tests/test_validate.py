"""The validation engine on tables frames built here (synthetic numbers) and from the hand-checked
expected values of the real reports (so these tests do not hinge on the table extractor)."""

from __future__ import annotations

import itertools
import json
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdtools.errors import ValidationError
from gdtools.model import FINDING_COLUMNS, TABLE_COLUMNS, Field, Report, Section
from gdtools.spec import table_spec
from gdtools.validate import (
    _Cell,
    _evaluate,
    _judge,
    _options,
    _side,
    _Term,
    _verdict,
    load_rules,
    parse_rules,
    summarize_findings,
    validate,
    validate_corpus,
    validate_report,
)

APPLICANTS = ["natural", "business", "research", "public_interest", "legal_services", "other_org"]
COLS = [*APPLICANTS, "total"]


# ---------------------------------------------------------------- frame builders

def _row(rid, template, table, row, col, value, status=None, candidates=None):
    if status is None:
        status = "blank" if value is None else "ok"
    return {"report_id": rid, "source": f"{rid}.txt", "template": template, "table": table, "item": "",
            "row_code": row, "row_label": row, "col_code": col, "col_label": col, "value": value, "unit": "",
            "status": status, "candidates": candidates, "raw": ""}


def table3_rows(rid, template, values):
    """Rows of table 三: ``values`` maps row_code -> 6 applicant values (total = their sum unless 7 given);
    rows of the template not mentioned are all 0."""
    spec = table_spec("table3_rows")
    out = []
    for code in spec[spec[template] != ""]["row_code"]:
        vals = list(values.get(code, [0] * 6))
        if len(vals) == 6:
            vals.append(sum(v for v in vals if v is not None))
        out += [_row(rid, template, "table3", code, col, v) for col, v in zip(COLS, vals)]
    return out


def table4_rows(rid, template, values=None):
    values = values or {}
    out = []
    for code in ("review", "litigation_direct", "litigation_after_review"):
        vals = list(values.get(code, [0, 0, 0, 0]))
        if len(vals) == 4:
            vals.append(sum(vals))
        out += [_row(rid, template, "table4", code, col, v)
                for col, v in zip(["upheld", "corrected", "other", "pending", "total"], vals)]
    return out


def table2_rows(rid, template, values):
    spec = table_spec("table2")
    spec = spec[spec[template] != ""]
    return [_row(rid, template, "table2", r.row_code, r.col_code, values.get((r.row_code, r.col_code), 0))
            for r in spec.itertuples()]


CONSISTENT = {
    "received": [10, 2, 0, 0, 0, 0], "carried_in": [1, 0, 0, 0, 0, 0],
    "open": [5, 1, 0, 0, 0, 0], "partial": [2, 0, 0, 0, 0, 0], "unable_not_held": [3, 0, 0, 0, 0, 0],
    "reject_repeat": [0, 1, 0, 0, 0, 0], "total": [10, 2, 0, 0, 0, 0], "carried_forward": [1, 0, 0, 0, 0, 0],
}


def frame(rows):
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def report(rid="r1", template="v2021", text="", sections=(), agency="某市某局", year=2022):
    secs = [Section(code, f"{code}、", start, end) for code, start, end in sections]
    return Report(report_id=rid, source=f"{rid}.txt", format="txt", text=text, template=template,
                  metadata={"agency": Field(agency, "title"), "year": Field(year, "title")}, sections=secs)


def run(values, template="v2021", t4=None, rep=None, edits=None):
    rows = table3_rows("r1", template, values) + table4_rows("r1", template, t4)
    f = frame(rows)
    for (row, col), value in (edits or {}).items():
        mask = (f.row_code == row) & (f.col_code == col) & (f.table == "table3")
        f.loc[mask, "value"] = value
        f.loc[mask, "status"] = "blank" if value is None else "ok"
    return validate_report(rep or report(template=template), f)


def failures(findings, rules=("R1", "R2", "R3", "R4")):
    return findings[findings.rule.isin(rules) & findings.severity.isin(["error", "warning"])]


# ---------------------------------------------------------------- rules file

def test_rules_file_declares_every_rule_with_wording_severity_and_tolerance():
    rules = {r.id: r for r in load_rules()}
    assert {"R1", "R2", "R3", "R4", "X1", "X2", "X3", "X4", "X5", "C1", "C2", "C3", "C4"} <= set(rules)
    for rule in rules.values():
        assert rule.description and rule.source and rule.severity in ("error", "warning", "not_assessable")
        assert rule.tolerance >= 0
    assert rules["R2"].source == "implied" and rules["X3"].severity == "warning"


@pytest.mark.parametrize("text, fragment", [
    ("rules: [{id: A, kind: sum_equals}]", "lacks"),
    ("rules: [{id: A, kind: guess, description: d, source: s, severity: error, tolerance: 0}]", "unknown kind"),
    ("rules: [{id: A, kind: present, description: d, source: s, severity: fatal, tolerance: 0}]", "severity"),
    ("nothing: here", "list under 'rules'"),
    ("rules: [", "YAML"),
])
def test_malformed_rules_raise_a_validation_error_saying_what_to_fix(text, fragment):
    with pytest.raises(ValidationError, match=fragment):
        parse_rules(text)


# ---------------------------------------------------------------- in-report arithmetic

def test_consistent_tables_give_only_ok_rows_for_the_arithmetic():
    findings = run(CONSISTENT)
    assert list(findings.columns) == FINDING_COLUMNS
    arithmetic = findings[findings.rule.isin(["R1", "R2", "R3", "R4"])]
    assert set(arithmetic.severity) == {"ok"}
    assert set(arithmetic.rule) == {"R1", "R2", "R3", "R4"}


def test_r1_break_names_the_column_the_rows_and_the_numbers():
    values = dict(CONSISTENT, received=[12, 2, 0, 0, 0, 0])
    # keep R2 and R3 intact so only R1 breaks: 本年新收 12+2=14 in the 总计 column too
    f = failures(run(values))
    r1 = f[f.rule == "R1"]
    assert set(r1.col_label) == {"自然人", "总计"}
    row = r1[r1.col_label == "自然人"].iloc[0]
    assert row.severity == "error" and row.expected == 13 and row.actual == 11 and row["diff"] == -2
    assert "本年新收12" in row.message and "上年结转1" in row.message and "相差2" in row.message
    assert set(f.rule) == {"R1"}


def test_r2_and_r3_breaks_are_reported_per_row_and_per_column():
    values = dict(CONSISTENT, open=[5, 1, 0, 0, 0, 0, 7])   # printed 总计 7 ≠ 6
    f = failures(run(values))
    r2 = f[f.rule == "R2"]
    assert list(r2.row_label) == ["（一）予以公开"] and r2.iloc[0]["diff"] == 1
    r3 = f[f.rule == "R3"]
    assert list(r3.col_label) == ["总计"] and "（七）总计12" in r3.iloc[0].message


def test_r4_checks_each_of_the_three_totals_of_table_4():
    f = failures(run(CONSISTENT, t4={"review": [3, 1, 0, 0, 0], "litigation_after_review": [0, 0, 1, 0, 1]}))
    assert list(f.rule) == ["R4"] and list(f.row_label) == ["行政复议"]
    assert "结果维持3" in f.iloc[0].message and f.iloc[0].actual == 0


def test_blank_is_not_zero_a_sum_that_needs_a_blank_cell_is_not_assessable():
    findings = run(CONSISTENT, edits={("carried_forward", "natural"): None, ("carried_forward", "total"): None})
    r1 = findings[findings.rule == "R1"]
    na = r1[r1.severity == "not_assessable"]
    assert set(na.col_label) == {"自然人", "总计"}
    assert "结转下年度" in na.iloc[0].message and "空白" in na.iloc[0].message
    assert failures(findings).empty


def test_blank_cells_that_the_sum_does_not_need_pass_with_a_note():
    findings = run(CONSISTENT, edits={("carried_in", "business"): None, ("carried_forward", "business"): None})
    r1 = findings[findings.rule == "R1"]
    assert set(r1.severity) == {"ok"} and "空白" in r1.iloc[0].message


def test_blank_cells_cannot_rescue_a_sum_that_is_already_too_large():
    # outcome rows (lhs of R3) add up to more than the printed total; a blank outcome cell can only add more
    findings = run(dict(CONSISTENT, open=[7, 1, 0, 0, 0, 0]), edits={("partial", "business"): None})
    r3 = failures(findings, ("R3",))
    assert "自然人" in set(r3.col_label) and set(r3.severity) == {"error"}


def test_all_blank_columns_are_grouped_into_one_not_assessable_row():
    values = {k: [v[0], None, None, None, None, None, v[0]] for k, v in CONSISTENT.items()}
    spec = table_spec("table3_rows")
    for code in spec[spec["v2021"] != ""].row_code:
        values.setdefault(code, [0, None, None, None, None, None, 0])
    findings = run(values)
    r1 = findings[(findings.rule == "R1") & (findings.severity == "not_assessable")]
    assert len(r1) == 1 and "商业企业" in r1.iloc[0].message and "全部空白" in r1.iloc[0].message


def _with_uncertain(f, row, col, value, candidates):
    mask = (f.table == "table3") & (f.row_code == row) & (f.col_code == col)
    f.loc[mask, "value"] = value
    f.loc[mask, "status"] = "uncertain"
    f.loc[mask, "candidates"] = json.dumps(candidates)
    return f


def test_uncertain_cell_makes_the_rule_not_assessable_when_readings_disagree():
    f = frame(table3_rows("r1", "v2021", CONSISTENT) + table4_rows("r1", "v2021"))
    f = _with_uncertain(f, "received", "natural", 10, [10, 1])
    findings = validate_report(report(), f)
    r1 = findings[(findings.rule == "R1") & (findings.col_label == "自然人")]
    assert list(r1.severity) == ["not_assessable"] and "不确定" in r1.iloc[0].message
    c4 = findings[findings.rule == "C4"]
    assert len(c4) == 1 and "10/1" in c4.iloc[0].message


def test_uncertain_cell_keeps_the_verdict_when_all_readings_agree():
    values = dict(CONSISTENT, total=[4, 2, 0, 0, 0, 0])  # 总计 row far too small whatever the reading
    f = frame(table3_rows("r1", "v2021", values) + table4_rows("r1", "v2021"))
    f = _with_uncertain(f, "received", "natural", 10, [10, 11])
    r1 = validate_report(report(), f)
    r1 = r1[(r1.rule == "R1") & (r1.col_label == "自然人")]
    assert list(r1.severity) == ["error"] and "所有候选读法组合结论相同" in r1.iloc[0].message


def test_v2021_report_printing_the_single_v2019_other_row_is_checked_as_printed():
    rows = [r for r in table3_rows("r1", "v2021", dict(CONSISTENT, other_no_correction=[1, 0, 0, 0, 0, 0]))
            if not r["row_code"].startswith("other_")]
    rows += [_row("r1", "v2021", "table3", "other", c, v) for c, v in zip(COLS, [1, 0, 0, 0, 0, 0, 1])]
    f = frame(rows + table4_rows("r1", "v2021"))
    findings = validate_report(report(), f)
    r3 = findings[(findings.rule == "R3") & (findings.severity != "ok")]
    assert set(r3.col_label) == {"自然人", "总计"} and set(r3.severity) == {"error"}
    assert "其他处理1" in r3.iloc[0].message
    assert set(findings[findings.rule == "C3"].severity) == {"ok"}


# ---------------------------------------------------------------- completeness

def test_missing_sections_tables_and_rows_are_reported():
    rows = [r for r in table3_rows("r1", "v2021", CONSISTENT) if r["row_code"] != "partial"]
    rep = report(text="x" * 60, sections=[("一", 0, 10), ("二", 10, 20), ("三", 20, 30), ("五", 30, 40)])
    findings = validate_report(rep, frame(rows))
    c1 = findings[findings.rule == "C1"].iloc[0]
    assert c1.severity == "warning" and "第四部分" in c1.message and "第六部分" in c1.message
    c2 = findings[(findings.rule == "C2") & (findings.severity == "warning")]
    assert set(c2.table) == {"table2", "table4"}
    c3 = findings[(findings.rule == "C3") & (findings.severity == "warning")]
    assert list(c3.row_label) == ["（二）部分公开"]
    # R3 cannot be assessed without the 部分公开 row: not a failure
    r3 = findings[findings.rule == "R3"]
    assert "error" not in set(r3.severity) and "not_assessable" in set(r3.severity)


def test_legacy_reports_get_no_template_checks():
    findings = validate_report(report(template="older", year=2015), frame([]))
    assert findings.empty


def test_unknown_template_after_2019_still_expects_the_tables():
    findings = validate_report(report(template="unknown", year=2020), frame([]))
    assert set(findings[findings.severity == "warning"].rule) == {"C1", "C2"}


# ---------------------------------------------------------------- text against tables (X4) and fees (X5)

def _x4(text, values=CONSISTENT, t4=None):
    rep = report(text=text, sections=[("一", 0, len(text))])
    f = frame(table3_rows("r1", "v2021", values) + table4_rows("r1", "v2021", t4))
    findings = validate_report(rep, f)
    return findings[findings.rule == "X4"]


def test_x4_flags_figures_that_differ_from_the_table():
    x4 = _x4("本年度共收到政府信息公开申请十二件，予以公开及部分公开9件，无法提供五件，不予处理1件。")
    warn = x4[x4.severity == "warning"]
    assert list(warn.row_label) == ["予以公开及部分公开", "无法提供"]
    assert warn.iloc[0].expected == 8 and warn.iloc[0].actual == 9
    assert "予以公开及部分公开9件" in warn.iloc[0].message
    assert "收到申请12" in x4[x4.severity == "ok"].iloc[0].message


def test_x4_raises_nothing_where_text_and_table_agree():
    x4 = _x4("收到政府信息公开申请12件（含上年结转），予以公开6件，部分公开2件，无法提供3件，"
             "不予处理1件，行政复议0件，行政诉讼0件。")
    assert set(x4.severity) == {"ok"} and "7个数字" in x4.iloc[0].message


def test_x4_accepts_received_including_carried_over_and_totals_computed_from_applicant_columns():
    values = {k: v[:6] + [None] for k, v in CONSISTENT.items()}   # 总计 column left blank
    x4 = _x4("共受理申请13件，答复申请12件，予以公开六件。", values=values)
    assert set(x4.severity) == {"ok"}


@pytest.mark.parametrize("text", [
    "去年收到申请30件。",                      # another year
    "其中企业申请予以公开9件。",                # one kind of applicant only
    "受理申请200余件。",                       # approximate
    "收到申请约20件。",
    "网上受理系统覆盖12个乡镇。",                # 受理 not about applications
])
def test_x4_is_conservative_about_the_referent(text):
    assert _x4(text).empty


def test_x5_requires_a_fee_mention_when_applications_lapsed_for_unpaid_fees():
    values = dict(CONSISTENT, other_no_fee=[1, 0, 0, 0, 0, 0], total=[11, 2, 0, 0, 0, 0],
                  received=[11, 2, 0, 0, 0, 0])
    text_without = "一、总体情况。六、其他需要报告的事项。无。"
    text_with = "一、总体情况。六、其他需要报告的事项。本年度发出收费通知1件。"
    f = frame(table3_rows("r1", "v2021", values) + table4_rows("r1", "v2021"))
    for text, severity in ((text_without, "warning"), (text_with, "ok")):
        six = text.index("六")
        rep = report(text=text, sections=[("一", 0, six), ("六", six, len(text))])
        x5 = validate_report(rep, f)
        x5 = x5[x5.rule == "X5"]
        assert list(x5.severity) == [severity]
    assert validate_report(report(), frame(table3_rows("r1", "v2021", CONSISTENT)))[lambda d: d.rule == "X5"].empty


# ---------------------------------------------------------------- cross-year (X1–X3)

def _corpus(*reports):
    rows, recs = [], []
    for rid, year, template, t3, t2, agency in reports:
        rows += table3_rows(rid, template, t3) if t3 is not None else []
        rows += table2_rows(rid, template, t2) if t2 is not None else []
        recs.append({"report_id": rid, "source": f"{rid}.txt", "agency": agency, "year": year,
                     "template": template, "status": "ok"})
    return frame(rows), pd.DataFrame(recs)


def test_x1_compares_carried_over_with_last_years_carried_forward_per_column():
    last = dict(CONSISTENT, carried_forward=[2, 0, 0, 0, 0, 0], total=[9, 2, 0, 0, 0, 0])
    tables, reps = _corpus(("a", 2021, "v2021", last, {}, "某市科学技术局"),
                           ("b", 2022, "v2021", CONSISTENT, {}, "某市科技局"),   # same agency, short form
                           ("c", 2024, "v2021", CONSISTENT, {}, "某市科技局"))   # 2023 absent: no pair
    x1 = validate_corpus(tables, reps)
    x1 = x1[x1.rule == "X1"]
    assert set(x1.report_id) == {"b"}
    err = x1[x1.severity == "error"]
    assert set(err.col_label) == {"自然人", "总计"}
    assert "上年结转1" in err.iloc[0].message and "上年报告结转下年度2" in err.iloc[0].message
    assert err.iloc[0].expected == 2 and err.iloc[0].actual == 1
    assert "ok" in set(x1.severity)


def test_x1_against_a_legacy_report_is_shown_as_not_assessable():
    tables, reps = _corpus(("a", 2018, "older", None, None, "某局"), ("b", 2019, "v2019", CONSISTENT, {}, "某局"))
    x = validate_corpus(tables, reps)
    assert set(x.rule) == {"X1", "X2"} and set(x.severity) == {"not_assessable"}


def test_x2_uses_signed_changes_and_x3_is_a_warning():
    t2019 = {("licensing", "prev_items"): 100, ("licensing", "change"): -8}
    t2020 = {("licensing", "prev_items"): 92, ("penalty", "prev_items"): 5}
    t2021 = {("normative_docs", "in_force"): 40}
    t2022 = {("normative_docs", "in_force"): 45, ("normative_docs", "issued"): 6, ("normative_docs", "repealed"): 2}
    tables, reps = _corpus(("a", 2019, "v2019", CONSISTENT, t2019, "某局"), ("b", 2020, "v2019", CONSISTENT, t2020, "某局"),
                           ("c", 2021, "v2021", CONSISTENT, t2021, "某局"), ("d", 2022, "v2021", CONSISTENT, t2022, "某局"))
    x = validate_corpus(tables, reps)
    x2 = x[(x.rule == "X2") & (x.severity != "ok")]
    assert list(x2.row_label) == ["行政处罚"] and x2.iloc[0].severity == "warning"
    x3 = x[(x.rule == "X3") & (x.severity != "ok")]
    assert list(x3.row_label) == ["行政规范性文件"] and x3.iloc[0].severity == "warning" and x3.iloc[0]["diff"] == 1
    assert x[x.rule == "X3"].report_id.eq("d").all()   # v2019→v2021: table 二 columns differ, no X3/X2


def test_validate_runs_in_report_and_cross_year_rules_and_summarizes():
    tables, _ = _corpus(("a", 2021, "v2021", CONSISTENT, {}, "某局"),
                        ("b", 2022, "v2021", dict(CONSISTENT, carried_in=[0, 0, 0, 0, 0, 0],
                                                  received=[11, 2, 0, 0, 0, 0]), {}, "某局"))
    reps = [report("a", year=2021, agency="某局"), report("b", year=2022, agency="某局")]
    findings = validate(reps, tables)
    assert {"R1", "X1"} <= set(findings.rule)
    x1 = findings[(findings.rule == "X1") & (findings.severity == "error")]
    assert set(x1.col_label) == {"自然人", "总计"}
    summary = summarize_findings(findings, tables, reps)
    assert list(summary.report_id) == ["a", "b"]
    b = summary.set_index("report_id").loc["b"]
    assert b.errors == len(findings[(findings.report_id == "b") & (findings.severity == "error")])
    assert b.light == "red" and summary.set_index("report_id").loc["a"].light == "amber"


# ---------------------------------------------------------------- real data, from the hand-checked values

def frame_from_truth(truth: dict, rid: str) -> pd.DataFrame:
    """A tables frame holding the expected values of a real report (null = blank)."""
    template, rows = truth["template"], []
    for table in ("table3", "table4"):
        rs, cs = table_spec(f"{table}_rows"), table_spec(f"{table}_cols")
        rk, ck = dict(zip(rs.gold_key, rs.row_code)), dict(zip(cs.gold_key, cs.col_code))
        for key, cols in (truth.get(table) or {}).items():
            rows += [_row(rid, template, table, rk[key], ck[c], v) for c, v in cols.items()]
    codes = {}
    for r in table_spec("table2").itertuples():
        for row_name in {r.gold_row, r.row_v2019, r.row_v2021} - {""}:
            for col in r.gold_col.split("|"):
                codes.setdefault((row_name, col), (r.row_code, r.col_code))
    for key, cols in (truth.get("table2") or {}).items():
        rows += [_row(rid, template, "table2", *codes[(key, c)], v) for c, v in cols.items() if (key, c) in codes]
    return frame(rows)


@pytest.fixture(scope="module")
def truth_findings(expected_tables):
    frames, recs, out = [], [], []
    for stem, truth in expected_tables.items():
        rid = stem[:3]
        f = frame_from_truth(truth, rid)
        frames.append(f)
        rep = report(rid, template=truth["template"], agency=truth["agency"], year=truth["year"])
        out.append(validate_report(rep, f))
        recs.append({"report_id": rid, "source": truth["file"], "agency": truth["agency"], "year": truth["year"],
                     "template": truth["template"], "status": "ok"})
    tables = pd.concat(frames, ignore_index=True)
    out.append(validate_corpus(tables, pd.DataFrame(recs)))
    return pd.concat(out, ignore_index=True)


@pytest.mark.realdata
def test_arithmetic_failures_on_real_values_are_exactly_the_recorded_ones(truth_findings):
    errors = truth_findings[truth_findings.rule.isin(["R1", "R2", "R3", "R4"])
                            & (truth_findings.severity == "error")]
    got = sorted(zip(errors.report_id, errors.rule, errors.row_label, errors.col_label))
    assert got == sorted([
        ("006", "R3", "（七）总计", "自然人"), ("006", "R3", "（七）总计", "总计"),
        ("013", "R1", "（七）总计、四、结转下年度继续办理", "自然人"), ("013", "R3", "（七）总计", "自然人"),
        ("013", "R2", "（七）总计", "总计"),
        ("047", "R4", "行政复议", "总计"), ("047", "R4", "行政诉讼/复议后起诉", "总计"),
    ])
    r1 = truth_findings[(truth_findings.report_id == "001") & (truth_findings.rule == "R1")
                        & (truth_findings.col_label == "总计")]
    assert list(r1.severity) == ["not_assessable"] and "结转下年度" in r1.iloc[0].message


@pytest.mark.realdata
def test_x1_is_shown_for_every_consecutive_year_pair_in_the_real_set(truth_findings, expected_tables):
    x1 = truth_findings[truth_findings.rule == "X1"]
    years = {stem[:3]: (t["agency"], t["year"]) for stem, t in expected_tables.items()}
    from gdtools.agency import normalize_agency
    pairs = {rid for rid, (agency, year) in years.items()
             if any(normalize_agency(a) == normalize_agency(agency) and y == year - 1 for a, y in years.values())}
    assert pairs and set(x1.report_id) == pairs
    assert "error" not in set(x1.severity)


def test_candidates_blank_reading_and_undecidable_marker():
    f = frame(table3_rows("r1", "v2021", CONSISTENT) + table4_rows("r1", "v2021"))
    f = _with_uncertain(f, "carried_in", "business", None, [])
    f.loc[(f.row_code == "carried_in") & (f.col_code == "business"), "candidates"] = "blank|0"
    f = _with_uncertain(f, "open", "research", None, [])
    f.loc[(f.row_code == "open") & (f.col_code == "research"), "candidates"] = "undecidable"
    findings = validate_report(report(), f)
    r1 = findings[(findings.rule == "R1") & (findings.severity != "ok")]
    assert "商业企业" not in set(r1.col_label)          # blank or 0: R1 holds either way
    r3 = findings[(findings.rule == "R3") & (findings.col_label == "科研机构")]
    assert list(r3.severity) == ["not_assessable"] and "无候选读法" in r3.iloc[0].message


def test_summary_is_grey_when_nothing_was_checked():
    legacy = report("old", template="older", year=2016)
    findings = validate([legacy], frame([]))
    summary = summarize_findings(findings, frame([]), [legacy])
    assert findings.empty and list(summary.light) == ["grey"] and summary.iloc[0].errors == 0


def test_x4_reads_figures_across_soft_line_breaks_and_spaces_as_pdf_text_has_them():
    x4 = _x4("全年收到政府信息公开申请 12\n件，予以公开及部分公开\n9 件。")
    assert list(x4[x4.severity == "warning"].row_label) == ["予以公开及部分公开"]
    assert "收到申请12" in x4[x4.severity == "ok"].iloc[0].message


def test_x4_takes_all_applicants_named_together_as_the_total():
    x4 = _x4("全年收到公民、法人和其他组织提交的政府信息公开申请14件。")
    assert list(x4[x4.severity == "warning"].actual) == [14]
    assert _x4("全年收到法人提交的政府信息公开申请14件。").empty


def test_x4_reads_carried_over_and_other_processing_and_synonyms():
    x4 = _x4("同意公开答复6件，其他处理0件，上年结转申请1件，结转至2023年2件。")
    warn = x4[x4.severity == "warning"]
    assert list(warn.row_label) == ["结转下年度"] and list(warn.actual) == [2] and list(warn.expected) == [1]
    assert "予以公开6" in x4[x4.severity == "ok"].iloc[0].message and "上年结转1" in x4.iloc[-1].message


def test_docs_describe_every_rule_and_severity():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "validation.md").read_text(encoding="utf-8")
    for rule in load_rules():
        assert f"| {rule.id} |" in doc
    for severity in ("error", "warning", "not_assessable", "ok"):
        assert f"`{severity}`" in doc


def test_cross_year_rules_read_frames_as_written_to_csv(tmp_path):
    last = dict(CONSISTENT, carried_forward=[2, 0, 0, 0, 0, 0], total=[9, 2, 0, 0, 0, 0])
    tables, reps = _corpus(("a", 2021, "v2021", last, {}, "某局"), ("b", 2022, "v2021", CONSISTENT, {}, "某局"))
    direct = validate_corpus(tables, reps)
    tables.to_csv(tmp_path / "t.csv", index=False)
    reps.to_csv(tmp_path / "r.csv", index=False)
    back = pd.read_csv(tmp_path / "t.csv", dtype={"report_id": "category", "row_code": "category",
                                                   "col_code": "category", "status": "category"})
    again = validate_corpus(back, pd.read_csv(tmp_path / "r.csv", dtype={"report_id": str}))
    pd.testing.assert_frame_equal(direct, again)


# ---------------------------------------------------------------- readings of uncertain cells

_values = st.one_of(st.none(), st.integers(0, 30).map(float))
_cells = st.one_of(
    _values.map(lambda v: _Cell(v, "blank" if v is None else "ok", ())),
    st.tuples(_values, st.lists(_values, min_size=1, max_size=3, unique=True)).map(
        lambda vc: _Cell(vc[0], "uncertain", tuple(vc[1]))))


@settings(max_examples=300, deadline=None)
@given(st.lists(_cells, min_size=1, max_size=4), st.lists(_cells, min_size=0, max_size=2),
       st.lists(st.booleans(), min_size=6, max_size=6), st.sampled_from([0.0, 1.0]))
def test_each_reading_is_judged_by_number_as_its_message_says_and_the_closest_one_is_shown(left, right, signed, tol):
    lhs = [_Term(f"左{i}", c, signed=signed[i]) for i, c in enumerate(left)]
    rhs = [_Term(f"右{i}", c, signed=signed[4 + i]) for i, c in enumerate(right)]
    options = [_options(c) for c in left + right]
    judged = []
    for combo in itertools.product(*options):
        lv, rv = combo[:len(lhs)], combo[len(lhs):]
        full = _judge(lhs, rhs, lv, rv, tol)
        verdict, distance = _verdict(_side(lv, [i for i, t in enumerate(lhs) if t.signed]),
                                     _side(rv, [i for i, t in enumerate(rhs) if t.signed]), tol)
        assert verdict == full.verdict
        assert distance == (math.inf if full.diff is None else abs(full.diff))
        judged.append(full)
    outcome = _evaluate(lhs, rhs, tol)
    closest = min(abs(o.diff) for o in judged if o.diff is not None) if any(o.diff is not None for o in judged) else None
    shown = next(o for o in judged if (o.diff is None if closest is None else o.diff is not None and abs(o.diff) == closest))
    assert (outcome.expected, outcome.actual) == (shown.expected, shown.actual)
    assert shown.detail in outcome.detail
    verdicts = {o.verdict for o in judged}
    assert outcome.verdict == (verdicts.pop() if len(verdicts) == 1 else "not_assessable")
    if any(c.status == "uncertain" for c in left + right):
        assert "读数不确定的单元格" in outcome.detail
    else:
        assert outcome == shown


def test_cross_year_rules_read_a_reports_rows_wherever_they_are_in_the_frame():
    last = dict(CONSISTENT, carried_forward=[2, 0, 0, 0, 0, 0], total=[9, 2, 0, 0, 0, 0])
    t2019 = {("licensing", "prev_items"): 100, ("licensing", "change"): -8}
    t2020 = {("licensing", "prev_items"): 91}
    tables, reps = _corpus(("a", 2019, "v2019", last, t2019, "某局"), ("b", 2020, "v2019", CONSISTENT, t2020, "某局"))
    together = validate_corpus(tables, reps)
    assert set(together.severity) >= {"ok", "error"}
    # the two reports' rows alternate, as after a concat of partial frames
    order = sorted(range(len(tables)), key=lambda i: (i % 7, i))
    interleaved = tables.iloc[order].reset_index(drop=True)
    assert interleaved.report_id.ne(interleaved.report_id.shift()).sum() > 2
    pd.testing.assert_frame_equal(validate_corpus(interleaved, reps), together)
