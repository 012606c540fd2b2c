"""Corpus analyses over hand-built frames (fictional agencies and numbers)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from gdtools import analysis as an
from gdtools.errors import GdtoolsError
from gdtools.model import FINDING_COLUMNS, REPORT_COLUMNS, STATEMENT_COLUMNS, TABLE_COLUMNS


def _reports(rows):
    frame = pd.DataFrame([{**dict.fromkeys(REPORT_COLUMNS), "status": "ok", **r} for r in rows])
    return frame[REPORT_COLUMNS]


def _cells(report_id, table, values, status="ok"):
    """values: {(row_code, col_code): number or None}"""
    return [{**dict.fromkeys(TABLE_COLUMNS), "report_id": report_id, "table": table, "row_code": r,
             "col_code": c, "value": v, "status": "blank" if v is None else status}
            for (r, c), v in values.items()]


def _statements(rows):
    return pd.DataFrame([{**dict.fromkeys(STATEMENT_COLUMNS), "section": "五", "idx": i, **r}
                         for i, r in enumerate(rows)])[STATEMENT_COLUMNS]


def _as_read_back(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as pandas' ``string`` dtype, as frames read back from batch outputs have them."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and column not in ("themes", "value"):
            if out[column].map(lambda v: v is None or isinstance(v, str)).all():
                out[column] = out[column].astype("string")
    if "themes" in out:
        out["themes"] = out["themes"].map(lambda v: v if isinstance(v, str) or v is None else str(list(v)))
        out["themes"] = out["themes"].str.replace("'", '"').astype("string")
    return out


@pytest.fixture(params=["built", "read_back"])
def frames(request):
    built = _built_frames()
    if request.param == "built":
        return built
    return {name: _as_read_back(frame) for name, frame in built.items()}


def _built_frames():
    reports = _reports([
        {"report_id": "a19", "agency": "甲省乙市科技局", "year": 2019},
        {"report_id": "a20", "agency": "甲省乙市科技局", "year": 2020},
        {"report_id": "b20", "agency": "山西省教育厅", "year": 2020},
        {"report_id": "c20", "agency": "某县民政局", "year": 2020, "status": "error"},
    ])
    tables = pd.DataFrame(
        _cells("a19", "table3", {("received", "total"): 10, ("total", "total"): 10, ("open", "total"): 6,
                                  ("partial", "total"): 2, ("refuse_state_secret", "total"): 1,
                                  ("refuse_third_party", "total"): None, ("unable_not_held", "total"): 1,
                                  ("received", "natural"): 8, ("received", "business"): 2,
                                  ("received", "research"): 0, ("received", "public_interest"): 0,
                                  ("received", "legal_services"): 0, ("received", "other_org"): 0})
        + _cells("a19", "table4", {("review", "total"): 1, ("litigation_direct", "total"): 0,
                                    ("litigation_after_review", "total"): None})
        + _cells("a20", "table3", {("received", "total"): 30, ("total", "total"): 20, ("open", "total"): 5,
                                    ("partial", "total"): None, ("refuse_law", "total"): 15,
                                    ("received", "natural"): 30, ("received", "business"): None})
        + _cells("b20", "table3", {("received", "total"): 0, ("total", "total"): 0, ("open", "total"): 7},
                 status="uncertain")
    )[TABLE_COLUMNS]
    findings = pd.DataFrame([
        {**dict.fromkeys(FINDING_COLUMNS), "report_id": "a20", "rule": "R1", "severity": "error"},
        {**dict.fromkeys(FINDING_COLUMNS), "report_id": "a20", "rule": "R1", "severity": "error"},
        {**dict.fromkeys(FINDING_COLUMNS), "report_id": "a20", "rule": "X1", "severity": "warning"},
        {**dict.fromkeys(FINDING_COLUMNS), "report_id": "b20", "rule": "R2", "severity": "error"},
        {**dict.fromkeys(FINDING_COLUMNS), "report_id": "a19", "rule": "R2", "severity": "ok"},
        {**dict.fromkeys(FINDING_COLUMNS), "report_id": "a20", "rule": "R2", "severity": "not_assessable"},
    ])[FINDING_COLUMNS]
    statements = _statements([
        {"report_id": "a19", "kind": "problem", "text": "我局信息公开工作人员力量不足。", "themes": ["人员"]},
        {"report_id": "a19", "kind": "measure", "text": "下一步将加强业务培训，提升能力。", "themes": '["培训"]'},
        {"report_id": "a20", "kind": "problem", "text": "本局信息公开工作人员力量不足", "themes": "培训;人员"},
        {"report_id": "a20", "kind": "measure", "text": "将拓展公开渠道和形式。", "themes": ["形式"]},
        {"report_id": "b20", "kind": "problem", "text": "本厅信息公开工作人员力量不足。", "themes": ["人员"]},
        {"report_id": "c20", "kind": "problem", "text": "无法读取的报告", "themes": ["人员"]},
    ])
    return {"reports": reports, "tables": tables, "findings": findings, "statements": statements}


@pytest.mark.parametrize("name, level", [
    ("国务院办公厅", "国家级"), ("教育部", "国家级"), ("山西省教育厅", "省级"), ("上海市科学技术委员会", "省级"),
    ("上海市徐汇区人民政府", "县级"), ("河北省石家庄市科技局", "市级"), ("朔州市科技局", "市级"),
    ("某某县民政局", "县级"), ("某某街道办事处", "乡镇级"), ("广西壮族自治区民政厅", "省级"), ("甲乙省农业农村厅", "省级"), ("甲乙省丙丁市教育局", "市级"), ("某某综合实验区管委会", "其他"), ("", "未知"),
])
def test_agency_level(name, level):
    assert an.agency_level(name) == level


def test_agency_region():
    assert an.agency_region("河北省科学技术厅") == "河北"
    assert an.agency_region("内蒙古自治区财政厅") == "内蒙古"
    assert an.agency_region("朔州市科技局") == "未识别"
    assert an.agency_region("甲乙省农业农村厅") == "甲乙"


def test_manifest_levels_override_the_name_guess(tmp_path):
    assert an.manifest_levels(tmp_path).empty
    (tmp_path / "MANIFEST.csv").write_text("file,agency,level,region\na.txt,某某市民政局,county,某省\nb.txt,乙,,\n",
                                           encoding="utf-8")
    catalogue = an.manifest_levels(tmp_path).set_index("file")
    assert catalogue.loc["a.txt", "level"] == "县级" and catalogue.loc["a.txt", "region"] == "某省"
    assert pd.isna(catalogue.loc["b.txt", "level"])
    reports = _reports([{"report_id": "r1", "agency": "某某市民政局", "year": 2020},
                        {"report_id": "r2", "agency": "某某市民政局", "year": 2021}]).assign(level=["县级", None])
    frame = an.with_agency_columns(reports)
    assert list(frame["level"]) == ["县级", "市级"]


def test_report_folder_prefers_reports_subfolder(tmp_path):
    assert an.report_folder(tmp_path) == tmp_path
    (tmp_path / "reports").mkdir()
    assert an.report_folder(tmp_path) == tmp_path / "reports"


def test_pick_report(tmp_path):
    (tmp_path / "reports").mkdir()
    legacy = "某某局2016年政府信息公开工作年度报告\n一、概述\n本局……\n二、主动公开政府信息情况\n……"
    for name in ("a.txt", "c.txt"):
        (tmp_path / "reports" / name).write_text(legacy, encoding="utf-8")
    assert an.pick_report("", tmp_path).name == "a.txt"  # nothing follows a standard template: the first
    standard = ("某某局2021年政府信息公开工作年度报告\n一、总体情况\n……\n"
                "三、收到和处理政府信息公开申请情况\n本年新收政府信息公开申请数量\n"
                "（二）部分公开（区分处理的，只计这一情形，不计其他情形）\n"
                "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\n本年制发件数\n")
    (tmp_path / "reports" / "b.txt").write_text(standard, encoding="utf-8")
    assert an.pick_report("", tmp_path).name == "b.txt"
    assert an.pick_report(tmp_path / "reports" / "c.txt", tmp_path).name == "c.txt"
    with pytest.raises(GdtoolsError):
        an.pick_report(tmp_path / "missing.txt", tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(GdtoolsError):
        an.pick_report("", empty)


def test_select_keeps_ok_reports_and_filters_every_frame(frames):
    sel = an.select(frames, years=[2020])
    assert list(sel["reports"]["report_id"]) == ["a20", "b20"]  # c20 failed to read
    assert set(sel["tables"]["report_id"]) == {"a20", "b20"}
    assert set(sel["statements"]["report_id"]) == {"a20", "b20"}
    empty = an.select(frames, years=[1999])
    assert empty["reports"].empty and empty["tables"].empty and list(empty["tables"].columns) == TABLE_COLUMNS
    assert an.describe_selection(empty["reports"]).empty
    assert list(an.select(frames, levels=["省级"])["reports"]["report_id"]) == ["b20"]
    # bare values (as `-p years 2020` / `-p levels 省级` give them) work like one-element lists
    assert list(an.select(frames, years=2020, levels="省级")["reports"]["report_id"]) == ["b20"]
    assert list(an.select(frames, agencies="甲省乙市科技局")["reports"]["report_id"]) == ["a19", "a20"]


def test_select_warns_about_unknown_levels(frames, caplog):
    with caplog.at_level("WARNING", logger="gdtools"):
        assert an.select(frames, levels=["省"])["reports"].empty
    assert "省" in caplog.text and "省级" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="gdtools"):
        an.select(frames, levels=["县级"])
    assert caplog.text == ""


def test_load_corpus_on_a_folder_without_reports(tmp_path):
    (tmp_path / "reports").mkdir()
    frames = an.load_corpus(tmp_path)
    assert frames["reports"].empty and list(frames["tables"].columns) == TABLE_COLUMNS


def test_report_measures_blank_is_not_zero(frames):
    sel = an.select(frames)
    m = an.report_measures(sel["tables"], sel["reports"]).set_index("report_id")
    assert m.loc["a19", "received"] == 10
    assert m.loc["a19", "不予公开"] == 1  # the blank reason is not added as 0 but does not blank the sum
    assert m.loc["a19", "open_rate"] == pytest.approx(0.6)
    assert m.loc["a19", "disclosed_rate"] == pytest.approx(0.8)
    assert m.loc["a19", "review_per_100"] == pytest.approx(10)
    assert m.loc["a19", "litigation"] == 0
    assert pd.isna(m.loc["a20", "部分公开"]) and pd.isna(m.loc["a20", "disclosed_rate"])
    assert pd.isna(m.loc["a20", "review"])
    assert m.loc["a20", "open_rate"] == pytest.approx(0.25)
    # uncertain cells are not used at all
    assert pd.isna(m.loc["b20", "received"]) and pd.isna(m.loc["b20", "open_rate"])


def test_volume_and_outcome_mix(frames):
    sel = an.select(frames)
    m = an.report_measures(sel["tables"], sel["reports"])
    vol = an.volume_by(m, ["year"]).set_index("year")
    assert vol.loc[2020, "received_total"] == 30 and vol.loc[2020, "n_reports"] == 1
    mix = an.outcome_mix(m, ["year"]).set_index("year")
    assert mix.loc[2019, "予以公开"] == pytest.approx(0.6)
    assert mix.loc[2019, "无法提供"] == pytest.approx(0.1)
    assert mix.loc[2020, "不予公开"] == pytest.approx(0.75)
    assert an.outcome_mix(m.iloc[0:0]).empty


def test_applicant_mix_needs_every_applicant_column(frames):
    sel = an.select(frames)
    mix = an.applicant_mix(sel["tables"], sel["reports"], ["year"])
    assert list(mix["year"]) == [2019]  # a20 leaves 商业企业 blank: not used
    assert mix.iloc[0]["自然人"] == pytest.approx(0.8) and mix.iloc[0]["商业企业"] == pytest.approx(0.2)


def test_refusal_reasons_and_review(frames):
    sel = an.select(frames)
    reasons = an.refusal_reasons(sel["tables"], sel["reports"], ["year"]).set_index("year")
    assert reasons.loc[2019, "国家秘密"] == 1 and pd.isna(reasons.loc[2019, "第三方合法权益"])
    assert reasons.loc[2020, "法律行政法规禁止"] == 15
    m = an.report_measures(sel["tables"], sel["reports"])
    rl = an.review_litigation_by(m, ["year"]).set_index("year")
    assert rl.loc[2019, "review_per_100"] == pytest.approx(10) and rl.loc[2020, "n_reports"] == 0


def test_quality_summaries(frames):
    sel = an.select(frames)
    rates = an.error_rates_by_rule(sel["findings"], sel["reports"]).set_index("rule")
    assert rates.loc["R1", "reports_with_error"] == 1 and rates.loc["R1", "findings"] == 2
    assert rates.loc["R1", "error_rate"] == 1.0 and rates.loc["R1", "share_of_reports"] == pytest.approx(1 / 3)
    assert rates.loc["X1", "reports_with_error"] == 0 and rates.loc["X1", "reports_with_warning"] == 1
    worst = an.worst_reports(sel["findings"], sel["reports"], n=5)
    assert list(worst["report_id"]) == ["a20", "b20"] and worst.iloc[0]["errors"] == 2
    assert rates.loc["R2", "assessed"] == 2 and rates.loc["R2", "error_rate"] == 0.5
    assert rates.loc["R2", "not_assessable"] == 1 and rates.loc["R2", "findings"] == 2
    assert list(an.cross_year_findings(sel["findings"], sel["reports"])["rule"]) == ["X1"]
    status = an.cell_status_summary(sel["tables"], sel["reports"], ["year"]).set_index("year")
    assert status.loc[2020, "uncertain"] == pytest.approx(3 / 10)  # b20: 3 uncertain of 7 + 3 cells
    assert math.isclose(status.loc[2019, ["ok", "blank", "uncertain", "missing"]].sum(), 1.0)


def test_theme_labels():
    assert an.theme_label("staffing") == "人员力量"
    assert an.theme_label("my_own_theme") == "my_own_theme"
    assert an.theme_names("staffing;platform") == "平台与栏目、人员力量"
    assert an.theme_names(None) == ""


def test_theme_frequencies_and_problems_vs_measures(frames):
    sel = an.select(frames)
    freq = an.theme_frequencies(sel["statements"], sel["reports"], ["year"], kind="problem")
    y2020 = freq[freq["year"] == 2020].set_index("theme")
    assert y2020.loc["人员", "reports"] == 2 and y2020.loc["人员", "report_share"] == 1.0
    assert y2020.loc["培训", "reports"] == 1
    pvm = an.problems_vs_measures(sel["statements"], sel["reports"]).set_index("theme")
    assert pvm.loc["人员", "problem_reports"] == 3 and pvm.loc["人员", "both"] == 0
    assert pvm.loc["培训", "both"] == 0 and pvm.loc["培训", "measure_reports"] == 1
    assert pd.isna(pvm.loc["形式", "answered_share"])


def test_agency_panel_and_picking(frames):
    sel = an.select(frames)
    assert an.agencies_with_most_years(sel["reports"], n=1) == ["甲省乙市科技局"]
    panel = an.agency_panel(sel)
    a20 = panel.set_index("report_id").loc["a20"]
    assert a20["errors"] == 2 and a20["problems"] == 1 and a20["copy_rate"] == pytest.approx(0.5)
    assert panel.set_index("report_id").loc["a19", "errors"] == 0
    empty = an.agency_panel(an.select(frames, years=[1999]))
    assert empty.empty
