"""The table scorer on a tiny folder written by the test."""

from __future__ import annotations

import io
import json

from gdtools.eval.tables import evaluate, flagged_cells, uncertain_cells
from gdtools.spec import table_spec

ROWS = [r for r in table_spec("table3_rows").to_dict("records") if r["v2021"]]
HEAD = "三、收到和处理政府信息公开申请情况申请人情况自然人法人或其他组织总计商业企业科研机构社会公益组织法律服务机构其他"
T4 = ("四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计"
      "未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审结总计")
COLS = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]


def write_case(tmp_path, open_total: int, tweak=None):
    values = {r["row_code"]: [0] * 7 for r in ROWS}
    for code in ("open", "received", "total"):
        values[code] = [open_total, 0, 0, 0, 0, 0, open_total]
    text = HEAD + "".join(r["v2021"] + " ".join(map(str, values[r["row_code"]])) for r in ROWS)
    text += T4 + " ".join(["0"] * 15) + "五、存在的主要问题及改进情况"
    (tmp_path / "reports").mkdir()
    (tmp_path / "expected").mkdir()
    (tmp_path / "reports" / "r1.txt").write_text("二〇二一年度政府信息公开工作年度报告\n" + text, encoding="utf-8")
    expected = {"table3": {r["gold_key"]: dict(zip(COLS, values[r["row_code"]], strict=True)) for r in ROWS},
                "table4": {k: dict.fromkeys(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"], 0)
                           for k in ("复议", "诉讼_未经复议直接起诉", "诉讼_复议后起诉")},
                "uncertain": []}
    if tweak:
        tweak(expected)
    (tmp_path / "expected" / "r1.json").write_text(json.dumps(expected, ensure_ascii=False), encoding="utf-8")


def test_evaluate_passes_on_matching_truth(tmp_path):
    write_case(tmp_path, 12)
    out = io.StringIO()
    assert evaluate(tmp_path, out), out.getvalue()
    assert "exact 190/190" in out.getvalue()


def test_evaluate_counts_silent_errors(tmp_path):
    def wrong(expected):
        expected["table3"]["予以公开"]["自然人"] = 13
        expected["table3"]["部分公开"]["总计"] = None

    write_case(tmp_path, 12, wrong)
    out = io.StringIO()
    assert not evaluate(tmp_path, out)
    text = out.getvalue()
    assert "silent errors (all tables): 2" in text
    assert "SILENT table3/open/natural" in text


def test_uncertain_entries_cover_rows_ranges_and_lists():
    expected = {"table2": {"规范性文件": {"本年新制作数量": 1, "本年新公开数量": 1}},
                "uncertain": [{"where": "table3/本年新收/自然人..科研机构"},
                              {"where": "table3/部分公开, 不予公开/属于国家秘密"},
                              {"where": "table4/诉讼_复议后起诉/总计"},
                              {"where": "table3/总计"},
                              {"where": "table2/规范性文件/本年新公开数量"}]}
    cells = uncertain_cells(expected)
    assert {("table3", "received", c) for c in ("natural", "business", "research")} <= cells
    assert ("table3", "received", "public_interest") not in cells
    assert ("table4", "litigation_after_review", "total") in cells
    assert ("table2", "normative_docs", "published") in cells
    assert ("table2", "normative_docs", "made") not in cells
    # several rows or a whole row: flagged, but the cells stay determinable
    loose = flagged_cells(expected)
    assert ("table3", "partial", "total") in loose and ("table3", "refuse_state_secret", "natural") in loose
    assert ("table3", "total", "natural") in loose
    assert not loose & cells


def test_whole_row_entries_still_count(tmp_path):
    def flag(expected):
        expected["uncertain"] = [{"where": "table3/总计"}, {"where": "table3/本年新收/自然人"}]

    write_case(tmp_path, 12, flag)
    out = io.StringIO()
    assert evaluate(tmp_path, out), out.getvalue()
    assert "exact 189/189" in out.getvalue()
    assert "exact 7/7" in out.getvalue()
